// Package auth authenticates Suyuan's callers: passwords hashed with
// argon2id, short-lived JWT access tokens signed with a rotating key set,
// opaque refresh tokens rotated on every use with reuse detection, and
// partner API keys.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommendation of m=19 MiB, t=2, p=1.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// MaxPasswordLen bounds the work an attacker can ask of the hasher.
const MaxPasswordLen = 128

var errBadHash = errors.New("malformed password hash")

// Hasher hashes and checks passwords. Each hash takes 19 MiB and tens of
// milliseconds, so at most a few run at once: a burst of logins queues
// instead of exhausting memory.
type Hasher struct {
	slots chan struct{}
}

// NewHasher returns a Hasher that runs at most concurrency hashes at once.
func NewHasher(concurrency int) *Hasher {
	return &Hasher{slots: make(chan struct{}, max(1, concurrency))}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether password matches hash, comparing in constant
// time. A hash made with other parameters still verifies with its own.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	return h.VerifyAround(ctx, hash, password, nil, nil)
}

// VerifyAround is Verify, calling before (when not nil) once a hashing
// slot is free, just before hashing, and after (when not nil) with the
// result while the slot is still held; an error from either is returned.
// A login looks again there whether it must wait, after queueing behind a
// burst of other attempts, and counts a failure before the next attempt
// in the queue looks.
func (h *Hasher) VerifyAround(ctx context.Context, hash, password string, before func() error, after func(ok bool) error) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var (
		version       int
		memory, iters uint32
		threads       uint8
	)
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iters, &threads); err != nil {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if before != nil {
		if err := before(); err != nil {
			return false, err
		}
	}
	got := argon2.IDKey([]byte(password), salt, iters, memory, threads, uint32(len(want)))
	ok := subtle.ConstantTimeCompare(got, want) == 1
	if after != nil {
		if err := after(ok); err != nil {
			return false, err
		}
	}
	return ok, nil
}

func subtleEqual(a, b []byte) int { return subtle.ConstantTimeCompare(a, b) }
