package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Document is a file attached to an organisation, a batch, an inspection
// or a shipment: a quarantine certificate, a laboratory report, a
// business licence. Exactly one of the four subject fields is set; who
// may read the document is whoever may read its subject
// (tenancy.DocumentRule). The content is kept apart from these fields
// (DocumentContent, or a file in the configured directory named by its
// SHA-256), so that listing documents never reads their bytes.
type Document struct {
	ent.Schema
}

// documentField keeps a field out of the generated inputs and filters:
// documents are created by the upload route only, and what a client
// filters on is its subject.
var documentField = entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// subjectField is the id of a document's subject of one kind.
func subjectField(name string) ent.Field {
	return field.Int(name).Optional().Nillable().Immutable().Annotations(hidden)
}

// Fields of the Document.
func (Document) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("QUARANTINE_CERTIFICATE", "LAB_REPORT", "BUSINESS_LICENCE", "OTHER").
			Immutable().Annotations(documentField),
		subjectField("organization_id"),
		subjectField("batch_id"),
		subjectField("inspection_id"),
		subjectField("shipment_id"),
		field.Int("owner_id").Immutable().Annotations(hidden).
			Comment("The uploader's organisation."),
		field.Int("uploaded_by_user").Optional().Nillable().Immutable().Annotations(hidden),
		field.Int("uploaded_by_key").Optional().Nillable().Immutable().Annotations(hidden),
		field.String("filename").NotEmpty().MaxRuneLen(255).Immutable().Annotations(documentField).
			Comment("The uploader's name of the file, sanitised: offered when it is downloaded, never used to store it."),
		field.String("content_type").NotEmpty().MaxLen(64).Immutable().Annotations(documentField).
			Comment("Sniffed from the content, never taken from the client."),
		field.Int64("size").Positive().Immutable().Annotations(documentField),
		field.String("sha256").MinLen(64).MaxLen(64).Immutable().Annotations(documentField),
		field.Bool("public").Default(false).Annotations(documentField).
			Comment("Whether the consumer page may say that the document exists (never its content)."),
		field.Time("uploaded_at").SchemaType(datetime()).Default(now).Immutable().Annotations(documentField),
	}
}

// Edges of the Document.
func (Document) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("documents").
			Field("organization_id").Unique().Immutable().Annotations(hidden),
		edge.From("batch", Batch.Type).Ref("documents").
			Field("batch_id").Unique().Immutable().Annotations(hidden),
		edge.From("inspection", Inspection.Type).Ref("documents").
			Field("inspection_id").Unique().Immutable().Annotations(hidden),
		edge.From("shipment", Shipment.Type).Ref("documents").
			Field("shipment_id").Unique().Immutable().Annotations(hidden),
		edge.To("content", DocumentContent.Type).Unique().Annotations(hidden),
	}
}

// Indexes of the Document.
func (Document) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id"),
		index.Fields("batch_id"),
		index.Fields("inspection_id"),
		index.Fields("shipment_id"),
		index.Fields("sha256"),
	}
}

// Annotations of the Document.
func (Document) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// documentsEdge is the documents attached to a subject, listed in
// GraphQL without filters (they are few, and eager-loaded with it).
func documentsEdge() ent.Edge {
	return edge.To("documents", Document.Type).
		Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput))
}

// DocumentContent is a document's bytes, when they are kept in the
// database (no document directory is configured). Only the server reads
// them, after the document itself was read through its policy.
type DocumentContent struct {
	ent.Schema
}

// Fields of the DocumentContent.
func (DocumentContent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("document_id").Immutable(),
		field.Bytes("content").NotEmpty().Immutable().
			SchemaType(map[string]string{dialect.MySQL: "longblob"}),
	}
}

// Edges of the DocumentContent.
func (DocumentContent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("document", Document.Type).Ref("content").
			Field("document_id").Unique().Required().Immutable(),
	}
}

// Indexes of the DocumentContent.
func (DocumentContent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("document_id").Unique()}
}

// Annotations of the DocumentContent.
func (DocumentContent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
