package logging

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

const (
	// fileName is the current log file inside Config.Dir.
	fileName = "suyuan.log"
	// backupPrefix and backupExt frame the names lumberjack gives rotated
	// files: suyuan-2006-01-02T15-04-05.000.log.
	backupPrefix = "suyuan-"
	backupExt    = ".log"
	// backupTimeFormat is lumberjack's (unexported) layout for the time in
	// a rotated file's name.
	backupTimeFormat = "2006-01-02T15-04-05.000"
	// maxSizeMB is lumberjack's size limit. Files are meant to rotate by
	// day; the size limit only stops a runaway logger filling the disk.
	maxSizeMB = 1024
)

// dailyFile is the log file: lumberjack does the renaming and reopening,
// dailyFile decides when (at the first write of each new day) and removes
// old files.
//
// Rotation happens on the first write after midnight rather than on a timer
// so that no goroutine or timer is needed, a line can never land in the
// wrong day's file because of a race with the timer, and a file left over
// from before a restart is rotated too.
//
// Old files are removed here rather than by lumberjack's MaxAge because
// lumberjack judges age with the real clock (tests could not control it),
// reads the time in the names as UTC even when it wrote local time, and
// removes files in a background goroutine, after Rotate has returned.
type dailyFile struct {
	mu        sync.Mutex
	lj        *lumberjack.Logger
	dir       string
	retention int // days
	now       func() time.Time
	day       civilDay // the day whose lines the current file holds
	closed    bool
}

// civilDay is a calendar date, for comparing days without clock times.
type civilDay struct {
	year  int
	month time.Month
	day   int
}

func dayOf(t time.Time) civilDay {
	y, m, d := t.Date()
	return civilDay{y, m, d}
}

// openDailyFile opens (creating if need be) dir/suyuan.log and removes
// rotated files older than retention days.
func openDailyFile(dir string, retention int, now func() time.Time) (*dailyFile, error) {
	// 0750: logs name users and organisations, so keep them from other
	// local accounts; lumberjack itself would use 0755.
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("logging: create log directory: %w", err)
	}
	f := &dailyFile{
		lj: &lumberjack.Logger{
			Filename:  filepath.Join(dir, fileName),
			MaxSize:   maxSizeMB,
			LocalTime: true, // name rotated files in the same time as the midnight that rotates them
			// MaxAge and MaxBackups stay 0: removal is done by removeOld.
		},
		dir:       dir,
		retention: retention,
		now:       now,
	}

	t := now()
	f.day = dayOf(t)
	// A file left by an earlier run holds the lines of the day it was last
	// written; if that is not today the first write will rotate it.
	if info, err := os.Stat(f.lj.Filename); err == nil {
		f.day = dayOf(info.ModTime().In(t.Location()))
	}
	// Writing nothing opens the file, so that an unwritable directory is
	// reported now rather than lost on the first log line.
	if _, err := f.lj.Write(nil); err != nil {
		return nil, fmt.Errorf("logging: open log file: %w", err)
	}
	if err := f.removeOld(t); err != nil {
		// Stale files are no reason to refuse to start; say so in the log.
		f.notice("removing old log files failed", err)
	}
	return f, nil
}

// Write writes one log line, first rotating the file if the day has changed.
func (f *dailyFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, fmt.Errorf("logging: write: %w", os.ErrClosed)
	}
	if t := f.now(); dayOf(t) != f.day {
		if err := f.rotateLocked(t); err != nil {
			// Keep logging to whatever file we have: losing the day
			// boundary is better than losing the lines.
			f.notice("log rotation failed", err)
		}
	}
	n, err := f.lj.Write(p)
	if err != nil {
		return n, fmt.Errorf("logging: write: %w", err)
	}
	return n, nil
}

// Rotate starts a new file now and removes old ones, as happens at midnight.
func (f *dailyFile) Rotate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("logging: rotate: %w", os.ErrClosed)
	}
	return f.rotateLocked(f.now())
}

// rotateLocked rotates the file (unless it is empty) and removes old files.
// f.mu must be held.
func (f *dailyFile) rotateLocked(t time.Time) error {
	// Move on to the new day even if rotating fails, so that a failure is
	// not retried (and reported) on every line.
	f.day = dayOf(t)
	// An empty file (a day with no lines) is kept rather than rotated so
	// that idle days do not leave empty files behind.
	if info, err := os.Stat(f.lj.Filename); err == nil && info.Size() == 0 {
		return f.removeOld(t)
	}
	var errs []error
	if err := f.lj.Rotate(); err != nil {
		errs = append(errs, fmt.Errorf("logging: rotate: %w", err))
	}
	errs = append(errs, f.removeOld(t))
	return errors.Join(errs...)
}

// removeOld removes rotated files whose names say they were rotated more
// than f.retention days before t. Files not named by lumberjack are left
// alone, so nothing else in the directory is ever deleted.
func (f *dailyFile) removeOld(t time.Time) error {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return fmt.Errorf("logging: list log directory: %w", err)
	}
	cutoff := t.AddDate(0, 0, -f.retention)
	var errs []error
	for _, e := range entries {
		rotated, ok := backupTime(e.Name())
		if !ok || e.IsDir() || !rotated.Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(f.dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("logging: remove old log file: %w", err))
		}
	}
	return errors.Join(errs...)
}

// backupTime returns the time in a rotated file's name, which is when it
// was rotated: the end of the day whose lines it holds.
func backupTime(name string) (time.Time, bool) {
	ts, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	ts, ok = strings.CutSuffix(ts, backupExt)
	if !ok {
		return time.Time{}, false
	}
	// Local, because lumberjack is told to use LocalTime.
	t, err := time.ParseInLocation(backupTimeFormat, ts, time.Local)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// notice writes a line about the log file itself into the log file. The
// logger cannot be used for this: its handler holds its lock while calling
// Write. f.mu must be held.
func (f *dailyFile) notice(msg string, err error) {
	line, jerr := json.Marshal(struct {
		Time  string `json:"time"`
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Err   string `json:"error"`
	}{
		Time:  f.now().UTC().Format(timeFormat),
		Level: slog.LevelError.String(),
		Msg:   msg,
		Err:   scrubString(err.Error()),
	})
	if jerr != nil {
		return
	}
	// Best effort: if the file cannot be written there is nowhere left to
	// report that.
	_, _ = f.lj.Write(append(line, '\n'))
}

// Close closes the file. Later writes fail rather than reopen it.
func (f *dailyFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if err := f.lj.Close(); err != nil {
		return fmt.Errorf("logging: close log file: %w", err)
	}
	return nil
}
