// Package textcheck refuses text that does not display as what it says:
// control characters, which databases treat differently (SQLite's string
// functions stop at U+0000; MariaDB does not), and the bidirectional
// override and isolate characters, which make a name or a code show in
// another order than it is stored (U+202E turns the rest of a line around
// on a shopper's page).
package textcheck

import (
	"strings"

	"suyuan/internal/errcode"
)

// Check returns an INVALID_TEXT error (without a field) when s contains a
// control character or a bidirectional embedding, override or isolate
// character. Multi-line text (notes, descriptions, reasons) may hold tabs
// and line breaks; names, codes and addresses may not.
func Check(s string, multiline bool) error {
	for _, r := range s {
		if allowed(r, multiline) {
			continue
		}
		return errcode.New(errcode.InvalidText, "must not contain the %s character U+%04X", kind(r), r)
	}
	return nil
}

func allowed(r rune, multiline bool) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return multiline
	case r < 0x20 || (r >= 0x7F && r <= 0x9F): // C0, DEL, C1
		return false
	case r >= 0x202A && r <= 0x202E: // LRE, RLE, PDF, LRO, RLO
		return false
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return false
	}
	return true
}

func kind(r rune) string {
	if r >= 0x202A {
		return "bidirectional formatting"
	}
	return "control"
}

// Multiline reports whether an input named name is free text that may
// span lines: notes, a note, a description, a reason (and filters on
// them, such as notesContains).
func Multiline(name string) bool {
	for _, p := range []string{"notes", "note", "description", "reason"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
