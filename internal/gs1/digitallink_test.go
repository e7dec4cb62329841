package gs1

import (
	"strings"
	"testing"
	"time"

	"suyuan/internal/errcode"
)

// testNow fixes the century window so date tests do not depend on the clock.
var testNow = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func TestParseDigitalLink(t *testing.T) {
	const g = "09506000134352"
	tests := []struct {
		name string
		in   string
		want DigitalLink
		code errcode.Code // non-empty means an error is expected
	}{
		{"https", "https://example.com/01/09506000134352/10/ABC123",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"http with port", "http://id.example.com:8080/01/09506000134352/10/ABC123",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"upper-case scheme", "HTTPS://EXAMPLE.COM/01/09506000134352/10/ABC123",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"path only", "/01/09506000134352/10/ABC123",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"path prefix", "https://example.com/foo/bar/01/09506000134352/10/ABC123",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"path-only prefix", "/foo/01/09506000134352/10/ABC123",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"serial", "https://example.com/01/09506000134352/10/ABC123/21/SER1",
			DigitalLink{GTIN: g, Lot: "ABC123", Serial: "SER1"}, ""},
		{"expiry", "https://example.com/01/09506000134352/10/ABC123/21/SER1?17=261231",
			DigitalLink{GTIN: g, Lot: "ABC123", Serial: "SER1", Expiry: date(2026, 12, 31)}, ""},
		{"expiry day 00", "/01/09506000134352/10/ABC123?17=270200",
			DigitalLink{GTIN: g, Lot: "ABC123", Expiry: date(2027, 2, 28)}, ""},
		{"expiry day 00 leap year", "/01/09506000134352/10/ABC123?17=280200",
			DigitalLink{GTIN: g, Lot: "ABC123", Expiry: date(2028, 2, 29)}, ""},
		{"expiry past century", "/01/09506000134352/10/ABC123?17=990101",
			DigitalLink{GTIN: g, Lot: "ABC123", Expiry: date(1999, 1, 1)}, ""},
		{"expiry among other params", "/01/09506000134352/10/ABC123?linkType=gs1:pip&17=261231&x=%zz",
			DigitalLink{GTIN: g, Lot: "ABC123", Expiry: date(2026, 12, 31)}, ""},
		{"linkType only", "/01/09506000134352/10/ABC123?linkType=all",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"fragment ignored", "/01/09506000134352/10/ABC123#top",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"cpv", "https://example.com/01/09506000134352/22/2A/10/ABC123/21/SER1",
			DigitalLink{GTIN: g, Lot: "ABC123", Serial: "SER1"}, ""},
		{"trailing slash", "/01/09506000134352/10/ABC123/",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"surrounding spaces", "  /01/09506000134352/10/ABC123\n",
			DigitalLink{GTIN: g, Lot: "ABC123"}, ""},
		{"GTIN-13 padded", "/01/9506000134352/10/L1",
			DigitalLink{GTIN: g, Lot: "L1"}, ""},
		{"GTIN-12 padded", "/01/036000291452/10/L1",
			DigitalLink{GTIN: "00036000291452", Lot: "L1"}, ""},
		{"GTIN-8 padded", "/01/96385074/10/L1",
			DigitalLink{GTIN: "00000096385074", Lot: "L1"}, ""},
		{"encoded space in lot", "/01/09506000134352/10/A%2FB%25C%20",
			DigitalLink{}, errcode.InvalidDigitalLink}, // space is not in set 82
		{"percent-encoded slash", "/01/09506000134352/10/A%2FB%25C",
			DigitalLink{GTIN: g, Lot: "A/B%C"}, ""},
		{"set 82 punctuation", `/01/09506000134352/10/!%22%25&'()*+,-./21/:;%3C=%3E%3F_z`,
			DigitalLink{GTIN: g, Lot: `!"%&'()*+,-.`, Serial: ":;<=>?_z"}, ""},
		{"20-char lot", "/01/09506000134352/10/" + strings.Repeat("A", 20),
			DigitalLink{GTIN: g, Lot: strings.Repeat("A", 20)}, ""},

		{"wrong check digit", "/01/09506000134353/10/ABC123", DigitalLink{}, errcode.InvalidGTIN},
		{"GTIN wrong length", "/01/0950600013435/10/ABC123", DigitalLink{}, errcode.InvalidGTIN},
		{"GTIN letters", "/01/0950600013435X/10/ABC123", DigitalLink{}, errcode.InvalidGTIN},
		{"GTIN encoded space", "/01/%209506000134352/10/ABC123", DigitalLink{}, errcode.InvalidGTIN},
		{"serial before lot", "/01/09506000134352/21/SER1/10/ABC123", DigitalLink{}, errcode.InvalidDigitalLink},
		{"cpv after lot", "/01/09506000134352/10/ABC123/22/2A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"repeated lot", "/01/09506000134352/10/A/10/B", DigitalLink{}, errcode.InvalidDigitalLink},
		{"serial without lot", "/01/09506000134352/21/SER1", DigitalLink{}, errcode.InvalidDigitalLink},
		{"no lot", "/01/09506000134352", DigitalLink{}, errcode.InvalidDigitalLink},
		{"unknown AI", "/01/09506000134352/10/ABC123/99/X", DigitalLink{}, errcode.InvalidDigitalLink},
		{"repeated 01", "/01/09506000134352/01/09506000134352/10/A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"dangling AI", "/01/09506000134352/10/ABC123/21", DigitalLink{}, errcode.InvalidDigitalLink},
		{"empty lot", "/01/09506000134352/10//21/S", DigitalLink{}, errcode.InvalidDigitalLink},
		{"21-char lot", "/01/09506000134352/10/" + strings.Repeat("A", 21), DigitalLink{}, errcode.InvalidDigitalLink},
		{"21-char serial", "/01/09506000134352/10/A/21/" + strings.Repeat("9", 21), DigitalLink{}, errcode.InvalidDigitalLink},
		{"lot with dollar", "/01/09506000134352/10/A$B", DigitalLink{}, errcode.InvalidDigitalLink},
		{"lot with non-ASCII", "/01/09506000134352/10/%E6%89%B9", DigitalLink{}, errcode.InvalidDigitalLink},
		{"bad percent-encoding", "/01/09506000134352/10/A%2", DigitalLink{}, errcode.InvalidDigitalLink},
		{"raw space", "/01/09506000134352/10/A B", DigitalLink{}, errcode.InvalidDigitalLink},
		{"ftp", "ftp://example.com/01/09506000134352/10/A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"no scheme host", "example.com/01/09506000134352/10/A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"scheme-relative", "//example.com/01/09506000134352/10/A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"empty host", "https:///01/09506000134352/10/A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"user info", "https://evil@example.com/01/09506000134352/10/A", DigitalLink{}, errcode.InvalidDigitalLink},
		{"no 01", "https://example.com/414/9501101530003", DigitalLink{}, errcode.InvalidDigitalLink},
		{"01 without value", "https://example.com/01", DigitalLink{}, errcode.InvalidDigitalLink},
		{"empty", "", DigitalLink{}, errcode.InvalidDigitalLink},
		{"expiry bad month", "/01/09506000134352/10/A?17=261301", DigitalLink{}, errcode.InvalidDigitalLink},
		{"expiry bad day", "/01/09506000134352/10/A?17=260230", DigitalLink{}, errcode.InvalidDigitalLink},
		{"expiry 5 digits", "/01/09506000134352/10/A?17=26123", DigitalLink{}, errcode.InvalidDigitalLink},
		{"expiry letters", "/01/09506000134352/10/A?17=26AB31", DigitalLink{}, errcode.InvalidDigitalLink},
		{"expiry repeated", "/01/09506000134352/10/A?17=261231&17=261231", DigitalLink{}, errcode.InvalidDigitalLink},
		{"too long", "/01/09506000134352/10/A?x=" + strings.Repeat("a", MaxDigitalLinkLen), DigitalLink{}, errcode.InvalidDigitalLink},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDigitalLink(tc.in, testNow)
			if tc.code != "" {
				if err == nil {
					t.Fatalf("(%q) = %+v, want error", tc.in, got)
				}
				checkErr(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatalf("(%q) error: %v", tc.in, err)
			}
			if !equalLink(got, tc.want) {
				t.Fatalf("(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			// The canonical forms must parse back to the same link.
			if back, err := parseDigitalLink(got.Path(), testNow); err != nil || !equalLink(back, DigitalLink{GTIN: got.GTIN, Lot: got.Lot, Serial: got.Serial}) {
				t.Errorf("Path() %q parses to %+v, %v", got.Path(), back, err)
			}
			u := got.URI("https://id.example.com/")
			if back, err := parseDigitalLink(u, testNow); err != nil || !equalLink(back, got) {
				t.Errorf("URI() %q parses to %+v, %v", u, back, err)
			}
		})
	}
}

func TestParseDigitalLinkNow(t *testing.T) {
	// The exported function uses the clock; a near date is unambiguous.
	d, err := ParseDigitalLink("https://example.com/01/09506000134352/10/ABC123/21/SER1?17=261231")
	if err != nil {
		t.Fatal(err)
	}
	if d.GTIN != "09506000134352" || d.Lot != "ABC123" || d.Serial != "SER1" || d.Expiry.Format("060102") != "261231" {
		t.Errorf("got %+v", d)
	}
}

func TestDigitalLinkPathURI(t *testing.T) {
	tests := []struct {
		name     string
		d        DigitalLink
		base     string
		wantPath string
		wantURI  string
	}{
		{"lot only", DigitalLink{GTIN: "09506000134352", Lot: "ABC123"}, "https://id.example.com",
			"/01/09506000134352/10/ABC123",
			"https://id.example.com/01/09506000134352/10/ABC123"},
		{"serial and expiry", DigitalLink{GTIN: "09506000134352", Lot: "ABC123", Serial: "SER1", Expiry: date(2026, 12, 31)}, "https://id.example.com//",
			"/01/09506000134352/10/ABC123/21/SER1",
			"https://id.example.com/01/09506000134352/10/ABC123/21/SER1?17=261231"},
		{"escaped", DigitalLink{GTIN: "09506000134352", Lot: "A/B%C?", Serial: `"<>`}, "",
			"/01/09506000134352/10/A%2FB%25C%3F/21/%22%3C%3E",
			"/01/09506000134352/10/A%2FB%25C%3F/21/%22%3C%3E"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Path(); got != tc.wantPath {
				t.Errorf("Path() = %q, want %q", got, tc.wantPath)
			}
			if got := tc.d.URI(tc.base); got != tc.wantURI {
				t.Errorf("URI(%q) = %q, want %q", tc.base, got, tc.wantURI)
			}
			back, err := parseDigitalLink(tc.d.URI(tc.base), testNow)
			if err != nil || !equalLink(back, tc.d) {
				t.Errorf("round trip = %+v, %v; want %+v", back, err, tc.d)
			}
		})
	}
}

func TestPercentEncodedLotRoundTrip(t *testing.T) {
	for _, lot := range []string{"A/B", "50%", `"Q"`, "a?b", "x+y", "<>", "!&'()*,-.:;=_"} {
		t.Run(lot, func(t *testing.T) {
			want := DigitalLink{GTIN: "09506000134352", Lot: lot, Serial: lot}
			got, err := parseDigitalLink(want.Path(), testNow)
			if err != nil {
				t.Fatalf("Parse(%q): %v", want.Path(), err)
			}
			if !equalLink(got, want) {
				t.Errorf("Parse(%q) = %+v, want %+v", want.Path(), got, want)
			}
		})
	}
}

func TestLooksLikeDigitalLink(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://example.com/01/09506000134352/10/A", true},
		{"/01/x", true},
		{"09506000134352", false},
		{"https://example.com/010/x", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := LooksLikeDigitalLink(tc.in); got != tc.want {
				t.Errorf("(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseYYMMDDCentury(t *testing.T) {
	tests := []struct {
		name string
		now  int
		in   string
		want int
	}{
		{"same year", 2026, "260101", 2026},
		{"49 ahead", 2026, "750101", 2075},
		{"51 ahead is past", 2026, "770101", 1977},
		{"50 ahead stays in century", 2026, "760101", 2076},
		{"near end of century", 2098, "100101", 2110},
		{"just behind", 2098, "970101", 2097},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseYYMMDD(tc.in, time.Date(tc.now, 6, 1, 0, 0, 0, 0, time.UTC))
			if !ok || got.Year() != tc.want {
				t.Errorf("(%q, now %d) = %v, %v; want year %d", tc.in, tc.now, got, ok, tc.want)
			}
		})
	}
}

// equalLink compares links using time.Time.Equal for the expiry.
func equalLink(a, b DigitalLink) bool {
	return a.GTIN == b.GTIN && a.Lot == b.Lot && a.Serial == b.Serial && a.Expiry.Equal(b.Expiry)
}

func FuzzParseDigitalLink(f *testing.F) {
	for _, s := range []string{
		"https://example.com/01/09506000134352/10/ABC123/21/SER1?17=261231",
		"/01/9506000134352/10/A%2FB",
		"/foo/01/96385074/22/2A/10/L1?17=270200&linkType=all",
		"/01/09506000134352/21/S/10/L",
		"/01/09506000134353/10/L",
		"http://h/01/036000291452/10/L/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDigitalLink(s, testNow)
		if err != nil {
			if c := errcode.CodeOf(err); c != errcode.InvalidDigitalLink && c != errcode.InvalidGTIN {
				t.Fatalf("(%q) error code %s", s, c)
			}
			return
		}
		if len(d.GTIN) != 14 || !IsDigits(d.GTIN) {
			t.Fatalf("(%q) GTIN %q is not 14 digits", s, d.GTIN)
		}
		if !isCSet82(d.Lot) || (d.Serial != "" && !isCSet82(d.Serial)) {
			t.Fatalf("(%q) = %+v: bad lot or serial", s, d)
		}
		if !LooksLikeDigitalLink(s) {
			t.Fatalf("(%q) parsed but LooksLikeDigitalLink is false", s)
		}
		u := d.URI("https://id.example.com")
		back, err := parseDigitalLink(u, testNow)
		if err != nil || !equalLink(back, d) {
			t.Fatalf("(%q) = %+v; URI %q parses to %+v, %v", s, d, u, back, err)
		}
	})
}
