package anomaly

import (
	"math"
	"strings"
	"time"
)

// Range is a product's storage range in °C; nil bounds are open, so a
// product with only a maximum is checked only above it.
type Range struct {
	Min, Max *float64
}

// bound returns *p and whether it is a usable bound; a NaN bound is
// treated as open rather than making every reading an excursion.
func bound(p *float64) (float64, bool) {
	if p == nil || math.IsNaN(*p) {
		return 0, false
	}
	return *p, true
}

// Limit is a legal limit for a measurement; nil bounds are open.
type Limit struct {
	Min, Max *float64
	Unit     string
}

// ColdChainParams tune the cold-chain rules for a product category.
type ColdChainParams struct {
	// Sustained is how long an excursion may last before SUSTAINED_EXCURSION.
	Sustained time.Duration
	// Budget is how long a batch's excursions may add up to before
	// CUMULATIVE_EXCURSION.
	Budget time.Duration
	// MinGap is the shortest interval that can be a LOGGING_GAP.
	MinGap time.Duration
	// GapFactor times a trip's median interval is what an interval must
	// exceed to be a LOGGING_GAP.
	GapFactor float64
	// HardMargin is how far outside the range, in °C, a single reading
	// raises TEMPERATURE_OUT_OF_RANGE.
	HardMargin float64
}

// OutlierParams tune a statistical rule.
type OutlierParams struct {
	// Threshold is the modified z-score whose absolute value makes an outlier.
	Threshold float64
	// MinSample is the fewest values a sample needs to be judged.
	MinSample int
	// Window is how far back the caller gathers the sample; Outliers
	// itself judges whatever sample it is given.
	Window time.Duration
}

// ScanParams tune the scan rules.
type ScanParams struct {
	// BurstCount is how many scans of one code BurstWindow may hold
	// before SCAN_BURST.
	BurstCount int
	// BurstWindow is the span within which scans are counted.
	BurstWindow time.Duration
	// SpreadWindow is how close in time two scans in different provinces
	// raise SCAN_SPREAD.
	SpreadWindow time.Duration
}

// Config holds every rule's parameters.
type Config struct {
	// ColdChain holds parameters by product category (MEAT, POULTRY,
	// AQUATIC, EGG, DAIRY, VEGETABLE, FRUIT, GRAIN, TEA, PROCESSED, OTHER).
	ColdChain map[string]ColdChainParams
	// DefaultColdChain applies to categories missing from ColdChain.
	DefaultColdChain ColdChainParams
	// Measurements tunes MEASUREMENT_OUTLIER.
	Measurements OutlierParams
	// Transit tunes TRANSIT_OUTLIER, which only slow trips raise.
	Transit OutlierParams
	// Scans tunes SCAN_BURST and SCAN_SPREAD.
	Scans ScanParams
	// LegalLimits are the built-in limits by measurement name, for
	// measurements recorded without limits of their own.
	LegalLimits map[string]Limit
}

// DefaultConfig returns the defaults of docs/ANOMALIES.md. Each call
// returns fresh maps, so callers may change theirs.
func DefaultConfig() Config {
	cc := func(sustained, budget time.Duration) ColdChainParams {
		return ColdChainParams{
			Sustained:  sustained,
			Budget:     budget,
			MinGap:     20 * time.Minute,
			GapFactor:  3,
			HardMargin: 8,
		}
	}
	aquatic := cc(20*time.Minute, 45*time.Minute)
	chilled := cc(30*time.Minute, 60*time.Minute)
	other := cc(60*time.Minute, 120*time.Minute)
	fifteen := 15.0
	const quarter = 90 * 24 * time.Hour
	return Config{
		ColdChain: map[string]ColdChainParams{
			"AQUATIC":   aquatic,
			"MEAT":      chilled,
			"POULTRY":   chilled,
			"DAIRY":     chilled,
			"EGG":       chilled,
			"VEGETABLE": other,
			"FRUIT":     other,
			"GRAIN":     other,
			"TEA":       other,
			"PROCESSED": other,
			"OTHER":     other,
		},
		DefaultColdChain: other,
		Measurements:     OutlierParams{Threshold: 3.5, MinSample: 20, Window: quarter},
		Transit:          OutlierParams{Threshold: 3.5, MinSample: 8, Window: quarter},
		Scans:            ScanParams{BurstCount: 20, BurstWindow: 7 * 24 * time.Hour, SpreadWindow: 24 * time.Hour},
		// GB 2707: volatile basic nitrogen of fresh meat.
		LegalLimits: map[string]Limit{"TVB-N": {Max: &fifteen, Unit: "mg/100g"}},
	}
}

// ColdChainFor returns the cold-chain parameters of a product category,
// or DefaultColdChain for a category c does not list. The category is
// matched ignoring case and surrounding space.
func (c Config) ColdChainFor(category string) ColdChainParams {
	if p, ok := c.ColdChain[category]; ok {
		return p
	}
	if p, ok := c.ColdChain[strings.ToUpper(strings.TrimSpace(category))]; ok {
		return p
	}
	return c.DefaultColdChain
}
