package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	gen "suyuan/ent"
	"suyuan/ent/hook"
	"suyuan/internal/cnid"
	"suyuan/internal/viewer"
)

// User is a person who logs in with a mainland mobile number and a
// password, on behalf of one organisation.
type User struct {
	ent.Schema
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Immutable(),
		field.String("phone").MaxLen(11).Unique().
			Validate(validator(cnid.Phone)),
		field.String("name").MaxRuneLen(100).Default(""),
		field.String("password_hash").Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("role").GoType(viewer.Role("")),
		field.Bool("active").Default(true),
		field.Time("last_login_at").SchemaType(datetime()).Optional().Nillable().
			Annotations(noInput),
		field.Int("token_generation").Default(0).
			Comment("Bumped whenever the account's access tokens must stop working at once (deactivation, a password or role change); access tokens carry the generation they were issued under.").
			Annotations(hidden),
	}
}

// Hooks of the User.
func (User) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(revokeTokens, ent.OpUpdate|ent.OpUpdateOne)}
}

// revokeTokens bumps the token generation of accounts whose password or
// role changes or which are deactivated, whatever code path changes them,
// so that their access tokens are refused from then on.
func revokeTokens(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		_, password := m.PasswordHash()
		_, role := m.Role()
		active, setsActive := m.Active()
		if password || role || (setsActive && !active) {
			m.AddTokenGeneration(1)
		}
		return next.Mutate(ctx, m)
	})
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alert_changes", Alert.Type).Annotations(hidden),
		edge.To("recalls_initiated", Recall.Type).Annotations(hidden),
		edge.To("recalls_closed", Recall.Type).Annotations(hidden),
		edge.From("organization", Organization.Type).Ref("users").
			Field("organization_id").Unique().Required().Immutable(),
		edge.To("refresh_tokens", RefreshToken.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// RefreshToken is one opaque refresh token, stored only as a hash. Tokens
// of one login form a family: each refresh spends one token and issues the
// next; presenting a spent one revokes the family.
type RefreshToken struct {
	ent.Schema
}

// Fields of the RefreshToken.
func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("family").MaxLen(32).Immutable(),
		field.Bytes("token_hash").MaxLen(32).Unique().Immutable().Sensitive(),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable(),
		field.Time("expires_at").SchemaType(datetime()).Immutable(),
		field.Time("used_at").SchemaType(datetime()).Optional().Nillable(),
		field.Time("revoked_at").SchemaType(datetime()).Optional().Nillable(),
	}
}

// Edges of the RefreshToken.
func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("refresh_tokens").
			Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the RefreshToken.
func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("family"), index.Fields("user_id")}
}

// Annotations of the RefreshToken.
func (RefreshToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// APIKey lets a partner system act for an organisation. The key is shown
// once; only its hash is kept.
type APIKey struct {
	ent.Schema
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.Int("organization_id").Immutable(),
		field.String("name").NotEmpty().MaxRuneLen(100),
		field.String("prefix").MaxLen(16).Unique().Immutable().
			Comment("The key's public part, shown in lists and used to find it."),
		field.Bytes("key_hash").MaxLen(32).Immutable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("can_write").Default(false).Immutable(),
		field.Int("created_by").Optional().Nillable().Immutable(),
		field.Time("created_at").SchemaType(datetime()).Default(now).Immutable(),
		field.Time("last_used_at").SchemaType(datetime()).Optional().Nillable(),
		field.Time("revoked_at").SchemaType(datetime()).Optional().Nillable(),
	}
}

// Edges of the APIKey.
func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("api_keys").
			Field("organization_id").Unique().Required().Immutable(),
	}
}

// Annotations of the APIKey.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// AuditEntry records one change: who made it, for which organisation,
// through which operation, to which row and fields, and in which request.
type AuditEntry struct {
	ent.Schema
}

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").SchemaType(datetime()).Default(now).Immutable().
			Annotations(entgql.OrderField("AT")),
		field.Int("actor_user_id").Optional().Nillable().Immutable(),
		field.Int("actor_key_id").Optional().Nillable().Immutable(),
		field.Int("organization_id").Optional().Nillable().Immutable().
			Comment("The actor's organisation."),
		field.String("operation").MaxLen(64).Immutable().
			Annotations(entgql.OrderField("OPERATION")),
		field.String("entity").MaxLen(32).Immutable(),
		field.Int("entity_id").Immutable(),
		field.Strings("fields").Optional().Immutable(),
		field.String("request_id").MaxLen(32).Default("").Immutable(),
	}
}

// Edges of the AuditEntry.
func (AuditEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("audit_entries").
			Field("organization_id").Unique().Immutable(),
	}
}

// Indexes of the AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("at"),
		index.Fields("organization_id", "at"),
		index.Fields("entity", "entity_id"),
	}
}

// Annotations of the AuditEntry.
func (AuditEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
