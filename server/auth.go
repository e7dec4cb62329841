package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"suyuan/internal/auth"
	"suyuan/internal/errcode"
	"suyuan/internal/ratelimit"
	"suyuan/internal/reqlog"
	"suyuan/internal/viewer"
)

// authenticate reads credentials — an access token in
// "Authorization: Bearer …" or a partner key in "X-API-Key" — and puts the
// viewer in the request's context and its logger. A request without
// credentials goes on anonymously; one with bad credentials is refused
// with 401, so a client with an expired token learns it at once.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Logins are limited by client address too.
		ctx := auth.WithClientAddr(r.Context(), middleware.GetClientIPAddr(r.Context()))
		r = r.WithContext(ctx)
		var (
			v   *viewer.Viewer
			err error
		)
		switch h, key := r.Header.Get("Authorization"), r.Header.Get("X-API-Key"); {
		case h != "":
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				err = auth.ErrBadCredentials
				break
			}
			v, err = s.auth.Authenticate(ctx, token)
		case key != "":
			v, err = s.auth.AuthenticateKey(ctx, key)
		default:
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			if !errors.Is(err, auth.ErrBadCredentials) {
				// The database away is UNAVAILABLE, not the caller's
				// fault nor an internal error.
				writeCodedError(w, r, err)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="suyuan"`)
			writeError(w, http.StatusUnauthorized, errcode.Unauthenticated, "invalid or expired credentials")
			return
		}
		ctx = viewer.NewContext(ctx, v)
		ctx = reqlog.WithAttrs(ctx, "user", v.UserID, "key", v.KeyID, "org", v.OrgID, "role", string(v.Role))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIP resolves the client's address: from the connection, or from
// X-Forwarded-For only when the request came through one of the trusted
// proxies — a header anyone can send must not pick the rate-limit bucket.
func (s *Server) clientIP() func(http.Handler) http.Handler {
	if len(s.cfg.TrustedProxies) > 0 {
		return middleware.ClientIPFromXFF(s.cfg.TrustedProxies...)
	}
	return middleware.ClientIPFromRemoteAddr
}

// rateLimit limits requests per minute per caller: per API key, per user,
// or per client address for anonymous callers; beyond it, 429 with
// Retry-After.
func (s *Server) rateLimit(name string, perMinute int) func(http.Handler) http.Handler {
	opts := []httprate.Option{}
	if s.cfg.Redis != nil {
		// The servers sharing this Redis count each caller together.
		opts = append(opts, httprate.WithLimitCounter(ratelimit.New(s.cfg.Redis, s.cfg.RedisPrefix+"rate:"+name+":", s.cfg.Logger)))
	}
	return httprate.LimitBy(perMinute, time.Minute,
		func(r *http.Request) (string, error) {
			if v := viewer.FromContext(r.Context()); v != nil {
				if v.KeyID != 0 {
					return "key:" + strconv.Itoa(v.KeyID), nil
				}
				return "user:" + strconv.Itoa(v.UserID), nil
			}
			return "ip:" + httprate.CanonicalizeIP(middleware.GetClientIP(r.Context())), nil
		},
		append(opts, httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusTooManyRequests, errcode.RateLimited, "too many requests; try again after the time in Retry-After")
		}))...,
	)
}

// requireRole refuses a plain-HTTP request from anyone but the given roles.
func requireRole(w http.ResponseWriter, r *http.Request, roles ...viewer.Role) bool {
	v := viewer.FromContext(r.Context())
	if v == nil {
		writeError(w, http.StatusUnauthorized, errcode.Unauthenticated, "log in, or send an API key")
		return false
	}
	for _, role := range roles {
		if v.Role == role {
			return true
		}
	}
	writeError(w, http.StatusForbidden, errcode.Forbidden, "this is for "+joinRoles(roles))
	return false
}

func joinRoles(roles []viewer.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = strings.ToLower(string(r))
	}
	return strings.Join(s, " and ")
}
