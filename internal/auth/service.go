package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"suyuan/ent"
	"suyuan/ent/apikey"
	"suyuan/ent/organization"
	"suyuan/ent/refreshtoken"
	"suyuan/ent/user"
	"suyuan/internal/audit"
	"suyuan/internal/cnid"
	"suyuan/internal/errcode"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// Service logs users in, issues and rotates their tokens, and checks
// credentials on each request. It reads accounts with the system's
// privileges: it is what decides who the viewer is.
type Service struct {
	client *ent.Client
	// lockRows is set for engines with SELECT … FOR UPDATE (MySQL);
	// SQLite has none and needs none, as its transactions take the write
	// lock when they begin.
	lockRows bool
	keys     *KeySet
	hasher   *Hasher
	now      func() time.Time
	// accounts remembers for a moment which accounts' tokens are good.
	accounts *accounts
	// sweepMu guards swept, when old login throttles were last deleted.
	sweepMu sync.Mutex
	swept   time.Time
}

// NewService returns a Service over client, whose SQL dialect is
// dialectName; now tells the time (nil is time.Now).
func NewService(client *ent.Client, dialectName string, keys *KeySet, hasher *Hasher, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, lockRows: dialectName != dialect.SQLite, keys: keys, hasher: hasher, now: now,
		accounts: newAccounts(now)}
}

// Tokens is what a login or a refresh returns.
type Tokens struct {
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
	User             *ent.User
}

// errLogin is the one answer to every failed login, so that it does not
// tell which phone numbers have accounts.
var errLogin = errcode.New(errcode.Unauthenticated, "wrong phone number or password")

// Login checks a phone number and password and starts a token family.
// Failed logins are counted by phone number and client address; after a
// few, further attempts wait (see ThrottleBase) and are refused with
// RATE_LIMITED until then, without their password being checked.
func (s *Service) Login(ctx context.Context, phone, password string) (*Tokens, error) {
	sys := tenancy.System(ctx)
	phone, phoneErr := cnid.Phone(phone)
	if phoneErr != nil {
		phone = ""
	}
	keys := throttleKeys(ctx, phone)
	mustWait := func() error {
		d, _, err := s.throttled(sys, s.client, keys, false)
		if err == nil && d > 0 {
			err = rateLimited(d)
		}
		return err
	}
	if err := mustWait(); err != nil {
		return nil, err
	}
	if phoneErr != nil || len(password) > MaxPasswordLen {
		return nil, s.failed(ctx, keys, nil)
	}
	u, err := s.client.User.Query().Where(user.Phone(phone)).WithOrganization().Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("finding user: %w", err)
	}
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	// An unknown phone number spends the same time as a real check, so
	// timing does not tell either. Attempts that queued for the hasher
	// behind a burst of failures look again whether they must wait; a
	// failure is counted before the next attempt in the queue looks.
	failure := func(ok bool) error {
		if ok && u != nil && u.Active && u.Edges.Organization.Status == organization.StatusACTIVE {
			return nil
		}
		return s.failed(ctx, keys, u)
	}
	if _, err := s.hasher.VerifyAround(ctx, hash, password, mustWait, failure); err != nil {
		if errcode.CodeOf(err) != errcode.Internal {
			return nil, err // errLogin, or RATE_LIMITED
		}
		return nil, fmt.Errorf("verifying password: %w", err)
	}
	var t *Tokens
	err = s.withTx(asUser(ctx, u), func(ctx context.Context, tx *ent.Tx) error {
		// Failures of concurrent attempts, counted while this password
		// was checked, may have made the phone number or address wait:
		// then this attempt waits too, whatever its password.
		d, rows, err := s.throttled(ctx, tx.Client(), keys, s.lockRows)
		if err != nil {
			return err
		}
		if d > 0 {
			return rateLimited(d)
		}
		if err := s.cleared(ctx, tx, keys, rows); err != nil {
			return err
		}
		if err := tx.User.UpdateOneID(u.ID).SetLastLoginAt(s.now().UTC()).Exec(ctx); err != nil {
			return fmt.Errorf("recording login: %w", err)
		}
		if t, err = s.issue(ctx, tx.Client(), u, randomString(16)); err != nil {
			return err
		}
		return audit.Write(ctx, tx, "login", "User", u.ID, []string{"lastLoginAt"})
	})
	return t, err
}

// asUser is ctx with u as its viewer, so that what u does is audited as u.
func asUser(ctx context.Context, u *ent.User) context.Context {
	return viewer.NewContext(ctx, &viewer.Viewer{UserID: u.ID, OrgID: u.OrganizationID, Role: u.Role})
}

// issue signs an access token and stores a new refresh token in family.
func (s *Service) issue(ctx context.Context, c *ent.Client, u *ent.User, family string) (*Tokens, error) {
	now := s.now()
	v := &viewer.Viewer{UserID: u.ID, OrgID: u.OrganizationID, Role: u.Role, Region: u.Edges.Organization.RegionCode,
		TokenGeneration: u.TokenGeneration}
	access, exp, err := s.keys.Sign(v, now)
	if err != nil {
		return nil, err
	}
	refresh := "rt_" + randomString(32)
	rexp := now.Add(RefreshTTL)
	err = c.RefreshToken.Create().SetUserID(u.ID).SetFamily(family).
		SetTokenHash(hashSecret(refresh)).SetExpiresAt(rexp.UTC()).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("storing refresh token: %w", err)
	}
	return &Tokens{AccessToken: access, AccessExpiresAt: exp, RefreshToken: refresh, RefreshExpiresAt: rexp, User: u}, nil
}

var errRefresh = errcode.New(errcode.Unauthenticated, "invalid, expired or revoked refresh token; log in again")

// Refresh spends a refresh token and issues a new pair in its family. The
// token's row is read under its lock (FOR UPDATE on MySQL; SQLite's
// transactions are serial), so of two concurrent refreshes with one token
// the second waits for the first and then finds the token spent; the
// conditional update (used_at IS NULL) is a second guard. Presenting a
// token that was already spent means it was stolen or replayed: the whole
// family is revoked, the new pair included.
func (s *Service) Refresh(ctx context.Context, token string) (*Tokens, error) {
	sys := tenancy.System(ctx)
	if !strings.HasPrefix(token, "rt_") || len(token) > 64 {
		return nil, errRefresh
	}
	hash := hashSecret(token)
	var (
		t       *Tokens
		revoked bool // the family was revoked: commit that, answer errRefresh
	)
	// Run again when aborted: on Galera a concurrent refresh on another
	// node is not held up by the row lock, and the loser's commit fails
	// certification instead; run again, it finds the token spent.
	err := store.InTx(sys, s.client, func(tx *ent.Tx) error {
		t, revoked = nil, false
		q := tx.RefreshToken.Query().Where(refreshtoken.TokenHash(hash))
		if s.lockRows {
			q.ForUpdate()
		}
		rt, err := q.Only(sys)
		if ent.IsNotFound(err) {
			return errRefresh
		}
		if err != nil {
			return fmt.Errorf("finding refresh token: %w", err)
		}
		now := s.now().UTC()
		if rt.UsedAt != nil || rt.RevokedAt != nil {
			if rt.UsedAt != nil && rt.RevokedAt == nil {
				revoked = true
				return revokeFamily(sys, tx.Client(), rt.Family, now)
			}
			return errRefresh
		}
		u, err := tx.User.Query().Where(user.ID(rt.UserID)).WithOrganization().Only(sys)
		if err != nil {
			return fmt.Errorf("loading the token's user: %w", err)
		}
		if now.After(rt.ExpiresAt) || !u.Active || u.Edges.Organization.Status != organization.StatusACTIVE {
			return errRefresh
		}
		n, err := tx.RefreshToken.Update().
			Where(refreshtoken.ID(rt.ID), refreshtoken.UsedAtIsNil(), refreshtoken.RevokedAtIsNil()).
			SetUsedAt(now).Save(sys)
		if err != nil {
			return fmt.Errorf("spending refresh token: %w", err)
		}
		if n == 0 {
			// Spent by a concurrent request between our read and our update.
			revoked = true
			return revokeFamily(sys, tx.Client(), rt.Family, now)
		}
		if t, err = s.issue(sys, tx.Client(), u, rt.Family); err != nil {
			return err
		}
		return audit.Write(asUser(sys, u), tx, "refreshToken", "User", u.ID, nil)
	})
	switch {
	case err != nil:
		return nil, err
	case revoked:
		return nil, errRefresh
	}
	t.User = t.User.Unwrap() // read in the transaction, its edges load after it
	return t, nil
}

func revokeFamily(ctx context.Context, c *ent.Client, family string, now time.Time) error {
	err := c.RefreshToken.Update().
		Where(refreshtoken.Family(family), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(now).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoking token family: %w", err)
	}
	return nil
}

// Logout revokes the family of a refresh token. Unknown tokens are
// ignored: logging out twice is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	sys := tenancy.System(ctx)
	rt, err := s.client.RefreshToken.Query().Where(refreshtoken.TokenHash(hashSecret(token))).Only(sys)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finding refresh token: %w", err)
	}
	return s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if err := revokeFamily(ctx, tx.Client(), rt.Family, s.now().UTC()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, "logout", "User", rt.UserID, nil)
	})
}

// RevokeUser revokes every session (refresh token) of a user, after a
// password change or deactivation; the change itself bumps the account's
// token generation, which ends its access tokens.
func (s *Service) RevokeUser(ctx context.Context, c *ent.Client, userID int) error {
	err := c.RefreshToken.Update().
		Where(refreshtoken.UserID(userID), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(s.now().UTC()).Exec(tenancy.System(ctx))
	if err != nil {
		return fmt.Errorf("revoking sessions: %w", err)
	}
	return nil
}

// Hasher returns the password hasher.
func (s *Service) Hasher() *Hasher { return s.hasher }

// ErrBadCredentials is returned by Authenticate for a token or key that
// does not verify.
var ErrBadCredentials = errors.New("bad credentials")

// Authenticate returns the viewer of an access token: one that verifies,
// for an account that exists, may be used and has not revoked its tokens
// since (Check).
func (s *Service) Authenticate(ctx context.Context, token string) (*viewer.Viewer, error) {
	v, err := s.keys.Verify(token, s.now())
	if err != nil {
		return nil, ErrBadCredentials
	}
	if err := s.Check(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// apiKeyPrefixLen is the length of the public part of a key.
const apiKeyPrefixLen = 12

// NewAPIKey creates a key for an organisation and returns it with its
// secret, which is shown this once.
func (s *Service) NewAPIKey(ctx context.Context, c *ent.Client, orgID int, name string, canWrite bool, createdBy *int) (*ent.APIKey, string, error) {
	prefix := "sk_" + randomString(9)[:apiKeyPrefixLen-3]
	secret := prefix + "." + randomString(32)
	k, err := c.APIKey.Create().SetOrganizationID(orgID).SetName(name).SetPrefix(prefix).
		SetKeyHash(hashSecret(secret)).SetCanWrite(canWrite).SetNillableCreatedBy(createdBy).Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("creating API key: %w", err)
	}
	return k, secret, nil
}

// AuthenticateKey returns the viewer of an API key, and records its use
// at most once a minute.
func (s *Service) AuthenticateKey(ctx context.Context, secret string) (*viewer.Viewer, error) {
	sys := tenancy.System(ctx)
	prefix, _, ok := strings.Cut(secret, ".")
	if !ok || len(prefix) != apiKeyPrefixLen || len(secret) > 80 {
		return nil, ErrBadCredentials
	}
	k, err := s.client.APIKey.Query().Where(apikey.Prefix(prefix)).WithOrganization().Only(sys)
	if ent.IsNotFound(err) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("finding API key: %w", err)
	}
	if subtleEqual(k.KeyHash, hashSecret(secret)) != 1 || k.RevokedAt != nil || k.Edges.Organization.Status != organization.StatusACTIVE {
		return nil, ErrBadCredentials
	}
	now := s.now().UTC()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		if err := s.client.APIKey.UpdateOneID(k.ID).SetLastUsedAt(now).Exec(sys); err != nil {
			return nil, fmt.Errorf("recording API key use: %w", err)
		}
	}
	return &viewer.Viewer{KeyID: k.ID, OrgID: k.OrganizationID, Role: viewer.Partner,
		Region: k.Edges.Organization.RegionCode, ReadOnly: !k.CanWrite}, nil
}

// dummyHash is checked against when a phone number has no account.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3q9H0Wc0mO2s5mF8m1V9P6dS6m0h1u0g3n6b2v8y0k4"
