package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"suyuan/internal/viewer"
)

// Token lifetimes.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 30 * 24 * time.Hour
)

const (
	issuer   = "suyuan"
	audience = "suyuan-api"
)

// KeySet holds the HMAC keys access tokens are signed with, by key id. New
// tokens are signed with the active key; tokens signed with any key in the
// set verify, so a key can be rotated in without logging anyone out and
// retired once its tokens have expired.
type KeySet struct {
	Active string            `json:"active"`
	Keys   map[string][]byte `json:"keys"`
}

// LoadKeySet reads a key set from a JSON file:
//
//	{"active": "2026-11", "keys": {"2026-10": "base64…", "2026-11": "base64…"}}
//
// Keys are at least 32 bytes.
func LoadKeySet(path string) (*KeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key set: %w", err)
	}
	var ks KeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		return nil, fmt.Errorf("parsing key set %s: %w", path, err)
	}
	return &ks, ks.validate()
}

// DerivedKeySet makes a one-key set from a secret, for development and for
// deployments that configure only SUYUAN_SECRET.
func DerivedKeySet(secret string) *KeySet {
	sum := sha256.Sum256([]byte("suyuan access token key\x00" + secret))
	return &KeySet{Active: "derived", Keys: map[string][]byte{"derived": sum[:]}}
}

func (ks *KeySet) validate() error {
	if _, ok := ks.Keys[ks.Active]; !ok {
		return fmt.Errorf("key set has no active key %q", ks.Active)
	}
	for kid, k := range ks.Keys {
		if len(k) < 32 {
			return fmt.Errorf("key %q is shorter than 32 bytes", kid)
		}
	}
	return nil
}

// claims are an access token's contents.
type claims struct {
	jwt.RegisteredClaims
	Org    int    `json:"org"`
	Role   string `json:"role"`
	Region string `json:"region"`
	// Gen is the account's token generation at issue; the token is
	// refused once the account's generation moves on.
	Gen int `json:"gen,omitempty"`
}

// ErrInvalidToken is returned for any token that does not verify.
var ErrInvalidToken = errors.New("invalid or expired token")

// Sign issues an access token for v, valid for AccessTTL from now.
func (ks *KeySet) Sign(v *viewer.Viewer, now time.Time) (string, time.Time, error) {
	exp := now.Add(AccessTTL)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.Itoa(v.UserID),
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        randomString(12),
		},
		Org: v.OrgID, Role: string(v.Role), Region: v.Region, Gen: v.TokenGeneration,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = ks.Active
	s, err := t.SignedString(ks.Keys[ks.Active])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing token: %w", err)
	}
	return s, exp, nil
}

// Verify checks an access token — algorithm HS256 only, key by kid,
// issuer, audience and expiry required — and returns its viewer.
func (ks *KeySet) Verify(token string, now time.Time) (*viewer.Viewer, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := ks.Keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, ErrInvalidToken
	}
	uid, err := strconv.Atoi(c.Subject)
	role := viewer.Role(c.Role)
	if err != nil || uid <= 0 || !role.Valid() || c.Gen < 0 {
		return nil, ErrInvalidToken
	}
	return &viewer.Viewer{UserID: uid, OrgID: c.Org, Role: role, Region: c.Region, TokenGeneration: c.Gen}, nil
}

// randomString returns n random bytes, URL-safe base64 encoded.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how refresh tokens and API keys are stored: they carry 256
// random bits, so a fast hash is enough to make a stolen table useless.
func hashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
