// Package cnid validates and normalises Chinese identifiers: mainland mobile
// phone numbers, unified social credit codes (GB 32100-2015), food production
// licence numbers and administrative division codes (GB/T 2260).
//
// Every validator takes raw user input, returns the canonical form on success
// and an *errcode.Error without a Field on failure; the caller names the field.
package cnid

// isDigits reports whether s is non-empty and made of ASCII digits only.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
