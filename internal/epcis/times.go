package epcis

import (
	"fmt"
	"time"

	"suyuan/internal/gs1"
)

// parseTime reads an xsd:dateTimeStamp as EPCIS JSON writes it: RFC 3339
// with or without a fraction, with a Z or ±hh:mm offset. The result keeps
// the offset it was written with, in a fixed zone (Z gives UTC), so that
// writing it again gives the same wall-clock time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time with offset", s)
	}
	if t.Location() == time.UTC {
		return t, nil
	}
	// time.Parse uses the machine's Local zone when the offset matches
	// it; a fixed zone makes the result the same on every machine.
	_, off := t.Zone()
	return t.In(time.FixedZone("", off)), nil
}

// formatTime writes t as RFC 3339 in its own offset, with as many
// fraction digits as it has.
func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// validOffset reports whether s is a time zone offset ±hh:mm within
// -14:00..+14:00, as eventTimeZoneOffset must be.
func validOffset(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	if !gs1.IsDigits(s[1:3]) || !gs1.IsDigits(s[4:6]) {
		return false
	}
	h := int(s[1]-'0')*10 + int(s[2]-'0')
	m := int(s[4]-'0')*10 + int(s[5]-'0')
	return m < 60 && (h < 14 || h == 14 && m == 0)
}
