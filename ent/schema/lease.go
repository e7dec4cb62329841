package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"suyuan/ent/privacy"
)

// Lease names the server that runs one piece of background work (the
// screener, the webhook deliverer) among the servers sharing a MariaDB or
// MySQL database (internal/lease). It is a row, not a named lock: a Galera
// cluster's named locks are each node's own, while a row's change is
// certified cluster-wide, so two servers on different nodes cannot both
// take it.
type Lease struct {
	ent.Schema
}

// Fields of the Lease.
func (Lease) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(32).Unique().Immutable(),
		field.String("holder").MaxLen(96).
			Comment("The holding server's lease id: its host, process and a random part."),
		field.Time("expires_at").SchemaType(datetime()).
			Comment("The holder renews it well before then; after it, any server may take the lease."),
		field.Time("taken_at").SchemaType(datetime()).
			Comment("When the holder took the lease (not when it last renewed it)."),
	}
}

// Annotations of the Lease.
func (Lease) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of the Lease: the servers' own (tenancy.System); no viewer reads
// or writes it.
func (Lease) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
