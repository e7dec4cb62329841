package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"suyuan/internal/errcode"
	"suyuan/internal/reqlog"
	"suyuan/internal/store"
	"suyuan/internal/viewer"
)

const (
	// Header is the request header that carries the key.
	Header = "Idempotency-Key"
	// ReplayedHeader is set, to "true", on an answer sent again.
	ReplayedHeader = "Idempotent-Replayed"
	// MaxKeyLen bounds a key, in bytes.
	MaxKeyLen = 255
	// MaxAnswer bounds the answer body kept for a key. A larger answer is
	// sent but not kept: a retry gets an INTERNAL error saying so (no
	// recording answers anything near this size).
	MaxAnswer = 8 << 20
	// retryAfter is what a request meeting a key in use is told to wait:
	// recordings take milliseconds, so soon is right.
	retryAfter = time.Second
	// completeTimeout bounds recording an answer, which goes on after the
	// request's own time is up or its client has gone.
	completeTimeout = 10 * time.Second
)

// Class says whether keys apply to a request.
type Class int

const (
	// Apply: the request may change something; its key is honoured.
	Apply Class = iota
	// Pass: the request only reads; it runs as if it had no key.
	Pass
)

// Options configure Middleware.
type Options struct {
	// Classify decides from a POST's body whether keys apply to it, and
	// may refuse it (with an *errcode.Error, answered with its code's
	// status). Nil: keys apply to every POST.
	Classify func(r *http.Request, body []byte) (Class, error)
	// Lease is how long a server that claimed a key is taken to be working
	// on it; after that, a retry takes the claim over (see Middleware).
	// It must exceed the longest a request may run. 0: DefaultLease.
	Lease time.Duration
}

// Middleware honours Idempotency-Key on POST requests. It must run after
// authentication (keys belong to the caller: the API key, or the user of an
// access token) and after the body's size limit. For a request whose key
// applies (see Options.Classify):
//
//   - a malformed key (empty, over MaxKeyLen bytes, other than printable
//     ASCII, or sent twice) is refused with 400 BAD_USER_INPUT;
//   - a request without credentials is refused with 401 UNAUTHENTICATED;
//   - the first request with a key claims it, runs, and its answer —
//     status, headers, body — is kept for TTL;
//   - a retry with the same key, method, path and body gets that answer
//     again, with Idempotent-Replayed: true, and does nothing else;
//   - the same key with another request is refused with 422
//     IDEMPOTENCY_KEY_REUSED;
//   - a request whose key's first request is still running is refused
//     with 409 IDEMPOTENCY_KEY_IN_USE and Retry-After.
//
// Every answer is kept, errors included: a retry of a request that failed
// gets the failure again; to try anew, send a new key. If the server
// stops after claiming a key and before keeping the answer, retries are
// refused as in use until the lease runs out, then one takes the claim
// over and runs the request again — so work that committed just before
// the stop runs twice. GET requests and requests without a key pass
// through.
func Middleware(s *Store, opts Options) func(http.Handler) http.Handler {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			values := r.Header.Values(Header)
			if len(values) == 0 || r.Method != http.MethodPost {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			key, bad := parseKey(values)
			if bad != nil {
				refuse(w, bad)
				return
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				refuse(w, errcode.New(errcode.InvalidRequest, "could not read the request body"))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if opts.Classify != nil {
				class, err := opts.Classify(r, body)
				var coded *errcode.Error
				switch {
				case errors.As(err, &coded):
					refuse(w, coded)
					return
				case err != nil:
					internal(ctx, w, err)
					return
				case class == Pass:
					next.ServeHTTP(w, r)
					return
				}
			}
			scope := scopeOf(viewer.FromContext(ctx))
			if scope == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="suyuan"`)
				refuse(w, errcode.New(errcode.Unauthenticated, "an Idempotency-Key belongs to a caller: log in, or send an API key"))
				return
			}
			c, err := s.claim(ctx, scope, key, fingerprint(r, body), opts.Lease)
			if err != nil {
				internal(ctx, w, err)
				return
			}
			switch c.outcome {
			case reused:
				refuse(w, errcode.Field(errcode.IdempotencyKeyReused, Header,
					"this Idempotency-Key was sent with another request; use a new key for a new request"))
			case inUse:
				secs := int(retryAfter / time.Second)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				refuse(w, &errcode.Error{Code: errcode.IdempotencyKeyInUse, Field: Header, RetryAfter: retryAfter,
					Message: "the first request with this Idempotency-Key is still being answered; send it again after Retry-After"})
			case replay:
				for k, vs := range c.answer.ResponseHeader {
					w.Header()[k] = vs
				}
				w.Header().Set(ReplayedHeader, "true")
				w.WriteHeader(c.answer.ResponseStatus)
				w.Write(c.answer.ResponseBody)
			case claimed:
				s.serve(w, r, next, c.id, opts.Lease)
			}
		})
	}
}

// serve runs the request of a claimed key and keeps its answer. If the
// handler panics, the claim is released before the panic goes on, so a
// retry is not refused as in use until the lease runs out. Once the
// handler has returned, the work may have been done, so the claim is never
// released: if keeping the answer fails, retries are refused as in use
// until the lease runs out (and then run again, as after a crash).
func (s *Store) serve(w http.ResponseWriter, r *http.Request, next http.Handler, id int, lease time.Duration) {
	// Recording the answer must happen whether or not the request's
	// deadline has passed or its client has gone: the work is done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), completeTimeout)
	defer cancel()
	rec := &recorder{ResponseWriter: w}
	rctx, writes := store.TrackWrites(withClaim(r.Context(), id))
	r = r.WithContext(rctx)
	returned := false
	defer func() {
		if returned {
			return
		}
		if err := s.release(ctx, id); err != nil {
			reqlog.Logger(ctx).Error("releasing an idempotency key", "error", err.Error())
		}
	}()
	next.ServeHTTP(rec, r)
	returned = true
	if rec.status == 0 {
		rec.snapshot(http.StatusOK)
	}
	status, header, body := rec.status, rec.header, rec.body.Bytes()
	if status == http.StatusServiceUnavailable && !writes.Committed() && unavailable(body) {
		// The database was away and nothing was committed: the work was
		// not done, and a retry with this key must do it, not be told
		// of the failure for a day. The database is likely still away,
		// so the release is tried again until it is back (within the
		// claim's lease, after which the claim is free anyway); the
		// answer has gone meanwhile.
		go s.releaseWhenBack(context.WithoutCancel(r.Context()), id, lease)
		return
	}
	if rec.overflow {
		// The work is done and must not be done again; what a retry can
		// be told is that, not the answer.
		reqlog.Logger(ctx).Warn("answer too large to keep for its Idempotency-Key; retries get an error instead")
		status, header = http.StatusInternalServerError, http.Header{"Content-Type": {"application/json"}}
		body, _ = json.Marshal(map[string]any{"errors": []map[string]any{{
			"message":    "the request with this Idempotency-Key was answered, but its answer was too large to keep; read the result with a query instead of retrying",
			"extensions": map[string]any{"code": errcode.Internal},
		}}})
	}
	if err := s.complete(ctx, id, status, header, body); err != nil {
		reqlog.Logger(ctx).Error("keeping the answer to an idempotency key", "error", err.Error())
	}
}

// releaseWhenBack releases a claim, trying again every half second while
// the database is away, for at most the claim's lease.
func (s *Store) releaseWhenBack(ctx context.Context, id int, lease time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, lease)
	defer cancel()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		err := s.release(ctx, id)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			reqlog.Logger(ctx).Warn("releasing an idempotency key after the database was unavailable", "error", err.Error())
			return
		case <-t.C:
		}
	}
}

// unavailable reports whether an answer is the UNAVAILABLE error.
func unavailable(body []byte) bool {
	var e struct {
		Errors []struct {
			Extensions struct {
				Code errcode.Code `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, x := range e.Errors {
		if x.Extensions.Code == errcode.Unavailable {
			return true
		}
	}
	return false
}

// recorder passes an answer on to the client and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status   int
	header   http.Header
	body     bytes.Buffer
	overflow bool
}

// keptHeader reports whether a response header (in canonical form) is
// part of the answer. Those of one exchange — its request id, its rate
// limit's count, framing, cookies — are not: a replay gets its own.
func keptHeader(k string) bool {
	switch k {
	case "X-Request-Id", "Date", "Content-Length", "Connection", "Transfer-Encoding", "Set-Cookie", "Keep-Alive":
		return false
	}
	return !strings.HasPrefix(k, "X-Ratelimit-")
}

func (w *recorder) snapshot(status int) {
	w.status = status
	w.header = http.Header{}
	for k, vs := range w.ResponseWriter.Header() {
		if keptHeader(k) {
			w.header[k] = append([]string(nil), vs...)
		}
	}
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.snapshot(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.snapshot(http.StatusOK)
	}
	if !w.overflow {
		if w.body.Len()+len(b) > MaxAnswer {
			w.overflow = true
			w.body.Reset()
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// parseKey returns the key of a request. The draft sends it as a
// structured-field string ("…", with \" and \\ escaped); a bare value, as
// most clients send it, is taken as it is. Both name the same key.
func parseKey(values []string) (string, *errcode.Error) {
	bad := func(msg string) *errcode.Error { return errcode.Field(errcode.BadUserInput, Header, "%s", msg) }
	if len(values) > 1 {
		return "", bad("send one Idempotency-Key")
	}
	v := values[0]
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var b strings.Builder
		for i := 1; i < len(v)-1; i++ {
			c := v[i]
			if c == '"' {
				return "", bad("a quoted Idempotency-Key must escape its quotes")
			}
			if c == '\\' {
				i++
				if i == len(v)-1 || (v[i] != '"' && v[i] != '\\') {
					return "", bad("a quoted Idempotency-Key may escape only \" and \\")
				}
				c = v[i]
			}
			b.WriteByte(c)
		}
		v = b.String()
	}
	switch {
	case v == "":
		return "", bad("the Idempotency-Key is empty")
	case len(v) > MaxKeyLen:
		return "", bad("an Idempotency-Key has at most 255 characters")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", bad("an Idempotency-Key is printable ASCII (no control characters)")
		}
	}
	return v, nil
}

// scopeOf names whose keys a caller's are: an API key's own, or a user's
// (all of its sessions share them); "" for anonymous callers.
func scopeOf(v *viewer.Viewer) string {
	switch {
	case v == nil:
		return ""
	case v.KeyID != 0:
		return "key:" + strconv.Itoa(v.KeyID)
	case v.UserID != 0:
		return "user:" + strconv.Itoa(v.UserID)
	}
	return ""
}

// fingerprint identifies a request: SHA-256 of its method, path and query,
// and body, byte for byte.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+"\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// refuse answers with e in GraphQL's error shape, as every plain endpoint
// of the server does, with e's HTTP status.
func refuse(w http.ResponseWriter, e *errcode.Error) {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		ext["retryAfter"] = secs
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code.HTTPStatus())
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": e.Message, "extensions": ext}}})
}

// internal logs err and answers INTERNAL with the request id; an error
// with a code of its own (UNAVAILABLE, when the database is away) is
// answered with it.
func internal(ctx context.Context, w http.ResponseWriter, err error) {
	reqlog.Logger(ctx).Error("idempotency key", "error", err.Error())
	var coded *errcode.Error
	if errors.As(err, &coded) {
		refuse(w, coded)
		return
	}
	refuse(w, errcode.New(errcode.Internal, "internal error; reference %s", reqlog.ID(ctx)))
}
