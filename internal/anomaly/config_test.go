package anomaly

import (
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	tests := []struct {
		category          string
		sustained, budget time.Duration
	}{
		{"AQUATIC", 20 * time.Minute, 45 * time.Minute},
		{"MEAT", 30 * time.Minute, 60 * time.Minute},
		{"POULTRY", 30 * time.Minute, 60 * time.Minute},
		{"DAIRY", 30 * time.Minute, 60 * time.Minute},
		{"EGG", 30 * time.Minute, 60 * time.Minute},
		{"VEGETABLE", time.Hour, 2 * time.Hour},
		{"FRUIT", time.Hour, 2 * time.Hour},
		{"GRAIN", time.Hour, 2 * time.Hour},
		{"TEA", time.Hour, 2 * time.Hour},
		{"PROCESSED", time.Hour, 2 * time.Hour},
		{"OTHER", time.Hour, 2 * time.Hour},
		{"UNHEARD_OF", time.Hour, 2 * time.Hour},
		{"", time.Hour, 2 * time.Hour},
		{" aquatic ", 20 * time.Minute, 45 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.category, func(t *testing.T) {
			p := c.ColdChainFor(tt.category)
			want := ColdChainParams{Sustained: tt.sustained, Budget: tt.budget, MinGap: 20 * time.Minute, GapFactor: 3, HardMargin: 8}
			if p != want {
				t.Errorf("ColdChainFor(%q) = %+v, want %+v", tt.category, p, want)
			}
		})
	}
	if got, want := c.Measurements, (OutlierParams{Threshold: 3.5, MinSample: 20, Window: 90 * 24 * time.Hour}); got != want {
		t.Errorf("Measurements = %+v, want %+v", got, want)
	}
	if got, want := c.Transit, (OutlierParams{Threshold: 3.5, MinSample: 8, Window: 90 * 24 * time.Hour}); got != want {
		t.Errorf("Transit = %+v, want %+v", got, want)
	}
	if got, want := c.Scans, (ScanParams{BurstCount: 20, BurstWindow: 7 * 24 * time.Hour, SpreadWindow: 24 * time.Hour}); got != want {
		t.Errorf("Scans = %+v, want %+v", got, want)
	}
	if l := c.LegalLimits["TVB-N"]; l.Min != nil || l.Max == nil || *l.Max != 15 || l.Unit != "mg/100g" {
		t.Errorf("TVB-N limit = %+v", l)
	}
}

func TestDefaultConfigIsFresh(t *testing.T) {
	a := DefaultConfig()
	a.ColdChain["MEAT"] = ColdChainParams{}
	*a.LegalLimits["TVB-N"].Max = 99
	b := DefaultConfig()
	if b.ColdChainFor("MEAT").Sustained != 30*time.Minute || *b.LegalLimits["TVB-N"].Max != 15 {
		t.Errorf("DefaultConfig shares state between calls")
	}
}

func TestZeroConfig(t *testing.T) {
	if p := (Config{}).ColdChainFor("MEAT"); p != (ColdChainParams{}) {
		t.Errorf("zero Config gave %+v", p)
	}
}

func TestDefaultSeverity(t *testing.T) {
	want := map[Kind]Severity{
		TemperatureOutOfRange: High, SustainedExcursion: Medium, CumulativeExcursion: Medium, LoggingGap: Low,
		InspectionFailed: High, OverLegalLimit: Critical, MeasurementOutlier: Medium, TransitOutlier: Low,
		OverShelved: High, OverShipped: High, ExpiredOnShelf: Medium, ScanBurst: Medium, ScanSpread: High,
		RecallNotice: High, MissingCustody: Medium, MassBalance: High,
	}
	for _, k := range Kinds() {
		if got := k.DefaultSeverity(); got != want[k] {
			t.Errorf("%s: %s, want %s", k, got, want[k])
		}
	}
}
