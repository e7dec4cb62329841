package cnid

import (
	"strings"

	"suyuan/internal/errcode"
)

// LicenseNo validates a food production licence number (食品生产许可证编号):
// "SC" followed by exactly 14 digits. Surrounding spaces are removed and the
// prefix is upper-cased.
func LicenseNo(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 16 || !strings.EqualFold(s[:2], "SC") || !isDigits(s[2:]) {
		return "", errcode.New(errcode.InvalidLicenseNo,
			"licence number must be SC followed by 14 digits")
	}
	return "SC" + s[2:], nil
}
