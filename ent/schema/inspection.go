package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Inspection is a laboratory test of a batch, with its measurements.
type Inspection struct {
	ent.Schema
}

// Mixin of the Inspection.
func (Inspection) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Inspection.
func (Inspection) Fields() []ent.Field {
	return []ent.Field{
		field.Int("batch_id").Immutable(),
		field.Int("lab_id").Immutable().
			Comment("The inspecting organisation."),
		field.Time("inspected_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("INSPECTED_AT")),
		field.Enum("result").Values("PASS", "FAIL").Immutable().
			Annotations(entgql.OrderField("RESULT")),
		field.String("certificate_no").MaxRuneLen(64).Default(""),
		field.String("certificate_file").
			Comment("Stored name of the uploaded certificate, if any.").
			MaxLen(128).Default(""),
		field.String("notes").MaxRuneLen(2000).Default(""),
		receivedAt(false),
	}
}

// Edges of the Inspection.
func (Inspection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("batch", Batch.Type).Ref("inspections").
			Field("batch_id").Unique().Required().Immutable(),
		edge.From("lab", Organization.Type).Ref("inspections").
			Field("lab_id").Unique().Required().Immutable(),
		edge.To("measurements", Measurement.Type).
			Annotations(noInput),
		documentsEdge(),
	}
}

// Indexes of the Inspection.
func (Inspection) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("batch_id", "inspected_at"),
		index.Fields("lab_id", "inspected_at"),
		index.Fields("received_at"),
	}
}

// Annotations of the Inspection.
func (Inspection) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}

// Measurement is one measured value of an inspection, such as TVB-N in
// mg/100g, with the legal limits it is judged against.
type Measurement struct {
	ent.Schema
}

// Fields of the Measurement.
func (Measurement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("inspection_id").Immutable(),
		field.String("name").NotEmpty().MaxRuneLen(64).Immutable(),
		field.Float("value").Immutable(),
		field.String("unit").MaxRuneLen(16).Default("").Immutable(),
		field.Float("limit_min").Optional().Nillable().Immutable(),
		field.Float("limit_max").Optional().Nillable().Immutable(),
	}
}

// Edges of the Measurement.
func (Measurement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("inspection", Inspection.Type).Ref("measurements").
			Field("inspection_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Measurement.
func (Measurement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("inspection_id"),
		index.Fields("name"),
	}
}

// TraceCode is what the QR code on a package carries: an opaque, unguessable
// code that resolves to its batch (and, when serialised, to one item).
type TraceCode struct {
	ent.Schema
}

// Fields of the TraceCode.
func (TraceCode) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").NotEmpty().MaxLen(32).Unique().Immutable(),
		field.Int("batch_id").Immutable(),
		field.String("serial").Optional().Nillable().MaxLen(20).Immutable(),
		field.Int64("scan_count").Default(0).
			Annotations(entgql.OrderField("SCAN_COUNT")),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Edges of the TraceCode.
func (TraceCode) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alerts", Alert.Type).Annotations(hidden),
		edge.From("batch", Batch.Type).Ref("trace_codes").
			Field("batch_id").Unique().Required().Immutable(),
		edge.To("scan_events", ScanEvent.Type).
			Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the TraceCode.
func (TraceCode) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("batch_id", "serial").Unique(),
	}
}

// Annotations of the TraceCode.
func (TraceCode) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
