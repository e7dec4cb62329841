// Package graph is Suyuan's GraphQL layer: the gqlgen resolvers over the Ent
// client, the per-request dataloaders, and the error presenter.
package graph

//go:generate sh -c "cd .. && go run github.com/99designs/gqlgen generate"

import (
	"net/url"
	"time"

	"suyuan/ent"
	"suyuan/graph/model"
	"suyuan/internal/alert"
	"suyuan/internal/auth"
	"suyuan/internal/eventlog"
	"suyuan/internal/recall"
	"suyuan/internal/record"
	"suyuan/internal/trace"
	"suyuan/internal/webhook"
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
	hooks    *webhook.Service
	now      func() time.Time
}

// topics converts the GraphQL enum's values.
func topics(ts []model.WebhookTopic) []webhook.Topic {
	out := make([]webhook.Topic, len(ts))
	for i, t := range ts {
		out[i] = webhook.Topic(t)
	}
	return out
}

// queryParams gathers EPCIS query parameters as the log reads them; a
// name given twice has the values of both.
func queryParams(ps []*model.EPCISQueryParameterInput) url.Values {
	q := url.Values{}
	for _, p := range ps {
		q[p.Name] = append(q[p.Name], p.Values...)
	}
	return q
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
