package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/internal/gs1"
	"suyuan/internal/quantity"
)

// Product is a kind of food an organisation makes, such as chilled pork loin.
// Its storage range drives the cold-chain rules.
type Product struct {
	ent.Schema
}

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Immutable(),
		field.String("name").NotEmpty().MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("category").
			Values("MEAT", "POULTRY", "AQUATIC", "EGG", "DAIRY", "VEGETABLE", "FRUIT", "GRAIN", "TEA", "PROCESSED", "OTHER").
			Annotations(entgql.OrderField("CATEGORY")),
		field.String("gtin").
			Comment("GS1 GTIN in its 14-digit form.").
			Optional().Nillable().MaxLen(14).
			Validate(validator(gs1.GTIN)).
			Unique(),
		field.Enum("unit").GoType(quantity.Unit("")).
			Comment("The unit batches of this product are counted in by default.").
			Annotations(entgql.Type("Unit")),
		field.Int("shelf_life_days").Optional().Nillable().Positive().Max(3650),
		field.Float("storage_min_c").
			Comment("Lowest storage temperature, °C.").
			Optional().Nillable().Min(-80).Max(60),
		field.Float("storage_max_c").
			Comment("Highest storage temperature, °C.").
			Optional().Nillable().Min(-80).Max(60),
		field.String("description").MaxRuneLen(2000).Default(""),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("products").
			Field("organization_id").Unique().Required().Immutable(),
		edge.To("batches", Batch.Type).
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("category"),
	}
}

// Annotations of the Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
