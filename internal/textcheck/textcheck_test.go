package textcheck

import "testing"

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		s         string
		multiline bool
		ok        bool
	}{
		{"冷鲜猪里脊 Chilled pork loin", false, true},
		{"蒙顶甘露 🍵 עברית \u200F", false, true}, // a right-to-left mark is not an override
		{"", false, true},
		{"a\u0000b", false, false},
		{"a\u0000b", true, false},
		{"a\tb", false, false},
		{"a\tb\r\nc", true, true},
		{"\u001B[31m", true, false},
		{"\u007F", false, false},
		{"\u0085", false, false},
		{"abc\u202Efed", false, false},
		{"\u202A\u202B\u202C\u202D", true, false},
		{"\u2066x\u2069", false, false},
		{"\u2068", true, false},
	} {
		if err := Check(tc.s, tc.multiline); (err == nil) != tc.ok {
			t.Errorf("Check(%+q, %v) = %v, want ok %v", tc.s, tc.multiline, err, tc.ok)
		}
	}
	for name, want := range map[string]bool{"notes": true, "note": true, "description": true, "reason": true,
		"notesContains": true, "name": false, "not": false, "address": false, "lotCode": false} {
		if Multiline(name) != want {
			t.Errorf("Multiline(%q) = %v", name, !want)
		}
	}
}
