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

// Webhook is an endpoint of a partner system that hears of what happens:
// the log's EPCIS events matching its query, recalls and alerts — only
// those its owner (the account that registered it) may read. Deliveries
// come from the outbox (internal/webhook); an EPCIS query subscription is
// a webhook of one named query.
type Webhook struct {
	ent.Schema
}

// Fields of the Webhook.
func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Immutable(),
		field.Int("owner_user_id").Optional().Nillable().Immutable().
			Comment("The user who registered it: deliveries carry what this account may read."),
		field.Int("owner_key_id").Optional().Nillable().Immutable().
			Comment("The API key that registered it, when no user did."),
		field.String("url").MaxLen(2048).
			Comment("Where deliveries are POSTed."),
		field.Bytes("secret").MaxLen(128).Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("The HMAC-SHA256 key signing deliveries; shown to its owner once, when given or made."),
		field.Strings("topics").
			Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("EPCIS_EVENT, RECALL, ALERT."),
		field.JSON("query", map[string][]string{}).Optional().
			Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("EPCIS query parameters the events must match; empty: every event the owner may read."),
		field.Int("epcis_query_id").Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("The named EPCIS query of a query subscription."),
		field.String("subscription_id").MaxLen(40).Optional().Nillable().Unique().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("A query subscription's subscriptionID."),
		field.Bool("active").Default(true),
		field.String("description").MaxRuneLen(200).Default(""),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("disabled_at").SchemaType(datetime()).Optional().Nillable(),
		field.String("disabled_reason").MaxRuneLen(200).Default(""),
	}
}

// Edges of the Webhook.
func (Webhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("webhooks").
			Field("organization_id").Unique().Required().Immutable(),
		edge.To("deliveries", WebhookDelivery.Type).
			Annotations(entgql.RelayConnection()),
		edge.From("epcis_query", EPCISQuery.Type).Ref("subscriptions").
			Field("epcis_query_id").Unique().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the Webhook.
func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Policy of the Webhook: its organisation's, changed through package
// webhook only.
func (Webhook) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenancy.WebhookRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// WebhookDelivery is one message to a webhook: what one change of the log
// told it about one topic, and how sending it went. Deliveries of a
// webhook are sent in the order of their ids, each until it succeeds or
// has failed too often (DEAD); a replay makes dead ones pending again.
type WebhookDelivery struct {
	ent.Schema
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("webhook_id").Immutable(),
		field.Int("change_id").Immutable().
			Comment("The change of the log the delivery tells of."),
		field.Enum("topic").Values("EPCIS_EVENT", "RECALL", "ALERT").Immutable(),
		field.Int("part").Default(0).Immutable().
			Comment("Which page of a change's events, when they are many."),
		field.Text("payload").Immutable().
			SchemaType(map[string]string{dialect.MySQL: "longtext"}).
			Annotations(entgql.Skip(entgql.SkipWhereInput)).
			Comment("The body POSTed, as it was signed."),
		field.Enum("status").Values("PENDING", "DELIVERED", "DEAD").Default("PENDING"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").SchemaType(datetime()).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("last_attempt_at").SchemaType(datetime()).Optional().Nillable(),
		field.Int("response_status").Optional().Nillable().
			Comment("The HTTP status of the last attempt's answer."),
		field.String("last_error").MaxRuneLen(300).Default(""),
		field.Time("delivered_at").SchemaType(datetime()).Optional().Nillable(),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable(),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("webhook", Webhook.Type).Ref("deliveries").
			Field("webhook_id").Unique().Required().Immutable(),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		// A change tells a webhook of a topic once, however often the
		// outbox is read again after a restart.
		index.Fields("webhook_id", "change_id", "topic", "part").Unique(),
		index.Fields("status", "webhook_id"),
	}
}

// Annotations of the WebhookDelivery.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Policy of the WebhookDelivery: as its webhook.
func (WebhookDelivery) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenancy.WebhookDeliveryRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// EPCISQuery is a named EPCIS query of an organisation (POST /epcis/queries):
// a view on the events its members may read, which query subscriptions
// follow.
type EPCISQuery struct {
	ent.Schema
}

// Fields of the EPCISQuery.
func (EPCISQuery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Immutable(),
		field.String("name").MaxLen(100).NotEmpty().Immutable(),
		field.JSON("query", map[string][]string{}).Immutable(),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable(),
	}
}

// Edges of the EPCISQuery.
func (EPCISQuery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("epcis_queries").
			Field("organization_id").Unique().Required().Immutable(),
		edge.To("subscriptions", Webhook.Type),
	}
}

// Indexes of the EPCISQuery.
func (EPCISQuery) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "name").Unique()}
}

// Annotations of the EPCISQuery.
func (EPCISQuery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the EPCISQuery: its organisation's.
func (EPCISQuery) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenancy.EPCISQueryRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// OutboxCursor is how far a follower of the outbox that must not miss a
// change (the webhook dispatcher) has read it: every change up to
// position has been handled, across restarts.
type OutboxCursor struct {
	ent.Schema
}

// Fields of the OutboxCursor.
func (OutboxCursor) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxLen(32).Unique().Immutable(),
		field.Int("position"),
	}
}

// Annotations of the OutboxCursor.
func (OutboxCursor) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the OutboxCursor: the server's own work only.
func (OutboxCursor) Policy() ent.Policy { return systemOnly() }
