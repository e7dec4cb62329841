package reqlog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

// TestAttrsReachTheFirstContext: attributes added in a derived context
// (who made the request, learned by inner middleware) are available from
// the context the request began with, for its last line.
func TestAttrsReachTheFirstContext(t *testing.T) {
	var buf bytes.Buffer
	outer := With(context.Background(), "r1", slog.New(slog.NewJSONHandler(&buf, nil)))
	inner := WithAttrs(outer, "user", 7, "org", 3)
	Logger(inner).Info("inside")
	Logger(outer).With(Attrs(outer)...).Info("request")
	dec := json.NewDecoder(&buf)
	for i := 0; i < 2; i++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m["request_id"] != "r1" || m["user"] != 7.0 || m["org"] != 3.0 {
			t.Errorf("line %d: %v", i, m)
		}
	}
	if Attrs(context.Background()) != nil {
		t.Error("attributes outside a request")
	}
}
