package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// redacted replaces every masked value.
const redacted = "[REDACTED]"

// timeFormat is RFC 3339 with exactly three fractional digits, so that
// lines sort and align; slog's default trims trailing zeros.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// The patterns below are compiled once and only read afterwards; a
// *regexp.Regexp is safe for concurrent use.
var (
	// sensitiveKeyRe matches attribute keys (and group names) whose values
	// are credentials. It matches anywhere in the key, so "db_password",
	// "X-Api-Key" and "refreshToken" are all caught; a few innocent keys
	// such as "token_count" are masked too, which is the safe mistake.
	sensitiveKeyRe = regexp.MustCompile(`(?i)pass(?:word|wd)|secret|token|authori[sz]ation|api[-_.]?key|cookie|refresh|credential|private[-_.]?key`)

	// jwtRe matches a JSON Web Token: base64url segments separated by dots,
	// the first being a JSON object ("eyJ" is base64 for `{"`). JWE tokens
	// have five segments.
	jwtRe = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2,4}`)

	// bearerRe matches the credential after "Bearer", as in an
	// Authorization header quoted in a message or error.
	bearerRe = regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+`)

	// kvRe matches "password=..." or "token: ..." written inside a string,
	// as in a URL query, a DSN option list, an error message or embedded
	// JSON. Group 1 is the key and separator, group 2 the value. The value
	// cannot start with '[' so that an already masked value is left alone.
	// "refresh" alone is not a key here: "refresh=true" is common and
	// harmless, and refresh tokens are caught by "token".
	kvRe = regexp.MustCompile(`(?i)([\w.-]*(?:pass(?:word|wd)|secret|token|authori[sz]ation|api[-_.]?key|cookie|credential|private[-_.]?key)[\w.-]*["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"'{}\[\]()]+)`)

	// urlUserinfoRe matches the password in scheme://user:password@host.
	urlUserinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)[^@/?#\s]+@`)

	// mysqlDSNRe matches the password in a go-sql-driver/mysql DSN,
	// user:password@tcp(host:port)/db, which has no scheme. The password
	// match is greedy so that a password containing '@' is covered.
	mysqlDSNRe = regexp.MustCompile(`([\w.-]+:)\S+@((?:tcp|unix)\()`)
)

// Redact is the slog.HandlerOptions.ReplaceAttr used by New. It masks the
// value of any attribute whose key, or the name of any group enclosing it,
// names a credential (see sensitiveKeyRe), and masks tokens, passwords in
// URLs and DSNs, and key=value credentials inside string values, error
// texts and JSON-encodable values, wherever they are, messages included.
// It also writes the record's time in UTC with milliseconds, and durations
// as milliseconds with their unit ("12.5ms") rather than nanoseconds.
//
// It is exported so that other handlers (say, a test's) can mask alike.
func Redact(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
		a.Value = slog.StringValue(a.Value.Time().UTC().Format(timeFormat))
		return a
	}
	if sensitiveKey(a.Key) {
		a.Value = slog.StringValue(redacted)
		return a
	}
	for _, g := range groups {
		if sensitiveKey(g) {
			a.Value = slog.StringValue(redacted)
			return a
		}
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s, clean := a.Value.String(), scrubString(a.Value.String()); clean != s {
			a.Value = slog.StringValue(clean)
		}
	case slog.KindAny:
		a.Value = scrubAny(a.Value)
	case slog.KindDuration:
		// Milliseconds with their unit, rather than a bare count of
		// nanoseconds.
		a.Value = slog.StringValue(strconv.FormatFloat(float64(a.Value.Duration())/float64(time.Millisecond), 'f', -1, 64) + "ms")
	}
	return a
}

// sensitiveKey reports whether k matches sensitiveKeyRe. It runs on every
// attribute of every log line (a request's line has a dozen), where the
// regular expression was a few per cent of a cached page's CPU time; an
// ASCII key is checked by substrings instead, with the same answer (the
// test holds the two together). Other keys, which Unicode case folding
// could make match, go to the regular expression.
func sensitiveKey(k string) bool {
	var buf [64]byte
	if len(k) > len(buf) {
		return sensitiveKeyRe.MatchString(k)
	}
	lower := buf[:len(k)]
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 0x80:
			return sensitiveKeyRe.MatchString(k)
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	// sensitiveKeyRe's alternatives, spelt out in lower case.
	for _, w := range [...]string{
		"password", "passwd", "secret", "token", "authorization", "authorisation",
		"apikey", "api-key", "api_key", "api.key", "cookie", "refresh", "credential",
		"privatekey", "private-key", "private_key", "private.key",
	} {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	return false
}

// scrubString masks credentials found inside s. The cheap substring checks
// spare most strings the regular expressions.
func scrubString(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtRe.ReplaceAllString(s, redacted)
	}
	// Bearer before key=value: "Authorization: Bearer x" would otherwise
	// have only the word "Bearer" masked.
	if containsFold(s, "bearer") {
		s = bearerRe.ReplaceAllString(s, "${1} "+redacted)
	}
	if strings.ContainsAny(s, "=:") {
		s = kvRe.ReplaceAllStringFunc(s, maskKV)
	}
	if strings.Contains(s, "://") {
		s = urlUserinfoRe.ReplaceAllString(s, "${1}"+redacted+"@")
	}
	if strings.Contains(s, "@") {
		s = mysqlDSNRe.ReplaceAllString(s, "${1}"+redacted+"@${2}")
	}
	return s
}

// maskKV masks the value in one kvRe match, keeping its quotes so that
// embedded JSON stays JSON.
func maskKV(m string) string {
	sm := kvRe.FindStringSubmatch(m)
	if sm == nil {
		return redacted
	}
	key, val := sm[1], sm[2]
	if q := val[0]; q == '"' || q == '\'' {
		return key + string(q) + redacted + string(q)
	}
	return key + redacted
}

// containsFold reports whether s contains sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// scrubAny masks credentials in a value the JSON handler would encode with
// encoding/json (a struct, map or slice, say GraphQL variables) or as an
// error's text. A value is rewritten only if it needs masking, so clean
// values are logged exactly as before.
func scrubAny(v slog.Value) slog.Value {
	switch x := v.Any().(type) {
	case nil, slog.Level:
		return v
	case error:
		if s, clean := x.Error(), scrubString(x.Error()); clean != s {
			return slog.StringValue(clean)
		}
		return v
	}
	b, err := json.Marshal(v.Any())
	if err != nil {
		// The handler will fail to encode it too and log the error instead.
		return v
	}
	// Most values hold nothing suspicious; decoding them again is waste.
	if !sensitiveKeyRe.Match(b) && scrubString(string(b)) == string(b) {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep large integers exact
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return slog.StringValue(redacted)
	}
	return slog.AnyValue(scrubJSON(generic))
}

// scrubJSON masks credentials in a value decoded from JSON.
func scrubJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if sensitiveKey(k) {
				x[k] = redacted
			} else {
				x[k] = scrubJSON(e)
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = scrubJSON(e)
		}
		return x
	case string:
		return scrubString(x)
	default:
		return v
	}
}
