package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"suyuan/internal/quantity"
)

// TimeMixin records when a row was created and last changed. Times are
// stored in UTC.
type TimeMixin struct {
	mixin.Schema
}

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetime()).
			Default(now).
			Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").SchemaType(datetime()).
			Default(now).
			UpdateDefault(now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func now() time.Time { return time.Now().UTC() }

// quantityField is the amount of a quantity; its unit is a separate field.
// Recorded quantities never change: corrections are new events.
func quantityField() ent.Field {
	return field.Float("quantity").
		Positive().
		Immutable().
		Annotations(entgql.OrderField("QUANTITY"))
}

// unitField is the unit of a quantity. All unit fields share the one GraphQL
// enum Unit.
func unitField() ent.Field {
	return field.Enum("unit").GoType(quantity.Unit("")).Immutable().Annotations(entgql.Type("Unit"))
}

// datetime is the column type of time fields: UTC with millisecond
// precision. MySQL's default TIMESTAMP would end in 2038 and convert time
// zones.
func datetime() map[string]string {
	return map[string]string{dialect.MySQL: "datetime(3)"}
}

// receivedAt is when the server received the row (its recording time, not
// its event time): set on insert and, for rows that later recordings change
// (a shipment's departure and arrival, a shelf event's removal), on each
// change. The background screener judges what was received since its last
// run, whatever its event time (docs/ANOMALIES.md). Rows written before
// the column existed hold NULL.
func receivedAt(changes bool) ent.Field {
	f := field.Time("received_at").SchemaType(datetime()).Optional().Nillable().Default(now).
		Annotations(entgql.Skip(entgql.SkipAll))
	if changes {
		return f.UpdateDefault(now)
	}
	return f.Immutable()
}
