package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/internal/anomaly"
)

// alertKinds are the GraphQL and column values of Alert.kind.
func alertKinds() []string {
	var s []string
	for _, k := range anomaly.Kinds() {
		s = append(s, string(k))
	}
	return s
}

// Alert is what a screening rule found about one subject — a batch, a
// shipment, a facility, a trace code or a recall — for one organisation,
// with its evidence and where it stands in the review workflow. A rule
// firing again on the same subject updates its alert: dedup_key is unique.
type Alert struct {
	ent.Schema
}

// Mixin of the Alert.
func (Alert) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Alert.
func (Alert) Fields() []ent.Field {
	skip := entgql.Skip(entgql.SkipAll)
	return []ent.Field{
		field.Enum("kind").Values(alertKinds()...).Immutable().
			Annotations(entgql.OrderField("KIND")),
		field.Enum("severity").Values("LOW", "MEDIUM", "HIGH", "CRITICAL").
			Annotations(entgql.OrderField("SEVERITY")),
		field.Enum("subject_type").Values("BATCH", "SHIPMENT", "FACILITY", "TRACE_CODE", "RECALL").Immutable(),
		field.Int("subject_id").Immutable(),
		field.String("dedup_key").MaxLen(96).Unique().Immutable().
			Comment("kind/subject type/subject id/organisation: one alert per rule, subject and organisation.").
			Annotations(skip),
		field.Int("organization_id").Immutable().
			Comment("The organisation concerned: the producer, carrier or store."),
		field.String("region_code").MaxLen(6).Immutable().
			Comment("Region of the place concerned; regulators see their region's alerts."),
		field.Int("batch_id").Optional().Nillable().Immutable(),
		field.Int("shipment_id").Optional().Nillable().Immutable(),
		field.Int("facility_id").Optional().Nillable().Immutable(),
		field.Int("trace_code_id").Optional().Nillable().Immutable(),
		field.Int("recall_id").Optional().Nillable().Immutable(),
		field.Time("detected_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("DETECTED_AT")),
		field.Time("last_detected_at").SchemaType(datetime()).
			Annotations(entgql.OrderField("LAST_DETECTED_AT")),
		field.JSON("evidence", anomaly.Evidence{}).
			Annotations(entgql.Type("AlertEvidence"), entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)),
		field.String("fingerprint").MaxLen(64).Default("").
			Comment("Hash of the evidence: a changed finding reopens a resolved alert.").
			Annotations(skip),
		field.Enum("status").Values("OPEN", "ACKNOWLEDGED", "RESOLVED", "DISMISSED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		field.String("status_note").MaxRuneLen(2000).Default(""),
		field.Time("status_changed_at").SchemaType(datetime()).Optional().Nillable(),
		field.Int("status_changed_by_id").Optional().Nillable(),
	}
}

// Edges of the Alert.
//
// None of them filters alerts (has…With): such filters run as subqueries
// beneath the privacy rules, and would let an organisation probe the rows
// of others through its alerts.
func (Alert) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("alerts").
			Field("organization_id").Unique().Required().Immutable().Annotations(noFilter),
		edge.From("batch", Batch.Type).Ref("alerts").Field("batch_id").Unique().Immutable().Annotations(noFilter),
		edge.From("shipment", Shipment.Type).Ref("alerts").Field("shipment_id").Unique().Immutable().Annotations(noFilter),
		edge.From("facility", Facility.Type).Ref("alerts").Field("facility_id").Unique().Immutable().Annotations(noFilter),
		edge.From("trace_code", TraceCode.Type).Ref("alerts").Field("trace_code_id").Unique().Immutable().Annotations(noFilter),
		edge.From("recall", Recall.Type).Ref("alerts").Field("recall_id").Unique().Immutable().Annotations(noFilter),
		edge.From("status_changed_by", User.Type).Ref("alert_changes").Field("status_changed_by_id").Unique().Annotations(noFilter),
	}
}

// noFilter keeps an edge out of the generated where input.
var noFilter = entgql.Skip(entgql.SkipWhereInput)

// Indexes of the Alert.
func (Alert) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("region_code", "detected_at"),
		index.Fields("organization_id", "detected_at"),
		index.Fields("status", "detected_at"),
		// The dashboard counts open alerts by region from this index alone.
		index.Fields("status", "region_code"),
		index.Fields("batch_id"),
		index.Fields("shipment_id"),
	}
}

// Annotations of the Alert.
func (Alert) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}

// Recall takes batches, and everything made from them, off the market.
// Its places record what stood on each store's shelves when it began.
type Recall struct {
	ent.Schema
}

// Mixin of the Recall.
func (Recall) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Recall.
func (Recall) Fields() []ent.Field {
	return []ent.Field{
		field.String("reason").NotEmpty().MaxRuneLen(2000).Immutable(),
		field.Enum("class").Values("I", "II", "III").Immutable().
			Comment("I: a reasonable probability of serious harm; II: remote; III: unlikely."),
		field.Enum("depth").Values("WHOLESALE", "RETAIL", "CONSUMER").Immutable().
			Comment("How far down the chain the recall reaches."),
		field.Enum("status").Values("OPEN", "CLOSED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		field.Int("organization_id").Immutable().
			Comment("The organisation that initiated it: the producer or a regulator."),
		field.String("region_code").MaxLen(6).Immutable().
			Comment("Region of the root batches' producer."),
		field.Int("initiated_by_id").Optional().Nillable().Immutable(),
		field.Time("initiated_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("INITIATED_AT")),
		field.Time("closed_at").SchemaType(datetime()).Optional().Nillable(),
		field.Int("closed_by_id").Optional().Nillable(),
		field.String("closing_note").MaxRuneLen(2000).Default(""),
		field.Int("affected_batches").NonNegative().Immutable().
			Comment("The root batches and every batch made from them."),
	}
}

// Edges of the Recall. They filter no recalls, for the reason given at
// Alert's edges: a store must not learn where else a recall reached.
func (Recall) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("recalls").
			Field("organization_id").Unique().Required().Immutable().Annotations(noFilter),
		edge.From("initiated_by", User.Type).Ref("recalls_initiated").
			Field("initiated_by_id").Unique().Immutable().Annotations(noFilter),
		edge.From("closed_by", User.Type).Ref("recalls_closed").
			Field("closed_by_id").Unique().Annotations(noFilter),
		edge.To("batches", Batch.Type).
			Comment("The root batches recalled; downstream batches follow from lineage.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		edge.To("places", RecallPlace.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		edge.To("alerts", Alert.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
	}
}

// Indexes of the Recall.
func (Recall) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "initiated_at"),
		index.Fields("region_code", "initiated_at"),
	}
}

// Annotations of the Recall.
func (Recall) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}

// RecallPlace is one recalled batch on the shelves of one store when a
// recall began: the baseline its progress is measured against.
type RecallPlace struct {
	ent.Schema
}

// Fields of the RecallPlace.
func (RecallPlace) Fields() []ent.Field {
	return []ent.Field{
		field.Int("recall_id").Immutable(),
		field.Int("facility_id").Immutable(),
		field.Int("batch_id").Immutable(),
		field.Int64("on_shelf_milli").NonNegative().Immutable().
			Comment("Thousandths of the batch's unit on the shelf when the recall began.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		unitField(),
	}
}

// Edges of the RecallPlace.
func (RecallPlace) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("recall", Recall.Type).Ref("places").
			Field("recall_id").Unique().Required().Immutable(),
		edge.From("facility", Facility.Type).Ref("recall_places").
			Field("facility_id").Unique().Required().Immutable(),
		edge.From("batch", Batch.Type).Ref("recall_places").
			Field("batch_id").Unique().Required().Immutable(),
	}
}

// Indexes of the RecallPlace.
func (RecallPlace) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("recall_id", "facility_id", "batch_id").Unique(),
	}
}

// DailyCount is one denormalised dashboard counter: how many of something
// happened in a region on a day (China Standard Time; carriers' counters
// by month), optionally broken
// down by a key such as an alert's kind and severity or a carrier. It is
// kept in the transaction that writes the rows it counts.
type DailyCount struct {
	ent.Schema
}

// Fields of the DailyCount.
func (DailyCount) Fields() []ent.Field {
	return []ent.Field{
		field.String("region_code").MaxLen(6).Immutable(),
		field.String("day").MaxLen(10).Immutable().Comment("YYYY-MM-DD in China Standard Time; YYYY-MM for metrics counted by month."),
		field.String("metric").MaxLen(32).Immutable(),
		field.String("dim").MaxLen(64).Default("").Immutable(),
		field.Int64("value"),
	}
}

// Indexes of the DailyCount.
func (DailyCount) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("metric", "day", "region_code", "dim").Unique(),
	}
}

// Annotations of the DailyCount.
func (DailyCount) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
