package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/ent/privacy"
	"suyuan/internal/tenancy"
)

// Change is one recording, as its entry in the outbox: written in the same
// transaction as the rows it changed and the events it recorded, in the
// order of its id. Whatever reacts to recordings — page caches, other
// servers, deliverers — follows changes (internal/eventlog). Changes are
// never updated.
type Change struct {
	ent.Schema
}

// Fields of the Change.
func (Change) Fields() []ent.Field {
	return []ent.Field{
		field.String("operation").MaxLen(64).Immutable().
			Comment("The recording operation: a mutation's name, or capture for an EPCIS document."),
		field.String("origin").MaxLen(32).Immutable().
			Comment("The server process that recorded it, so that a server following the outbox can skip its own changes."),
		field.Int("organization_id").Optional().Nillable().Immutable().
			Comment("The organisation of whoever recorded it; none for the service's own work."),
		field.JSON("refs", []string{}).Immutable().
			Comment(`The projection rows it created or changed, as "Type:id".`),
		field.Time("recorded_at").SchemaType(datetime()).Immutable(),
	}
}

// Edges of the Change.
func (Change) Edges() []ent.Edge {
	return []ent.Edge{edge.To("events", Event.Type).Immutable()}
}

// Indexes of the Change.
func (Change) Indexes() []ent.Index {
	return []ent.Index{index.Fields("recorded_at")}
}

// Annotations of the Change.
func (Change) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the Change: the server's own work only.
func (Change) Policy() ent.Policy { return systemOnly() }

// Event is one EPCIS 2.0 event of the log: what happened, when (with the
// offset it happened at), where, why and how. The columns are what the
// EPCIS query filters on; body is the whole event as EPCIS JSON. Events
// are appended and never changed: a correction is a new event.
type Event struct {
	ent.Schema
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.String("event_id").MaxLen(191).Unique().Immutable().
			Comment("The EPCIS eventID: the partner's, or the canonical event hash (ni:///sha-256;…?ver=CBV2.0)."),
		field.Int("change_id").Immutable(),
		field.Enum("type").Values("ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent", "AssociationEvent").Immutable(),
		field.String("action").MaxLen(8).Default("").Immutable(),
		field.String("biz_step").MaxLen(191).Default("").Immutable(),
		field.String("disposition").MaxLen(191).Default("").Immutable(),
		field.String("read_point").MaxLen(191).Default("").Immutable(),
		field.String("biz_location").MaxLen(191).Default("").Immutable(),
		field.Time("event_time").SchemaType(datetime()).Immutable().
			Comment("In UTC; event_time_zone_offset is the offset it happened at."),
		field.String("event_time_zone_offset").MaxLen(6).Immutable(),
		field.Time("record_time").SchemaType(datetime()).Immutable(),
		field.Bool("error_declared").Default(false).Immutable().
			Comment("Whether this event declares an earlier one erroneous."),
		field.Text("body").Immutable().
			SchemaType(map[string]string{dialect.MySQL: "longtext"}).
			Comment("The event as EPCIS 2.0 JSON."),
	}
}

// Edges of the Event.
func (Event) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("change", Change.Type).Ref("events").Field("change_id").Unique().Required().Immutable(),
		edge.To("keys", EventKey.Type).Immutable(),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("event_time"),
		index.Fields("record_time"),
		index.Fields("change_id"),
		index.Fields("biz_step", "event_time"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the Event: read by the parties to it (internal/tenancy),
// written by the recording path only, with the system's privileges.
func (Event) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenancy.EventRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// EventKey indexes an event by what it names and who may read it: each
// EPC, class, parent, input and output, business transaction, source and
// destination, and each organisation party to it and each region it
// happened in. The EPCIS query's MATCH_ and EQ_ parameters, and the
// visibility rule, are lookups here.
type EventKey struct {
	ent.Schema
}

// Fields of the EventKey.
func (EventKey) Fields() []ent.Field {
	return []ent.Field{
		field.Int("event_id").Immutable(),
		field.String("kind").MaxLen(32).Immutable().
			Comment("epc, parent, child, input, output, class, child_class, input_class, output_class, party, region, or bt:TYPE, source:TYPE, destination:TYPE."),
		field.String("value").MaxLen(191).Immutable(),
	}
}

// Edges of the EventKey.
func (EventKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("event", Event.Type).Ref("keys").Field("event_id").Unique().Required().Immutable(),
	}
}

// Indexes of the EventKey.
func (EventKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "value", "event_id"),
		index.Fields("event_id"),
	}
}

// Annotations of the EventKey.
func (EventKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the EventKey: as its event.
func (EventKey) Policy() ent.Policy { return systemOnly() }

// systemOnly denies everything but the server's own work (its System
// context allows before any rule runs).
func systemOnly() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
