//go:build ignore

// entc generates the Ent client and entgql's GraphQL schema for it.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithWhereInputs(true),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithRelaySpec(true),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	opts := []entc.Option{
		entc.Extensions(ex),
		// IDStep is the step between the auto-increment ids the database
		// hands out (store.Open reads it): a Galera node's ids go up by
		// the cluster's size. Ent numbers the rows of a many-row INSERT
		// from LAST_INSERT_ID() one by one; store.BulkIDs renumbers them.
		entc.Dependency(entc.DependencyName("IDStep"), entc.DependencyType(int(0))),
		entc.FeatureNames("sql/upsert", "sql/lock", "sql/modifier", "sql/execquery", "sql/globalid", "privacy", "entql", "intercept"),
	}
	if err := entc.Generate("./schema", &gen.Config{}, opts...); err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
