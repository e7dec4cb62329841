package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/internal/cnid"
	"suyuan/internal/gs1"
)

// Facility is a place where food is produced, kept or sold: the "where" of
// every event. Shelves are in STORE and MARKET facilities.
type Facility struct {
	ent.Schema
}

// Mixin of the Facility.
func (Facility) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Facility.
func (Facility) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Immutable(),
		field.Enum("kind").Values("FARM", "SLAUGHTERHOUSE", "FACTORY", "WAREHOUSE", "STORE", "MARKET").
			Annotations(entgql.OrderField("KIND")),
		field.String("name").NotEmpty().MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("address").MaxRuneLen(500).Default(""),
		field.String("region_code").MaxLen(6).
			Validate(validator(cnid.RegionCode)).
			Annotations(entgql.OrderField("REGION_CODE")),
		field.String("gln").
			Comment("GS1 Global Location Number, 13 digits.").
			Optional().Nillable().MaxLen(13).
			Validate(validator(gs1.GLN)).
			Unique(),
		field.Bool("public").Default(true).
			Comment("Whether consumers may see the facility's name and address; a private one is shown only by its kind and region."),
		field.Float("latitude").Optional().Nillable().Min(-90).Max(90),
		field.Float("longitude").Optional().Nillable().Min(-180).Max(180),
	}
}

// Edges of the Facility.
func (Facility) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alerts", Alert.Type).Annotations(hidden),
		edge.To("recall_places", RecallPlace.Type).Annotations(hidden),
		edge.From("organization", Organization.Type).Ref("facilities").
			Field("organization_id").Unique().Required().Immutable(),
		edge.To("batches", Batch.Type).
			Comment("Batches produced here.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("shipments_out", Shipment.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("shipments_in", Shipment.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("shelf_events", ShelfEvent.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("sensor_readings", SensorReading.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("stocks", Stock.Type).
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the Facility.
func (Facility) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("region_code", "kind"),
	}
}

// Annotations of the Facility.
func (Facility) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
