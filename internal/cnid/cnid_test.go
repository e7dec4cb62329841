package cnid

import (
	"errors"
	"testing"

	"suyuan/internal/errcode"
)

// checkErr fails the test unless err is an *errcode.Error with code and no
// field, which is the contract every validator in this package keeps.
func checkErr(t *testing.T, err error, code errcode.Code) {
	t.Helper()
	var e *errcode.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errcode.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code = %s, want %s", e.Code, code)
	}
	if e.Field != "" {
		t.Errorf("field = %q, want none", e.Field)
	}
	if e.Message == "" {
		t.Error("empty message")
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

func TestPhone(t *testing.T) {
	runValidator(t, Phone, errcode.InvalidPhone, []validatorCase{
		{"bare", "13800138000", "13800138000"},
		{"19x", "19912345678", "19912345678"},
		{"surrounding spaces", "  13800138000 ", "13800138000"},
		{"plus86", "+8613800138000", "13800138000"},
		{"86", "8613800138000", "13800138000"},
		{"plus86 space", "+86 13800138000", "13800138000"},
		{"plus86 dash", "+86-13800138000", "13800138000"},
		{"86 space", "86 138 0013 8000", "13800138000"},
		{"inner dashes", "138-0013-8000", "13800138000"},
		{"inner spaces", "138 0013 8000", "13800138000"},
		{"mixed", "+86 138-0013 8000", "13800138000"},
		{"empty", "", ""},
		{"only prefix", "+86", ""},
		{"second digit 2", "12800138000", ""},
		{"second digit 0", "10800138000", ""},
		{"starts with 2", "23800138000", ""},
		{"10 digits", "1380013800", ""},
		{"12 digits", "138001380001", ""},
		{"letter", "1380013800a", ""},
		{"full-width digit", "1380013800０", ""},
		{"double separator", "138--0013-8000", ""},
		{"trailing separator", "13800138000-", ""},
		{"two prefix separators", "+86  13800138000", ""},
		{"plus without 86", "+13800138000", ""},
		{"other country", "+85213800138000", ""},
		{"landline", "028-12345678", ""},
		{"dot separator", "138.0013.8000", ""},
	})
}

func TestCreditCode(t *testing.T) {
	runValidator(t, CreditCode, errcode.InvalidCreditCode, []validatorCase{
		{"real Fuzhou", "91350100M000100Y43", "91350100M000100Y43"},
		{"real Beijing", "91110000802100433B", "91110000802100433B"},
		{"lower case and spaces", " 91110000802100433b ", "91110000802100433B"},
		// Generated: the weighted sum is divisible by 31, so 31 folds to 0.
		{"check char 0", "91511800MA6200A0K0", "91511800MA6200A0K0"},
		{"check char Y", "91511800MA6200A0XY", "91511800MA6200A0XY"},
		{"check 31 not folded", "91511800MA6200A0KY", ""},
		{"wrong check char", "91350100M000100Y44", ""},
		{"wrong check letter", "91110000802100433C", ""},
		{"17 chars", "91350100M000100Y4", ""},
		{"19 chars", "91350100M000100Y433", ""},
		{"empty", "", ""},
		{"letter I", "91350100M000I00Y43", ""},
		{"letter O", "91350100MO00100Y43", ""},
		{"letter Z", "9135010ZM000100Y43", ""},
		{"letter S", "91350100M000100S43", ""},
		{"letter V", "V1350100M000100Y43", ""},
		{"punctuation", "91350100M000100Y4-", ""},
		{"letter in region", "913501A0M000100Y43", ""},
		{"non-ASCII", "91350100M000100Y4Ａ", ""},
	})
}

func TestCreditCodeCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    byte
		wantErr bool
	}{
		{"Fuzhou", "91350100M000100Y4", '3', false},
		{"Beijing", "91110000802100433", 'B', false},
		{"lower case", "91350100m000100y4", '3', false},
		{"16 chars", "91350100M000100Y", 0, true},
		{"18 chars", "91350100M000100Y43", 0, true},
		{"bad char", "91350100M000100I4", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CreditCodeCheckChar(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("(%q) = %q, want error", tc.in, got)
				}
				checkErr(t, err, errcode.InvalidCreditCode)
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

	// Every body the generator completes must validate, whatever its check
	// value, including the folded 31 -> 0 case.
	t.Run("generated codes validate", func(t *testing.T) {
		seen := map[byte]bool{}
		for i := 0; i < 2000 && len(seen) < len(creditAlphabet); i++ {
			body := []byte("91511800MA6")
			for j, n := 0, i; j < 6; j++ {
				body = append(body, creditAlphabet[n%len(creditAlphabet)])
				n = n/len(creditAlphabet) + j*7
			}
			c, err := CreditCodeCheckChar(string(body))
			if err != nil {
				t.Fatal(err)
			}
			seen[c] = true
			code := string(body) + string(c)
			if got, err := CreditCode(code); err != nil || got != code {
				t.Fatalf("CreditCode(%q) = %q, %v", code, got, err)
			}
		}
		if !seen['0'] {
			t.Error("no generated code had check character 0")
		}
	})
}

func TestLicenseNo(t *testing.T) {
	runValidator(t, LicenseNo, errcode.InvalidLicenseNo, []validatorCase{
		{"valid", "SC10651180200015", "SC10651180200015"},
		{"lower prefix", "sc10651180200015", "SC10651180200015"},
		{"mixed prefix and spaces", " Sc10651180200015 ", "SC10651180200015"},
		{"13 digits", "SC1065118020001", ""},
		{"15 digits", "SC106511802000151", ""},
		{"no prefix", "10651180200015", ""},
		{"wrong prefix", "QS10651180200015", ""},
		{"letter in digits", "SC1065118020001X", ""},
		{"inner space", "SC 10651180200015", ""},
		{"empty", "", ""},
		{"non-ASCII", "ＳＣ10651180200015", ""},
	})
}

func TestRegionCode(t *testing.T) {
	runValidator(t, RegionCode, errcode.InvalidRegionCode, []validatorCase{
		{"Ya'an", "511800", "511800"},
		{"Beijing", "110000", "110000"},
		{"Hong Kong", "810000", "810000"},
		{"Macao", "820000", "820000"},
		{"Taiwan", "710000", "710000"},
		{"Xinjiang", "650100", "650100"},
		{"spaces", " 511802 ", "511802"},
		{"zeros", "000000", ""},
		{"province 10", "100000", ""},
		{"province 16", "160000", ""},
		{"province 24", "240000", ""},
		{"province 38", "380000", ""},
		{"province 47", "470000", ""},
		{"province 55", "550000", ""},
		{"province 66", "660000", ""},
		{"province 72", "720000", ""},
		{"province 83", "830000", ""},
		{"province 91", "910000", ""},
		{"5 digits", "51180", ""},
		{"7 digits", "5118000", ""},
		{"letter", "51180A", ""},
		{"sign", "+51180", ""},
		{"empty", "", ""},
	})
}

func TestYaanRegions(t *testing.T) {
	r := YaanRegions()
	want := []Region{
		{"511800", "雅安市"},
		{"511802", "雨城区"},
		{"511803", "名山区"},
		{"511822", "荥经县"},
		{"511823", "汉源县"},
		{"511824", "石棉县"},
		{"511825", "天全县"},
		{"511826", "芦山县"},
		{"511827", "宝兴县"},
	}
	if len(r) != len(want) {
		t.Fatalf("len = %d, want %d", len(r), len(want))
	}
	for i := range want {
		t.Run(want[i].Code, func(t *testing.T) {
			if r[i] != want[i] {
				t.Errorf("[%d] = %v, want %v", i, r[i], want[i])
			}
			if _, err := RegionCode(r[i].Code); err != nil {
				t.Errorf("RegionCode(%q): %v", r[i].Code, err)
			}
		})
	}
	t.Run("fresh copy", func(t *testing.T) {
		r[0].Name = "changed"
		if YaanRegions()[0].Name != "雅安市" {
			t.Error("modifying the result changed the package data")
		}
	})
}

// fuzzIdempotent checks the invariants shared by every validator: no panic,
// errors carry code, and a successful result validates to itself.
func fuzzIdempotent(t *testing.T, fn func(string) (string, error), code errcode.Code, in string) string {
	out, err := fn(in)
	if err != nil {
		if got := errcode.CodeOf(err); got != code {
			t.Fatalf("(%q) error code %s, want %s", in, got, code)
		}
		return ""
	}
	again, err := fn(out)
	if err != nil || again != out {
		t.Fatalf("(%q) = %q, but re-validating gives %q, %v", in, out, again, err)
	}
	return out
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "8613800138000", "12800138000", "138--0013-8000", "+86"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := fuzzIdempotent(t, Phone, errcode.InvalidPhone, s)
		if out != "" && (len(out) != 11 || !isDigits(out) || out[0] != '1' || out[1] < '3') {
			t.Fatalf("(%q) = %q, not a normalised mobile number", s, out)
		}
	})
}

func FuzzCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91110000802100433b", "91350100M000100Y44", "91350100M000I00Y43", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := fuzzIdempotent(t, CreditCode, errcode.InvalidCreditCode, s)
		if out == "" {
			return
		}
		if c, err := CreditCodeCheckChar(out[:17]); err != nil || c != out[17] {
			t.Fatalf("(%q) = %q, but check char is %q, %v", s, out, c, err)
		}
	})
}

func FuzzLicenseNo(f *testing.F) {
	for _, s := range []string{"SC10651180200015", "sc10651180200015", "SC1065118020001", "QS10651180200015"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := fuzzIdempotent(t, LicenseNo, errcode.InvalidLicenseNo, s)
		if out != "" && (len(out) != 16 || out[:2] != "SC" || !isDigits(out[2:])) {
			t.Fatalf("(%q) = %q, not SC and 14 digits", s, out)
		}
	})
}

func FuzzRegionCode(f *testing.F) {
	for _, s := range []string{"511800", "000000", "820000", "100000", "51180A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := fuzzIdempotent(t, RegionCode, errcode.InvalidRegionCode, s)
		if out != "" && (len(out) != 6 || !isDigits(out) || out == "000000") {
			t.Fatalf("(%q) = %q, not a region code", s, out)
		}
	})
}
