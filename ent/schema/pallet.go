package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/internal/gs1"
)

// Pallet is a logistic unit named by its SSCC, and what is on it: an EPCIS
// AggregationEvent packs lots on it (ADD) and takes them off (DELETE);
// shipping the pallet ships its contents.
type Pallet struct {
	ent.Schema
}

// Fields of the Pallet.
func (Pallet) Fields() []ent.Field {
	return []ent.Field{
		field.String("sscc").MaxLen(18).Unique().Immutable().
			Validate(validator(gs1.SSCC)).
			Comment("GS1 Serial Shipping Container Code, 18 digits."),
		field.Int("organization_id").Immutable().
			Comment("Who packed it."),
		field.Int("facility_id").Immutable().
			Comment("Where it was packed."),
		field.Time("packed_at").SchemaType(datetime()).Immutable(),
	}
}

// Edges of the Pallet.
func (Pallet) Edges() []ent.Edge {
	return []ent.Edge{edge.To("items", PalletItem.Type)}
}

// Annotations of the Pallet.
func (Pallet) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the Pallet: read and written through the capture path and
// its lookups, which apply the visibility rule of its lots.
func (Pallet) Policy() ent.Policy { return systemOnly() }

// PalletItem is a quantity of a lot on a pallet, from when it was packed
// until it was taken off.
type PalletItem struct {
	ent.Schema
}

// Fields of the PalletItem.
func (PalletItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("pallet_id").Immutable(),
		field.Int("batch_id").Immutable(),
		quantityField(),
		unitField(),
		field.Time("added_at").SchemaType(datetime()).Immutable(),
		field.Time("removed_at").SchemaType(datetime()).Optional().Nillable(),
	}
}

// Edges of the PalletItem.
func (PalletItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("pallet", Pallet.Type).Ref("items").Field("pallet_id").Unique().Required().Immutable(),
	}
}

// Indexes of the PalletItem.
func (PalletItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("pallet_id", "removed_at"), index.Fields("batch_id")}
}

// Annotations of the PalletItem.
func (PalletItem) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the PalletItem: as its pallet.
func (PalletItem) Policy() ent.Policy { return systemOnly() }

// CaptureJob is one EPCIS capture: who sent it, how it went, and what was
// refused or raised. GET /epcis/capture/{id} answers from it.
type CaptureJob struct {
	ent.Schema
}

// Fields of the CaptureJob.
func (CaptureJob) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Optional().Nillable().Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.Int("api_key_id").Optional().Nillable().Immutable(),
		field.Bool("running").Default(false),
		field.Bool("success").Default(false),
		field.Int("captured").Default(0).Comment("Events appended to the log."),
		field.Int("duplicates").Default(0).Comment("Events the log already held (same eventID)."),
		field.Int("change_id").Optional().Nillable(),
		field.JSON("errors", []map[string]any{}).Optional().
			Comment("Problems (RFC 7807 objects) of a failed capture."),
		field.JSON("notes", []string{}).Optional().
			Comment("What the capture stored but could not project, and the alerts it raised."),
		field.Time("created_at").SchemaType(datetime()).Immutable(),
		field.Time("finished_at").SchemaType(datetime()).Optional().Nillable(),
	}
}

// Annotations of the CaptureJob.
func (CaptureJob) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the CaptureJob: read by its sender through /epcis.
func (CaptureJob) Policy() ent.Policy { return systemOnly() }
