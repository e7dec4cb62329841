package logging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/internal/reqlog"
)

// fakeClock is a Config.Now that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newLogger calls New and closes the result when the test ends.
func newLogger(t *testing.T, cfg Config, stderr io.Writer) (*slog.Logger, io.Closer) {
	t.Helper()
	l, c, err := New(cfg, stderr)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return l, c
}

// parseLines returns the JSON objects in data, failing on any line that is
// not one.
func parseLines(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line is not a JSON object: %v\n%s", err, sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msgs returns the "msg" of each line.
func msgs(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	for _, m := range parseLines(t, data) {
		s, _ := m["msg"].(string)
		out = append(out, s)
	}
	return out
}

// backups returns the names of rotated files in dir.
func backups(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, ok := backupTime(e.Name()); ok {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestLinesAreJSON(t *testing.T) {
	dir := t.TempDir()
	logger, closer := newLogger(t, Config{Dir: dir, Level: slog.LevelDebug}, nil)

	// The request attributes are added the way the server adds them.
	ctx := reqlog.With(context.Background(), "req-1", logger)
	ctx = reqlog.WithAttrs(ctx, "user", "u-42", "org", "org-7")
	rl := reqlog.Logger(ctx)
	rl.Debug("debug", "n", 1)
	rl.Info("quotes \" and newlines \n inside", "s", "a\tb")
	rl.Warn("group", slog.Group("g", slog.Int("x", 1), slog.Any("list", []int{1, 2})))
	rl.Error("error", "err", errors.New("boom"))
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}

	lines := parseLines(t, readFile(t, filepath.Join(dir, fileName)))
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4", len(lines))
	}
	timeRe := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for i, m := range lines {
		t.Run(m["msg"].(string), func(t *testing.T) {
			for key, want := range map[string]string{"request_id": "req-1", "user": "u-42", "org": "org-7"} {
				if m[key] != want {
					t.Errorf("line %d: %s = %v, want %q", i, key, m[key], want)
				}
			}
			if ts, _ := m["time"].(string); !timeRe.MatchString(ts) {
				t.Errorf("line %d: time %q is not UTC RFC 3339 with milliseconds", i, ts)
			}
			if _, ok := m["level"].(string); !ok {
				t.Errorf("line %d: no level", i)
			}
		})
	}
}

func TestLevel(t *testing.T) {
	var buf bytes.Buffer
	logger, _ := newLogger(t, Config{Stderr: true, Level: slog.LevelWarn}, &buf)
	logger.Info("dropped")
	logger.Warn("kept")
	if got := msgs(t, buf.Bytes()); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("got %q, want only the warning", got)
	}
}

// secretStruct is logged whole, as code might log a decoded request.
type secretStruct struct {
	User     string
	Password string
	Nested   struct{ APIKey string }
}

// secretValuer hides a secret behind slog.LogValuer.
type secretValuer struct{ s string }

func (v secretValuer) LogValue() slog.Value { return slog.StringValue(v.s) }

func TestRedact(t *testing.T) {
	// A real-looking JWT (header {"alg":"HS256","typ":"JWT"}).
	const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwib3JnIjoib3JnLTcifQ.c2lnbmF0dXJlX3Nob3VsZF9ub3RfbGVhaw"
	const s = "hunter2-S3CR3T" // the secret every case hides

	tests := []struct {
		name   string
		log    func(l *slog.Logger)
		secret string // must not appear in the output
	}{
		{"password", func(l *slog.Logger) { l.Info("m", "password", s) }, s},
		{"Password mixed case", func(l *slog.Logger) { l.Info("m", "Password", s) }, s},
		{"db_password", func(l *slog.Logger) { l.Info("m", "db_password", s) }, s},
		{"passwd", func(l *slog.Logger) { l.Info("m", "passwd", s) }, s},
		{"secret", func(l *slog.Logger) { l.Info("m", "secret", s) }, s},
		{"client_secret", func(l *slog.Logger) { l.Info("m", "client_secret", s) }, s},
		{"token", func(l *slog.Logger) { l.Info("m", "token", s) }, s},
		{"accessToken", func(l *slog.Logger) { l.Info("m", "accessToken", s) }, s},
		{"authorization", func(l *slog.Logger) { l.Info("m", "Authorization", "Basic "+s) }, s},
		{"api_key", func(l *slog.Logger) { l.Info("m", "api_key", s) }, s},
		{"apikey", func(l *slog.Logger) { l.Info("m", "apikey", s) }, s},
		{"X-Api-Key", func(l *slog.Logger) { l.Info("m", "X-Api-Key", s) }, s},
		{"cookie", func(l *slog.Logger) { l.Info("m", "cookie", "session="+s) }, s},
		{"Set-Cookie", func(l *slog.Logger) { l.Info("m", "Set-Cookie", "sid="+s) }, s},
		{"refresh", func(l *slog.Logger) { l.Info("m", "refresh", s) }, s},
		{"non-string value", func(l *slog.Logger) { l.Info("m", "pin_password", 918273) }, "918273"},
		{"in group", func(l *slog.Logger) { l.Info("m", slog.Group("auth", slog.String("token", s))) }, s},
		{"sensitive group name", func(l *slog.Logger) { l.Info("m", slog.Group("credentials", slog.String("value", s))) }, s},
		{"WithGroup", func(l *slog.Logger) { l.WithGroup("secrets").Info("m", "v", s) }, s},
		{"With", func(l *slog.Logger) { l.With("password", s).Info("m") }, s},
		{"LogValuer", func(l *slog.Logger) { l.Info("m", "token", secretValuer{s}) }, s},
		{"struct field", func(l *slog.Logger) {
			v := secretStruct{User: "u", Password: s}
			l.Info("m", "req", v)
		}, s},
		{"nested struct field", func(l *slog.Logger) {
			var v secretStruct
			v.Nested.APIKey = s
			l.Info("m", "req", v)
		}, s},
		{"map key", func(l *slog.Logger) { l.Info("m", "vars", map[string]any{"input": map[string]any{"newPassword": s}}) }, s},
		{"JWT in message", func(l *slog.Logger) { l.Info("login with " + jwt + " failed") }, jwt[40:]},
		{"JWT in attribute", func(l *slog.Logger) { l.Info("m", "header", "x "+jwt) }, jwt[40:]},
		{"JWT in slice", func(l *slog.Logger) { l.Info("m", "list", []string{"a", jwt}) }, jwt[40:]},
		{"Bearer in attribute", func(l *slog.Logger) { l.Info("m", "raw", "Authorization: Bearer "+s) }, s},
		{"bearer in message", func(l *slog.Logger) { l.Info("got bearer " + s + " from client") }, s},
		{"Bearer in error", func(l *slog.Logger) { l.Error("m", "err", errors.New("upstream rejected Bearer "+s)) }, s},
		{"query string", func(l *slog.Logger) { l.Info("m", "url", "/api?x=1&access_token="+s+"&y=2") }, s},
		{"key=value in message", func(l *slog.Logger) { l.Info("connect failed: password=" + s) }, s},
		{"JSON in string", func(l *slog.Logger) { l.Info("m", "body", `{"user":"u","password":"`+s+`"}`) }, s},
		{"URL userinfo", func(l *slog.Logger) { l.Info("m", "dsn", "postgres://app:"+s+"@db:5432/suyuan") }, s},
		{"MySQL DSN", func(l *slog.Logger) { l.Info("m", "dsn", "app:"+s+"@tcp(db:3306)/suyuan?parseTime=true") }, s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger, _ := newLogger(t, Config{Stderr: true}, &buf)
			tt.log(logger)
			out := buf.String()
			if strings.Contains(out, tt.secret) {
				t.Errorf("secret %q leaked:\n%s", tt.secret, out)
			}
			if !strings.Contains(out, redacted) {
				t.Errorf("no %s in output:\n%s", redacted, out)
			}
			if n := len(parseLines(t, buf.Bytes())); n != 1 {
				t.Errorf("got %d lines, want 1", n)
			}
		})
	}
}

// TestRedactKeepsOrdinaryValues guards against masking so eager that the
// logs lose what they are for.
func TestRedactKeepsOrdinaryValues(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string // must appear in the output
	}{
		{"user and org", func(l *slog.Logger) { l.Info("m", "user", "u-42", "org", "org-7") }, `"user":"u-42","org":"org-7"`},
		{"message", func(l *slog.Logger) { l.Info("lot 12 shipped to org-7") }, `"msg":"lot 12 shipped to org-7"`},
		{"times in text", func(l *slog.Logger) { l.Info("m", "note", "picked at 10:30, packed 11:45") }, "picked at 10:30, packed 11:45"},
		{"email", func(l *slog.Logger) { l.Info("m", "email", "ops@example.com") }, "ops@example.com"},
		{"struct", func(l *slog.Logger) { l.Info("m", "lot", struct{ GTIN string }{"09506000134352"}) }, `"GTIN":"09506000134352"`},
		{"number stays exact", func(l *slog.Logger) {
			l.Info("m", "v", map[string]any{"id": int64(9007199254740993), "token": "x"})
		}, "9007199254740993"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger, _ := newLogger(t, Config{Stderr: true}, &buf)
			tt.log(logger)
			if !strings.Contains(buf.String(), tt.want) {
				t.Errorf("output lacks %s:\n%s", tt.want, buf.String())
			}
		})
	}
}

func TestRotation(t *testing.T) {
	loc := time.FixedZone("test", 8*60*60) // days end at midnight in the clock's zone
	lateDay1 := time.Date(2025, 3, 1, 23, 59, 0, 0, loc)
	earlyDay2 := time.Date(2025, 3, 2, 0, 1, 0, 0, loc)

	tests := []struct {
		name string
		// rotate moves on to a new file after "day1" has been logged.
		rotate func(t *testing.T, clock *fakeClock, closer io.Closer)
	}{
		{"at midnight", func(t *testing.T, clock *fakeClock, _ io.Closer) {
			clock.Set(earlyDay2)
		}},
		{"Rotate method", func(t *testing.T, _ *fakeClock, closer io.Closer) {
			r, ok := closer.(interface{ Rotate() error })
			if !ok {
				t.Fatalf("%T has no Rotate method", closer)
			}
			if err := r.Rotate(); err != nil {
				t.Fatalf("Rotate: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock(lateDay1)
			logger, closer := newLogger(t, Config{Dir: dir, Now: clock.Now}, nil)

			logger.Info("day1")
			if got := backups(t, dir); len(got) != 0 {
				t.Fatalf("rotated before midnight: %v", got)
			}
			tt.rotate(t, clock, closer)
			logger.Info("day2")
			logger.Info("day2 again")

			got := backups(t, dir)
			if len(got) != 1 {
				t.Fatalf("got rotated files %v, want one", got)
			}
			if m := msgs(t, readFile(t, filepath.Join(dir, got[0]))); !slices.Equal(m, []string{"day1"}) {
				t.Errorf("rotated file holds %q, want [day1]", m)
			}
			if m := msgs(t, readFile(t, filepath.Join(dir, fileName))); !slices.Equal(m, []string{"day2", "day2 again"}) {
				t.Errorf("current file holds %q, want [day2 day2 again]", m)
			}
		})
	}
}

// TestRotationOfLeftoverFile checks that a file written before a restart on
// an earlier day is rotated, not appended to.
func TestRotationOfLeftoverFile(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 3, 2, 9, 0, 0, 0, time.Local)
	path := filepath.Join(dir, fileName)
	if err := os.WriteFile(path, []byte(`{"msg":"yesterday"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, now.AddDate(0, 0, -1), now.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}

	logger, _ := newLogger(t, Config{Dir: dir, Now: newClock(now).Now}, nil)
	logger.Info("today")

	got := backups(t, dir)
	if len(got) != 1 {
		t.Fatalf("got rotated files %v, want one", got)
	}
	if m := msgs(t, readFile(t, filepath.Join(dir, got[0]))); !slices.Equal(m, []string{"yesterday"}) {
		t.Errorf("rotated file holds %q, want [yesterday]", m)
	}
	if m := msgs(t, readFile(t, path)); !slices.Equal(m, []string{"today"}) {
		t.Errorf("current file holds %q, want [today]", m)
	}
}

// TestNoRotationOfEmptyFile checks that a day without lines leaves no file.
func TestNoRotationOfEmptyFile(t *testing.T) {
	dir := t.TempDir()
	day1 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.Local)
	clock := newClock(day1)
	logger, _ := newLogger(t, Config{Dir: dir, Now: clock.Now}, nil)

	clock.Set(day1.AddDate(0, 0, 1))
	logger.Info("day2")
	if got := backups(t, dir); len(got) != 0 {
		t.Errorf("empty file was rotated: %v", got)
	}
	if m := msgs(t, readFile(t, filepath.Join(dir, fileName))); !slices.Equal(m, []string{"day2"}) {
		t.Errorf("current file holds %q, want [day2]", m)
	}
}

func TestRetention(t *testing.T) {
	// Names are in local time, as lumberjack writes them with LocalTime.
	name := func(t time.Time) string { return backupPrefix + t.Format(backupTimeFormat) + backupExt }
	// files returns the files to create when the clock reads now, each
	// with whether it should survive keepDays of retention.
	files := func(now time.Time, keepDays int) map[string]bool {
		oldest := now.AddDate(0, 0, -keepDays)
		return map[string]bool{
			name(oldest.Add(-time.Hour)):        false,
			name(oldest.AddDate(0, 0, -5)):      false,
			name(oldest.AddDate(-1, 0, 0)):      false,
			name(oldest.Add(time.Hour)):         true,
			name(now.Add(-time.Hour)):           true,
			"suyuan-not-a-date.log":             true, // not lumberjack's: never removed
			"other-2000-01-01T00-00-00.000.log": true,
			"notes.txt":                         true,
		}
	}

	tests := []struct {
		name     string
		days     int // Config.RetentionDays
		keepDays int // what it means
	}{
		{"default", 0, DefaultRetentionDays},
		{"configured", 7, 7},
		{"one day", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, via := range []string{"start-up", "rotation"} {
				t.Run(via, func(t *testing.T) {
					dir := t.TempDir()
					// Close to the real clock, which lumberjack uses to
					// name the files it rotates.
					start := time.Now()
					clock := newClock(start)
					create := func(want map[string]bool) {
						for f := range want {
							if err := os.WriteFile(filepath.Join(dir, f), []byte("{}\n"), 0o600); err != nil {
								t.Fatal(err)
							}
						}
					}

					var want map[string]bool
					if via == "start-up" {
						want = files(start, tt.keepDays)
						create(want)
					}
					logger, _ := newLogger(t, Config{Dir: dir, RetentionDays: tt.days, Now: clock.Now}, nil)
					if via == "rotation" {
						// Files are judged by the clock of the new day.
						nextDay := start.AddDate(0, 0, 1)
						want = files(nextDay, tt.keepDays)
						create(want)
						logger.Info("before midnight")
						clock.Set(nextDay)
						logger.Info("after midnight")
						if len(backups(t, dir)) == len(want) {
							t.Error("no rotation happened")
						}
					}

					for f, keep := range want {
						_, err := os.Stat(filepath.Join(dir, f))
						switch exists := err == nil; {
						case keep && !exists:
							t.Errorf("%s was removed, should be kept", f)
						case !keep && exists:
							t.Errorf("%s was kept, should be removed", f)
						}
					}
					if _, err := os.Stat(filepath.Join(dir, fileName)); err != nil {
						t.Errorf("current file: %v", err)
					}
				})
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	tests := []struct {
		name       string
		dir        bool
		stderr     bool
		wantFile   bool
		wantStderr bool
	}{
		{"file only", true, false, true, false},
		{"file and stderr", true, true, true, true},
		{"stderr only", false, true, false, true},
		{"nothing", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Run in an empty directory with an empty TMPDIR, so that a file
			// written anywhere by default (lumberjack's default is in
			// os.TempDir) would be seen.
			cwd, tmp := t.TempDir(), t.TempDir()
			t.Chdir(cwd)
			t.Setenv("TMPDIR", tmp)

			cfg := Config{Stderr: tt.stderr}
			logDir := filepath.Join(t.TempDir(), "logs") // also checks that Dir is created
			if tt.dir {
				cfg.Dir = logDir
			}
			var stderr bytes.Buffer
			logger, closer := newLogger(t, cfg, &stderr)
			logger.Info("hello")
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}

			var wantStderr []string
			if tt.wantStderr {
				wantStderr = []string{"hello"}
			}
			if got := msgs(t, stderr.Bytes()); !slices.Equal(got, wantStderr) {
				t.Errorf("stderr got %q, want %q", got, wantStderr)
			}
			data, err := os.ReadFile(filepath.Join(logDir, fileName))
			if tt.wantFile {
				if err != nil {
					t.Fatal(err)
				}
				if got := msgs(t, data); !slices.Equal(got, []string{"hello"}) {
					t.Errorf("file got %q, want [hello]", got)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("log file exists (err %v), want none", err)
			}
			for _, d := range []string{cwd, tmp} {
				if entries, _ := os.ReadDir(d); len(entries) != 0 {
					t.Errorf("%s holds %d files, want none", d, len(entries))
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative retention", Config{RetentionDays: -1}},
		{"Dir is a file", Config{Dir: notDir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := New(tt.cfg, io.Discard); err == nil {
				t.Error("New succeeded, want error")
			}
		})
	}
}

// TestWriteAfterClose checks that a late line does not reopen the file.
func TestWriteAfterClose(t *testing.T) {
	dir := t.TempDir()
	logger, closer := newLogger(t, Config{Dir: dir}, nil)
	logger.Info("before")
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	logger.Info("after")
	if err := closer.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := msgs(t, readFile(t, filepath.Join(dir, fileName))); !slices.Equal(got, []string{"before"}) {
		t.Errorf("file holds %q, want [before]", got)
	}
}

// TestConcurrentRotation logs from many goroutines across midnight; run it
// with -race. Every line must be whole and in exactly one file.
func TestConcurrentRotation(t *testing.T) {
	dir := t.TempDir()
	day1 := time.Date(2025, 3, 1, 23, 0, 0, 0, time.Local)
	clock := newClock(day1)
	logger, closer := newLogger(t, Config{Dir: dir, Now: clock.Now}, nil)

	const workers, perWorker = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				if w == 0 && i == perWorker/2 {
					clock.Set(day1.Add(2 * time.Hour))
				}
				logger.Info("line", "w", w, "i", i)
			}
		})
	}
	wg.Wait()
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}

	files := append(backups(t, dir), fileName)
	if len(files) != 2 {
		t.Fatalf("got files %v, want a rotated and a current one", files)
	}
	total := 0
	for _, f := range files {
		total += len(parseLines(t, readFile(t, filepath.Join(dir, f))))
	}
	if total != workers*perWorker {
		t.Errorf("got %d lines, want %d", total, workers*perWorker)
	}
}

// TestDurations: a duration is logged as milliseconds with the unit, not
// as a bare count of nanoseconds.
func TestDurations(t *testing.T) {
	var buf bytes.Buffer
	logger, closer := newLogger(t, Config{Stderr: true}, &buf)
	defer closer.Close()
	logger.Info("screened", "elapsed", 1500*time.Microsecond, slog.Duration("long", 2*time.Minute), "zero", time.Duration(0))
	lines := parseLines(t, buf.Bytes())
	if len(lines) != 1 {
		t.Fatalf("got %d lines", len(lines))
	}
	for key, want := range map[string]string{"elapsed": "1.5ms", "long": "120000ms", "zero": "0ms"} {
		if lines[0][key] != want {
			t.Errorf("%s = %v, want %q", key, lines[0][key], want)
		}
	}
}
