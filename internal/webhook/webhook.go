// Package webhook lets partner systems hear what happens instead of
// polling: endpoints registered by an organisation's administrator or a
// partner key receive, signed, the log's EPCIS events matching their
// query, the recalls and the alerts — only those the account that
// registered them may read. Deliveries follow the event log's outbox
// (Deliverer), at least once and in order per webhook, with retries and a
// dead-letter state; an EPCIS 2.0 query subscription is a webhook of one
// named query. docs/WEBHOOKS.md is the partner's manual.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/ent/epcisquery"
	"suyuan/ent/webhook"
	"suyuan/ent/webhookdelivery"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/textcheck"
	"suyuan/internal/viewer"
)

// Topic is what a webhook hears of.
type Topic string

// Topics.
const (
	// EPCISEvent: the events of the log the webhook's query matches.
	EPCISEvent Topic = "EPCIS_EVENT"
	// Recall: a recall begun or closed that concerns the owner.
	Recall Topic = "RECALL"
	// Alert: an alert raised or raised again that the owner may read.
	Alert Topic = "ALERT"
)

// Topics lists the topics.
func Topics() []Topic { return []Topic{EPCISEvent, Recall, Alert} }

// Service registers webhooks and named EPCIS queries, through the one
// recording path.
type Service struct {
	client *ent.Client
	log    *eventlog.Log
	guard  *Guard
}

// NewService returns the registrations of client, recorded through log
// and checked by guard.
func NewService(client *ent.Client, log *eventlog.Log, guard *Guard) *Service {
	return &Service{client: client, log: log, guard: guard}
}

// Registration is what a webhook is registered with.
type Registration struct {
	// OrganizationID is whose webhook it is; 0: the caller's.
	OrganizationID int
	URL            string
	Topics         []Topic
	// Query holds EPCIS query parameters (docs/EPCIS.md, "Query") the
	// events must match; empty: every event the owner may read.
	Query       url.Values
	Secret      string // empty: one is made
	Description string
}

// Secret sizes: long enough to resist guessing, short enough for a header.
const (
	minSecret = 16
	maxSecret = 128
)

// Register records a webhook and returns it with its secret, which is
// shown this once.
func (s *Service) Register(ctx context.Context, in Registration) (*ent.Webhook, string, error) {
	v, org, err := s.manager(ctx, in.OrganizationID)
	if err != nil {
		return nil, "", err
	}
	topics, err := checkTopics(in.Topics)
	if err != nil {
		return nil, "", err
	}
	query, err := checkQuery(in.Query, "input.epcisQuery")
	if err != nil {
		return nil, "", err
	}
	secret, err := makeSecret(in.Secret)
	if err != nil {
		return nil, "", err
	}
	if err := errcode.WithField(textcheck.Check(in.Description, true), "input.description"); err != nil {
		return nil, "", err
	}
	// The address last: checking it may resolve a name.
	u, err := s.guard.Check(ctx, in.URL, "input.url")
	if err != nil {
		return nil, "", err
	}
	var h *ent.Webhook
	_, err = s.log.Record(ctx, "createWebhook", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		c := tx.Webhook.Create().SetOrganizationID(org).SetURL(u.String()).SetSecret([]byte(secret)).
			SetTopics(topics).SetQuery(query).SetDescription(in.Description).SetCreatedAt(s.log.Now().UTC())
		owner(c, v)
		var err error
		if h, err = c.Save(ctx); err != nil {
			return fmt.Errorf("registering a webhook: %w", err)
		}
		rec.Changed(ent.TypeWebhook, h.ID)
		rec.Audit(ent.TypeWebhook, h.ID, []string{"url", "topics", "query"})
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return h, secret, nil
}

// owner records who registered a webhook: deliveries carry what that
// account may read.
func owner(c *ent.WebhookCreate, v *viewer.Viewer) {
	if v.UserID != 0 {
		c.SetOwnerUserID(v.UserID)
	} else if v.KeyID != 0 {
		c.SetOwnerKeyID(v.KeyID)
	}
}

// Update changes what a webhook registered; nil fields stay.
type Update struct {
	URL         *string
	Topics      []Topic
	Query       url.Values // nil: unchanged; empty: every event
	Active      *bool
	Description *string
}

// Update changes a webhook. Activating it again resumes its pending
// deliveries where they stopped.
func (s *Service) Update(ctx context.Context, id int, in Update) (*ent.Webhook, error) {
	h, err := s.own(ctx, id)
	if err != nil {
		return nil, err
	}
	var u *url.URL
	if in.URL != nil {
		if u, err = s.guard.Check(ctx, *in.URL, "input.url"); err != nil {
			return nil, err
		}
	}
	var topics []string
	if in.Topics != nil {
		if topics, err = checkTopics(in.Topics); err != nil {
			return nil, err
		}
	}
	var query map[string][]string
	if in.Query != nil {
		if query, err = checkQuery(in.Query, "input.epcisQuery"); err != nil {
			return nil, err
		}
	}
	if in.Description != nil {
		if err := errcode.WithField(textcheck.Check(*in.Description, true), "input.description"); err != nil {
			return nil, err
		}
	}
	var out *ent.Webhook
	_, err = s.log.Record(ctx, "updateWebhook", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		up := tx.Webhook.UpdateOneID(h.ID)
		var fields []string
		if u != nil {
			up.SetURL(u.String())
			fields = append(fields, "url")
		}
		if topics != nil {
			up.SetTopics(topics)
			fields = append(fields, "topics")
		}
		if query != nil {
			up.SetQuery(query)
			fields = append(fields, "query")
		}
		if in.Description != nil {
			up.SetDescription(*in.Description)
			fields = append(fields, "description")
		}
		if in.Active != nil {
			up.SetActive(*in.Active)
			if *in.Active {
				up.ClearDisabledAt().SetDisabledReason("")
			}
			fields = append(fields, "active")
		}
		var err error
		if out, err = up.Save(ctx); err != nil {
			return fmt.Errorf("updating a webhook: %w", err)
		}
		rec.Changed(ent.TypeWebhook, h.ID)
		rec.Audit(ent.TypeWebhook, h.ID, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a webhook and its delivery log.
func (s *Service) Delete(ctx context.Context, id int) error {
	h, err := s.own(ctx, id)
	if err != nil {
		return err
	}
	return s.remove(ctx, "deleteWebhook", h)
}

func (s *Service) remove(ctx context.Context, op string, h *ent.Webhook) error {
	_, err := s.log.Record(ctx, op, func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		if err := deleteHook(ctx, tx, h.ID); err != nil {
			return err
		}
		rec.Changed(ent.TypeWebhook, h.ID)
		rec.Audit(ent.TypeWebhook, h.ID, nil)
		return nil
	})
	return err
}

// deleteHook deletes a webhook and its delivery log.
func deleteHook(ctx context.Context, tx *ent.Tx, id int) error {
	if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.WebhookID(id)).Exec(ctx); err != nil {
		return fmt.Errorf("deleting a webhook's deliveries: %w", err)
	}
	if err := tx.Webhook.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("deleting a webhook: %w", err)
	}
	return nil
}

// maxReplay bounds the deliveries one replay names.
const maxReplay = 1000

// Replay makes deliveries of a webhook pending again, to be sent at once
// with their attempts counted afresh: those named, or else every dead one
// (since a time, when given). It returns how many.
func (s *Service) Replay(ctx context.Context, webhookID int, ids []int, since *time.Time) (int, error) {
	h, err := s.own(ctx, webhookID)
	if err != nil {
		return 0, err
	}
	if len(ids) > maxReplay {
		return 0, errcode.Field(errcode.PageSizeExceeded, "deliveryIDs", "at most %d deliveries at once", maxReplay)
	}
	n := 0
	_, err = s.log.Record(ctx, "replayWebhookDeliveries", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		up := tx.WebhookDelivery.Update().Where(webhookdelivery.WebhookID(h.ID))
		if len(ids) > 0 {
			up.Where(webhookdelivery.IDIn(ids...), webhookdelivery.StatusNEQ(webhookdelivery.StatusPENDING))
		} else {
			up.Where(webhookdelivery.StatusEQ(webhookdelivery.StatusDEAD))
			if since != nil {
				up.Where(webhookdelivery.CreatedAtGTE(since.UTC()))
			}
		}
		var err error
		n, err = up.SetStatus(webhookdelivery.StatusPENDING).SetAttempts(0).
			SetNextAttemptAt(s.log.Now().UTC()).SetLastError("").Save(ctx)
		if err != nil {
			return fmt.Errorf("replaying deliveries: %w", err)
		}
		rec.Changed(ent.TypeWebhook, h.ID)
		rec.Audit(ent.TypeWebhook, h.ID, []string{"deliveries"})
		return nil
	})
	return n, err
}

// manager returns the caller and the organisation whose webhooks it may
// manage: administrators any organisation's; an organisation's
// administrators, regulators and partner keys with the write scope their
// own.
func (s *Service) manager(ctx context.Context, orgID int) (*viewer.Viewer, int, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, 0, errcode.New(errcode.Unauthenticated, "log in to manage webhooks")
	}
	if orgID == 0 {
		orgID = v.OrgID
	}
	switch {
	case v.Role == viewer.Admin:
		return v, orgID, nil
	case v.ReadOnly || v.OrgID != orgID:
	case v.Role == viewer.OrgAdmin, v.Role == viewer.Regulator, v.Role == viewer.Partner:
		return v, orgID, nil
	}
	return nil, 0, errcode.New(errcode.Forbidden, "only the organisation's administrators and partner keys with the write scope manage its webhooks")
}

// own returns a webhook the caller may manage; one it may not read is
// not found, as any row.
func (s *Service) own(ctx context.Context, id int) (*ent.Webhook, error) {
	h, err := s.client.Webhook.Query().Where(webhook.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errcode.New(errcode.NotFound, "no such webhook")
	}
	if err != nil {
		return nil, fmt.Errorf("reading a webhook: %w", err)
	}
	if _, _, err := s.manager(ctx, h.OrganizationID); err != nil {
		return nil, err
	}
	return h, nil
}

func checkTopics(ts []Topic) ([]string, error) {
	if len(ts) == 0 {
		return nil, errcode.Field(errcode.BadUserInput, "input.topics", "name at least one topic")
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if !slices.Contains(Topics(), t) {
			return nil, errcode.Field(errcode.BadUserInput, "input.topics", "unknown topic %q", t)
		}
		if !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	slices.Sort(out)
	return out, nil
}

// checkQuery refuses EPCIS query parameters the log would refuse, and
// those that page an answer: a webhook hears of each event once.
func checkQuery(q url.Values, field string) (map[string][]string, error) {
	for name := range q {
		if name == "perPage" || name == "nextPageToken" {
			return nil, errcode.Field(errcode.BadUserInput, field, "%s pages an answer; a webhook hears of every event once", name)
		}
	}
	if _, p := eventlog.ParseQuery(q); p != nil {
		return nil, errcode.Field(errcode.BadUserInput, field, "%s", p.Detail)
	}
	out := map[string][]string{}
	for k, vs := range q {
		out[k] = vs
	}
	return out, nil
}

// queryOf reads a webhook's stored parameters back.
func queryOf(h *ent.Webhook) (eventlog.Query, error) {
	q, p := eventlog.ParseQuery(url.Values(h.Query))
	if p != nil {
		return eventlog.Query{}, fmt.Errorf("webhook %d: its query: %w", h.ID, p)
	}
	return q, nil
}

func makeSecret(given string) (string, error) {
	if given == "" {
		var b [32]byte
		rand.Read(b[:])
		return "whsec_" + hex.EncodeToString(b[:]), nil
	}
	if len(given) < minSecret || len(given) > maxSecret {
		return "", errcode.Field(errcode.BadUserInput, "input.secret", "a secret has %d to %d bytes", minSecret, maxSecret)
	}
	if strings.TrimFunc(given, func(r rune) bool { return r > ' ' && r < 0x7f }) != "" {
		return "", errcode.Field(errcode.BadUserInput, "input.secret", "a secret is printable ASCII without spaces")
	}
	return given, nil
}

// ErrNoQuery is a named query that does not exist or is not the caller's
// organisation's.
var ErrNoQuery = errors.New("no such query")

// Query returns the caller's organisation's query named name, or
// ErrNoQuery.
func (s *Service) Query(ctx context.Context, name string) (*ent.EPCISQuery, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to use named queries")
	}
	q, err := s.client.EPCISQuery.Query().Where(epcisquery.OrganizationID(v.OrgID), epcisquery.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrNoQuery
	}
	if err != nil {
		return nil, fmt.Errorf("reading a named query: %w", err)
	}
	return q, nil
}
