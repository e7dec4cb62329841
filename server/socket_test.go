package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// dialSocket opens a graphql-transport-ws socket to the test server.
func (a *api) dialSocket() *websocket.Conn {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		a.t.Fatalf("dialling: %v", err)
	}
	a.t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// sendRaw writes messages on a socket as they are.
func sendRaw(t *testing.T, conn *websocket.Conn, msgs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range msgs {
		if err := conn.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatalf("writing %s: %v", m, err)
		}
	}
}

// closedWith reads a socket until the server closes it, and asserts the
// close code.
func closedWith(t *testing.T, what string, conn *websocket.Conn, want websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, msg, err := conn.Read(ctx)
		if err == nil {
			if strings.Contains(string(msg), `"ping"`) {
				conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
			}
			continue
		}
		if got := websocket.CloseStatus(err); got != want {
			t.Errorf("%s: closed with %d (%v), want %d", what, got, err, want)
		}
		return
	}
}

// acked sends connection_init with token and waits for connection_ack.
func acked(t *testing.T, conn *websocket.Conn, token string) {
	t.Helper()
	sendRaw(t, conn, `{"type":"connection_init","payload":{"authorization":"Bearer `+token+`"}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, msg, err := conn.Read(ctx)
	if err != nil || !strings.Contains(string(msg), `"connection_ack"`) {
		t.Fatalf("want connection_ack, got %s %v", msg, err)
	}
}

// TestSocketCloseCodes: sockets are refused and closed with the codes of
// graphql-transport-ws, and a subscriber's socket is closed with 4403 when
// its account is deactivated.
func TestSocketCloseCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		_, org := a.orgID("PRODUCER")
		staff := a.as(a.login(a.account(org, "STAFF")))

		for _, c := range []struct {
			what string
			msgs []string
			want websocket.StatusCode
		}{
			{"no token", []string{`{"type":"connection_init"}`}, 4401},
			{"no bearer", []string{`{"type":"connection_init","payload":{"authorization":"Basic eA=="}}`}, 4401},
			{"a bad token", []string{`{"type":"connection_init","payload":{"authorization":"Bearer not-a-token"}}`}, 4401},
			{"subscribe first", []string{`{"id":"1","type":"subscribe","payload":{"query":"subscription { alertRaised { id } }"}}`}, 4401},
			{"not JSON", []string{`{"type":`}, 4400},
			{"an unknown type", []string{`{"type":"start"}`}, 4400},
			{"a payload that is no object", []string{`{"type":"connection_init","payload":"Bearer x"}`}, 4400},
		} {
			conn := a.dialSocket()
			sendRaw(t, conn, c.msgs...)
			closedWith(t, c.what, conn, c.want)
		}

		t.Run("after the acknowledgement", func(t *testing.T) {
			for _, c := range []struct {
				what string
				msg  string
				want websocket.StatusCode
			}{
				{"a second connection_init", `{"type":"connection_init","payload":{"authorization":"Bearer ` + staff.token + `"}}`, 4429},
				{"not JSON", `not json`, 4400},
				{"an unknown type", `{"type":"connection_terminate"}`, 4400},
				{"subscribe without an id", `{"type":"subscribe","payload":{"query":"subscription { alertRaised { id } }"}}`, 4400},
			} {
				conn := a.dialSocket()
				acked(t, conn, staff.token)
				sendRaw(t, conn, c.msg)
				closedWith(t, c.what, conn, c.want)
			}
		})

		t.Run("deactivation", func(t *testing.T) {
			phone := a.account(org, "STAFF")
			u := a.as(a.login(phone))
			id := u.meID()
			conn := a.dialSocket()
			acked(t, conn, u.token)
			sendRaw(t, conn, `{"id":"1","type":"subscribe","payload":{"query":"subscription { alertRaised { id } }"}}`)
			a.must(nil, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, map[string]any{"id": id})
			closedWith(t, "a deactivated subscriber", conn, 4403)
			// A new socket with the same token is refused.
			conn = a.dialSocket()
			sendRaw(t, conn, `{"type":"connection_init","payload":{"authorization":"Bearer `+u.token+`"}}`)
			closedWith(t, "a deactivated account's token", conn, 4401)
		})
	})
}
