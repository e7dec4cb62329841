package cnid

import (
	"strings"

	"suyuan/internal/errcode"
)

// Phone validates a mainland China mobile number and returns its 11 bare
// digits. It accepts an optional "+86" or "86" country prefix, optionally
// followed by one space or dash, and single spaces or dashes between digits,
// as people commonly type "+86 138-0013-8000".
func Phone(s string) (string, error) {
	s = strings.TrimSpace(s)
	// A bare number starts with 1, so a leading "86" can only be the country
	// code and stripping it is unambiguous.
	if r, ok := strings.CutPrefix(s, "+86"); ok {
		s = r
	} else if r, ok := strings.CutPrefix(s, "86"); ok {
		s = r
	}
	if s != "" && (s[0] == ' ' || s[0] == '-') {
		s = s[1:]
	}

	var b [11]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(b) {
				return "", errPhone()
			}
			b[n] = c
			n++
		case c == ' ' || c == '-':
			// A separator must sit between two digits: this rejects runs
			// like "138--0013" and dangling separators.
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return "", errPhone()
			}
		default:
			return "", errPhone()
		}
	}
	if n != len(b) || b[0] != '1' || b[1] < '3' || b[1] > '9' {
		return "", errPhone()
	}
	return string(b[:]), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func errPhone() *errcode.Error {
	return errcode.New(errcode.InvalidPhone,
		"phone must be a mainland China mobile number of 11 digits starting with 1[3-9]")
}
