// Package graph is Suyuan's GraphQL layer: the gqlgen resolvers over the Ent
// client, the per-request dataloaders, and the error presenter.
package graph

//go:generate sh -c "cd .. && go run github.com/99designs/gqlgen generate"

import (
	"suyuan/ent"
	"suyuan/internal/record"
)

// Resolver holds the dependencies every resolver shares. It is built once
// per server and must not hold per-request state.
type Resolver struct {
	client   *ent.Client
	recorder *record.Recorder
}

// NewResolver returns the root resolver over client.
func NewResolver(client *ent.Client, recorder *record.Recorder) *Resolver {
	return &Resolver{client: client, recorder: recorder}
}

// maxNodes bounds the ids of one nodes query, as connections bound pages.
const maxNodes = 100
