package trace

import (
	"strings"
	"testing"
)

// TestInListShapes holds IN lists to few lengths, so that their statements
// stay prepared, without losing or changing an id.
func TestInListShapes(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{1, 1}, {2, 2}, {3, 4}, {5, 8}, {200, 256}, {256, 256}, {257, 512}, {1000, 1024}, {1025, 1280},
	} {
		ids := make([]int, c.n)
		for i := range ids {
			ids[i] = i + 10
		}
		list, args := in(ids)
		if len(args) != c.want || strings.Count(list, "?") != c.want {
			t.Errorf("%d ids: %d arguments, %d placeholders; want %d", c.n, len(args), strings.Count(list, "?"), c.want)
			continue
		}
		for i, a := range args {
			if want := ids[min(i, c.n-1)]; a != want {
				t.Fatalf("%d ids: argument %d is %v, want %d", c.n, i, a, want)
			}
		}
	}
	if list, args := in(nil); list != "()" || args != nil {
		t.Errorf("no ids: %q %v", list, args)
	}
}
