package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Shipment is one trip of a carrier from one facility to another.
type Shipment struct {
	ent.Schema
}

// Mixin of the Shipment.
func (Shipment) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Shipment.
func (Shipment) Fields() []ent.Field {
	return []ent.Field{
		field.Int("carrier_id").Immutable(),
		field.Int("from_facility_id").Immutable(),
		field.Int("to_facility_id").Immutable(),
		field.String("vehicle_plate").MaxRuneLen(16).Default(""),
		field.Time("departed_at").SchemaType(datetime()).Optional().Nillable().
			Annotations(entgql.OrderField("DEPARTED_AT")),
		field.Time("arrived_at").SchemaType(datetime()).Optional().Nillable().
			Annotations(entgql.OrderField("ARRIVED_AT")),
		field.Enum("status").Values("PLANNED", "IN_TRANSIT", "DELIVERED", "REJECTED").
			Default("PLANNED").
			Annotations(entgql.OrderField("STATUS")),
		field.String("reference_doc").
			Comment("The carrier's or shipper's document number (bill of lading, waybill).").
			MaxRuneLen(64).Default(""),
		receivedAt(true),
	}
}

// Edges of the Shipment.
func (Shipment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alerts", Alert.Type).Annotations(hidden),
		documentsEdge(),
		edge.From("carrier", Organization.Type).Ref("shipments").
			Field("carrier_id").Unique().Required().Immutable(),
		edge.From("from_facility", Facility.Type).Ref("shipments_out").
			Field("from_facility_id").Unique().Required().Immutable(),
		edge.From("to_facility", Facility.Type).Ref("shipments_in").
			Field("to_facility_id").Unique().Required().Immutable(),
		edge.To("items", ShipmentItem.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("sensor_readings", SensorReading.Type).
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the Shipment.
func (Shipment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("carrier_id", "departed_at"),
		index.Fields("from_facility_id", "departed_at"),
		index.Fields("to_facility_id", "arrived_at"),
		index.Fields("departed_at"),
		index.Fields("received_at"),
	}
}

// Annotations of the Shipment.
func (Shipment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}

// ShipmentItem is a quantity of one batch on a shipment.
type ShipmentItem struct {
	ent.Schema
}

// Fields of the ShipmentItem.
func (ShipmentItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("shipment_id").Immutable(),
		field.Int("batch_id").Immutable(),
		quantityField(),
		unitField(),
	}
}

// Edges of the ShipmentItem.
func (ShipmentItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("shipment", Shipment.Type).Ref("items").
			Field("shipment_id").Unique().Required().Immutable(),
		edge.From("batch", Batch.Type).Ref("shipment_items").
			Field("batch_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ShipmentItem.
func (ShipmentItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("shipment_id", "batch_id").Unique(),
		index.Fields("batch_id"),
	}
}

// Annotations of the ShipmentItem.
func (ShipmentItem) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// SensorReading is a temperature (and optionally humidity and position)
// logged during a shipment or at a facility: the cold chain.
type SensorReading struct {
	ent.Schema
}

// Fields of the SensorReading.
func (SensorReading) Fields() []ent.Field {
	return []ent.Field{
		field.Int("shipment_id").Optional().Nillable().Immutable(),
		field.Int("facility_id").Optional().Nillable().Immutable(),
		field.Time("recorded_at").SchemaType(datetime()).Immutable().
			Annotations(entgql.OrderField("RECORDED_AT")),
		field.Float("temperature_c").Immutable().Min(-100).Max(100).
			Annotations(entgql.OrderField("TEMPERATURE")),
		field.Float("humidity").Optional().Nillable().Immutable().Min(0).Max(100),
		field.Float("latitude").Optional().Nillable().Immutable().Min(-90).Max(90),
		field.Float("longitude").Optional().Nillable().Immutable().Min(-180).Max(180),
		receivedAt(false),
	}
}

// Edges of the SensorReading.
func (SensorReading) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("shipment", Shipment.Type).Ref("sensor_readings").
			Field("shipment_id").Unique().Immutable(),
		edge.From("facility", Facility.Type).Ref("sensor_readings").
			Field("facility_id").Unique().Immutable(),
	}
}

// Indexes of the SensorReading.
func (SensorReading) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("shipment_id", "recorded_at"),
		index.Fields("facility_id", "recorded_at"),
		index.Fields("received_at"),
	}
}

// Annotations of the SensorReading.
func (SensorReading) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
