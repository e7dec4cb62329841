// Package graph is Suyuan's GraphQL layer: the gqlgen resolvers over the Ent
// client, the per-request dataloaders, and the error presenter.
package graph

//go:generate sh -c "cd .. && go run github.com/99designs/gqlgen generate"

import (
	"time"

	"suyuan/ent"
	"suyuan/graph/model"
	"suyuan/internal/alert"
	"suyuan/internal/auth"
	"suyuan/internal/eventlog"
	"suyuan/internal/recall"
	"suyuan/internal/record"
	"suyuan/internal/trace"
)

// Resolver holds the dependencies every resolver shares. It is built once
// per server and must not hold per-request state.
type Resolver struct {
	client   *ent.Client
	log      *eventlog.Log
	recorder *record.Recorder
	reader   *trace.Reader
	auth     *auth.Service
	alerts   *alert.Broker
	recalls  *recall.Service
	now      func() time.Time
}

// payload turns issued tokens into the GraphQL answer.
func payload(t *auth.Tokens, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{
		AccessToken: t.AccessToken, AccessTokenExpiresAt: t.AccessExpiresAt,
		RefreshToken: t.RefreshToken, RefreshTokenExpiresAt: t.RefreshExpiresAt,
		User: t.User,
	}, nil
}

// maxNodes bounds the ids of one nodes query, as connections bound pages.
const maxNodes = 100

// pointers returns pointers to the elements of xs, as gqlgen's resolvers of
// lists of objects want.
func pointers[T any](xs []T) []*T {
	out := make([]*T, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}
