// Package viewer says who is making a request: a user or partner key of an
// organisation, with a role. Tenancy rules (internal/tenancy) and the
// recording operations read it from the context.
package viewer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Role is what a user may do.
type Role string

// Roles.
const (
	// Admin runs the platform: reads and changes everything.
	Admin Role = "ADMIN"
	// Regulator reads everything in its organisation's region and records
	// inspections.
	Regulator Role = "REGULATOR"
	// OrgAdmin manages an organisation's data, users and API keys.
	OrgAdmin Role = "ORG_ADMIN"
	// Staff records and reads its organisation's data.
	Staff Role = "STAFF"
	// Partner is another system acting for an organisation.
	Partner Role = "PARTNER"
)

// Values lists the roles, for Ent's enum.
func (Role) Values() []string {
	return []string{string(Admin), string(Regulator), string(OrgAdmin), string(Staff), string(Partner)}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range r.Values() {
		if string(r) == v {
			return true
		}
	}
	return false
}

// Viewer is an authenticated caller.
type Viewer struct {
	UserID int // 0 for an API key
	KeyID  int // 0 for a user
	OrgID  int
	Role   Role
	// Region is the organisation's administrative division code; a
	// regulator sees everything whose region starts with RegionPrefix().
	Region string
	// ReadOnly is set for API keys without the write scope.
	ReadOnly bool
	// TokenGeneration is, for a user, the account's token generation its
	// access token was issued under; the token is refused once the
	// account's generation moves on (internal/auth).
	TokenGeneration int
}

// RegionPrefix is the part of the region code that names the area a
// regulator covers: trailing "00" pairs stand for every subdivision, so
// 511800 (Ya'an city) covers 511802 (Yucheng district) and 510000 (Sichuan)
// covers all of 51xxxx.
func (v *Viewer) RegionPrefix() string {
	p := v.Region
	for len(p) > 2 && strings.HasSuffix(p, "00") {
		p = p[:len(p)-2]
	}
	return p
}

// CanWrite reports whether the viewer may change orgID's data.
func (v *Viewer) CanWrite(orgID int) bool {
	switch {
	case v == nil || v.ReadOnly:
		return false
	case v.Role == Admin:
		return true
	case v.Role == Regulator:
		return false
	}
	return v.OrgID == orgID
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or nil for an anonymous caller.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// MarshalGQL writes r as a GraphQL enum value.
func (r Role) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads a GraphQL enum value into r.
func (r *Role) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if !Role(s).Valid() {
		return fmt.Errorf("unknown role %q", s)
	}
	*r = Role(s)
	return nil
}
