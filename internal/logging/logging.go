// Package logging builds the server's logger: structured JSON lines (log/slog)
// written to a file per day, to stderr in development, or both, with secrets
// masked before anything reaches an output.
//
// The request id, user and organisation are not added here: package reqlog
// derives a per-request logger from the one built here with Logger.With, so
// those attributes go through the same redaction as every other attribute.
package logging

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// DefaultRetentionDays is how long rotated log files are kept when
// Config.RetentionDays is zero.
const DefaultRetentionDays = 30

// Config configures logging.
type Config struct {
	// Dir is the directory for log files; "" writes no file. The current
	// file is Dir/suyuan.log; at the first line of each new day it is
	// renamed to suyuan-<time of rotation>.log and a fresh file started.
	Dir string
	// RetentionDays is how many days rotated files are kept; older ones
	// are removed at each rotation and at start-up. 0 means
	// DefaultRetentionDays; negative is an error.
	RetentionDays int
	// Stderr also writes every line to stderr (for development).
	Stderr bool
	// Level is the minimum level logged; the zero value is Info.
	Level slog.Level
	// Text writes key=value lines (slog's text format) for people
	// reading a terminal, instead of JSON lines for machines.
	Text bool
	// Now is the clock that decides when a day ends and which files are
	// old; days end at midnight in the location of the times it returns.
	// nil means time.Now. Tests set it so that they need not wait a day.
	Now func() time.Time
}

// New returns a JSON (or, with Text, a text) logger writing as cfg says, and a Closer that closes
// the log file. stderr is where Config.Stderr writes; nil means os.Stderr.
//
// When Dir is set, the returned Closer also has a method Rotate() error,
// which starts a new file at once (for tests, or for an operator's signal).
//
// If Dir is "" and Stderr is false, lines are discarded: that is only
// useful in tests, so the caller must ask for it explicitly.
func New(cfg Config, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	if cfg.RetentionDays < 0 {
		return nil, nil, fmt.Errorf("logging: RetentionDays is %d, must not be negative", cfg.RetentionDays)
	}
	if cfg.RetentionDays == 0 {
		cfg.RetentionDays = DefaultRetentionDays
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if stderr == nil {
		stderr = os.Stderr
	}

	var (
		outs   teeWriter
		closer io.Closer = closerFunc(func() error { return nil })
	)
	if cfg.Dir != "" {
		f, err := openDailyFile(cfg.Dir, cfg.RetentionDays, cfg.Now)
		if err != nil {
			return nil, nil, err
		}
		outs = append(outs, f)
		closer = f
	}
	if cfg.Stderr {
		outs = append(outs, stderr)
	}

	var w io.Writer = io.Discard
	switch len(outs) {
	case 0:
	case 1:
		w = outs[0]
	default:
		w = outs
	}

	opts := &slog.HandlerOptions{Level: cfg.Level, ReplaceAttr: Redact}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.Text {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h), closer, nil
}

// teeWriter writes each line to every writer. Unlike io.MultiWriter it goes
// on after a failure, so that a full disk does not also silence stderr.
type teeWriter []io.Writer

func (t teeWriter) Write(p []byte) (int, error) {
	var errs []error
	for _, w := range t {
		if _, err := w.Write(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("logging: write: %w", err)
	}
	return len(p), nil
}

// closerFunc adapts a function to io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
