package gs1

import (
	"errors"
	"testing"

	"suyuan/internal/errcode"
)

// checkErr fails the test unless err is an *errcode.Error with code and no
// field.
func checkErr(t *testing.T, err error, code errcode.Code) {
	t.Helper()
	var e *errcode.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errcode.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code = %s (%s), want %s", e.Code, e.Message, code)
	}
	if e.Field != "" {
		t.Errorf("field = %q, want none", e.Field)
	}
	if e.Message == "" {
		t.Error("empty message")
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    byte
		wantErr bool
	}{
		{"GTIN-14", "0950600013435", '2', false},
		{"GTIN-13", "950600013435", '2', false},
		{"GTIN-12", "03600029145", '2', false},
		{"GTIN-8", "9638507", '4', false},
		{"GLN", "950110153000", '3', false},
		{"EAN-13", "400638133393", '1', false},
		{"sum multiple of 10", "0000000000000", '0', false},
		{"single digit", "1", '7', false},
		{"SSCC body", "00614141123456789", '0', false},
		{"empty", "", 0, true},
		{"18 digits", "123456789012345678", 0, true},
		{"letter", "95060001343X", 0, true},
		{"space", "950600 13435", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckDigit(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("(%q) = %q, want error", tc.in, got)
				}
				checkErr(t, err, errcode.BadUserInput)
				return
			}
			if err != nil {
				t.Fatalf("(%q) error: %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

type validatorCase struct {
	name string
	in   string
	want string // "" means an error is expected
}

func runValidator(t *testing.T, fn func(string) (string, error), code errcode.Code, cases []validatorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fn(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("(%q) = %q, want error", tc.in, got)
				}
				checkErr(t, err, code)
				return
			}
			if err != nil {
				t.Fatalf("(%q) error: %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestGTIN(t *testing.T) {
	runValidator(t, GTIN, errcode.InvalidGTIN, []validatorCase{
		{"GTIN-14", "09506000134352", "09506000134352"},
		{"GTIN-13", "9506000134352", "09506000134352"},
		{"GTIN-12", "036000291452", "00036000291452"},
		{"GTIN-8", "96385074", "00000096385074"},
		{"spaces", " 4006381333931 ", "04006381333931"},
		{"GTIN-14 wrong check", "09506000134353", ""},
		{"GTIN-13 wrong check", "9506000134350", ""},
		{"GTIN-12 wrong check", "036000291453", ""},
		{"GTIN-8 wrong check", "96385075", ""},
		{"7 digits", "9638507", ""},
		{"9 digits", "963850740", ""},
		{"11 digits", "03600029145", ""},
		{"15 digits", "009506000134352", ""},
		{"empty", "", ""},
		{"letter", "950600013435X", ""},
		{"inner space", "9506000 134352", ""},
		{"sign", "+9506000134352", ""},
		{"full-width digit", "950600013435２", ""},
	})

	// The message must tell length and check digit errors apart.
	msg := func(s string) string {
		_, err := GTIN(s)
		var e *errcode.Error
		if !errors.As(err, &e) {
			t.Fatalf("GTIN(%q) error %v", s, err)
		}
		return e.Message
	}
	t.Run("messages differ", func(t *testing.T) {
		if a, b := msg("9638507"), msg("96385075"); a == b {
			t.Errorf("length and check digit errors share the message %q", a)
		}
	})
}

func TestGLN(t *testing.T) {
	runValidator(t, GLN, errcode.InvalidGLN, []validatorCase{
		{"valid", "9501101530003", "9501101530003"},
		{"spaces", " 6291041500213 ", "6291041500213"},
		{"wrong check", "9501101530004", ""},
		{"12 digits", "950110153000", ""},
		{"14 digits", "09501101530003", ""},
		{"GTIN-8 is not a GLN", "96385074", ""},
		{"letter", "950110153000A", ""},
		{"empty", "", ""},
	})
}

func FuzzGTIN(f *testing.F) {
	for _, s := range []string{"09506000134352", "9506000134352", "036000291452", "96385074", "96385075", "", " 4006381333931 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := GTIN(s)
		if err != nil {
			if c := errcode.CodeOf(err); c != errcode.InvalidGTIN {
				t.Fatalf("(%q) error code %s", s, c)
			}
			return
		}
		if len(out) != 14 || !IsDigits(out) {
			t.Fatalf("(%q) = %q, not 14 digits", s, out)
		}
		if again, err := GTIN(out); err != nil || again != out {
			t.Fatalf("(%q) = %q, re-validates to %q, %v", s, out, again, err)
		}
	})
}

func FuzzGLN(f *testing.F) {
	for _, s := range []string{"9501101530003", "9501101530004", "950110153000", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := GLN(s)
		if err != nil {
			if c := errcode.CodeOf(err); c != errcode.InvalidGLN {
				t.Fatalf("(%q) error code %s", s, c)
			}
			return
		}
		if len(out) != 13 || !IsDigits(out) {
			t.Fatalf("(%q) = %q, not 13 digits", s, out)
		}
		if again, err := GLN(out); err != nil || again != out {
			t.Fatalf("(%q) = %q, re-validates to %q, %v", s, out, again, err)
		}
	})
}
