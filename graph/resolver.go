// Package graph is Suyuan's GraphQL layer: the gqlgen resolvers over the Ent
// client, the per-request dataloaders, and the error presenter.
package graph

//go:generate sh -c "cd .. && go run github.com/99designs/gqlgen generate"

import (
	"suyuan/ent"
)

// Resolver holds the dependencies every resolver shares. It is built once
// per server and must not hold per-request state.
type Resolver struct {
	client *ent.Client
}
