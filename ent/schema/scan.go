package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ScanEvent is one consumer's view of a code's page. It holds no personal
// data: a coarse region and a salted hash of the client, enough to count
// scans and to see a copied code scanned in far-apart places.
type ScanEvent struct {
	ent.Schema
}

// Fields of the ScanEvent.
func (ScanEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("batch_id").Immutable(),
		field.Int("trace_code_id").Optional().Nillable().Immutable().
			Comment("The code scanned, when it was an issued trace code or a serialised link."),
		field.Time("scanned_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("SCANNED_AT")),
		field.String("region_code").MaxLen(6).Default("").Immutable().
			Comment("Coarse region of the client, from the configured IP-prefix table; empty when unknown."),
		field.String("client_hash").MaxLen(64).Default("").Immutable().
			Comment("Salted hash of the client address and agent; not reversible."),
	}
}

// Edges of the ScanEvent.
func (ScanEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("batch", Batch.Type).Ref("scan_events").
			Field("batch_id").Unique().Required().Immutable(),
		edge.From("trace_code", TraceCode.Type).Ref("scan_events").
			Field("trace_code_id").Unique().Immutable(),
	}
}

// Indexes of the ScanEvent.
func (ScanEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("batch_id", "scanned_at"),
		index.Fields("trace_code_id", "scanned_at"),
	}
}

// Annotations of the ScanEvent.
func (ScanEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
