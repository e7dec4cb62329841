package epcis

import (
	"math"
	"testing"

	"suyuan/internal/quantity"
)

func TestUnits(t *testing.T) {
	for _, c := range []struct {
		uom  string
		unit quantity.Unit
	}{{"KGM", quantity.Kilogram}, {"GRM", quantity.Gram}, {"TNE", quantity.Tonne}, {"LTR", quantity.Litre}, {"MLT", quantity.Millilitre},
		{"H87", quantity.Piece}, {"XBX", quantity.Box}, {"HEA", quantity.Head}} {
		u, ok := UnitFromUOM(c.uom)
		if !ok || u != c.unit {
			t.Errorf("UnitFromUOM(%s) = %s, %v", c.uom, u, ok)
		}
		back, ok := UOMFromUnit(c.unit)
		if !ok || back != c.uom {
			t.Errorf("UOMFromUnit(%s) = %s, %v", c.unit, back, ok)
		}
	}
	for _, alias := range []struct {
		uom  string
		unit quantity.Unit
	}{{"C62", quantity.Piece}, {"EA", quantity.Piece}, {"BX", quantity.Box}} {
		if u, ok := UnitFromUOM(alias.uom); !ok || u != alias.unit {
			t.Errorf("UnitFromUOM(%s) = %s, %v", alias.uom, u, ok)
		}
	}
	for _, unknown := range []string{"", "A93", "KMH", "kg", "LBR"} {
		if u, ok := UnitFromUOM(unknown); ok {
			t.Errorf("UnitFromUOM(%q) = %s, want no unit", unknown, u)
		}
	}
	if _, ok := UOMFromUnit("BARREL"); ok {
		t.Error("UOMFromUnit of an unknown unit")
	}
	for _, u := range []quantity.Unit{quantity.Gram, quantity.Kilogram, quantity.Tonne, quantity.Millilitre, quantity.Litre, quantity.Piece, quantity.Box, quantity.Head} {
		if _, ok := UOMFromUnit(u); !ok {
			t.Errorf("service unit %s has no Rec 20 code", u)
		}
	}
}

func TestCelsius(t *testing.T) {
	for _, c := range []struct {
		v    float64
		uom  string
		want float64
		ok   bool
	}{{4, "CEL", 4, true}, {212, "FAH", 100, true}, {-40, "FAH", -40, true}, {273.15, "KEL", 0, true}, {1, "KMH", 0, false}} {
		got, ok := Celsius(c.v, c.uom)
		if ok != c.ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Celsius(%v %s) = %v, %v; want %v, %v", c.v, c.uom, got, ok, c.want, c.ok)
		}
	}
}

func TestVocab(t *testing.T) {
	for _, s := range []string{"shipping", "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-shipping", "cbv:BizStep-shipping",
		BizStepCommissioning, BizStepReceiving, BizStepStoring, BizStepStocking, BizStepRetailSelling, BizStepInspecting,
		BizStepHolding, BizStepDestroying, BizStepPacking, BizStepUnpacking, BizStepLoading, BizStepDeparting, BizStepArriving, BizStepAccepting} {
		if !IsCBVBizStep(s) {
			t.Errorf("IsCBVBizStep(%q) = false", s)
		}
	}
	for _, s := range []string{"", "teleporting", "https://example.com/bizstep/shipping", "urn:epcglobal:cbv:bizstep:teleporting", "in_transit"} {
		if IsCBVBizStep(s) {
			t.Errorf("IsCBVBizStep(%q) = true", s)
		}
	}
	for _, s := range []string{DispActive, DispInTransit, DispInProgress, DispRecalled, DispDestroyed, DispExpired, DispSellableAccessible,
		DispRetailSold, DispNonConformant, DispConformant, "urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-recalled"} {
		if !IsCBVDisposition(s) {
			t.Errorf("IsCBVDisposition(%q) = false", s)
		}
	}
	if IsCBVDisposition("shipping") || IsCBVDisposition("in transit") {
		t.Error("IsCBVDisposition accepts a non-disposition")
	}
	if NormBizStep("urn:epcglobal:cbv:bizstep:retail_selling") != "retail_selling" || NormDisposition("https://example.com/d") != "https://example.com/d" {
		t.Error("Norm")
	}
	// transforming is no CBV 2.0 term: every spelling becomes the URN.
	for _, s := range []string{"transforming", "https://ref.gs1.org/cbv/BizStep-transforming", BizStepTransforming} {
		if NormBizStep(s) != BizStepTransforming || IsCBVBizStep(s) {
			t.Errorf("NormBizStep(%q) = %q", s, NormBizStep(s))
		}
	}
}

// TestCelsiusAtTheLimit: a reading at a range's limit in another unit is
// at the limit in °C, not a hair beyond it.
func TestCelsiusAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		uom  string
		want float64
	}{{39.2, "FAH", 4}, {32, "FAH", 0}, {277.15, "KEL", 4}, {-40, "FAH", -40}} {
		if got, ok := Celsius(tc.v, tc.uom); !ok || got != tc.want {
			t.Errorf("Celsius(%v, %s) = %v, %v; want %v", tc.v, tc.uom, got, ok, tc.want)
		}
	}
}
