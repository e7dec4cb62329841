package epcis

import (
	"math"

	"suyuan/internal/quantity"
)

// UnitFromUOM returns the service unit for a UN/CEFACT Rec 20 code in a
// quantity element. ok is false for codes the graph has no unit for (and
// for an absent uom, which counts instances): such quantities stay on the
// event as they came but are not projected onto stock.
//
// Accepted beyond the canonical codes: C62 ("one"), EA ("each", withdrawn
// from Rec 20) and NAR ("number of articles") as pieces, and BX (the
// withdrawn Rec 20 code for a box) as boxes, since partners still send
// them.
func UnitFromUOM(uom string) (u quantity.Unit, ok bool) {
	switch uom {
	case "GRM":
		return quantity.Gram, true
	case "KGM":
		return quantity.Kilogram, true
	case "TNE":
		return quantity.Tonne, true
	case "MLT":
		return quantity.Millilitre, true
	case "LTR":
		return quantity.Litre, true
	case "H87", "C62", "EA", "NAR":
		return quantity.Piece, true
	case "XBX", "BX":
		return quantity.Box, true
	case "HEA":
		return quantity.Head, true
	}
	return "", false
}

// UOMFromUnit returns the Rec 20 code this service writes for u: KGM,
// GRM, TNE, LTR, MLT, H87 (piece), XBX (box: Rec 21 package code "BX"
// with Rec 20's X prefix) and HEA (head, Rec 20's unit of count for
// animals).
func UOMFromUnit(u quantity.Unit) (uom string, ok bool) {
	switch u {
	case quantity.Gram:
		return "GRM", true
	case quantity.Kilogram:
		return "KGM", true
	case quantity.Tonne:
		return "TNE", true
	case quantity.Millilitre:
		return "MLT", true
	case quantity.Litre:
		return "LTR", true
	case quantity.Piece:
		return "H87", true
	case quantity.Box:
		return "XBX", true
	case quantity.Head:
		return "HEA", true
	}
	return "", false
}

// Celsius converts a temperature in the Rec 20 unit uom (CEL, FAH or
// KEL) to degrees Celsius; ok is false for any other unit.
func Celsius(value float64, uom string) (c float64, ok bool) {
	switch uom {
	case "CEL":
		return value, true
	case "FAH":
		return converted((value - 32) * 5 / 9), true
	case "KEL":
		return converted(value - 273.15), true
	}
	return 0, false
}

// converted rounds a converted temperature to a millionth of a degree,
// below any sensor's resolution: binary arithmetic leaves 39.2 °F at
// 4.000000000000002 °C, which a 0–4 °C range would judge outside.
func converted(c float64) float64 { return math.Round(c*1e6) / 1e6 }
