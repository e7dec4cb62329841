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

// in returns "(?,?,…)" for n values and the values as arguments.
func in(ids []int) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")", args
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
