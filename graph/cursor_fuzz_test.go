package graph

import (
	"bytes"
	"strconv"
	"testing"

	"entgo.io/contrib/entgql"
)

// FuzzCursor feeds arbitrary strings to the cursor decoder, as a client
// can: it must refuse or accept without panicking, and an accepted
// cursor must encode back to one that decodes to the same position.
func FuzzCursor(f *testing.F) {
	for _, c := range []entgql.Cursor[int]{{ID: 1}, {ID: 8589934593, Value: "LOIN-1"}, {ID: 42, Value: 3.5}} {
		var b bytes.Buffer
		c.MarshalGQL(&b)
		s, _ := strconv.Unquote(b.String())
		f.Add(s)
	}
	f.Add("")
	f.Add("not-a-cursor")
	f.Add("gqFp")
	f.Fuzz(func(t *testing.T, s string) {
		var c entgql.Cursor[int]
		if err := c.UnmarshalGQL(s); err != nil {
			return
		}
		var b bytes.Buffer
		c.MarshalGQL(&b)
		again, err := strconv.Unquote(b.String())
		if err != nil {
			t.Fatalf("cursor encoded as %s", b.String())
		}
		var d entgql.Cursor[int]
		if err := d.UnmarshalGQL(again); err != nil {
			t.Fatalf("re-encoded cursor %q does not decode: %v", again, err)
		}
		if d.ID != c.ID {
			t.Fatalf("round trip changed the id: %d → %d", c.ID, d.ID)
		}
	})
}
