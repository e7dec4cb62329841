// Package gs1 validates GS1 identification keys (GTIN, GLN) and parses the
// subset of GS1 Digital Link URIs that Suyuan prints on product labels: a
// GTIN with its batch/lot, an optional serial number and an optional expiry
// date.
//
// Validators return an *errcode.Error without a Field on failure; the caller
// names the field.
package gs1

import (
	"strings"

	"suyuan/internal/errcode"
)

// CheckDigit returns the GS1 mod-10 check digit, as an ASCII digit, for the
// digits of a GS1 key without its check digit. Weights alternate 3, 1, 3, ...
// starting from the rightmost digit, so the same function serves every key
// length. digits must be 1 to 17 ASCII digits, which covers all GS1 keys.
func CheckDigit(digits string) (byte, error) {
	if len(digits) == 0 || len(digits) > 17 || !IsDigits(digits) {
		return 0, errcode.New(errcode.BadUserInput,
			"check digit input must be 1 to 17 digits")
	}
	return checkDigit(digits), nil
}

// checkDigit is CheckDigit for input already known to be digits.
func checkDigit(digits string) byte {
	sum := 0
	w := 3
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * w
		w = 4 - w // alternate 3 and 1
	}
	return byte('0' + (10-sum%10)%10)
}

// GTIN validates a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 and returns it as 14
// digits, left-padded with zeros, which is the form GS1 uses to compare keys
// of different lengths. Surrounding spaces are removed.
func GTIN(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !IsDigits(s) {
		return "", errcode.New(errcode.InvalidGTIN, "gtin must contain digits only")
	}
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", errcode.New(errcode.InvalidGTIN,
			"gtin must have 8, 12, 13 or 14 digits")
	}
	if checkDigit(s[:len(s)-1]) != s[len(s)-1] {
		return "", errcode.New(errcode.InvalidGTIN, "gtin check digit is wrong")
	}
	return strings.Repeat("0", 14-len(s)) + s, nil
}

// GLN validates a 13-digit Global Location Number and returns it without
// surrounding spaces.
func GLN(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 13 || !IsDigits(s) {
		return "", errcode.New(errcode.InvalidGLN, "gln must have 13 digits")
	}
	if checkDigit(s[:12]) != s[12] {
		return "", errcode.New(errcode.InvalidGLN, "gln check digit is wrong")
	}
	return s, nil
}

// SSCC validates an 18-digit Serial Shipping Container Code (AI 00) and
// returns it without surrounding spaces.
func SSCC(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 18 || !IsDigits(s) {
		return "", errcode.New(errcode.BadUserInput, "sscc must have 18 digits")
	}
	if checkDigit(s[:17]) != s[17] {
		return "", errcode.New(errcode.BadUserInput, "sscc check digit is wrong")
	}
	return s, nil
}

// IsDigits reports whether s is non-empty and made of ASCII digits only.
func IsDigits(s string) bool {
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

// LotCode checks a batch or lot number (GS1 AI 10): 1 to 20 characters of
// GS1's character set 82, so that it can be carried in a Digital Link and a
// barcode unchanged.
func LotCode(s string) error {
	if !isCSet82(s) {
		return errcode.New(errcode.BadUserInput, "lot code must be 1–20 characters of GS1 character set 82 (letters, digits and !\"%%&'()*+,-./:;<=>?_)")
	}
	return nil
}
