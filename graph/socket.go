package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"suyuan/internal/auth"
	"suyuan/internal/reqlog"
	"suyuan/internal/viewer"
)

// Close codes of the graphql-transport-ws protocol.
const (
	CloseBadRequest       = 4400 // a message the protocol does not allow
	CloseUnauthorized     = 4401 // no valid access token, or a subscription before the connection was acknowledged
	CloseForbidden        = 4403 // the account may no longer subscribe: its access was revoked
	CloseInitTimeout      = 4408 // no connection_init in time
	CloseTooManyInitTries = 4429 // a second connection_init
	CloseInternalError    = 4500 // the server could not check the credentials
)

// transportWS is the protocol whose close codes the socket uses; the older
// graphql-ws protocol has none of its own.
const transportWS = "graphql-transport-ws"

// socketSlot carries the connection of one websocket request from where
// it is accepted to the authentication of its connection_init, so that the
// socket can be closed with a code of the protocol when the viewer's
// access is revoked.
type socketSlot struct {
	mu   sync.Mutex
	conn *socketConn
}

type socketSlotKey struct{}

// socketAcceptor accepts websockets with gqlgen's implementation and
// wraps their connections in socketConn.
type socketAcceptor struct {
	transport.WebsocketImplementation
}

func (s socketAcceptor) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := s.WebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &socketConn{WebsocketConn: conn}
	if slot, ok := r.Context().Value(socketSlotKey{}).(*socketSlot); ok {
		slot.mu.Lock()
		slot.conn = c
		slot.mu.Unlock()
	}
	return c, nil
}

// errRefused is what socketConn's reader returns after it closed the
// socket for a message the protocol does not allow.
var errRefused = errors.New("websocket closed for a message the protocol does not allow")

// socketConn closes graphql-transport-ws sockets with the protocol's codes
// where gqlgen's transport does not: 4400 for a message that is not
// valid, 4401 for a subscription before connection_init, 4429 for a second
// connection_init and 4408 for none in time (gqlgen closes all of these
// with 1002 or 1000).
type socketConn struct {
	transport.WebsocketConn

	mu     sync.Mutex
	inits  int
	closed bool
}

// clientTypes are the messages a graphql-transport-ws client sends.
var clientTypes = map[string]bool{"connection_init": true, "subscribe": true, "complete": true, "ping": true, "pong": true}

func (c *socketConn) NextReader() (int, io.Reader, error) {
	kind, r, err := c.WebsocketConn.NextReader()
	if err != nil || c.Subprotocol() != transportWS {
		return kind, r, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return kind, nil, err
	}
	var m struct {
		Type    string          `json:"type"`
		ID      *string         `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &m); err != nil || !clientTypes[m.Type] {
		return kind, nil, c.refuse(CloseBadRequest, "Invalid message")
	}
	payloadIsObject := len(m.Payload) > 0 && m.Payload[0] == '{'
	c.mu.Lock()
	inits := c.inits
	if m.Type == "connection_init" {
		c.inits++
	}
	c.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if inits > 0 {
			return kind, nil, c.refuse(CloseTooManyInitTries, "Too many initialisation requests")
		}
		if len(m.Payload) > 0 && string(m.Payload) != "null" && !payloadIsObject {
			return kind, nil, c.refuse(CloseBadRequest, "Invalid message: connection_init's payload is not an object")
		}
	case "subscribe":
		if inits == 0 {
			return kind, nil, c.refuse(CloseUnauthorized, "Unauthorized")
		}
		if m.ID == nil || *m.ID == "" || !payloadIsObject {
			return kind, nil, c.refuse(CloseBadRequest, "Invalid message: subscribe needs an id and a payload")
		}
	case "complete":
		if m.ID == nil || *m.ID == "" {
			return kind, nil, c.refuse(CloseBadRequest, "Invalid message: complete needs an id")
		}
	}
	return kind, bytes.NewReader(data), nil
}

// refuse closes the socket with code and reason, and returns the error
// that ends gqlgen's reading.
func (c *socketConn) refuse(code int, reason string) error {
	c.closeWith(code, reason)
	return errRefused
}

// closeWith closes the socket with code and reason unless it is closed
// already.
func (c *socketConn) closeWith(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.WebsocketConn.WriteClose(code, reason)
}

// WriteClose is gqlgen closing the socket: its protocol errors get the
// protocol's codes; a socket closed already stays closed with its code.
func (c *socketConn) WriteClose(code int, reason string) error {
	if code == transport.WebsocketCloseProtocolError && c.Subprotocol() == transportWS {
		switch reason {
		case "connection initialisation timeout":
			code, reason = CloseInitTimeout, "Connection initialisation timeout"
		default:
			code = CloseBadRequest
		}
	}
	c.closeWith(code, reason)
	return nil
}

// SetReadLimit passes the transport's message size limit on.
func (c *socketConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline passes the transport's read deadline on.
func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// authenticateSocket reads the access token a websocket client sends in
// connection_init ({"authorization": "Bearer …"}): browsers cannot set
// headers on a websocket. A connection without a valid token is closed
// with 4401. An open connection is closed with 4403, ending its
// subscriptions, once its account's access is revoked (deactivation, a
// password or role change): at once when the change is made through this
// server, within auth.AccountCacheTTL otherwise.
func authenticateSocket(a *auth.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		unauthorized := func(msg string) (context.Context, *transport.InitPayload, error) {
			ctx := transport.WithWebsocketCloseCode(ctx, CloseUnauthorized)
			return transport.AppendCloseReason(ctx, "Unauthorized: "+msg), nil, errors.New(msg)
		}
		token, ok := strings.CutPrefix(p.Authorization(), "Bearer ")
		if !ok || token == "" {
			return unauthorized("send an access token in connection_init")
		}
		v, err := a.Authenticate(ctx, token)
		if errors.Is(err, auth.ErrBadCredentials) {
			return unauthorized("invalid or expired credentials")
		}
		if err != nil {
			reqlog.Logger(ctx).Error("authenticating a websocket", "error", err.Error())
			ctx := transport.WithWebsocketCloseCode(ctx, CloseInternalError)
			return transport.AppendCloseReason(ctx, "Internal server error"), nil, err
		}
		ctx = viewer.NewContext(ctx, v)
		if slot, ok := ctx.Value(socketSlotKey{}).(*socketSlot); ok {
			slot.mu.Lock()
			conn := slot.conn
			slot.mu.Unlock()
			if conn != nil {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				go watchRevocation(ctx, cancel, a, v, conn)
			}
		}
		return context.WithValue(ctx, socketKey{}, true), nil, nil
	}
}

// watchRevocation closes a socket with 4403 once its viewer's access is
// revoked: it checks when this server revokes an account's access and
// every auth.AccountCacheTTL, until the connection ends.
func watchRevocation(ctx context.Context, cancel context.CancelFunc, a *auth.Service, v *viewer.Viewer, conn *socketConn) {
	defer cancel()
	tick := time.NewTicker(auth.AccountCacheTTL)
	defer tick.Stop()
	changed := a.Changed()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick.C:
		}
		// Before checking, so that a change during the check wakes the
		// loop again.
		changed = a.Changed()
		if err := a.Check(ctx, v); errors.Is(err, auth.ErrBadCredentials) {
			conn.closeWith(CloseForbidden, "Forbidden: access revoked")
			return
		}
	}
}

type socketKey struct{}

// onSocket reports whether ctx is an operation sent over a websocket.
func onSocket(ctx context.Context) bool {
	on, _ := ctx.Value(socketKey{}).(bool)
	return on
}
