package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
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
