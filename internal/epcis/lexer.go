package epcis

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// lexer reads one JSON value in a single pass. Events are read with it
// rather than with encoding/json because decoding each nested object into
// a map and then again into its type scans an event once per level of
// nesting; a capture of 10,000 events would spend most of its time there.
// Strings without escapes are substrings of the input, so reading them
// does not allocate.
type lexer struct {
	s string
	i int
}

func (l *lexer) ws() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (l *lexer) peek() byte {
	l.ws()
	if l.i < len(l.s) {
		return l.s[l.i]
	}
	return 0
}

func (l *lexer) syntaxErr() error {
	return errAt("", "is not valid JSON (at byte %d of the event)", l.i)
}

// object calls member for each member of the object that comes next,
// with the member's key; member must read the value.
func (l *lexer) object(member func(key string) error) error {
	if l.peek() != '{' {
		return errAt("", "must be a JSON object")
	}
	l.i++
	if l.peek() == '}' {
		l.i++
		return nil
	}
	for {
		if l.peek() != '"' {
			return l.syntaxErr()
		}
		k, err := l.rawString()
		if err != nil {
			return err
		}
		if l.peek() != ':' {
			return l.syntaxErr()
		}
		l.i++
		if err := member(k); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.i++
		case '}':
			l.i++
			return nil
		default:
			return l.syntaxErr()
		}
	}
}

// array calls elem for each element of the array that comes next.
func (l *lexer) array(elem func(i int) error) error {
	if l.peek() != '[' {
		return errAt("", "must be an array")
	}
	l.i++
	if l.peek() == ']' {
		l.i++
		return nil
	}
	for n := 0; ; n++ {
		if err := elem(n); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			return nil
		default:
			return l.syntaxErr()
		}
	}
}

// rawString reads a string at l.i (which must be '"'). JSON text is
// UTF-8; a string that is not is refused rather than passed on, since
// writing it again would change it (and the event's hash).
func (l *lexer) rawString() (string, error) {
	l.i++
	start := l.i
	ascii := true
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '"':
			s := l.s[start:l.i]
			l.i++
			if !ascii && !utf8.ValidString(s) {
				return "", errAt("", "is not valid UTF-8")
			}
			return s, nil
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '\\':
			return l.escaped(start)
		case c < 0x20:
			return "", l.syntaxErr()
		}
		l.i++
	}
	return "", l.syntaxErr()
}

// escaped finishes reading a string that has escapes, from start.
func (l *lexer) escaped(start int) (string, error) {
	var b strings.Builder
	b.WriteString(l.s[start:l.i])
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '"':
			l.i++
			if s := b.String(); utf8.ValidString(s) {
				return s, nil
			}
			return "", errAt("", "is not valid UTF-8")
		case c < 0x20:
			return "", l.syntaxErr()
		case c != '\\':
			b.WriteByte(c)
			l.i++
			continue
		}
		if l.i+1 >= len(l.s) {
			return "", l.syntaxErr()
		}
		e := l.s[l.i+1]
		l.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := l.hex4()
			if !ok {
				return "", l.syntaxErr()
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if strings.HasPrefix(l.s[l.i:], `\u`) {
					l.i += 2
					if r2, ok = l.hex4(); !ok {
						return "", l.syntaxErr()
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			b.WriteRune(r)
		default:
			return "", l.syntaxErr()
		}
	}
	return "", l.syntaxErr()
}

func (l *lexer) hex4() (rune, bool) {
	if l.i+4 > len(l.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(l.s[l.i:l.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	l.i += 4
	return rune(v), true
}

// skip passes over the value that comes next, checking its syntax.
func (l *lexer) skip() error {
	switch c := l.peek(); {
	case c == '{':
		return l.object(func(string) error { return l.skip() })
	case c == '[':
		return l.array(func(int) error { return l.skip() })
	case c == '"':
		_, err := l.rawString()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, err := l.number()
		return err
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if strings.HasPrefix(l.s[l.i:], lit) {
				l.i += len(lit)
				return nil
			}
		}
		return l.syntaxErr()
	}
}

// raw returns the next value as it was written.
func (l *lexer) raw() (json.RawMessage, error) {
	l.ws()
	start := l.i
	if err := l.skip(); err != nil {
		return nil, err
	}
	return json.RawMessage(l.s[start:l.i]), nil
}

// number reads a JSON number's text.
func (l *lexer) number() (string, error) {
	start := l.i
	if l.i < len(l.s) && l.s[l.i] == '-' {
		l.i++
	}
	digitsFrom := func() int {
		n := 0
		for l.i < len(l.s) && l.s[l.i] >= '0' && l.s[l.i] <= '9' {
			l.i++
			n++
		}
		return n
	}
	if l.i < len(l.s) && l.s[l.i] == '0' {
		l.i++
	} else if digitsFrom() == 0 {
		return "", l.syntaxErr()
	}
	if l.i < len(l.s) && l.s[l.i] == '.' {
		l.i++
		if digitsFrom() == 0 {
			return "", l.syntaxErr()
		}
	}
	if l.i < len(l.s) && (l.s[l.i] == 'e' || l.s[l.i] == 'E') {
		l.i++
		if l.i < len(l.s) && (l.s[l.i] == '+' || l.s[l.i] == '-') {
			l.i++
		}
		if digitsFrom() == 0 {
			return "", l.syntaxErr()
		}
	}
	return l.s[start:l.i], nil
}

// The typed readers below refuse a value of the wrong JSON type with a
// fieldError at "" (the caller adds the member's name).

func (l *lexer) str() (string, error) {
	if l.peek() != '"' {
		if err := l.skip(); err != nil {
			return "", err
		}
		return "", errAt("", "must be a string")
	}
	return l.rawString()
}

func (l *lexer) uri() (string, error) {
	s, err := l.str()
	if err != nil {
		return "", err
	}
	if s == "" || hasSpace(s) {
		return "", errAt("", "must be a URI, not %q", s)
	}
	return s, nil
}

func (l *lexer) uris() ([]string, error) {
	out := []string{}
	err := l.array(func(i int) error {
		s, err := l.uri()
		if err != nil {
			return under(itoa(i), err)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func (l *lexer) num() (*float64, error) {
	if c := l.peek(); c != '-' && (c < '0' || c > '9') {
		if err := l.skip(); err != nil {
			return nil, err
		}
		return nil, errAt("", "must be a number")
	}
	s, err := l.number()
	if err != nil {
		return nil, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, errAt("", "must be a finite number")
	}
	return &f, nil
}

func (l *lexer) boolean() (*bool, error) {
	l.ws()
	for _, v := range [...]bool{true, false} {
		if lit := strconv.FormatBool(v); strings.HasPrefix(l.s[l.i:], lit) {
			l.i += len(lit)
			return &v, nil
		}
	}
	if err := l.skip(); err != nil {
		return nil, err
	}
	return nil, errAt("", "must be true or false")
}

func (l *lexer) time() (time.Time, error) {
	s, err := l.str()
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, errAt("", "%s", err.Error())
	}
	return t, nil
}

func (l *lexer) timePtr() (*time.Time, error) {
	t, err := l.time()
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ext reads a member the standard does not define: kept in ext when its
// key is namespaced, refused otherwise.
func (l *lexer) ext(ext *map[string]json.RawMessage, k string) error {
	if !isExtensionKey(k) {
		return errAt("", "is not a member of this EPCIS object; extension members must be namespaced (prefix:name)")
	}
	v, err := l.raw()
	if err != nil {
		return err
	}
	if *ext == nil {
		*ext = make(map[string]json.RawMessage)
	}
	(*ext)[k] = v
	return nil
}

// end checks that nothing but spaces follows the value.
func (l *lexer) end() error {
	if l.peek() != 0 {
		return l.syntaxErr()
	}
	return nil
}
