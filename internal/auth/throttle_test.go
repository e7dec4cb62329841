package auth

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{14, 512 * time.Second}, {15, ThrottleMax}, {1000, ThrottleMax},
	} {
		if got := wait(c.failures, PhoneFreeFailures); got != c.want {
			t.Errorf("wait after %d failures = %v, want %v", c.failures, got, c.want)
		}
	}
}

func TestThrottleKeys(t *testing.T) {
	keys := func(addr, phone string) []string {
		ctx := context.Background()
		if addr != "" {
			ctx = WithClientAddr(ctx, netip.MustParseAddr(addr))
		}
		var out []string
		for _, k := range throttleKeys(ctx, phone) {
			out = append(out, k.key)
		}
		return out
	}
	for _, c := range []struct {
		addr, phone string
		want        []string
	}{
		{"192.0.2.7", "13900000001", []string{"phone:13900000001", "addr:192.0.2.7"}},
		{"::ffff:192.0.2.7", "", []string{"addr:192.0.2.7"}},
		{"2001:db8:1:2:3:4:5:6", "", []string{"addr:2001:db8:1:2::/64"}},
		{"", "13900000001", []string{"phone:13900000001"}},
	} {
		got := keys(c.addr, c.phone)
		if len(got) != len(c.want) {
			t.Errorf("keys(%q, %q) = %q, want %q", c.addr, c.phone, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("keys(%q, %q) = %q, want %q", c.addr, c.phone, got, c.want)
			}
		}
	}
}

// The hash checked for unknown phone numbers parses, so that they cost a
// real hash (and look again whether they must wait).
func TestDummyHashVerifies(t *testing.T) {
	called := false
	if _, err := NewHasher(1).VerifyAround(context.Background(), dummyHash, "a password", func() error { called = true; return nil }, nil); err != nil || !called {
		t.Fatalf("verifying against dummyHash: %v (checked before hashing: %v)", err, called)
	}
}
