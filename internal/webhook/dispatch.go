package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/ent/apikey"
	"suyuan/ent/organization"
	"suyuan/ent/outboxcursor"
	"suyuan/ent/recall"
	"suyuan/ent/user"
	"suyuan/ent/webhook"
	"suyuan/ent/webhookdelivery"
	gs1 "suyuan/internal/epcis"
	"suyuan/internal/eventlog"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// cursorName is the dispatcher's row in outbox_cursors.
const cursorName = "webhooks"

// changesPerPoll bounds the changes one poll turns into deliveries.
const changesPerPoll = 200

// eventsPerDelivery bounds the events one delivery carries: a document of
// ten thousand captured events reaches a webhook in parts.
const eventsPerDelivery = 500

// dispatcher turns the outbox's changes into deliveries: for each change
// and each active webhook, what of it the webhook's owner may read and
// asked to hear of. Deliveries and the cursor's new position are written
// in one transaction, and a change is told to a webhook once (a unique
// key), so a dispatcher that dies anywhere loses nothing and duplicates
// nothing when the next one reads on from the stored position.
type dispatcher struct {
	client *ent.Client
	log    *eventlog.Log
	cur    *eventlog.Cursor // nil: read the stored position first
}

// poll turns the changes committed since the last poll into deliveries;
// it returns how many changes it read.
func (d *dispatcher) poll(ctx context.Context) (int, error) {
	// Owners read with their own rights, in a context that never had the
	// system's (a decision once made in a context stays in its children).
	base := store.Uncounted(context.WithoutCancel(ctx))
	ctx = store.Uncounted(tenancy.System(ctx))
	if d.cur == nil {
		pos, err := d.position(ctx)
		if err != nil {
			return 0, err
		}
		d.cur = d.log.CursorAfter(pos)
	}
	before := d.cur.Position()
	changes, err := d.cur.Next(ctx, changesPerPoll)
	if err != nil {
		d.cur = nil
		return 0, err
	}
	if len(changes) == 0 && d.cur.Position() == before {
		return 0, nil
	}
	var creates []*ent.WebhookDeliveryCreate
	if len(changes) > 0 {
		// A paused webhook's deliveries are made and wait; a disabled
		// one (its owner may no longer read) hears nothing.
		hooks, err := d.client.Webhook.Query().Where(webhook.DisabledAtIsNil()).WithEpcisQuery().Order(ent.Asc(webhook.FieldID)).All(ctx)
		if err != nil {
			d.cur = nil
			return 0, fmt.Errorf("reading webhooks: %w", err)
		}
		owners, err := d.owners(ctx, hooks)
		if err != nil {
			d.cur = nil
			return 0, err
		}
		readers := map[int]context.Context{}
		for _, h := range hooks {
			r, err := d.reader(ctx, base, h, owners)
			if err != nil {
				d.cur = nil
				return 0, err
			}
			if r != nil {
				readers[h.ID] = r
			}
		}
		for _, c := range changes {
			for _, h := range hooks {
				r, ok := readers[h.ID]
				if !ok || c.RecordedAt.Before(h.CreatedAt) {
					continue
				}
				ds, err := d.deliveries(r, h, c)
				if err != nil {
					d.cur = nil
					return 0, err
				}
				creates = append(creates, ds...)
			}
		}
	}
	pos := d.cur.Position()
	err = store.InTx(ctx, d.client, func(tx *ent.Tx) error {
		for chunk := range slices.Chunk(creates, 100) {
			err := tx.WebhookDelivery.CreateBulk(chunk...).OnConflict(
				sql.ConflictColumns(webhookdelivery.FieldWebhookID, webhookdelivery.FieldChangeID,
					webhookdelivery.FieldTopic, webhookdelivery.FieldPart)).DoNothing().Exec(ctx)
			if err != nil && !isNoRows(err) {
				return fmt.Errorf("storing deliveries: %w", err)
			}
		}
		return tx.OutboxCursor.Update().Where(outboxcursor.Name(cursorName)).SetPosition(pos).Exec(ctx)
	})
	if err != nil {
		d.cur = nil
		return 0, err
	}
	return len(changes), nil
}

// isNoRows is Ent's answer to a bulk insert whose rows were all ignored
// as conflicts, on the databases that tell.
func isNoRows(err error) bool { return strings.Contains(err.Error(), "no rows in result set") }

// position reads the stored position, starting a new one at the
// outbox's end: webhooks hear of what happens after the service first
// delivers.
func (d *dispatcher) position(ctx context.Context) (int, error) {
	c, err := d.client.OutboxCursor.Query().Where(outboxcursor.Name(cursorName)).Only(ctx)
	if err == nil {
		return c.Position, nil
	}
	if !ent.IsNotFound(err) {
		return 0, fmt.Errorf("reading the webhooks' outbox position: %w", err)
	}
	end, err := d.client.Change.Query().Aggregate(ent.Max("id")).Int(ctx)
	if err != nil {
		// No change yet: an empty outbox has no maximum.
		end = 0
	}
	err = d.client.OutboxCursor.Create().SetName(cursorName).SetPosition(end).
		OnConflictColumns(outboxcursor.FieldName).DoNothing().Exec(ctx)
	if err != nil && !isNoRows(err) {
		return 0, fmt.Errorf("starting the webhooks' outbox position: %w", err)
	}
	c, err = d.client.OutboxCursor.Query().Where(outboxcursor.Name(cursorName)).Only(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the webhooks' outbox position: %w", err)
	}
	return c.Position, nil
}

// owners are the organisations, users and keys webhooks belong to, read
// once a poll for all of them.
type owners struct {
	orgs  map[int]*ent.Organization
	users map[int]*ent.User
	keys  map[int]*ent.APIKey
}

func (d *dispatcher) owners(ctx context.Context, hooks []*ent.Webhook) (owners, error) {
	var orgIDs, userIDs, keyIDs []int
	for _, h := range hooks {
		orgIDs = append(orgIDs, h.OrganizationID)
		if h.OwnerUserID != nil {
			userIDs = append(userIDs, *h.OwnerUserID)
		}
		if h.OwnerKeyID != nil {
			keyIDs = append(keyIDs, *h.OwnerKeyID)
		}
	}
	o := owners{orgs: map[int]*ent.Organization{}, users: map[int]*ent.User{}, keys: map[int]*ent.APIKey{}}
	orgs, err := d.client.Organization.Query().Where(organization.IDIn(orgIDs...)).All(ctx)
	if err != nil {
		return o, fmt.Errorf("reading webhooks' organisations: %w", err)
	}
	for _, x := range orgs {
		o.orgs[x.ID] = x
	}
	if len(userIDs) > 0 {
		users, err := d.client.User.Query().Where(user.IDIn(userIDs...)).All(ctx)
		if err != nil {
			return o, fmt.Errorf("reading webhooks' owners: %w", err)
		}
		for _, x := range users {
			o.users[x.ID] = x
		}
	}
	if len(keyIDs) > 0 {
		keys, err := d.client.APIKey.Query().Where(apikey.IDIn(keyIDs...)).All(ctx)
		if err != nil {
			return o, fmt.Errorf("reading webhooks' keys: %w", err)
		}
		for _, x := range keys {
			o.keys[x.ID] = x
		}
	}
	return o, nil
}

// reader returns the context in which what a webhook hears is read: its
// owner's, as the owner may read now. A webhook whose owner may no longer
// read (a deactivated user, a revoked key, a suspended organisation) is
// disabled and gets nil. An administrator's webhook for another
// organisation reads as a member of that organisation.
func (d *dispatcher) reader(ctx, base context.Context, h *ent.Webhook, o owners) (context.Context, error) {
	org := o.orgs[h.OrganizationID]
	if org == nil {
		return nil, fmt.Errorf("webhook %d: its organisation %d is missing", h.ID, h.OrganizationID)
	}
	v := &viewer.Viewer{OrgID: org.ID, Role: viewer.Staff, Region: org.RegionCode}
	why := ""
	switch {
	case org.Status != organization.StatusACTIVE:
		why = "its organisation is not active"
	case h.OwnerUserID != nil:
		u := o.users[*h.OwnerUserID]
		switch {
		case u == nil || !u.Active:
			why = "the user who registered it is no longer active"
		case u.OrganizationID == org.ID:
			v = &viewer.Viewer{UserID: u.ID, OrgID: u.OrganizationID, Role: u.Role, Region: org.RegionCode}
		}
	case h.OwnerKeyID != nil:
		k := o.keys[*h.OwnerKeyID]
		if k == nil || k.RevokedAt != nil {
			why = "the API key that registered it was revoked"
		} else {
			v = &viewer.Viewer{KeyID: k.ID, OrgID: k.OrganizationID, Role: viewer.Partner, Region: org.RegionCode, ReadOnly: !k.CanWrite}
		}
	}
	if why != "" {
		err := d.client.Webhook.UpdateOneID(h.ID).SetActive(false).SetDisabledAt(d.log.Now().UTC()).
			SetDisabledReason(why).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("disabling a webhook: %w", err)
		}
		return nil, nil
	}
	// The policies of internal/tenancy decide what the owner may read.
	return viewer.NewContext(base, v), nil
}

// deliveries returns what change c tells webhook h, read as its owner.
func (d *dispatcher) deliveries(r context.Context, h *ent.Webhook, c *ent.Change) ([]*ent.WebhookDeliveryCreate, error) {
	var out []*ent.WebhookDeliveryCreate
	add := func(topic Topic, part int, payload []byte) {
		out = append(out, d.client.WebhookDelivery.Create().SetWebhookID(h.ID).SetChangeID(c.ID).
			SetTopic(webhookdelivery.Topic(topic)).SetPart(part).SetPayload(string(payload)).
			SetNextAttemptAt(d.log.Now().UTC()))
	}
	env := envelope{Webhook: h.ID, Change: c.ID, Operation: c.Operation, RecordedAt: c.RecordedAt.UTC()}
	for _, t := range h.Topics {
		switch Topic(t) {
		case EPCISEvent:
			if logs, _ := eventlog.OperationLogs(c.Operation); logs != eventlog.Events {
				continue
			}
			q, err := queryOf(h)
			if err != nil {
				return nil, err
			}
			q.ChangeIDs, q.PerPage = []int{c.ID}, eventsPerDelivery
			for part := 0; ; part++ {
				page, err := d.log.Find(r, q)
				if err != nil {
					return nil, fmt.Errorf("reading a change's events for webhook %d: %w", h.ID, err)
				}
				if len(page.Events) > 0 {
					b, err := eventsPayload(h, env, page.Events, d.log.Now())
					if err != nil {
						return nil, err
					}
					add(EPCISEvent, part, b)
				}
				if page.Next == "" {
					break
				}
				q.After = page.Next
			}
		case Alert:
			ids := eventlog.AsChange(c).RaisedAlerts()
			if len(ids) == 0 {
				continue
			}
			as, err := d.client.Alert.Query().Where(alert.IDIn(ids...)).Order(ent.Asc(alert.FieldID)).All(r)
			if err != nil {
				return nil, fmt.Errorf("reading a change's alerts for webhook %d: %w", h.ID, err)
			}
			if len(as) > 0 {
				e := env
				e.Topic, e.Alerts = Alert, alertsPayload(as)
				add(Alert, 0, mustJSON(e))
			}
		case Recall:
			if c.Operation != "initiateRecall" && c.Operation != "closeRecall" {
				continue
			}
			ids := refs(c.Refs, ent.TypeRecall)
			if len(ids) == 0 {
				continue
			}
			rs, err := d.client.Recall.Query().Where(recall.IDIn(ids...)).WithBatches(func(q *ent.BatchQuery) {
				q.WithProduct()
			}).Order(ent.Asc(recall.FieldID)).All(r)
			if err != nil {
				return nil, fmt.Errorf("reading a change's recalls for webhook %d: %w", h.ID, err)
			}
			if len(rs) > 0 {
				e := env
				e.Topic, e.Recalls = Recall, recallsPayload(rs)
				add(Recall, 0, mustJSON(e))
			}
		}
	}
	return out, nil
}

// refs returns the ids of a change's refs of type typ.
func refs(all []string, typ string) []int {
	var ids []int
	for _, ref := range all {
		if rest, ok := strings.CutPrefix(ref, typ+":"); ok {
			if id, err := strconv.Atoi(rest); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// envelope is the body of a delivery (docs/WEBHOOKS.md).
type envelope struct {
	Webhook    int             `json:"webhook"`
	Topic      Topic           `json:"topic"`
	Change     int             `json:"change"`
	Operation  string          `json:"operation"`
	RecordedAt time.Time       `json:"recordedAt"`
	Events     json.RawMessage `json:"events,omitempty"`
	Alerts     []alertBody     `json:"alerts,omitempty"`
	Recalls    []recallBody    `json:"recalls,omitempty"`
}

type alertBody struct {
	ID             int        `json:"id"`
	Kind           string     `json:"kind"`
	Severity       string     `json:"severity"`
	Status         string     `json:"status"`
	Summary        string     `json:"summary"`
	RegionCode     string     `json:"regionCode"`
	OrganizationID int        `json:"organizationID"`
	BatchID        *int       `json:"batchID,omitempty"`
	ShipmentID     *int       `json:"shipmentID,omitempty"`
	FacilityID     *int       `json:"facilityID,omitempty"`
	RecallID       *int       `json:"recallID,omitempty"`
	DetectedAt     time.Time  `json:"detectedAt"`
	LastDetectedAt *time.Time `json:"lastDetectedAt,omitempty"`
}

func alertsPayload(as []*ent.Alert) []alertBody {
	out := make([]alertBody, len(as))
	for i, a := range as {
		last := a.LastDetectedAt.UTC()
		out[i] = alertBody{ID: a.ID, Kind: string(a.Kind), Severity: string(a.Severity), Status: string(a.Status),
			Summary: a.Evidence.Summary, RegionCode: a.RegionCode, OrganizationID: a.OrganizationID,
			BatchID: a.BatchID, ShipmentID: a.ShipmentID, FacilityID: a.FacilityID, RecallID: a.RecallID,
			DetectedAt: a.DetectedAt.UTC(), LastDetectedAt: &last}
	}
	return out
}

type recallBody struct {
	ID              int         `json:"id"`
	Status          string      `json:"status"`
	Reason          string      `json:"reason"`
	Class           string      `json:"class"`
	Depth           string      `json:"depth"`
	RegionCode      string      `json:"regionCode"`
	InitiatedAt     time.Time   `json:"initiatedAt"`
	ClosedAt        *time.Time  `json:"closedAt,omitempty"`
	AffectedBatches int         `json:"affectedBatches"`
	Batches         []batchBody `json:"batches"`
}

type batchBody struct {
	ID      int     `json:"id"`
	LotCode string  `json:"lotCode"`
	GTIN    *string `json:"gtin,omitempty"`
}

func recallsPayload(rs []*ent.Recall) []recallBody {
	out := make([]recallBody, len(rs))
	for i, r := range rs {
		b := recallBody{ID: r.ID, Status: string(r.Status), Reason: r.Reason, Class: string(r.Class),
			Depth: string(r.Depth), RegionCode: r.RegionCode, InitiatedAt: r.InitiatedAt.UTC(),
			AffectedBatches: r.AffectedBatches, Batches: []batchBody{}}
		if r.ClosedAt != nil {
			t := r.ClosedAt.UTC()
			b.ClosedAt = &t
		}
		// The root lots the owner may read: a store that holds some of
		// a recalled lot's products may not read the farm's lot itself.
		for _, lot := range r.Edges.Batches {
			bb := batchBody{ID: lot.ID, LotCode: lot.LotCode}
			if lot.Edges.Product != nil {
				bb.GTIN = lot.Edges.Product.Gtin
			}
			b.Batches = append(b.Batches, bb)
		}
		out[i] = b
	}
	return out
}

// eventsPayload is the body of a delivery of events: the envelope, or,
// for a query subscription, the EPCISQueryDocument EPCIS 2.0 sends.
func eventsPayload(h *ent.Webhook, env envelope, events []json.RawMessage, now time.Time) ([]byte, error) {
	if h.SubscriptionID == nil {
		env.Topic = EPCISEvent
		list, err := json.Marshal(events)
		if err != nil {
			return nil, fmt.Errorf("writing a delivery: %w", err)
		}
		env.Events = list
		return mustJSON(env), nil
	}
	var buf bytes.Buffer
	name := ""
	if q := h.Edges.EpcisQuery; q != nil {
		name = q.Name
	}
	dw := gs1.NewDocumentWriter(&buf, gs1.DocumentHeader{Type: "EPCISQueryDocument", QueryName: name,
		SubscriptionID: *h.SubscriptionID, CreationDate: now.UTC().Truncate(time.Millisecond)})
	for _, raw := range events {
		var e gs1.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("reading an event of the log: %w", err)
		}
		if err := dw.Write(&e); err != nil {
			return nil, err
		}
	}
	if err := dw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mustJSON marshals a delivery body, which holds nothing that cannot be.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("webhook: marshalling a delivery: %v", err))
	}
	return b
}
