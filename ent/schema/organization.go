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

// Organization is a business or authority: a producer, processor, carrier,
// retailer, laboratory or regulator. Users belong to one, and tenancy
// follows it.
type Organization struct {
	ent.Schema
}

// Mixin of the Organization.
func (Organization) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Organization.
func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").Values("PRODUCER", "PROCESSOR", "CARRIER", "RETAILER", "LAB", "REGULATOR").
			Annotations(entgql.OrderField("KIND")),
		field.String("credit_code").
			Comment("Unified social credit code (GB 32100), 18 characters.").
			MaxLen(18).
			Validate(validator(cnid.CreditCode)).
			Unique(),
		field.String("license_no").
			Comment("Food production licence number, SC + 14 digits; producers and processors only.").
			Optional().Nillable().
			MaxLen(16).
			Validate(validator(cnid.LicenseNo)),
		field.String("gln").
			Comment("GS1 Global Location Number of the organisation as a party (GS1's party GLN), 13 digits; its facilities carry their own.").
			Optional().Nillable().MaxLen(13).
			Validate(validator(gs1.GLN)).
			Unique(),
		field.String("region_code").
			Comment("Six-digit administrative division code.").
			MaxLen(6).
			Validate(validator(cnid.RegionCode)).
			Annotations(entgql.OrderField("REGION_CODE")),
		field.String("contact_phone").
			Comment("Mainland mobile number; private: never shown to the public.").
			Optional().Nillable().
			MaxLen(11).
			Validate(validator(cnid.Phone)),
		field.Enum("status").Values("ACTIVE", "SUSPENDED", "REVOKED").Default("ACTIVE"),
	}
}

// Edges of the Organization.
func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alerts", Alert.Type).Annotations(hidden),
		edge.To("recalls", Recall.Type).Annotations(hidden),
		documentsEdge(),
		edge.To("facilities", Facility.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("products", Product.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("batches", Batch.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("shipments", Shipment.Type).
			Comment("Shipments this organisation carried.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("inspections", Inspection.Type).
			Comment("Inspections this organisation performed as a laboratory.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("users", User.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("api_keys", APIKey.Type).
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("audit_entries", AuditEntry.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("webhooks", Webhook.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("epcis_queries", EPCISQuery.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Organization.
func (Organization) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("region_code", "kind"),
		index.Fields("name"),
		// Partners find an organisation by its licence number
		// (organizationByKey); the number is not unique in the data.
		index.Fields("license_no"),
	}
}

// Annotations of the Organization.
func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// validator adapts a normalising parser to an Ent field validator: the value
// stored must already be in the parser's canonical form.
func validator(parse func(string) (string, error)) func(string) error {
	return func(s string) error {
		v, err := parse(s)
		if err != nil {
			return err
		}
		if v != s {
			return errNotCanonical
		}
		return nil
	}
}
