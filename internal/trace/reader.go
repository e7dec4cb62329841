package trace

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/internal/anomaly"
)

// Reader answers traceability questions over one database.
type Reader struct {
	client *ent.Client
	now    func() time.Time
	// rules judge the cold chain, as the screener does.
	rules anomaly.Config
}

// NewReader returns a Reader over client; now tells the time (nil means
// time.Now) for expiry.
func NewReader(client *ent.Client, now func() time.Time) *Reader {
	if now == nil {
		now = time.Now
	}
	return &Reader{client: client, now: now, rules: anomaly.DefaultConfig()}
}

// Depth limits of lineage walks.
const (
	DefaultMaxDepth = 10
	MaxMaxDepth     = 20
	// traceDepth is how many levels of ingredients a consumer's trace shows.
	traceDepth = 3
)

// query runs a read through Ent's driver, so it is counted and traced like
// Ent's own statements.
func (r *Reader) query(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := r.client.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("querying: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scanning: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading rows: %w", err)
	}
	return nil
}

// in returns "(?,?,…)" and the ids as its arguments, the list padded
// with the last id to one of a few lengths: a power of two up to
// inListStep, a multiple of it beyond. Each length is one statement text,
// so the few texts a reader issues stay prepared on every connection
// (store's statement cache) instead of being compiled for each count of
// ids; a repeated id in an IN list changes no answer.
func in(ids []int) (string, []any) {
	if len(ids) == 0 {
		return "()", nil
	}
	n := paddedLen(len(ids))
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")", args
}

// inListStep is where padding to powers of two stops: beyond it a list
// grows by whole steps, wasting less than one step of placeholders.
const inListStep = 256

func paddedLen(n int) int {
	if n > inListStep {
		return (n + inListStep - 1) / inListStep * inListStep
	}
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// unique returns ids without duplicates, in first-seen order.
func unique(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// timeValue scans a time that a driver may hand over as time.Time or, for
// SQLite expressions that lose the column type, as text.
type timeValue struct {
	T     time.Time
	Valid bool
}

// sqliteLayouts are the forms SQLite drivers write times in.
var sqliteLayouts = [...]string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05",
}

func (t *timeValue) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*t = timeValue{}
		return nil
	case time.Time:
		*t = timeValue{T: x.UTC(), Valid: true}
		return nil
	case []byte:
		return t.Scan(string(x))
	case string:
		for _, layout := range sqliteLayouts {
			if p, err := time.Parse(layout, x); err == nil {
				*t = timeValue{T: p.UTC(), Valid: true}
				return nil
			}
		}
		return fmt.Errorf("cannot parse time %q", x)
	}
	return fmt.Errorf("cannot scan %T into a time", v)
}

func (t timeValue) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.T
	return &v
}
