package cnid

import (
	"strings"

	"suyuan/internal/errcode"
)

// creditAlphabet is the GB 32100-2015 character set; a character's value is
// its index. I, O, Z, S and V are left out because they are easily confused
// with 1, 0, 2, 5 and U.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the GB 32100-2015 weights for positions 1..17, that is
// 3^(i-1) mod 31.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCode validates an 18-character unified social credit code
// (统一社会信用代码, GB 32100-2015) and returns it upper-cased with
// surrounding spaces removed. It checks the alphabet, that positions 3-8 are
// a 6-digit region code, and the check character in position 18.
//
// The region code is not checked against the province list, because codes
// issued by central authorities carry 100000 there.
func CreditCode(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return "", errcode.New(errcode.InvalidCreditCode,
			"credit code must be 18 characters of 0-9 and A-Y excluding I, O, S, V and Z")
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(creditAlphabet, s[i]) < 0 {
			return "", errcode.New(errcode.InvalidCreditCode,
				"credit code must be 18 characters of 0-9 and A-Y excluding I, O, S, V and Z")
		}
	}
	if !isDigits(s[2:8]) {
		return "", errcode.New(errcode.InvalidCreditCode,
			"credit code characters 3 to 8 must be a 6-digit region code")
	}
	c, err := CreditCodeCheckChar(s[:17])
	if err != nil {
		return "", err
	}
	if s[17] != c {
		return "", errcode.New(errcode.InvalidCreditCode,
			"credit code check character (the 18th) is wrong")
	}
	return s, nil
}

// CreditCodeCheckChar returns the GB 32100-2015 check character for the
// first 17 characters of a unified social credit code. Lower-case letters are
// accepted. It is exported so that test data generators can build valid codes.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, errcode.New(errcode.InvalidCreditCode,
			"credit code body must be 17 characters of 0-9 and A-Y excluding I, O, S, V and Z")
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		c := first17[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		v := strings.IndexByte(creditAlphabet, c)
		if v < 0 {
			return 0, errcode.New(errcode.InvalidCreditCode,
				"credit code body must be 17 characters of 0-9 and A-Y excluding I, O, S, V and Z")
		}
		sum += v * creditWeights[i]
	}
	// 31 - (sum mod 31), with 31 folded to 0, equals (31 - sum mod 31) mod 31.
	return creditAlphabet[(31-sum%31)%31], nil
}
