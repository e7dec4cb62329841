package cnid

import (
	"strings"

	"suyuan/internal/errcode"
)

// Region is an administrative division (GB/T 2260): its 6-digit code and its
// Chinese name.
type Region struct {
	Code string
	Name string
}

// yaanRegions is Ya'an city followed by its districts and counties, in code
// order. It is private so that callers cannot modify it; see YaanRegions.
var yaanRegions = [...]Region{
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

// YaanRegions returns Ya'an city (雅安市, 511800) followed by its districts
// and counties, in code order. Each call returns a fresh slice.
func YaanRegions() []Region {
	r := yaanRegions
	return r[:]
}

// provinces marks the valid province-level prefixes of a region code.
var provinces = func() (p [100]bool) {
	for _, r := range [][2]int{
		{11, 15}, {21, 23}, {31, 37}, {41, 46}, {50, 54}, {61, 65},
		{71, 71}, {81, 82},
	} {
		for i := r[0]; i <= r[1]; i++ {
			p[i] = true
		}
	}
	return p
}()

// RegionCode validates a 6-digit administrative division code whose first
// two digits are a province-level code, and returns it without surrounding
// spaces. It does not check that the code is currently in use.
func RegionCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 6 || !isDigits(s) {
		return "", errcode.New(errcode.InvalidRegionCode,
			"region code must be 6 digits")
	}
	// The province check also rejects "000000".
	if !provinces[int(s[0]-'0')*10+int(s[1]-'0')] {
		return "", errcode.New(errcode.InvalidRegionCode,
			"region code must start with a valid province-level code")
	}
	return s, nil
}
