package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/internal/testdb"
)

// TestServeRefusesBadSettings holds serve to refusing, before it does
// anything, every malformed flag and environment value.
func TestServeRefusesBadSettings(t *testing.T) {
	secret := strings.Repeat("s", 40)
	regions := filepath.Join(t.TempDir(), "missing.csv")
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"negative request timeout", []string{"--request-timeout", "-1s"}, nil, "--request-timeout"},
		{"zero request timeout", []string{"--request-timeout", "0"}, nil, "--request-timeout"},
		{"zero body limit", []string{"--body-limit", "0"}, nil, "--body-limit"},
		{"negative body limit", []string{"--body-limit", "-5"}, nil, "--body-limit"},
		{"zero document size", []string{"--max-document-size", "0"}, nil, "--max-document-size"},
		{"negative complexity limit", []string{"--complexity-limit", "-1"}, nil, "--complexity-limit"},
		{"negative screen interval", []string{"--screen-interval", "-1m"}, nil, "--screen-interval"},
		{"zero screen window", []string{"--screen-window", "0"}, nil, "--screen-window"},
		{"address without a port", []string{"--addr", "127.0.0.1"}, nil, "--addr"},
		{"address with a bad port", []string{"--addr", "127.0.0.1:99999"}, nil, "port"},
		{"bad address from the environment", nil, map[string]string{"SUYUAN_ADDR": "nonsense"}, "--addr"},
		{"relative public URL", []string{"--public-url", "example.com/x"}, nil, "--public-url"},
		{"public URL of another scheme", nil, map[string]string{"SUYUAN_PUBLIC_URL": "ftp://example.com"}, "--public-url"},
		{"malformed database", []string{"--db", "not a database"}, nil, "--db"},
		{"missing IP region table", []string{"--ip-regions", regions}, nil, "--ip-regions"},
		{"bad trusted proxy", []string{"--trusted-proxies", "10.0.0.1"}, nil, "CIDR"},
		{"bad log level", nil, map[string]string{"SUYUAN_LOG_LEVEL": "loud"}, "SUYUAN_LOG_LEVEL"},
		{"bad log format", nil, map[string]string{"SUYUAN_LOG_FORMAT": "xml"}, "SUYUAN_LOG_FORMAT"},
		{"admin address without a port", []string{"--admin-addr", "127.0.0.1"}, nil, "--admin-addr"},
		{"bad admin address from the environment", nil, map[string]string{"SUYUAN_ADMIN_ADDR": "nonsense"}, "--admin-addr"},
		{"OTLP endpoint without a scheme", []string{"--otlp-endpoint", "collector:4318"}, nil, "--otlp-endpoint"},
		{"negative slow-statement threshold", []string{"--slow-statement", "-1s"}, nil, "--slow-statement"},
		{"bad log retention", nil, map[string]string{"SUYUAN_LOG_RETENTION_DAYS": "-3"}, "SUYUAN_LOG_RETENTION_DAYS"},
		{"bad remote-development switch", nil, map[string]string{"SUYUAN_ALLOW_REMOTE_DEV": "perhaps"}, "SUYUAN_ALLOW_REMOTE_DEV"},
		{"bad mode from the environment", nil, map[string]string{"SUYUAN_MODE": "prod"}, "mode"},
		{"development on all interfaces", []string{"--addr", ":8080"}, nil, "--allow-remote-dev"},
		{"development on a network address", nil, map[string]string{"SUYUAN_ADDR": "192.0.2.1:8080"}, "--allow-remote-dev"},
		{"development on a host name", []string{"--addr", "suyuan.example:8080"}, nil, "--allow-remote-dev"},
		{"production with a negative timeout", []string{"--mode", "production", "--request-timeout", "-30s"}, map[string]string{"SUYUAN_SECRET": secret}, "--request-timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseServe(tc.args, &stderr, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// TestServeAddressDefaults: development listens on loopback unless told
// otherwise; production keeps listening on every interface.
func TestServeAddressDefaults(t *testing.T) {
	secret := strings.Repeat("s", 40)
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		wantAddr   string
		wantRemote bool
	}{
		{"development", nil, nil, "127.0.0.1:8080", false},
		{"production", []string{"--mode", "production"}, map[string]string{"SUYUAN_SECRET": secret}, ":8080", false},
		{"development on localhost", []string{"--addr", "localhost:9000"}, nil, "localhost:9000", false},
		{"development on IPv6 loopback", []string{"--addr", "[::1]:9000"}, nil, "[::1]:9000", false},
		{"development on all interfaces, allowed", []string{"--addr", ":9000", "--allow-remote-dev"}, nil, ":9000", true},
		{"development on all interfaces, allowed by the environment", nil, map[string]string{"SUYUAN_ADDR": "0.0.0.0:9000", "SUYUAN_ALLOW_REMOTE_DEV": "true"}, "0.0.0.0:9000", true},
		{"production on a network address", []string{"--mode", "production", "--addr", "192.0.2.1:80"}, map[string]string{"SUYUAN_SECRET": secret}, "192.0.2.1:80", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parseServe(tc.args, &stderr, env(tc.env))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.addr != tc.wantAddr || c.allowRemoteDev != tc.wantRemote {
				t.Errorf("addr %q, allow remote development %v; want %q, %v", c.addr, c.allowRemoteDev, tc.wantAddr, tc.wantRemote)
			}
		})
	}
}

// TestServeListensFirst: a port in use is reported before any database
// is created.
func TestServeListensFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := filepath.Join(t.TempDir(), "s.db")
	var out bytes.Buffer
	err = run(context.Background(), []string{"serve", "--db", db, "--addr", busy.Addr().String()}, nil, &out, &out, env(nil))
	if err == nil || !strings.Contains(err.Error(), "listening") {
		t.Fatalf("error = %v, want a listening error", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the database was created before the port was found busy (stat: %v)", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a server's goroutines, which can
// wait for a text to be written.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor reports whether text is written within d.
func (s *syncBuffer) waitFor(text string, d time.Duration) bool {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		if strings.Contains(s.b.String(), text) {
			s.mu.Unlock()
			return true
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

// startServe runs serve on a free loopback port until the test ends and
// waits until it answers /healthz. It returns the server's base URL and a
// function that stops it and returns what serve returned.
func startServe(t *testing.T, args []string, environ map[string]string, stderr *syncBuffer) (string, func() error) {
	t.Helper()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// The admin address on a port of its own: tests run side by side,
		// and the default 9090 may be taken on the machine.
		done <- run(ctx, append([]string{"serve", "--addr", addr, "--admin-addr", "127.0.0.1:0"}, args...), nil, stderr, stderr, env(environ))
	}()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { stop() })
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve ended: %v\n%s", err, stderr.String())
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stop
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling for readiness
	}
}

// TestServeStartup: serve names the pages to open; in production, on a
// database without an administrator, it says how to create one; with a log
// directory in production, nothing goes to standard error.
func TestServeStartup(t *testing.T) {
	dir := t.TempDir()
	t.Run("development", func(t *testing.T) {
		var stderr syncBuffer
		base, stop := startServe(t, []string{"--db", filepath.Join(dir, "dev.db"), "--screen-interval", "0"}, nil, &stderr)
		if err := stop(); err != nil {
			t.Fatalf("serve: %v", err)
		}
		for _, want := range []string{`"playground":"` + base + `/"`, `"dashboard":"` + base + `/dashboard"`, `"consumer_page":"` + base + `/t/YA0PORK0DEMO0001"`} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("start-up log lacks %s:\n%s", want, stderr.String())
			}
		}
		if strings.Contains(stderr.String(), "suyuan admin") {
			t.Errorf("development with demo accounts told to create an administrator:\n%s", stderr.String())
		}
	})
	t.Run("admin address", func(t *testing.T) {
		var stderr syncBuffer
		base, stop := startServe(t, []string{"--db", filepath.Join(dir, "admin.db"), "--demo=false", "--screen-interval", "0"}, nil, &stderr)
		defer stop()
		m := regexp.MustCompile(`"url":"(http://127\.0\.0\.1:[0-9]+/metrics)"`).FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("no metrics address in the log:\n%s", stderr.String())
		}
		for _, c := range []struct {
			url    string
			status int
			body   string
		}{
			{m[1], http.StatusOK, "suyuan_build_info"},
			{strings.TrimSuffix(m[1], "metrics") + "debug/pprof/", http.StatusOK, "goroutine"},
			{base + "/metrics", http.StatusNotFound, ""},
			{base + "/debug/pprof/", http.StatusNotFound, ""},
		} {
			res, err := http.Get(c.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status || !strings.Contains(string(b), c.body) {
				t.Errorf("GET %s: %s, want %d with %q", c.url, res.Status, c.status, c.body)
			}
		}
		// The container health check asks the same server.
		var out bytes.Buffer
		if err := run(context.Background(), []string{"healthcheck", "--url", base + "/readyz"}, nil, &out, &out, env(nil)); err != nil {
			t.Errorf("healthcheck of a running server: %v", err)
		}
		if err := stop(); err != nil {
			t.Fatalf("serve: %v", err)
		}
		if err := run(context.Background(), []string{"healthcheck", "--url", base + "/readyz"}, nil, &out, &out, env(nil)); err == nil {
			t.Errorf("healthcheck of a stopped server passed")
		}
	})
	t.Run("production with a log directory", func(t *testing.T) {
		var stderr syncBuffer
		logs := filepath.Join(dir, "logs")
		_, stop := startServe(t, []string{"--db", filepath.Join(dir, "prod.db"), "--mode", "production", "--screen-interval", "0"},
			map[string]string{"SUYUAN_SECRET": strings.Repeat("s", 40), "SUYUAN_LOG_DIR": logs}, &stderr)
		if err := stop(); err != nil {
			t.Fatalf("serve: %v", err)
		}
		if stderr.String() != "" {
			t.Errorf("production with a log directory wrote to standard error:\n%s", stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(logs, "suyuan.log"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"suyuan admin", `"dashboard":"http://127.0.0.1:`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("log file lacks %q:\n%s", want, b)
			}
		}
		if strings.Contains(string(b), `"playground"`) {
			t.Errorf("production names a playground:\n%s", b)
		}
	})
	t.Run("production on MySQL", func(t *testing.T) {
		db := testdb.MySQL(t) // skips without SUYUAN_TEST_MYSQL_DSN
		var stderr syncBuffer
		_, stop := startServe(t, []string{"--db", db.DSN, "--mode", "production", "--screen-interval", "0"},
			map[string]string{"SUYUAN_SECRET": strings.Repeat("s", 40)}, &stderr)
		if err := stop(); err != nil {
			t.Fatalf("serve: %v", err)
		}
		if !strings.Contains(stderr.String(), "suyuan admin") {
			t.Errorf("no advice to create an administrator:\n%s", stderr.String())
		}
	})
	t.Run("development on all interfaces", func(t *testing.T) {
		var stderr syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "0.0.0.0:0", "--allow-remote-dev", "--demo=false", "--admin-addr", "off",
				"--db", filepath.Join(dir, "remote.db"), "--screen-interval", "0"}, nil, &stderr, &stderr, env(nil))
		}()
		// The warning comes before the database is opened; the URLs after.
		if !stderr.waitFor("open in a browser", time.Minute) {
			t.Errorf("serve did not start:\n%s", stderr.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v\n%s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "REACHABLE FROM THE NETWORK") {
			t.Errorf("no warning for development mode on every interface:\n%s", stderr.String())
		}
	})
}

// TestCommandsRefuseBadSettings: the other commands refuse malformed
// flags and stray arguments before they touch a database.
func TestCommandsRefuseBadSettings(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	for _, args := range [][]string{
		{"seed", "--db", db, "--scale", "huge"},
		{"seed", "--db", db, "extra"},
		{"migrate", "--db", db, "extra"},
		{"recount", "--db", db, "extra"},
		{"screen", "--db", db, "--at", "yesterday"},
		{"screen", "--db", db, "extra"},
		{"admin", "--db", db, "--phone", "13800000001", "--credit-code", "91350100M000100Y43", "extra"},
		{"admin", "--db", db, "--phone", "13800000001", "--credit-code", "12345"},
		{"admin", "--db", db, "--phone", "12345", "--credit-code", "91350100M000100Y43"},
		{"admin", "--db", db, "--phone", "13800000001", "--credit-code", "91350100M000100Y43", "--org-name", " "},
		{"seed", "--db", db, "--truth", filepath.Join(dir, "no", "such", "dir", "truth.json")},
		{"screen", "--db", db, "--since", "2026-11-25T00:00:00Z", "--at", "2026-11-24T00:00:00Z"},
		{"version", "extra"},
		{"migrate", "--db", "not a database"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, strings.NewReader("a long enough password\n"), &out, &out, env(nil)); err == nil {
			t.Errorf("%q was accepted", args)
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused command created the database (stat: %v)", err)
	}
}

// TestHelp: the top-level help lists the commands; each command has help
// of its own; serve's names its environment variables.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, nil, &out, &out, env(nil)); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "  "+c.name+" ") {
				t.Errorf("%q does not list %s:\n%s", args, c.name, out.String())
			}
		}
	}
	for _, c := range commands {
		if c.name == "help" || c.name == "version" {
			continue
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{c.name, "-h"}, nil, &out, &out, env(nil))
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s -h: %v", c.name, err)
		}
		if c.name == "serve" {
			for _, e := range serveEnv {
				if !strings.Contains(out.String(), e.name) {
					t.Errorf("serve -h does not name %s:\n%s", e.name, out.String())
				}
			}
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, &out, &out, env(nil)); err != nil || !strings.HasPrefix(out.String(), "suyuan ") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
}

// TestPackageCommentListsCommands holds the package comment to the
// commands run knows.
func TestPackageCommentListsCommands(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	comment, _, _ := strings.Cut(string(src), "package main")
	var listed []string
	for _, line := range strings.Split(comment, "\n") {
		if rest, ok := strings.CutPrefix(line, "//\tsuyuan "); ok {
			listed = append(listed, strings.Fields(rest)[0])
		}
	}
	var known []string
	for _, c := range commands {
		known = append(known, c.name)
	}
	if strings.Join(listed, " ") != strings.Join(known, " ") {
		t.Errorf("the package comment lists %q, the commands are %q", listed, known)
	}
}
