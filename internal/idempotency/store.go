// Package idempotency makes retries of requests that change something safe,
// as the IETF draft "The Idempotency-Key HTTP Header Field" describes: a
// client sends a key of its choosing with a request; a retry with the same
// key and the same request gets the first answer again instead of doing the
// work twice. Keys and answers are kept in the database (table
// idempotency_records), so a retry reaching another server over it is
// answered the same way.
//
// Middleware wraps a handler; Store keeps the keys. README ("Retrying
// safely: Idempotency-Key") and docs/SECURITY.md say what clients get.
package idempotency

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"suyuan/ent"
	"suyuan/ent/idempotencyrecord"
	"suyuan/internal/reqlog"
	"suyuan/internal/tenancy"
)

const (
	// TTL is how long a key is remembered after its first request.
	TTL = 24 * time.Hour
	// DefaultLease is how long a server that claimed a key is taken to be
	// working on it when Options.Lease is not set. It must exceed the
	// longest a request may run.
	DefaultLease = time.Minute
	// sweepBatch bounds the expired keys one claim deletes, so that the
	// cleanup a write pays for stays small however many have piled up.
	sweepBatch = 100
	// claimAttempts bounds how often a claim starts over when the row it
	// met changes under it (expired and deleted, or taken over).
	claimAttempts = 3
)

// Store keeps Idempotency-Keys and the answers given to them.
type Store struct {
	client *ent.Client
	now    func() time.Time
}

// NewStore returns a Store over client. now tells the time; nil means
// time.Now (tests move a clock of their own).
func NewStore(client *ent.Client, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{client: client, now: now}
}

// outcome is what claiming a key found.
type outcome int

const (
	// claimed: the key is this request's; do the work, then complete it.
	claimed outcome = iota
	// replay: the key was answered; send that answer again.
	replay
	// reused: the key was used for another request.
	reused
	// inUse: the key's first request is still being answered.
	inUse
)

// claim is the result of Store.claim.
type claim struct {
	outcome outcome
	id      int                    // the row, when claimed
	answer  *ent.IdempotencyRecord // the row, on replay
}

// claim claims key for the request with fingerprint fp, or says why not.
// The insert decides the race between concurrent requests with one key:
// the unique index on (scope, key) lets exactly one of them in.
func (s *Store) claim(ctx context.Context, scope, key, fp string, lease time.Duration) (claim, error) {
	ctx = tenancy.System(ctx)
	for range claimAttempts {
		now := s.now().UTC()
		rec, err := s.client.IdempotencyRecord.Create().
			SetScope(scope).SetKey(key).SetFingerprint(fp).
			SetLockedUntil(now.Add(lease)).SetCreatedAt(now).SetExpiresAt(now.Add(TTL)).
			Save(ctx)
		if err == nil {
			s.sweep(ctx, now)
			return claim{outcome: claimed, id: rec.ID}, nil
		}
		if !ent.IsConstraintError(err) {
			return claim{}, fmt.Errorf("claiming an idempotency key: %w", err)
		}
		cur, err := s.client.IdempotencyRecord.Query().
			Where(idempotencyrecord.Scope(scope), idempotencyrecord.Key(key)).
			Only(ctx)
		switch {
		case ent.IsNotFound(err):
			continue // deleted since the insert failed: try again
		case err != nil:
			return claim{}, fmt.Errorf("reading an idempotency key: %w", err)
		case !cur.ExpiresAt.After(now):
			// Forgotten, though not yet swept: the key is free again.
			_, err := s.client.IdempotencyRecord.Delete().
				Where(idempotencyrecord.ID(cur.ID), idempotencyrecord.ExpiresAtLTE(now)).
				Exec(ctx)
			if err != nil {
				return claim{}, fmt.Errorf("deleting an expired idempotency key: %w", err)
			}
			continue
		case cur.Fingerprint != fp:
			return claim{outcome: reused}, nil
		case cur.State == idempotencyrecord.StateCOMPLETED:
			return claim{outcome: replay, answer: cur}, nil
		case cur.LockedUntil != nil && cur.LockedUntil.After(now):
			return claim{outcome: inUse}, nil
		}
		if cur.ResponseStatus != 0 {
			// Its lease ran out after its recording committed
			// (Recorded) but before the answer was kept: the work is
			// done, and is not done again.
			return claim{outcome: replay, answer: cur}, nil
		}
		// Its lease ran out before an answer was recorded: the server that
		// claimed it stopped. Take the claim over, unless another retry
		// did so first (the condition on the lease lets one through).
		n, err := s.client.IdempotencyRecord.Update().
			Where(idempotencyrecord.ID(cur.ID),
				idempotencyrecord.StateEQ(idempotencyrecord.StatePROCESSING),
				idempotencyrecord.Or(idempotencyrecord.LockedUntilIsNil(), idempotencyrecord.LockedUntilLTE(now))).
			SetLockedUntil(now.Add(lease)).
			Save(ctx)
		if err != nil {
			return claim{}, fmt.Errorf("taking over an idempotency key: %w", err)
		}
		if n == 1 {
			reqlog.Logger(ctx).Warn("idempotency key taken over after its lease ran out; the first attempt's work may have been done",
				"scope", scope, "claimed_at", cur.CreatedAt)
			return claim{outcome: claimed, id: cur.ID}, nil
		}
	}
	// The row kept changing under us: another request is at work on it.
	return claim{outcome: inUse}, nil
}

// complete records the answer to a claimed key.
func (s *Store) complete(ctx context.Context, id, status int, header http.Header, body []byte) error {
	err := s.client.IdempotencyRecord.UpdateOneID(id).
		Where(idempotencyrecord.StateEQ(idempotencyrecord.StatePROCESSING)).
		SetState(idempotencyrecord.StateCOMPLETED).
		SetResponseStatus(status).SetResponseHeader(header).SetResponseBody(body).
		ClearLockedUntil().
		Exec(tenancy.System(ctx))
	if err != nil {
		return fmt.Errorf("recording the answer to an idempotency key: %w", err)
	}
	return nil
}

// release gives up a claim whose answer cannot be kept, so that a retry
// does the work afresh.
func (s *Store) release(ctx context.Context, id int) error {
	_, err := s.client.IdempotencyRecord.Delete().
		Where(idempotencyrecord.ID(id), idempotencyrecord.StateEQ(idempotencyrecord.StatePROCESSING)).
		Exec(tenancy.System(ctx))
	if err != nil {
		return fmt.Errorf("releasing an idempotency key: %w", err)
	}
	return nil
}

// sweep deletes up to sweepBatch expired keys. It is housekeeping: a
// failure is logged, and the request that paid for it goes on.
func (s *Store) sweep(ctx context.Context, now time.Time) {
	ids, err := s.client.IdempotencyRecord.Query().
		Where(idempotencyrecord.ExpiresAtLTE(now)).
		Limit(sweepBatch).IDs(ctx)
	if err == nil && len(ids) > 0 {
		_, err = s.client.IdempotencyRecord.Delete().Where(idempotencyrecord.IDIn(ids...)).Exec(ctx)
	}
	if err != nil {
		reqlog.Logger(ctx).Warn("deleting expired idempotency keys", "error", err.Error())
	}
}
