package webhook

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"suyuan/internal/errcode"
)

// TestDocsListTopics holds docs/WEBHOOKS.md's table of topics to Topics.
func TestDocsListTopics(t *testing.T) {
	b, err := os.ReadFile("../../docs/WEBHOOKS.md")
	if err != nil {
		t.Fatal(err)
	}
	var listed []Topic
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(string(b), -1) {
		listed = append(listed, Topic(m[1]))
	}
	if !slices.Equal(listed, Topics()) {
		t.Errorf("docs/WEBHOOKS.md lists the topics %v, the service has %v", listed, Topics())
	}
	for _, h := range []string{SignatureHeader, "Suyuan-Webhook", "Suyuan-Delivery", "Suyuan-Topic", "GS1-Signature"} {
		if !regexp.MustCompile("`" + h + "`").Match(b) {
			t.Errorf("docs/WEBHOOKS.md does not name the header %s", h)
		}
	}
}

func TestSignVerify(t *testing.T) {
	secret, body := []byte("whsec_0123456789abcdef"), []byte(`{"topic":"ALERT"}`)
	now := time.Unix(1772706370, 0)
	h := Sign(secret, now, body)
	if h != "t=1772706370,v1="+hexMAC(secret, "1772706370", body) {
		t.Fatalf("header %q", h)
	}
	if err := Verify(secret, h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret, body []byte
		header       string
		at           time.Time
		want         error
	}{
		"another secret":  {[]byte("whsec_other_secret_00"), body, h, now, ErrBadSignature},
		"another body":    {secret, []byte(`{"topic":"RECALL"}`), h, now, ErrBadSignature},
		"no timestamp":    {secret, body, h[len("t=1772706370,"):], now, ErrBadSignature},
		"garbage":         {secret, body, "v1=zz", now, ErrBadSignature},
		"replayed later":  {secret, body, h, now.Add(time.Hour), ErrStale},
		"from the future": {secret, body, h, now.Add(-time.Hour), ErrStale},
	} {
		if err := Verify(c.secret, c.header, c.body, c.at, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func hexMAC(secret []byte, ts string, body []byte) string {
	const digits = "0123456789abcdef"
	m := mac(secret, ts, body)
	out := make([]byte, 0, 2*len(m))
	for _, b := range m {
		out = append(out, digits[b>>4], digits[b&15])
	}
	return string(out)
}

func TestSpecialAddresses(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.1.1",
		"0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "224.0.0.1", "192.0.2.10", "64:ff9b::a00:1"} {
		if !special(netip.MustParseAddr(s)) {
			t.Errorf("%s is not special", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "114.114.114.114", "2400:3200::1", "101.6.6.6"} {
		if special(netip.MustParseAddr(s)) {
			t.Errorf("%s is special", s)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	ctx := context.Background()
	prod := &Guard{Production: true, AllowHosts: []string{"Receiver.Internal."}}
	for raw, want := range map[string]errcode.Code{
		"http://127.0.0.1/":             errcode.URLNotAllowed,
		"https://[fd12::1]:8443/x":      errcode.URLNotAllowed,
		"http://localhost/":             errcode.URLNotAllowed,
		"gopher://example.com/":         errcode.InvalidURL,
		"http://a:b@example.com/":       errcode.InvalidURL,
		"relative/path":                 errcode.InvalidURL,
		"http://receiver.internal/hook": "",
		"https://203.0.114.9/hook":      "",
	} {
		_, err := prod.Check(ctx, raw, "url")
		if got := errcode.CodeOf(err); (want == "" && err != nil) || (want != "" && got != want) {
			t.Errorf("%s: %v, want %s", raw, err, want)
		}
	}
	if _, err := (&Guard{}).Check(ctx, "http://127.0.0.1:9/", "url"); err != nil {
		t.Errorf("development refused loopback: %v", err)
	}
	if err := prod.control("example.com")("tcp4", "10.0.0.1:443", nil); err == nil {
		t.Error("the dialler connected to a private address a name resolved to")
	}
	if err := prod.control("receiver.internal")("tcp4", "10.0.0.1:443", nil); err != nil {
		t.Errorf("the dialler refused an allowed host: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	d := &Deliverer{opts: Options{Backoff: time.Second, MaxBackoff: 10 * time.Second}}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		if got := d.backoff(n); got < want || got > want+want/10 {
			t.Errorf("after %d failures: %s, want %s to %s", n, got, want, want+want/10)
		}
	}
}
