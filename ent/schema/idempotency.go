package schema

import (
	"net/http"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/ent/privacy"
)

// IdempotencyRecord is one Idempotency-Key a caller sent with a request
// that changes something, and the answer it got (internal/idempotency). It
// lives in the database so that a retry reaching another server over it
// finds the first answer.
type IdempotencyRecord struct {
	ent.Schema
}

// Fields of the IdempotencyRecord.
func (IdempotencyRecord) Fields() []ent.Field {
	return []ent.Field{
		field.String("scope").MaxLen(32).Immutable().
			Comment(`Whose key it is: "user:" and a user id, or "key:" and an API key id.`),
		field.String("key").MaxLen(255).Immutable().
			Comment("The Idempotency-Key, as sent."),
		field.String("fingerprint").MaxLen(64).Immutable().
			Comment("SHA-256, in hex, of the request's method, path and body."),
		field.Enum("state").Values("PROCESSING", "COMPLETED").Default("PROCESSING"),
		field.Time("locked_until").SchemaType(datetime()).Optional().Nillable().
			Comment("While PROCESSING: until when the server that claimed the key is taken to be working on it."),
		field.Int("response_status").Optional(),
		field.JSON("response_header", http.Header{}).Optional(),
		field.Bytes("response_body").Optional().
			SchemaType(map[string]string{dialect.MySQL: "mediumblob"}),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable(),
		field.Time("expires_at").SchemaType(datetime()).
			Comment("After this the key is forgotten and may be used again."),
	}
}

// Indexes of the IdempotencyRecord.
func (IdempotencyRecord) Indexes() []ent.Index {
	return []ent.Index{
		// Decides the race between two requests with one key: the second
		// insert fails.
		index.Fields("scope", "key").Unique(),
		index.Fields("expires_at"),
	}
}

// Annotations of the IdempotencyRecord.
func (IdempotencyRecord) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		// Keys are compared byte for byte; MySQL's default collations
		// ignore case.
		entsql.Annotation{Charset: "utf8mb4", Collation: "utf8mb4_bin"},
	}
}

// Policy of the IdempotencyRecord: the server's own work only (its System
// context allows before any rule runs).
func (IdempotencyRecord) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
