package gs1

import (
	"net/url"
	"strings"
	"time"

	"suyuan/internal/errcode"
)

// MaxDigitalLinkLen is the longest input ParseDigitalLink accepts, in bytes.
// It bounds the work done on untrusted scanner input; real links are far
// shorter.
const MaxDigitalLinkLen = 2048

// maxAttrLen is the longest lot, serial or consumer product variant GS1
// allows (AIs 10, 21 and 22 are all X..20).
const maxAttrLen = 20

// DigitalLink is the part of a GS1 Digital Link URI that identifies one
// batch, or one serialised item, of a trade item.
type DigitalLink struct {
	// GTIN is the 14-digit GTIN (AI 01); shorter GTINs are zero-padded.
	GTIN string
	// Lot is the batch or lot number (AI 10), decoded.
	Lot string
	// Serial is the serial number (AI 21), decoded; empty when absent.
	Serial string
	// Expiry is the expiry date (AI 17) at midnight UTC; only its calendar
	// date is meaningful. It is the zero Time when absent.
	Expiry time.Time
}

// Path returns the canonical Digital Link path
// /01/{gtin}/10/{lot}[/21/{serial}], with values percent-escaped.
// The expiry date is not part of the path; see URI.
func (d DigitalLink) Path() string {
	var b strings.Builder
	b.WriteString("/01/")
	b.WriteString(url.PathEscape(d.GTIN))
	b.WriteString("/10/")
	b.WriteString(url.PathEscape(d.Lot))
	if d.Serial != "" {
		b.WriteString("/21/")
		b.WriteString(url.PathEscape(d.Serial))
	}
	return b.String()
}

// URI returns base, without trailing slashes, followed by Path and, when
// Expiry is set, the query ?17=YYMMDD. base is typically the resolver origin,
// such as "https://id.example.com". The year is written with two digits, so
// a date round-trips through ParseDigitalLink only within the GS1 century
// window (about 49 years ahead of and 50 years behind the present).
func (d DigitalLink) URI(base string) string {
	u := strings.TrimRight(base, "/") + d.Path()
	if !d.Expiry.IsZero() {
		u += "?17=" + d.Expiry.Format("060102")
	}
	return u
}

// LooksLikeDigitalLink reports whether s contains "/01/". It is a cheap test
// for deciding whether a scanned string should be parsed as a Digital Link or
// treated as an opaque code; it does not validate s.
func LooksLikeDigitalLink(s string) bool {
	return strings.Contains(s, "/01/")
}

// ParseDigitalLink parses a GS1 Digital Link URI such as
//
//	https://example.com/01/09506000134352/10/ABC123/21/SER1?17=261231
//
// or just its path (starting with "/"). The scheme, when present, must be
// http or https. Any path segments before the first "/01/{gtin}" pair are
// ignored, since resolvers may mount links under a prefix. After the GTIN the
// path may hold, in this order and each at most once, 22 (consumer product
// variant, checked and discarded), 10 (lot, required) and 21 (serial).
// Values are percent-decoded and must be 1 to 20 characters of GS1 character
// set 82. The query parameter 17=YYMMDD sets Expiry (DD 00 means the last day
// of the month); other query parameters and any fragment are ignored.
//
// Errors have code errcode.InvalidGTIN when the GTIN is wrong and
// errcode.InvalidDigitalLink otherwise.
func ParseDigitalLink(s string) (DigitalLink, error) {
	return parseDigitalLink(s, time.Now())
}

// parseDigitalLink is ParseDigitalLink with the current time, which decides
// the century of a two-digit year, passed in so tests are deterministic.
func parseDigitalLink(s string, now time.Time) (DigitalLink, error) {
	var d DigitalLink
	if len(s) > MaxDigitalLinkLen {
		return d, dlErr("digital link must be at most 2048 characters")
	}
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		// A URI is printable ASCII; rejecting the rest up front means no
		// later step has to think about spaces or Unicode.
		if s[i] <= ' ' || s[i] >= 0x7f {
			return d, dlErr("digital link must be printable ASCII without spaces")
		}
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s, query, _ := strings.Cut(s, "?")
	path, err := stripOrigin(s)
	if err != nil {
		return d, err
	}

	segs := strings.Split(path, "/")
	start := -1
	for i := 1; i+1 < len(segs); i++ {
		if segs[i] == "01" {
			start = i
			break
		}
	}
	if start < 0 {
		return d, dlErr("digital link must contain /01/ followed by a GTIN")
	}
	gtin, err := url.PathUnescape(segs[start+1])
	if err != nil {
		return d, dlErr("digital link contains an invalid percent-encoding")
	}
	if !IsDigits(gtin) {
		return d, errcode.New(errcode.InvalidGTIN, "gtin must contain digits only")
	}
	if d.GTIN, err = GTIN(gtin); err != nil {
		return d, err
	}

	rest := segs[start+2:]
	// Tolerate one trailing slash, which some encoders add.
	if n := len(rest); n > 0 && rest[n-1] == "" {
		rest = rest[:n-1]
	}
	if len(rest)%2 != 0 {
		return d, dlErr("digital link path must be pairs of AI and value after the GTIN")
	}
	lastRank := 0
	for i := 0; i < len(rest); i += 2 {
		ai := rest[i]
		rank := qualifierRank[ai]
		if rank == 0 {
			return d, dlErr("digital link path may hold only AIs 22, 10 and 21 after the GTIN")
		}
		if rank <= lastRank {
			return d, dlErr("digital link AIs must appear in the order 22, 10, 21, each at most once")
		}
		lastRank = rank
		v, err := url.PathUnescape(rest[i+1])
		if err != nil {
			return d, dlErr("digital link contains an invalid percent-encoding")
		}
		if !isCSet82(v) {
			return d, dlErr("digital link AI %s must be 1 to 20 characters of GS1 character set 82", ai)
		}
		switch ai {
		case "10":
			d.Lot = v
		case "21":
			d.Serial = v
		}
	}
	if d.Lot == "" {
		return d, dlErr("digital link must contain a lot (AI 10) after the GTIN")
	}

	if d.Expiry, err = parseExpiry(query, now); err != nil {
		return d, err
	}
	return d, nil
}

// qualifierRank gives the required order of the key qualifiers of a GTIN in
// a Digital Link path; zero means the AI is not allowed there.
var qualifierRank = map[string]int{"22": 1, "10": 2, "21": 3}

// stripOrigin returns the path of s, which must be an absolute http(s) URI
// or a path starting with "/".
func stripOrigin(s string) (string, error) {
	if strings.HasPrefix(s, "/") {
		if strings.HasPrefix(s, "//") {
			// A scheme-relative reference: the first segment is a host.
			return "", dlErr("digital link must be an http or https URI or a path starting with /")
		}
		return s, nil
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !(strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")) {
		return "", dlErr("digital link must be an http or https URI or a path starting with /")
	}
	host, path, _ := strings.Cut(rest, "/")
	if !validHost(host) {
		return "", dlErr("digital link host is not valid")
	}
	return "/" + path, nil
}

// validHost reports whether host (with optional port) is made of the
// characters of DNS names, IP literals and ports. User info is refused, as
// it has no place in a label and is a phishing device.
func validHost(host string) bool {
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}

// isCSet82 reports whether v is 1 to 20 characters of CSet82.
func isCSet82(v string) bool {
	return len(v) <= maxAttrLen && CSet82(v)
}

// CSet82 reports whether v is non-empty and made of GS1 AI encodable
// character set 82: !"%&'()*+,-./0-9:;<=>?A-Z_a-z.
func CSet82(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '!', c == '"':
		case c >= '%' && c <= '?': // %&'()*+,-./0-9:;<=>?
		case c >= 'A' && c <= 'Z', c == '_', c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return true
}

// parseExpiry returns the date in the query parameter 17, or the zero Time
// when there is none. Malformed other parameters are not our business and
// are skipped.
func parseExpiry(query string, now time.Time) (time.Time, error) {
	var (
		t    time.Time
		seen bool
	)
	for _, p := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(k); err != nil || k != "17" {
			continue
		}
		if seen {
			return time.Time{}, dlErr("digital link must not repeat the expiry date (17)")
		}
		seen = true
		v, err := url.QueryUnescape(v)
		if err != nil {
			return time.Time{}, dlErr("digital link contains an invalid percent-encoding")
		}
		var ok bool
		if t, ok = parseYYMMDD(v, now); !ok {
			return time.Time{}, dlErr("digital link expiry date (17) must be a valid YYMMDD date")
		}
	}
	return t, nil
}

// parseYYMMDD parses a GS1 date field. DD 00 means the last day of the
// month, and the century follows GS1 General Specifications 7.12: a year up
// to 49 years ahead of now is in the future, otherwise it is in the past.
func parseYYMMDD(v string, now time.Time) (time.Time, bool) {
	if len(v) != 6 || !IsDigits(v) {
		return time.Time{}, false
	}
	yy := int(v[0]-'0')*10 + int(v[1]-'0')
	mm := int(v[2]-'0')*10 + int(v[3]-'0')
	dd := int(v[4]-'0')*10 + int(v[5]-'0')
	if mm < 1 || mm > 12 {
		return time.Time{}, false
	}
	cur := now.Year()
	year := cur - cur%100 + yy
	switch diff := yy - cur%100; {
	case diff >= 51:
		year -= 100
	case diff <= -50:
		year += 100
	}
	// Day 0 of the next month is the last day of this one.
	last := time.Date(year, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if dd == 0 {
		dd = last
	}
	if dd > last {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC), true
}

func dlErr(format string, args ...any) *errcode.Error {
	return errcode.New(errcode.InvalidDigitalLink, format, args...)
}
