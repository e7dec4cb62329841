package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"suyuan/ent/privacy"
)

// LoginThrottle counts the failed logins of one phone number or one client
// address, and holds the time before which further attempts are refused
// (internal/auth). It lives in the database so that every server over it
// counts the same failures.
type LoginThrottle struct {
	ent.Schema
}

// Fields of the LoginThrottle.
func (LoginThrottle) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").MaxLen(64).Unique().Immutable().
			Comment(`"phone:" and a normalised phone number, or "addr:" and a client address (IPv6: its /64).`),
		field.Int("failures").NonNegative().Default(0).
			Comment("Failed logins since the key was last quiet."),
		field.Time("last_failure_at").SchemaType(datetime()),
		field.Time("blocked_until").SchemaType(datetime()).Optional().Nillable(),
	}
}

// Indexes of the LoginThrottle.
func (LoginThrottle) Indexes() []ent.Index {
	return []ent.Index{index.Fields("last_failure_at")}
}

// Annotations of the LoginThrottle.
func (LoginThrottle) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the LoginThrottle: the server's own work only (its System
// context allows before any rule runs).
func (LoginThrottle) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
