package auth

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"suyuan/ent"
	"suyuan/ent/apikey"
	"suyuan/ent/organization"
	"suyuan/ent/user"
	"suyuan/internal/audit"
	"suyuan/internal/cnid"
	"suyuan/internal/errcode"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// CreateUserInput describes a new account.
type CreateUserInput struct {
	OrganizationID int         `json:"organizationID"`
	Phone          string      `json:"phone"`
	Name           *string     `json:"name"`
	Password       string      `json:"password"`
	Role           viewer.Role `json:"role"`
}

// CheckPassword enforces the password rules.
func CheckPassword(p, field string) error {
	n := utf8.RuneCountInString(p)
	if n < MinPasswordLen || len(p) > MaxPasswordLen {
		return errcode.Field(errcode.BadUserInput, field, "a password has %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// requireViewer returns the viewer, or UNAUTHENTICATED.
func requireViewer(ctx context.Context) (*viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in first")
	}
	return v, nil
}

// withTx runs fn in a transaction with the system's privileges (see
// store.InTx); callers decide permissions before.
func (s *Service) withTx(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) error {
	sys := tenancy.System(ctx)
	return store.InTx(sys, s.client, func(tx *ent.Tx) error { return fn(sys, tx) })
}

// CreateUser adds an account. Administrators create any account; an
// organisation's administrators create staff, partners and other
// administrators of their own organisation; regulators are created by
// administrators only, in regulator organisations.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*ent.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if !in.Role.Valid() {
		return nil, errcode.Field(errcode.BadUserInput, "role", "unknown role")
	}
	if v.Role != viewer.Admin {
		if v.Role != viewer.OrgAdmin || v.OrgID != in.OrganizationID || v.ReadOnly {
			return nil, errcode.Field(errcode.Forbidden, "organizationID", "only administrators create accounts for this organisation")
		}
		if in.Role == viewer.Admin || in.Role == viewer.Regulator {
			return nil, errcode.Field(errcode.Forbidden, "role", "only administrators create %s accounts", in.Role)
		}
	}
	phone, err := cnid.Phone(in.Phone)
	if err != nil {
		return nil, errcode.WithField(err, "phone")
	}
	if err := CheckPassword(in.Password, "password"); err != nil {
		return nil, err
	}
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if utf8.RuneCountInString(name) > 100 {
		return nil, errcode.Field(errcode.BadUserInput, "name", "a name has at most 100 characters")
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, fmt.Errorf("hashing password: %w", err)
	}
	var out *ent.User
	err = s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		org, err := tx.Organization.Get(ctx, in.OrganizationID)
		if err != nil {
			if ent.IsNotFound(err) {
				return errcode.Field(errcode.NotFound, "organizationID", "organisation not found")
			}
			return err
		}
		if in.Role == viewer.Regulator && org.Kind != organization.KindREGULATOR {
			return errcode.Field(errcode.BadUserInput, "role", "regulators belong to regulator organisations")
		}
		out, err = tx.User.Create().SetOrganizationID(org.ID).SetPhone(phone).SetName(name).
			SetPasswordHash(hash).SetRole(in.Role).Save(ctx)
		if ent.IsConstraintError(err) {
			return errcode.Field(errcode.Conflict, "phone", "an account with this phone number exists")
		}
		if err != nil {
			return fmt.Errorf("creating user: %w", err)
		}
		return audit.Write(ctx, tx, "createUser", "User", out.ID, []string{"organizationID", "phone", "name", "role"})
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// CreateFirstAdmin creates an administrator without a viewer, for the
// command line; it is refused once any administrator exists.
func (s *Service) CreateFirstAdmin(ctx context.Context, orgID int, phone, name, password string) (*ent.User, error) {
	sys := tenancy.System(ctx)
	n, err := s.client.User.Query().Where(user.RoleEQ(viewer.Admin)).Count(sys)
	if err != nil {
		return nil, fmt.Errorf("counting administrators: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("an administrator exists already; create further accounts through the API")
	}
	// The new administrator creates itself.
	return s.CreateUser(viewer.NewContext(ctx, &viewer.Viewer{Role: viewer.Admin, OrgID: orgID}),
		CreateUserInput{OrganizationID: orgID, Phone: phone, Name: &name, Password: password, Role: viewer.Admin})
}

// ChangePassword replaces the viewer's password and ends all its sessions.
func (s *Service) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	if v.UserID == 0 {
		return errcode.New(errcode.Forbidden, "API keys have no password")
	}
	if err := CheckPassword(newPassword, "newPassword"); err != nil {
		return err
	}
	u, err := s.client.User.Get(tenancy.System(ctx), v.UserID)
	if err != nil {
		return fmt.Errorf("loading user: %w", err)
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, oldPassword)
	if err != nil {
		return fmt.Errorf("verifying password: %w", err)
	}
	if !ok {
		return errcode.Field(errcode.Unauthenticated, "oldPassword", "the current password is wrong")
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return fmt.Errorf("hashing password: %w", err)
	}
	// The new password bumps the token generation (a hook of the
	// schema): the account's access tokens, this request's too, stop
	// working; on this server at once.
	defer s.accounts.forget(u.ID)
	return s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if err := tx.User.UpdateOneID(u.ID).SetPasswordHash(hash).Exec(ctx); err != nil {
			return fmt.Errorf("storing password: %w", err)
		}
		if err := s.RevokeUser(ctx, tx.Client(), u.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, "changePassword", "User", u.ID, []string{"password"})
	})
}

// DeactivateUser stops an account and ends its sessions. Its access
// tokens are refused from then on: on this server at once, on others
// within AccountCacheTTL.
func (s *Service) DeactivateUser(ctx context.Context, id int) (*ent.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	defer s.accounts.forget(id)
	var out *ent.User
	err = s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		u, err := tx.User.Get(ctx, id)
		if ent.IsNotFound(err) {
			return errcode.Field(errcode.NotFound, "id", "user not found")
		}
		if err != nil {
			return fmt.Errorf("loading user: %w", err)
		}
		if v.Role != viewer.Admin && (v.Role != viewer.OrgAdmin || v.OrgID != u.OrganizationID || u.Role == viewer.Admin) {
			return errcode.Field(errcode.Forbidden, "id", "you may not deactivate this account")
		}
		if out, err = tx.User.UpdateOneID(id).SetActive(false).Save(ctx); err != nil {
			return fmt.Errorf("deactivating user: %w", err)
		}
		if err := s.RevokeUser(ctx, tx.Client(), id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, "deactivateUser", "User", id, []string{"active"})
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// CreateAPIKey creates a key for an organisation, by its administrator
// (or a platform administrator). The secret is returned this once.
func (s *Service) CreateAPIKey(ctx context.Context, orgID int, name string, canWrite bool) (*ent.APIKey, string, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, "", err
	}
	if v.Role != viewer.Admin && (v.Role != viewer.OrgAdmin || v.OrgID != orgID || v.ReadOnly) {
		return nil, "", errcode.Field(errcode.Forbidden, "organizationID", "only the organisation's administrators create its API keys")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, "", errcode.Field(errcode.BadUserInput, "name", "a key needs a name of 1 to 100 characters")
	}
	var (
		key    *ent.APIKey
		secret string
	)
	err = s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if _, err := tx.Organization.Get(ctx, orgID); err != nil {
			if ent.IsNotFound(err) {
				return errcode.Field(errcode.NotFound, "organizationID", "organisation not found")
			}
			return err
		}
		var by *int
		if v.UserID != 0 {
			by = &v.UserID
		}
		if key, secret, err = s.NewAPIKey(ctx, tx.Client(), orgID, name, canWrite, by); err != nil {
			return err
		}
		return audit.Write(ctx, tx, "createAPIKey", "APIKey", key.ID, []string{"name", "canWrite"})
	})
	if err != nil {
		return nil, "", err
	}
	return key.Unwrap(), secret, nil
}

// RevokeAPIKey revokes a key; revoking it again changes nothing.
func (s *Service) RevokeAPIKey(ctx context.Context, id int) (*ent.APIKey, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.APIKey
	err = s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		k, err := tx.APIKey.Get(ctx, id)
		if ent.IsNotFound(err) {
			return errcode.Field(errcode.NotFound, "id", "API key not found")
		}
		if err != nil {
			return fmt.Errorf("loading API key: %w", err)
		}
		if v.Role != viewer.Admin && (v.Role != viewer.OrgAdmin || v.OrgID != k.OrganizationID || v.ReadOnly) {
			return errcode.Field(errcode.Forbidden, "id", "only the organisation's administrators revoke its API keys")
		}
		if k.RevokedAt == nil {
			if err := tx.APIKey.Update().Where(apikey.ID(id), apikey.RevokedAtIsNil()).SetRevokedAt(s.now().UTC()).Exec(ctx); err != nil {
				return fmt.Errorf("revoking API key: %w", err)
			}
			if err := audit.Write(ctx, tx, "revokeAPIKey", "APIKey", id, []string{"revokedAt"}); err != nil {
				return err
			}
		}
		out, err = tx.APIKey.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}
