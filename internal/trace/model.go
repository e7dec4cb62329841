// Package trace answers Suyuan's traceability questions: what a consumer
// sees after scanning a code, where a batch came from and where it went,
// and what a recall must reach. Every question is answered set-at-a-time —
// a bounded recursive query for lineage, one joined query per kind of row —
// so the number of SQL statements does not grow with the data returned.
package trace

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"suyuan/ent/alert"
	"suyuan/ent/batch"
	"suyuan/ent/document"
	"suyuan/ent/facility"
	"suyuan/ent/inspection"
	"suyuan/ent/organization"
	"suyuan/ent/product"
	"suyuan/ent/shelfevent"
	"suyuan/ent/shipment"
	"suyuan/internal/errcode"
	"suyuan/internal/quantity"
)

// Organization is the public face of an organisation: no contact details.
type Organization struct {
	ID         int
	Name       string
	Kind       organization.Kind
	RegionCode string
	LicenseNo  *string
}

// Facility is a place, with its organisation.
type Facility struct {
	ID         int
	Name       string
	Kind       facility.Kind
	Address    string
	RegionCode string
	Gln        *string
	// Public is false for a facility its organisation keeps private: the
	// consumer's trace then shows only its kind and region.
	Public       bool
	Organization Organization
}

// label names a facility for people: by name, or for a private one by its
// kind and region.
func (f *Facility) label() string {
	if f.Name != "" {
		return f.Name
	}
	return fmt.Sprintf("a private %s in region %s", strings.ToLower(string(f.Kind)), f.RegionCode)
}

// redact hides a private facility's name, address and GLN.
func (f *Facility) redact() {
	if !f.Public {
		f.Name, f.Address, f.Gln = "", "", nil
	}
}

// Product is what a batch is a lot of.
type Product struct {
	ID            int
	Name          string
	Category      product.Category
	Gtin          *string
	Unit          quantity.Unit
	ShelfLifeDays *int
	StorageMinC   *float64
	StorageMaxC   *float64
}

// Batch is a lot with its product, producer and place of production.
type Batch struct {
	ID         int
	LotCode    string
	ProducedAt time.Time
	ExpiresAt  *time.Time
	Expired    bool
	Status     batch.Status
	Quantity   float64
	Unit       quantity.Unit
	Product    Product
	Producer   Organization
	Facility   Facility
}

// Measurement is one value of an inspection.
type Measurement struct {
	Name         string
	Value        float64
	Unit         string
	LimitMin     *float64
	LimitMax     *float64
	WithinLimits bool
}

// Certificate says that a certificate of a kind is on file for a batch
// and since when: what the consumer's trace shows of a public document,
// never its content or where it is served.
type Certificate struct {
	Kind       document.Kind
	UploadedAt time.Time
}

// Inspection is a laboratory result for a batch.
type Inspection struct {
	ID            int
	BatchID       int
	InspectedAt   time.Time
	Result        inspection.Result
	CertificateNo string
	Lab           Organization
	Measurements  []Measurement
}

// ColdChainVerdict judges a leg's temperatures against the product's
// storage range.
type ColdChainVerdict string

// Verdicts.
const (
	// ColdChainOK: no cold-chain rule fired on the trip (a stray reading
	// outside the range, such as a door opened at a stop, is no breach).
	ColdChainOK ColdChainVerdict = "OK"
	// ColdChainExcursion: a screening rule fired: a reading far out of
	// range, a sustained excursion, or the batch's excursions over budget.
	ColdChainExcursion ColdChainVerdict = "EXCURSION"
	// ColdChainNoData: the product needs a range kept, and no reading was logged.
	ColdChainNoData ColdChainVerdict = "NO_DATA"
	// ColdChainNotRequired: the product has no storage range.
	ColdChainNotRequired ColdChainVerdict = "NOT_REQUIRED"
)

// ColdChain summarises a leg's temperature readings. Temperatures are
// rounded to 0.1 °C and minutes to whole minutes, as people read them.
type ColdChain struct {
	Verdict      ColdChainVerdict
	Readings     int
	MinC         *float64
	MaxC         *float64
	RequiredMinC *float64
	RequiredMaxC *float64
	// Breaches are the screening rules the leg breaks
	// (anomaly.JudgeJourney); empty unless Verdict is EXCURSION.
	Breaches []alert.Kind
	// MinutesOutOfRange is how long the readings lay outside the range.
	MinutesOutOfRange float64
}

// Leg is one shipment that carried a quantity of a batch.
type Leg struct {
	ShipmentID   int
	BatchID      int
	Status       shipment.Status
	Carrier      Organization
	VehiclePlate string
	ReferenceDoc string
	From         Facility
	To           Facility
	DepartedAt   *time.Time
	ArrivedAt    *time.Time
	Quantity     float64
	Unit         quantity.Unit
	ColdChain    ColdChain
}

// Placement is a quantity of a batch put on a shelf.
type Placement struct {
	ID            int
	BatchID       int
	Store         Facility
	Quantity      float64
	Unit          quantity.Unit
	ShelvedAt     time.Time
	RemovedAt     *time.Time
	RemovalReason *shelfevent.RemovalReason
}

// Direction is the way a lineage walk goes.
type Direction string

// Directions.
const (
	// Upstream walks from a batch to its inputs: where it came from.
	Upstream Direction = "UPSTREAM"
	// Downstream walks from a batch to what was made from it, and the
	// shipments and shelves those reached: where it went.
	Downstream Direction = "DOWNSTREAM"
)

// Node is a batch reached by a lineage walk, at its shortest distance from
// the root.
type Node struct {
	Depth int
	Batch *Batch
}

// Edge is a transformation: output was made using quantity of input.
type Edge struct {
	OutputID int
	InputID  int
	Quantity float64
	Unit     quantity.Unit
	Depth    int
}

// Lineage is the DAG reached from a root batch.
type Lineage struct {
	Root      *Batch
	Direction Direction
	MaxDepth  int
	// Truncated is true when the graph goes on beyond MaxDepth.
	Truncated bool
	Nodes     []Node
	Edges     []Edge
	// Shipments and ShelfEvents are those of the root and every node,
	// downstream only.
	Shipments   []Leg
	ShelfEvents []Placement
}

// Warning is something a consumer must be told about a batch.
type Warning struct {
	Code    string
	Message string
}

// Trace is what a consumer sees after scanning a code: public fields only.
type Trace struct {
	Code string
	// CodeID is the issued trace code the code names: an opaque code, or
	// a Digital Link's serial; nil for a batch-level link.
	CodeID      *int
	Serial      *string
	Batch       *Batch
	Inspections []Inspection
	Journey     []Leg
	Shelf       []Placement
	Ingredients []Node
	// IngredientEdges link the ingredients to the batch and to each other.
	IngredientEdges []Edge
	Recalled        bool
	Warnings        []Warning
	// Certificates are the public certificates on file for the batch,
	// its inspections and its producer, newest first.
	Certificates []Certificate
}

// MarshalGQL writes d as a GraphQL enum value.
func (d Direction) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL reads a GraphQL enum value into d.
func (d *Direction) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch Direction(s) {
	case Upstream, Downstream:
		*d = Direction(s)
		return nil
	}
	return errcode.New(errcode.BadUserInput, "direction must be UPSTREAM or DOWNSTREAM")
}

// MarshalGQL writes v as a GraphQL enum value.
func (v ColdChainVerdict) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(v))) }

// UnmarshalGQL reads a GraphQL enum value into v.
func (v *ColdChainVerdict) UnmarshalGQL(x any) error {
	s, _ := x.(string)
	switch ColdChainVerdict(s) {
	case ColdChainOK, ColdChainExcursion, ColdChainNoData, ColdChainNotRequired:
		*v = ColdChainVerdict(s)
		return nil
	}
	return errcode.New(errcode.BadUserInput, "unknown cold-chain verdict %q", s)
}
