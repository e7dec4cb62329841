package graph

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"suyuan/internal/errcode"
)

// checkSockets refuses, in GraphQL's error shape, a websocket handshake
// that the websocket library would refuse: a request from another origin,
// or one that is not a valid handshake. Left to the library, a refusal was
// answered twice (its plain-text answer, then gqlgen's) and logged as a
// plain-text line outside the JSON log. A handshake it lets through gets
// a slot for its connection (socketSlot).
func checkSockets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" { // what gqlgen's websocket transport takes
			next.ServeHTTP(w, r)
			return
		}
		if e := socketHandshakeError(r); e != nil {
			refuse(w, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), socketSlotKey{}, &socketSlot{})))
	})
}

// socketHandshakeError makes the checks of github.com/coder/websocket's
// Accept, with its default options: a valid RFC 6455 handshake, and an
// Origin, if any, on the request's own host.
func socketHandshakeError(r *http.Request) *errcode.Error {
	bad := func(msg string) *errcode.Error {
		return &errcode.Error{Code: errcode.BadUserInput, Message: msg}
	}
	switch {
	case !r.ProtoAtLeast(1, 1):
		return bad("a websocket handshake needs HTTP/1.1")
	case !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket"):
		return bad("only websocket upgrades are accepted (Connection: Upgrade, Upgrade: websocket)")
	case r.Method != http.MethodGet:
		return bad("a websocket handshake is a GET")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return bad("only websocket version 13 is supported")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return bad("a websocket handshake needs one Sec-WebSocket-Key")
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return bad("Sec-WebSocket-Key must be 16 bytes in base64")
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return errcode.New(errcode.Forbidden, "websockets from another origin are refused")
		}
	}
	return nil
}

// headerHasToken reports whether a comma-separated header holds token, in
// any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
