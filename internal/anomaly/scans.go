package anomaly

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Scan is one consumer scan of a trace code.
type Scan struct {
	At time.Time
	// Region is the 6-digit GB/T 2260 code of where the scan came from,
	// or "" when unknown.
	Region string
}

// Scans judges the scans of one trace code. SCAN_BURST (MEDIUM) fires when
// more than p.BurstCount scans lie within one p.BurstWindow; SCAN_SPREAD
// (HIGH) when two scans with known regions in different provinces (the
// first two digits) lie at most p.SpreadWindow apart. Windows include
// their ends. Only serialised codes are judged: a lot code is printed on
// many packs, so many scans of it anywhere are normal. Regions that are
// not six digits count as unknown.
func Scans(code Subject, serialised bool, scans []Scan, p ScanParams) []Finding {
	if !serialised || len(scans) == 0 {
		return nil
	}
	sorted := slices.Clone(scans)
	slices.SortFunc(sorted, func(a, b Scan) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Region, b.Region))
	})
	var out []Finding
	if f, ok := scanBurst(code, sorted, p); ok {
		out = append(out, f)
	}
	if f, ok := scanSpread(code, sorted, p); ok {
		out = append(out, f)
	}
	SortFindings(out)
	return out
}

// scanBurst finds the window of p.BurstWindow holding the most scans (the
// earliest of equals) and reports it when it holds more than p.BurstCount.
func scanBurst(code Subject, sorted []Scan, p ScanParams) (Finding, bool) {
	bestI, bestJ := 0, -1
	for i, j := 0, 0; j < len(sorted); j++ {
		for i < j && sorted[j].At.Sub(sorted[i].At) > p.BurstWindow {
			i++
		}
		if j-i > bestJ-bestI {
			bestI, bestJ = i, j
		}
	}
	n := bestJ - bestI + 1
	if n <= p.BurstCount {
		return Finding{}, false
	}
	win := sorted[bestI : bestJ+1]
	var regions []string
	for _, s := range win {
		if validRegion(s.Region) {
			regions = append(regions, s.Region)
		}
	}
	slices.Sort(regions)
	regions = slices.Compact(regions)
	first, last := win[0].At, win[len(win)-1].At
	summary := fmt.Sprintf("Scanned %d times between %s and %s, more than %d within %s",
		n, fmtTime(first), fmtTime(last), p.BurstCount, fmtSpan(p.BurstWindow))
	if len(regions) > 0 {
		summary += fmt.Sprintf(", from %s", plural(len(regions), "region"))
	}
	return Finding{
		Kind:     ScanBurst,
		Severity: ScanBurst.DefaultSeverity(),
		Subject:  code,
		At:       last,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  float64(n),
			Threshold: float64(p.BurstCount),
			Unit:      "scans",
			From:      timePtr(first),
			To:        timePtr(last),
			Values: []Value{
				{Name: "window", Value: p.BurstWindow.Hours(), Unit: "h"},
				{Name: "scans in all", Value: float64(len(sorted))},
			},
			Regions: regions,
		},
	}, true
}

// scanSpread finds the two scans in different provinces closest in time
// (the earliest pair of equals) and reports them when they lie at most
// p.SpreadWindow apart.
func scanSpread(code Subject, sorted []Scan, p ScanParams) (Finding, bool) {
	// lastIn holds each province's latest scan so far: the closest
	// partner a later scan can have in that province.
	lastIn := map[string]Scan{}
	var provinces []string // keys of lastIn, sorted, for a deterministic choice
	var a, b Scan
	found := false
	for _, s := range sorted {
		if !validRegion(s.Region) {
			continue
		}
		prov := s.Region[:2]
		for _, other := range provinces {
			if other == prov {
				continue
			}
			prev := lastIn[other]
			d := s.At.Sub(prev.At)
			if d <= p.SpreadWindow && (!found || d < b.At.Sub(a.At)) {
				a, b, found = prev, s, true
			}
		}
		if _, ok := lastIn[prov]; !ok {
			provinces = append(provinces, prov)
			slices.Sort(provinces)
		}
		lastIn[prov] = s
	}
	if !found {
		return Finding{}, false
	}
	d := b.At.Sub(a.At)
	summary := fmt.Sprintf("Scanned in region %s and %s later in region %s, a different province, within %s",
		a.Region, fmtHours(d), b.Region, fmtSpan(p.SpreadWindow))
	return Finding{
		Kind:     ScanSpread,
		Severity: ScanSpread.DefaultSeverity(),
		Subject:  code,
		At:       b.At,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  d.Hours(),
			Threshold: p.SpreadWindow.Hours(),
			Unit:      "h",
			From:      timePtr(a.At),
			To:        timePtr(b.At),
			Values:    []Value{{Name: "provinces", Value: float64(len(provinces))}},
			Regions:   []string{a.Region, b.Region},
		},
	}, true
}

// validRegion reports whether r is a 6-digit region code.
func validRegion(r string) bool {
	if len(r) != 6 {
		return false
	}
	for i := range len(r) {
		if r[i] < '0' || r[i] > '9' {
			return false
		}
	}
	return true
}
