package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"

	"suyuan/ent"
	"suyuan/ent/epcisquery"
	"suyuan/ent/webhook"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/viewer"
)

// queryName is what a named query may be called: it is a path segment.
var queryName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// CreateQuery records a named EPCIS query of the caller's organisation
// (POST /epcis/queries). A name already taken is CONFLICT.
func (s *Service) CreateQuery(ctx context.Context, name string, params url.Values) (*ent.EPCISQuery, error) {
	_, org, err := s.manager(ctx, 0)
	if err != nil {
		return nil, err
	}
	if !queryName.MatchString(name) {
		return nil, errcode.Field(errcode.BadUserInput, "name", "a query's name is 1 to 100 letters, digits, '_', '.' or '-'")
	}
	query, err := checkQuery(params, "query")
	if err != nil {
		return nil, err
	}
	var q *ent.EPCISQuery
	_, err = s.log.Record(ctx, "createEPCISQuery", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		taken, err := tx.EPCISQuery.Query().Where(epcisquery.OrganizationID(org), epcisquery.Name(name)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("reading named queries: %w", err)
		}
		if taken {
			return errcode.Field(errcode.Conflict, "name", "a query named %s exists", name)
		}
		if q, err = tx.EPCISQuery.Create().SetOrganizationID(org).SetName(name).SetQuery(query).
			SetCreatedAt(s.log.Now().UTC()).Save(ctx); err != nil {
			return fmt.Errorf("recording a named query: %w", err)
		}
		rec.Changed(ent.TypeEPCISQuery, q.ID)
		rec.Audit(ent.TypeEPCISQuery, q.ID, []string{"name", "query"})
		return nil
	})
	return q, err
}

// Queries lists the caller's organisation's named queries.
func (s *Service) Queries(ctx context.Context) ([]*ent.EPCISQuery, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to use named queries")
	}
	qs, err := s.client.EPCISQuery.Query().Where(epcisquery.OrganizationID(v.OrgID)).
		Order(ent.Asc(epcisquery.FieldName)).Limit(1000).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading named queries: %w", err)
	}
	return qs, nil
}

// Params returns a named query's parameters as the log reads them.
func Params(q *ent.EPCISQuery) (eventlog.Query, error) {
	lq, p := eventlog.ParseQuery(url.Values(q.Query))
	if p != nil {
		return eventlog.Query{}, fmt.Errorf("named query %s: %w", q.Name, p)
	}
	return lq, nil
}

// DeleteQuery removes a named query and its subscriptions.
func (s *Service) DeleteQuery(ctx context.Context, name string) error {
	if _, _, err := s.manager(ctx, 0); err != nil {
		return err
	}
	q, err := s.Query(ctx, name)
	if err != nil {
		return err
	}
	_, err = s.log.Record(ctx, "deleteEPCISQuery", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		subs, err := tx.Webhook.Query().Where(webhook.EpcisQueryID(q.ID)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("reading a query's subscriptions: %w", err)
		}
		for _, id := range subs {
			if err := deleteHook(ctx, tx, id); err != nil {
				return err
			}
			rec.Changed(ent.TypeWebhook, id)
		}
		if err := tx.EPCISQuery.DeleteOneID(q.ID).Exec(ctx); err != nil {
			return fmt.Errorf("deleting a named query: %w", err)
		}
		rec.Changed(ent.TypeEPCISQuery, q.ID)
		rec.Audit(ent.TypeEPCISQuery, q.ID, nil)
		return nil
	})
	return err
}

// Subscription is what a query subscription is made with (EPCIS 2.0,
// POST /queries/{name}/subscriptions).
type Subscription struct {
	Dest           string
	SignatureToken string // empty: deliveries are not signed
}

// Subscribe records a streaming subscription to a named query: each event
// the query matches, recorded from now on and readable by the caller, is
// POSTed to dest as an EPCISQueryDocument.
func (s *Service) Subscribe(ctx context.Context, name string, in Subscription) (*ent.Webhook, error) {
	v, org, err := s.manager(ctx, 0)
	if err != nil {
		return nil, err
	}
	q, err := s.Query(ctx, name)
	if err != nil {
		return nil, err
	}
	u, err := s.guard.Check(ctx, in.Dest, "dest")
	if err != nil {
		return nil, err
	}
	secret := in.SignatureToken
	if secret != "" {
		if secret, err = makeSecret(secret); err != nil {
			return nil, errcode.WithField(err, "signatureToken")
		}
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	var h *ent.Webhook
	_, err = s.log.Record(ctx, "subscribeEPCISQuery", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		c := tx.Webhook.Create().SetOrganizationID(org).SetURL(u.String()).SetSecret([]byte(secret)).
			SetTopics([]string{string(EPCISEvent)}).SetQuery(q.Query).SetEpcisQueryID(q.ID).
			SetSubscriptionID(id).SetDescription("subscription to query " + q.Name).SetCreatedAt(s.log.Now().UTC())
		owner(c, v)
		var err error
		if h, err = c.Save(ctx); err != nil {
			return fmt.Errorf("recording a subscription: %w", err)
		}
		rec.Changed(ent.TypeWebhook, h.ID)
		rec.Audit(ent.TypeWebhook, h.ID, []string{"url", "query"})
		return nil
	})
	return h, err
}

// Subscriptions lists the subscriptions to the caller's organisation's
// named query.
func (s *Service) Subscriptions(ctx context.Context, name string) ([]*ent.Webhook, error) {
	q, err := s.Query(ctx, name)
	if err != nil {
		return nil, err
	}
	hs, err := s.client.Webhook.Query().Where(webhook.EpcisQueryID(q.ID)).Order(ent.Asc(webhook.FieldID)).Limit(1000).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading subscriptions: %w", err)
	}
	return hs, nil
}

// Subscribed returns one subscription to a named query, or ErrNoQuery.
func (s *Service) Subscribed(ctx context.Context, name, id string) (*ent.Webhook, error) {
	q, err := s.Query(ctx, name)
	if err != nil {
		return nil, err
	}
	h, err := s.client.Webhook.Query().Where(webhook.EpcisQueryID(q.ID), webhook.SubscriptionID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrNoQuery
	}
	if err != nil {
		return nil, fmt.Errorf("reading a subscription: %w", err)
	}
	return h, nil
}

// Unsubscribe ends a subscription.
func (s *Service) Unsubscribe(ctx context.Context, name, id string) error {
	if _, _, err := s.manager(ctx, 0); err != nil {
		return err
	}
	h, err := s.Subscribed(ctx, name, id)
	if err != nil {
		return err
	}
	return s.remove(ctx, "unsubscribeEPCISQuery", h)
}
