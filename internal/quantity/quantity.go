// Package quantity handles amounts with units: which units Suyuan knows, how
// they convert, and the fixed-point form used for stock arithmetic so that
// mass balance is exact and never drifts with floating-point rounding.
package quantity

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"suyuan/internal/errcode"
)

// Unit is a unit of measure for a quantity of food.
type Unit string

// Known units. Mass and volume convert within their dimension; counted units
// (pieces, boxes, head of livestock) convert only to themselves.
const (
	Gram       Unit = "G"
	Kilogram   Unit = "KG"
	Tonne      Unit = "T"
	Millilitre Unit = "ML"
	Litre      Unit = "L"
	Piece      Unit = "PIECE"
	Box        Unit = "BOX"
	Head       Unit = "HEAD"
)

// Values lists the units, in the order shown to clients. Ent and entgql use
// it to build the Unit enum.
func (Unit) Values() []string {
	return []string{
		string(Gram), string(Kilogram), string(Tonne),
		string(Millilitre), string(Litre),
		string(Piece), string(Box), string(Head),
	}
}

type dimension int

const (
	mass dimension = iota + 1
	volume
	count
)

// scale is how many base units (g, mL, or the counted unit itself) one unit is.
func (u Unit) scale() (dimension, float64, bool) {
	switch u {
	case Gram:
		return mass, 1, true
	case Kilogram:
		return mass, 1e3, true
	case Tonne:
		return mass, 1e6, true
	case Millilitre:
		return volume, 1, true
	case Litre:
		return volume, 1e3, true
	case Piece, Box, Head:
		return count, 1, true
	}
	return 0, 0, false
}

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool {
	_, _, ok := u.scale()
	return ok
}

// MaxAmount bounds every quantity so that its fixed-point form fits in int64
// with room to add many of them.
const MaxAmount = 1e12

// Counted reports whether u counts whole things (pieces, boxes, head of
// livestock), which come only in whole numbers.
func (u Unit) Counted() bool {
	d, _, ok := u.scale()
	return ok && d == count
}

// Check validates an amount being recorded with its unit: positive,
// finite, within MaxAmount, with a known unit, and a whole number when the
// unit is counted (40.5 HEAD of pigs is a mistake).
func Check(amount float64, u Unit) error {
	if err := checkAmount(amount, u); err != nil {
		return err
	}
	if u.Counted() && amount != math.Trunc(amount) {
		return errcode.New(errcode.InvalidQuantity, "%s is counted in whole numbers; %g is not one", u, amount)
	}
	return nil
}

// checkAmount is Check without the whole-number rule: what stored
// quantities must satisfy to be added up.
func checkAmount(amount float64, u Unit) error {
	if !u.Valid() {
		return errcode.New(errcode.InvalidUnit, "unknown unit %q", string(u))
	}
	if math.IsNaN(amount) || math.IsInf(amount, 0) || amount <= 0 {
		return errcode.New(errcode.InvalidQuantity, "quantity must be a positive number")
	}
	if amount > MaxAmount {
		return errcode.New(errcode.InvalidQuantity, "quantity must not exceed %g", MaxAmount)
	}
	return nil
}

// Convert converts amount from one unit to another of the same dimension.
func Convert(amount float64, from, to Unit) (float64, error) {
	fd, fs, ok := from.scale()
	if !ok {
		return 0, errcode.New(errcode.InvalidUnit, "unknown unit %q", string(from))
	}
	td, ts, ok := to.scale()
	if !ok {
		return 0, errcode.New(errcode.InvalidUnit, "unknown unit %q", string(to))
	}
	if fd != td || (fd == count && from != to) {
		return 0, errcode.New(errcode.InvalidUnit, "cannot convert %s to %s", from, to)
	}
	return amount * fs / ts, nil
}

// Milli is a quantity in thousandths of a batch's unit. Stock is kept in this
// form so that taking the whole of a batch leaves exactly zero.
type Milli int64

// ToMilli converts amount in unit from into thousandths of unit to, rounding
// to the nearest thousandth.
func ToMilli(amount float64, from, to Unit) (Milli, error) {
	if err := checkAmount(amount, from); err != nil {
		return 0, err
	}
	v, err := Convert(amount, from, to)
	if err != nil {
		return 0, err
	}
	m := Milli(math.Round(v * 1000))
	if m <= 0 {
		return 0, errcode.New(errcode.InvalidQuantity, "quantity is below one thousandth of %s", to)
	}
	return m, nil
}

// Float returns m as an amount of its unit.
func (m Milli) Float() float64 { return float64(m) / 1000 }

// String formats m with up to three decimals.
func (m Milli) String() string { return fmt.Sprintf("%g", m.Float()) }

// MarshalGQL writes u as a GraphQL enum value.
func (u Unit) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Quote(string(u)))
}

// UnmarshalGQL reads a GraphQL enum value into u.
func (u *Unit) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return errcode.New(errcode.InvalidUnit, "unit must be a string")
	}
	if !Unit(s).Valid() {
		return errcode.New(errcode.InvalidUnit, "unknown unit %q", s)
	}
	*u = Unit(s)
	return nil
}
