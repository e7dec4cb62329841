package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"suyuan/ent/privacy"
)

// ScreenWatermark is how far the background screener has read: every row
// received (received_at) before RecordedUntil has been screened. One row
// per screener, by name.
type ScreenWatermark struct {
	ent.Schema
}

// Fields of the ScreenWatermark.
func (ScreenWatermark) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(32).Unique().Immutable(),
		field.Time("recorded_until").SchemaType(datetime()),
	}
}

// Annotations of the ScreenWatermark.
func (ScreenWatermark) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the ScreenWatermark: the screener's own (tenancy.System); no
// viewer reads or writes it.
func (ScreenWatermark) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
