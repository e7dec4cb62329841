package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/internal/store"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestServeConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"defaults", nil, nil, ""},
		{"production without a secret", []string{"--mode", "production"}, nil, "SUYUAN_SECRET"},
		{"production with the development secret", []string{"--mode", "production"}, map[string]string{"SUYUAN_SECRET": devSecret}, "SUYUAN_SECRET"},
		{"production with a short secret", nil, map[string]string{"SUYUAN_MODE": "production", "SUYUAN_SECRET": "short"}, "32 characters"},
		{"production with a secret", []string{"--mode", "production"}, map[string]string{"SUYUAN_SECRET": strings.Repeat("s", 40)}, ""},
		{"unknown mode", []string{"--mode", "staging"}, nil, "mode"},
		{"stray argument", []string{"now"}, nil, "no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parseServe(tc.args, &stderr, env(tc.env))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.mode == "development" && !c.demo {
					t.Errorf("development mode without demo data")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestAdminCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	args := []string{"admin", "--db", db, "--phone", "13800000001", "--credit-code", "91350100M000100Y43"}
	var out bytes.Buffer
	if err := run(context.Background(), args, strings.NewReader("a long enough password\n"), &out, &out, env(nil)); err != nil {
		t.Fatalf("first admin: %v (%s)", err, out.String())
	}
	if !strings.Contains(out.String(), "administrator 13800000001") {
		t.Errorf("output %q", out.String())
	}
	// A second first administrator is refused; so is a short password.
	args[4] = "13800000002"
	if err := run(context.Background(), args, strings.NewReader("another long password\n"), &out, &out, env(nil)); err == nil {
		t.Error("a second first administrator was created")
	}
	if err := run(context.Background(), args, strings.NewReader("short\n"), &out, &out, env(nil)); err == nil {
		t.Error("a short password was accepted")
	}
}

// TestBackupRestoreCommands: backup copies an SQLite database into a
// directory, restore puts the copy in place and refuses to overwrite, and
// both refuse a MySQL database with the way to back it up instead.
func TestBackupRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--db", src}, nil, &out, &out, env(nil)); err != nil {
		t.Fatal(err)
	}
	backups := filepath.Join(dir, "backups")
	if err := run(context.Background(), []string{"backup", "--db", src, "--out", backups}, nil, &out, &out, env(nil)); err != nil {
		t.Fatalf("backup: %v\n%s", err, out.String())
	}
	files, err := filepath.Glob(filepath.Join(backups, "suyuan-*.db"))
	if err != nil || len(files) != 1 {
		t.Fatalf("backups %v, %v", files, err)
	}
	dest := filepath.Join(dir, "restored.db")
	if err := run(context.Background(), []string{"restore", "--from", files[0], "--db", dest}, nil, &out, &out, env(nil)); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"restore", "--from", files[0], "--db", dest}, nil, &out, &out, env(nil)); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("restore over a database: %v", err)
	}
	for _, args := range [][]string{
		{"backup", "--db", "mysql://root@127.0.0.1/x", "--out", backups},
		{"restore", "--db", "mysql://root@127.0.0.1/x", "--from", files[0]},
	} {
		if err := run(context.Background(), args, nil, &out, &out, env(nil)); err == nil || !strings.Contains(err.Error(), "tools/backup") {
			t.Errorf("%s of MySQL: %v", args[0], err)
		}
	}
}

// TestConfigFile: a TOML file gives settings under the environment and
// the command line; config check prints them with their sources and masks
// secrets; unknown keys and a secret others may read are refused.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret := strings.Repeat("k", 40)
	good := write("good.toml", `mode = "production"
db = "mysql://suyuan:hunter2@127.0.0.1:3306/suyuan"
secret = "`+secret+`"
request-timeout = "7s"
addr = "127.0.0.1:8181"
log-format = "text"
rate-limit = 99
`, 0o600)

	c, err := parseServe([]string{"--config", good, "--addr", "127.0.0.1:8282"}, io.Discard, env(map[string]string{"SUYUAN_PUBLIC_URL": "https://env.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.mode != "production" || c.requestTimeout != 7*time.Second || c.secret != secret || c.rateLimit != 99 || !c.log.text {
		t.Errorf("the file's settings were not taken: %+v", c)
	}
	if c.addr != "127.0.0.1:8282" {
		t.Errorf("addr = %s; the command line must win over the file", c.addr)
	}
	if c.publicURL != "https://env.example" {
		t.Errorf("public URL = %s; the environment must win over the file", c.publicURL)
	}
	// The environment names the file too.
	if c, err := parseServe(nil, io.Discard, env(map[string]string{"SUYUAN_CONFIG": good})); err != nil || c.mode != "production" {
		t.Errorf("SUYUAN_CONFIG: %v, mode %s", err, c.mode)
	}

	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", "--config", good, "--addr", "127.0.0.1:8282"}, nil, &out, &out, env(nil)); err != nil {
		t.Fatalf("config check: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`addr                 = "127.0.0.1:8282"`, "# flag",
		`request-timeout      = "7s"`, "# file",
		`secret               = "(set, 40 characters)"`,
		"xxxxx", `slow-statement       = "250ms"`, "# default",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config check lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "hunter2") || strings.Contains(out.String(), secret) {
		t.Errorf("config check shows a secret:\n%s", out.String())
	}

	for _, tc := range []struct {
		name, body string
		mode       os.FileMode
		want       string
	}{
		{"unknown.toml", `colour = "blue"`, 0o600, `"colour" is not a setting`},
		{"open.toml", `secret = "` + secret + `"`, 0o644, "chmod 600"},
		{"bad.toml", `request-timeout = "soon"`, 0o600, "request-timeout"},
		{"table.toml", "[server]\naddr = \"x\"", 0o600, "top-level"},
		{"broken.toml", `mode = `, 0o600, "broken.toml"},
	} {
		p := write(tc.name, tc.body, tc.mode)
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := parseServe([]string{"--config", p}, io.Discard, env(nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestServeRefusesNewerSchema: serve will not start on a database a newer
// binary migrated, and says why.
func TestServeRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.Exec("UPDATE suyuan_schema_version SET version = version + 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var out bytes.Buffer
	err = run(context.Background(), []string{"serve", "--db", path, "--addr", "127.0.0.1:0", "--admin-addr", "off", "--demo=false"}, nil, &out, &out, env(nil))
	if !errors.Is(err, store.ErrSchemaNewer) || !strings.Contains(err.Error(), "newer Suyuan") {
		t.Errorf("serve on a newer schema: %v", err)
	}
}

// TestWaitForBackground: serve's shutdown waits for its background work,
// and past the grace period says what it left instead of hanging.
func TestWaitForBackground(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	var wg sync.WaitGroup
	release := make(chan struct{})
	finished := false
	wg.Go(func() {
		<-release
		finished = true
	})
	close(release)
	waitFor(&wg, time.Minute, logger)
	if !finished {
		t.Error("waitFor returned before the work ended")
	}

	stuck := make(chan struct{})
	defer close(stuck)
	var hung sync.WaitGroup
	hung.Go(func() { <-stuck })
	waitFor(&hung, 10*time.Millisecond, logger)
	if !strings.Contains(logs.String(), "did not stop within the shutdown grace period") {
		t.Errorf("no word of the work left running: %q", logs.String())
	}
}
