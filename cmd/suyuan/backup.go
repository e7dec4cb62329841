package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"suyuan/internal/backup"
	"suyuan/internal/store"
)

// backupCmd copies a running SQLite database into a directory of
// backups and removes those past the retention. MariaDB and MySQL are
// backed up with mariadb-backup and their binary logs (tools/backup).
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", envOr(getenv, "SUYUAN_DB", store.DefaultSQLite), "the SQLite database to back up (env SUYUAN_DB); the server may keep running")
	dir := fs.String("out", "", "directory of backups; each is written there as suyuan-<UTC time>.db")
	keep := fs.Duration("keep", 30*24*time.Hour, "remove backups in --out older than this (the newest is always kept; 0: remove none)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, ok := store.SQLitePath(*dsn)
	if !ok {
		return fmt.Errorf("--db names a MySQL/MariaDB database: back it up with tools/backup/mariadb-backup.sh (docs/OPERATIONS.md)")
	}
	if *dir == "" {
		return fmt.Errorf("--out is required: the directory to write the backup in")
	}
	if *keep < 0 {
		return fmt.Errorf("--keep must not be negative, not %s", *keep)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	dest := filepath.Join(*dir, backup.Name("suyuan", start)+".db")
	if err := backup.SQLite(ctx, db.SQL, dest); err != nil {
		return err
	}
	if err := backup.CheckSQLite(ctx, dest); err != nil {
		return err
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes, integrity ok) in %s\n", path, dest, fi.Size(), time.Since(start).Round(time.Millisecond))
	if *keep > 0 {
		removed, err := backup.Prune(*dir, "suyuan", *keep, time.Now())
		for _, r := range removed {
			fmt.Fprintf(stdout, "removed %s (older than %s)\n", r, *keep)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// restoreCmd puts an SQLite backup in place as the database, refusing to
// overwrite one: the server is stopped and the old file moved aside by
// hand first.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", envOr(getenv, "SUYUAN_DB", store.DefaultSQLite), "the SQLite database to create from the backup (env SUYUAN_DB); must not exist")
	from := fs.String("from", "", "the backup file (written by suyuan backup)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, ok := store.SQLitePath(*dsn)
	if !ok {
		return fmt.Errorf("--db names a MySQL/MariaDB database: restore it with tools/backup/mariadb-restore.sh (docs/OPERATIONS.md)")
	}
	if *from == "" {
		return fmt.Errorf("--from is required: the backup file to restore")
	}
	start := time.Now()
	if err := backup.RestoreSQLite(ctx, *from, path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s in %s\n", path, *from, time.Since(start).Round(time.Millisecond))
	return nil
}
