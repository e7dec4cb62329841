package lease

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"suyuan/internal/testdb"
)

// TestOneServerLeads: of two servers on one MariaDB database, one holds
// a lease; when it stops (its connection closes), the
// other takes the lead at its next tick. On SQLite every server leads.
func TestOneServerLeads(t *testing.T) {
	ctx := context.Background()
	t.Run("mysql", func(t *testing.T) {
		db := testdb.MySQL(t)
		first, second := New(db.SQL, dialect.MySQL, "test"), New(db.SQL, dialect.MySQL, "test")
		defer first.Release()
		defer second.Release()
		leads := func(l *Lease) bool {
			t.Helper()
			ok, err := l.Held(ctx)
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
		first.Release() // the first server stops
		if !leads(second) || leads(first) {
			t.Fatal("the second server did not take the lead the first gave up")
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		db := testdb.SQLite(t)
		a, b := New(db.SQL, dialect.SQLite, "test"), New(db.SQL, dialect.SQLite, "test")
		for _, l := range []*Lease{a, b} {
			if ok, err := l.Held(ctx); !ok || err != nil {
				t.Errorf("an SQLite server does not lead: %v", err)
			}
		}
	})
}
