package screen

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"suyuan/internal/testdb"
)

// TestOneServerLeads: of two servers on one MariaDB database, one leads
// the background screening; when it stops (its connection closes), the
// other takes the lead at its next tick. On SQLite every server leads.
func TestOneServerLeads(t *testing.T) {
	ctx := context.Background()
	t.Run("mysql", func(t *testing.T) {
		db := testdb.MySQL(t)
		first, second := &lead{db: db.SQL, dialect: dialect.MySQL}, &lead{db: db.SQL, dialect: dialect.MySQL}
		defer first.release()
		defer second.release()
		leads := func(l *lead) bool {
			t.Helper()
			ok, err := l.held(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !leads(first) || leads(second) {
			t.Fatal("want the first server to lead and the second not")
		}
		if !leads(first) || leads(second) {
			t.Fatal("the lead changed hands while its holder ran")
		}
		first.release() // the first server stops
		if !leads(second) || leads(first) {
			t.Fatal("the second server did not take the lead the first gave up")
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		db := testdb.SQLite(t)
		a, b := &lead{db: db.SQL, dialect: dialect.SQLite}, &lead{db: db.SQL, dialect: dialect.SQLite}
		for _, l := range []*lead{a, b} {
			if ok, err := l.held(ctx); !ok || err != nil {
				t.Errorf("an SQLite server does not lead: %v", err)
			}
		}
	})
}
