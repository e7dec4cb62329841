package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ShelfEvent is a quantity of a batch put on a shelf in a store or market,
// and, once it is gone, when and why it was taken off.
type ShelfEvent struct {
	ent.Schema
}

// Mixin of the ShelfEvent.
func (ShelfEvent) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the ShelfEvent.
func (ShelfEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("facility_id").Immutable(),
		field.Int("batch_id").Immutable(),
		quantityField(),
		unitField(),
		field.Time("shelved_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("SHELVED_AT")),
		field.Time("removed_at").SchemaType(datetime()).Optional().Nillable().
			Annotations(entgql.OrderField("REMOVED_AT")),
		field.Enum("removal_reason").Values("SOLD_OUT", "EXPIRED", "RECALLED", "DAMAGED").
			Optional().Nillable(),
		receivedAt(true),
	}
}

// Edges of the ShelfEvent.
func (ShelfEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("facility", Facility.Type).Ref("shelf_events").
			Field("facility_id").Unique().Required().Immutable(),
		edge.From("batch", Batch.Type).Ref("shelf_events").
			Field("batch_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ShelfEvent.
func (ShelfEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("batch_id", "shelved_at"),
		index.Fields("facility_id", "shelved_at"),
		index.Fields("received_at"),
	}
}

// Annotations of the ShelfEvent.
func (ShelfEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}
