package anomaly

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Formatting for evidence summaries. Summaries are read by people, so
// numbers are rounded and carry their units; the exact values are in the
// evidence's numeric fields.

// fmt1 formats x with at most one decimal: "12.4", "4", "-0.5".
func fmt1(x float64) string {
	return trimZeros(strconv.FormatFloat(x, 'f', 1, 64))
}

// fmtNum formats a measured value with four significant digits but at
// least one decimal, so that 15.04 is not shown as the limit 15 it exceeds.
func fmtNum(x float64) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt1(x)
	}
	decimals := 3 - int(math.Floor(math.Log10(math.Abs(x))))
	decimals = min(max(decimals, 1), 6)
	return trimZeros(strconv.FormatFloat(x, 'f', decimals, 64))
}

// fmtC formats a temperature: "12.4 °C".
func fmtC(x float64) string { return fmt1(x) + " °C" }

// fmtMin formats a duration in minutes: "95 min".
func fmtMin(d time.Duration) string { return fmt1(d.Minutes()) + " min" }

// fmtHours formats a duration in hours: "3.5 h".
func fmtHours(d time.Duration) string { return fmt1(d.Hours()) + " h" }

// fmtSpan formats a window length the way people say it: "7 days",
// "24 h", "20 min".
func fmtSpan(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 2*day && d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	case d >= time.Hour:
		return fmtHours(d)
	}
	return fmtMin(d)
}

// fmtTime formats an instant in UTC to the minute.
func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// trimZeros drops trailing zeros after a decimal point, and the sign of a
// negative zero.
func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// displayUnit returns how a batch unit (one of package quantity's codes)
// is written in evidence: "kg" for "KG"; unknown units are kept as given.
func displayUnit(u string) string {
	switch strings.ToUpper(strings.TrimSpace(u)) {
	case "G":
		return "g"
	case "KG":
		return "kg"
	case "T":
		return "t"
	case "ML":
		return "mL"
	case "L":
		return "L"
	case "PIECE":
		return "pieces"
	case "BOX":
		return "boxes"
	case "HEAD":
		return "head"
	}
	return u
}

// milliFloat converts thousandths of a unit to units.
func milliFloat(m int64) float64 { return float64(m) / 1000 }

// fmtQty formats a quantity in thousandths of unit u: "12.5 kg".
func fmtQty(m int64, u string) string {
	s := strconv.FormatFloat(milliFloat(m), 'f', -1, 64)
	if u = displayUnit(u); u != "" {
		s += " " + u
	}
	return s
}

// plural returns "1 reading" or "3 readings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// capitalise upper-cases the first letter of an ASCII phrase.
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
