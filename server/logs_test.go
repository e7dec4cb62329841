package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"suyuan/internal/logging"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// logBuffer collects a logger's lines; safe for a server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines parses every line as JSON, failing the test on one that is not.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		out = append(out, m)
	}
	return out
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{ReplaceAttr: logging.Redact}))
}

// TestRequestLineNamesTheCaller: the line that ends a request names the
// user and organisation that made it, as the lines inside it do.
func TestRequestLineNamesTheCaller(t *testing.T) {
	var logs logBuffer
	a := newAPI(t, testdb.SQLite(t), server.Config{Logger: logs.logger()})
	a.must(nil, `query Me { me { phone } }`, nil)
	var last map[string]any // the query's; those before are the login's
	for _, m := range logs.lines(t) {
		if m["msg"] == "request" && m["path"] == "/graphql" {
			last = m
		}
	}
	if last == nil {
		t.Fatal("no request line for /graphql")
	}
	if last["user"] == nil || last["org"] == nil || last["role"] != "ADMIN" {
		t.Errorf("request line without its caller: %v", last)
	}
	if _, ok := last["duration_ms"].(float64); !ok {
		t.Errorf("request line without duration_ms: %v", last)
	}
	if last["operation"] != "Me" || last["operation_type"] != "query" {
		t.Errorf("request line without its operation: %v", last)
	}
	if _, ok := last["statements"].(float64); !ok {
		t.Errorf("request line without its statement count: %v", last)
	}
}

// TestRefusedWebsocketLogs: a websocket refused for its origin, or for a
// broken handshake, is answered once, in GraphQL's error shape, and leaves
// only JSON lines in the log (no plain-text line from a library, no
// "superfluous WriteHeader" warning).
func TestRefusedWebsocketLogs(t *testing.T) {
	var logs, std logBuffer
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(&std)
	defer log.SetOutput(prevOut)
	defer log.SetFlags(prevFlags)

	db := testdb.SQLite(t)
	srv := server.New(db.DB, server.Config{Logger: logs.logger(), RateLimit: -1, PageRateLimit: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/graphql"

	for _, c := range []struct {
		name   string
		header map[string]string
		status int
		code   string
	}{
		{"another origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "FORBIDDEN"},
		{"no key", map[string]string{"Sec-WebSocket-Key": ""}, http.StatusBadRequest, "BAD_USER_INPUT"},
		{"old version", map[string]string{"Sec-WebSocket-Version": "8"}, http.StatusBadRequest, "BAD_USER_INPUT"},
		{"another protocol", map[string]string{"Upgrade": "h2c"}, http.StatusBadRequest, "BAD_USER_INPUT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			req.Header.Set("Sec-WebSocket-Protocol", "graphql-transport-ws")
			for k, v := range c.header {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e struct {
				Errors []struct {
					Extensions struct{ Code string }
				}
			}
			if res.StatusCode != c.status || json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 || e.Errors[0].Extensions.Code != c.code {
				t.Errorf("answered %d %s, want %d with %s", res.StatusCode, body, c.status, c.code)
			}
		})
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	for _, m := range logs.lines(t) {
		if s, _ := json.Marshal(m); strings.Contains(string(s), "superfluous") || strings.Contains(string(s), "unable to upgrade") {
			t.Errorf("log: %s", s)
		}
	}
	if std.b.Len() > 0 {
		t.Errorf("the standard logger wrote: %s", std.b.String())
	}
}
