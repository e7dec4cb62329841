package schema

import (
	"errors"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// errNotCanonical is returned by validators for identifiers that callers
// should have normalised before storing them.
var errNotCanonical = errors.New("identifier is not in its canonical form")

// noInput keeps a field or edge out of the generated create and update
// inputs: it is set by the recording operations, which enforce the rules.
var noInput = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// hidden keeps a back-reference edge out of the GraphQL schema: it exists
// for joins and filters in Go, not as a field clients traverse.
var hidden = entgql.Skip(entgql.SkipAll)

// Batch is a traceability lot: a quantity of one product made by one
// producer at one facility.
type Batch struct {
	ent.Schema
}

// Mixin of the Batch.
func (Batch) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Batch.
func (Batch) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id").Immutable(),
		field.Int("organization_id").Immutable().
			Comment("The producer."),
		field.Int("facility_id").Immutable().
			Comment("Where the batch was produced."),
		field.String("lot_code").NotEmpty().MaxLen(20).Immutable().
			Annotations(entgql.OrderField("LOT_CODE")),
		field.Time("produced_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("PRODUCED_AT")),
		quantityField(),
		unitField(),
		field.Time("expires_at").SchemaType(datetime()).Optional().Nillable().Immutable().
			Annotations(entgql.OrderField("EXPIRES_AT")),
		field.Enum("status").Values("ACTIVE", "ON_HOLD", "RECALLED", "EXHAUSTED", "DESTROYED").
			Default("ACTIVE").
			Annotations(entgql.OrderField("STATUS")),
		// Kept in step with scan_events by the scan recorder, so that a
		// count needs no aggregate over millions of scans.
		// Batch.scanCount is resolved by hand: only the producer and
		// regulators may see it, while carriers and retailers see the batch.
		field.Int64("scan_count").Default(0).
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput), entgql.OrderField("SCAN_COUNT")),
	}
}

// Edges of the Batch.
func (Batch) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alerts", Alert.Type).Annotations(hidden),
		edge.To("recall_places", RecallPlace.Type).Annotations(hidden),
		edge.From("recalls", Recall.Type).Ref("batches").Annotations(hidden),
		documentsEdge(),
		edge.From("product", Product.Type).Ref("batches").
			Field("product_id").Unique().Required().Immutable(),
		edge.From("producer", Organization.Type).Ref("batches").
			Field("organization_id").Unique().Required().Immutable(),
		edge.From("facility", Facility.Type).Ref("batches").
			Field("facility_id").Unique().Required().Immutable(),
		edge.To("inputs", BatchInput.Type).
			Comment("What this batch was made from.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("used_in", BatchInput.Type).
			Comment("Batches made from this one.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("inspections", Inspection.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("shipment_items", ShipmentItem.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("shelf_events", ShelfEvent.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("trace_codes", TraceCode.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("stocks", Stock.Type).
			Comment("Where the batch is held now, and how much.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("scan_events", ScanEvent.Type).
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the Batch.
func (Batch) Indexes() []ent.Index {
	return []ent.Index{
		// A lot code identifies a lot within its product (GS1 AI 10 with AI 01).
		index.Fields("product_id", "lot_code").Unique(),
		index.Fields("organization_id", "produced_at"),
		index.Fields("facility_id"),
		index.Fields("lot_code"),
		index.Fields("produced_at"),
	}
}

// Annotations of the Batch.
func (Batch) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		// Lot codes are case-sensitive (GS1 AI 10); MySQL's default
		// collations are not.
		entsql.Annotation{Charset: "utf8mb4", Collation: "utf8mb4_bin"},
	}
}

// BatchInput records that an output batch was made using a quantity of an
// input batch: slaughter to carcasses to cuts, tea leaves to a blend. These
// rows are the edges of the lineage graph.
type BatchInput struct {
	ent.Schema
}

// Fields of the BatchInput.
func (BatchInput) Fields() []ent.Field {
	return []ent.Field{
		field.Int("output_id").Immutable(),
		field.Int("input_id").Immutable(),
		quantityField(),
		unitField(),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable(),
	}
}

// Edges of the BatchInput.
func (BatchInput) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("output", Batch.Type).Ref("inputs").
			Field("output_id").Unique().Required().Immutable(),
		edge.From("input", Batch.Type).Ref("used_in").
			Field("input_id").Unique().Required().Immutable(),
	}
}

// Indexes of the BatchInput.
func (BatchInput) Indexes() []ent.Index {
	return []ent.Index{
		// Upstream walks go output→input, downstream input→output.
		index.Fields("output_id", "input_id").Unique(),
		index.Fields("input_id", "output_id"),
	}
}

// Annotations of the BatchInput.
func (BatchInput) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Stock is how much of a batch a facility holds now, in thousandths of the
// batch's unit. It is the running balance behind mass balance: every
// operation that moves food changes it in the same transaction, with a
// conditional update that never lets it go negative.
type Stock struct {
	ent.Schema
}

// Fields of the Stock.
func (Stock) Fields() []ent.Field {
	return []ent.Field{
		field.Int("batch_id").Immutable(),
		field.Int("facility_id").Immutable(),
		// Clients read the balance as Stock.quantity, in the batch's unit.
		field.Int64("on_hand_milli").Min(0).
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput), entgql.OrderField("QUANTITY")),
		// The batch's unit, copied so that a balance reads without a join.
		unitField(),
		field.Time("updated_at").SchemaType(datetime()).Default(now).UpdateDefault(now),
	}
}

// Edges of the Stock.
func (Stock) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("batch", Batch.Type).Ref("stocks").
			Field("batch_id").Unique().Required().Immutable(),
		edge.From("facility", Facility.Type).Ref("stocks").
			Field("facility_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Stock.
func (Stock) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("batch_id", "facility_id").Unique(),
		index.Fields("facility_id"),
	}
}

// Annotations of the Stock.
func (Stock) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
