package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/internal/eventlog"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/internal/webhook"
	"suyuan/server"
)

// receiver is a partner's endpoint: it verifies each delivery's signature
// as docs/WEBHOOKS.md tells partners to, refuses the first requests it is
// told to refuse, and keeps what it accepted in the order it came.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	header string // the signature's header

	mu      sync.Mutex
	secret  []byte
	refuse  int // requests still to refuse
	fail    bool
	tried   []int // the delivery of every request, in order
	got     []delivered
	unsound []string // deliveries whose signature did not verify
	arrived chan struct{}
}

type delivered struct {
	id     int
	topic  string
	header http.Header
	raw    []byte
	body   map[string]any
}

func newReceiver(t testing.TB, header string) *receiver {
	r := &receiver{t: t, header: header, arrived: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	id, _ := strconv.Atoi(req.Header.Get("Suyuan-Delivery"))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tried = append(r.tried, id)
	if r.secret != nil {
		if err := webhook.Verify(r.secret, req.Header.Get(r.header), raw, time.Now(), 5*time.Minute); err != nil {
			r.unsound = append(r.unsound, fmt.Sprintf("delivery %d: %v", id, err))
		}
	}
	if r.refuse > 0 || r.fail {
		r.refuse--
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	d := delivered{id: id, topic: req.Header.Get("Suyuan-Topic"), header: req.Header.Clone(), raw: raw}
	if err := json.Unmarshal(raw, &d.body); err != nil {
		r.unsound = append(r.unsound, fmt.Sprintf("delivery %d is no JSON object: %s", id, raw))
	}
	r.got = append(r.got, d)
	select {
	case r.arrived <- struct{}{}:
	default:
	}
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = []byte(s)
}

func (r *receiver) setFailing(fail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

// wait waits until the receiver accepted n deliveries and returns them.
func (r *receiver) wait(n int) []delivered {
	r.t.Helper()
	return r.waitFor(func(got []delivered) bool { return len(got) >= n })
}

// waitFor waits until what the receiver accepted satisfies done, and
// returns it.
func (r *receiver) waitFor(done func([]delivered) bool) []delivered {
	r.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		r.mu.Lock()
		got := slices.Clone(r.got)
		r.mu.Unlock()
		if done(got) {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline:
			r.t.Fatalf("the receiver accepted %d deliveries, not what the test waits for", len(got))
		}
	}
}

func (r *receiver) check() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.unsound {
		r.t.Error(u)
	}
}

// deliver runs a deliverer of db's webhooks until the test ends.
func deliver(t testing.TB, db *testdb.DB, log *eventlog.Log, opts webhook.Options) *webhook.Deliverer {
	if opts.Backoff == 0 {
		opts.Backoff, opts.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	}
	if opts.Guard == nil {
		opts.Guard = &webhook.Guard{}
	}
	d := webhook.NewDeliverer(db.Client, log, db.Dialect, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, 20*time.Millisecond)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return d
}

const createWebhook = `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { secret webhook { id url topics active } } }`

type webhookCreated struct {
	CreateWebhook struct {
		Secret  string
		Webhook struct {
			ID, URL string
			Topics  []string
			Active  bool
		}
	}
}

// register registers a webhook of the client's organisation to r.
func (a *api) register(r *receiver, topics []string, query map[string][]string) (id, secret string) {
	a.t.Helper()
	in := map[string]any{"url": r.srv.URL + "/hook", "topics": topics}
	for name, vals := range query {
		in["epcisQuery"] = append(asList(in["epcisQuery"]), map[string]any{"name": name, "values": vals})
	}
	var out webhookCreated
	a.must(&out, createWebhook, map[string]any{"in": in})
	if !strings.HasPrefix(out.CreateWebhook.Secret, "whsec_") {
		a.t.Fatalf("no secret was made: %+v", out)
	}
	r.setSecret(out.CreateWebhook.Secret)
	return out.CreateWebhook.Webhook.ID, out.CreateWebhook.Secret
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

type deliveryNode struct {
	ID, Topic, Status, LastError string
	Attempts                     int
	ResponseStatus               *int
	ChangeID                     int
}

// deliveries reads a webhook's delivery log, oldest first.
func (a *api) deliveries(webhookID string) []deliveryNode {
	a.t.Helper()
	var out struct {
		Node struct {
			Deliveries struct{ Edges []struct{ Node deliveryNode } }
		}
	}
	a.must(&out, `query($id: ID!) { node(id: $id) { ... on Webhook {
		deliveries(first: 100) { edges { node { id topic status attempts responseStatus lastError changeID } } } } } }`,
		map[string]any{"id": webhookID})
	var list []deliveryNode
	for _, e := range out.Node.Deliveries.Edges {
		list = append(list, e.Node)
	}
	return list
}

// settled reads a webhook's delivery log once none of it is pending: a
// receiver has a delivery a moment before the deliverer records how it
// went.
func (a *api) settled(webhookID string) []deliveryNode {
	a.t.Helper()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for deadline := time.Now().Add(30 * time.Second); ; <-poll.C {
		dl := a.deliveries(webhookID)
		if !slices.ContainsFunc(dl, func(d deliveryNode) bool { return d.Status == "PENDING" }) || time.Now().After(deadline) {
			return dl
		}
	}
}

// TestWebhooks is a partner system hearing what happens to its goods: a
// real HTTP receiver registered by the processor's administrator gets the
// alert on its lot and the recall of it, each signed, after refusing the
// first two attempts, in order; another processor's receiver hears only of
// its own goods; the delivery log says how each went.
func TestWebhooks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		log := eventlog.New(db.Client, nil)
		a := newAPI(t, db, server.Config{Log: log, WebhookGuard: &webhook.Guard{}}) // receivers on loopback
		tn := a.tenants()
		deliver(t, db, log, webhook.Options{})

		plantHook := newReceiver(t, webhook.SignatureHeader)
		plantHook.refuse = 2
		plantID, _ := tn.aStaff.register(plantHook, []string{"ALERT", "RECALL"}, nil)
		// Another processor's administrator registers for everything.
		other := a.as(a.login(a.account(tn.bOrgID, "ORG_ADMIN")))
		otherHook := newReceiver(t, webhook.SignatureHeader)
		otherID, _ := other.register(otherHook, []string{"ALERT", "RECALL", "EPCIS_EVENT"}, nil)

		a.spoil(tn.p.loin, tn.p.labOrg, 28)
		var rc struct{ InitiateRecall struct{ ID string } }
		a.must(&rc, initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{tn.p.loin}, "reason": "TVB-N over its limit", "class": "II", "depth": "RETAIL"}})
		// The other processor's own lot spoils too: its receiver works.
		a.spoil(tn.bBatch, tn.p.labOrg, 30)

		got := plantHook.waitFor(func(got []delivered) bool {
			return slices.ContainsFunc(got, func(d delivered) bool { return d.topic == "RECALL" })
		})
		plantHook.check()
		if got[0].topic != "ALERT" {
			t.Fatalf("the plant heard %s first, want the alert", got[0].topic)
		}
		for i := 1; i < len(got); i++ {
			if got[i-1].id >= got[i].id {
				t.Errorf("deliveries came out of order: %d then %d", got[i-1].id, got[i].id)
			}
		}
		recallAt := slices.IndexFunc(got, func(d delivered) bool { return d.topic == "RECALL" })
		plantHook.mu.Lock()
		tried := slices.Clone(plantHook.tried)
		plantHook.mu.Unlock()
		// Refused twice, the first delivery was sent again before the
		// second was sent at all.
		if len(tried) < 4 || tried[0] != got[0].id || tried[1] != got[0].id || tried[2] != got[0].id || tried[3] != got[1].id {
			t.Errorf("attempts went %v, want the first delivery (%d) three times, then the second (%d)", tried, got[0].id, got[1].id)
		}
		alerts := got[0].body["alerts"].([]any)
		first := alerts[0].(map[string]any)
		if first["kind"] != "INSPECTION_FAILED" || fmt.Sprint(first["batchID"]) != tn.p.loin || !strings.Contains(first["summary"].(string), "failed") {
			t.Errorf("the alert delivered: %v", first)
		}
		recalls := got[recallAt].body["recalls"].([]any)
		rec := recalls[0].(map[string]any)
		if rec["status"] != "OPEN" || rec["reason"] != "TVB-N over its limit" || len(rec["batches"].([]any)) != 1 {
			t.Errorf("the recall delivered: %v", rec)
		}
		if got[recallAt].header.Get("Suyuan-Webhook") != plantID || got[recallAt].header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", got[recallAt].header)
		}

		// The other processor hears of its own alert, and of nothing of
		// the plant's: no alert, recall or event about its goods.
		mine := otherHook.wait(1)
		otherHook.check()
		for _, d := range mine {
			if strings.Contains(string(d.raw), "TVB-N over its limit") || strings.Contains(string(d.raw), "LOIN-1") ||
				strings.Contains(string(d.raw), "CARC-1") {
				t.Errorf("a subscriber heard of goods it may not read: %s", d.raw)
			}
		}
		if mine[0].topic != "ALERT" {
			t.Errorf("the other processor heard %s first, want its own alert", mine[0].topic)
		}

		dl := tn.aStaff.settled(plantID)
		if len(dl) < 2 || dl[0].Attempts != 3 || dl[0].ResponseStatus == nil || *dl[0].ResponseStatus != 200 {
			t.Errorf("the plant's delivery log: %+v", dl)
		}
		for _, d := range dl {
			if d.Status != "DELIVERED" {
				t.Errorf("the plant's delivery log: %+v", dl)
			}
		}
		// The delivery log is the organisation's: the other processor
		// cannot read the plant's webhook at all.
		other.fails("NOT_FOUND", "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": plantID})
		var listed struct {
			Webhooks struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		other.must(&listed, `{ webhooks(first: 10) { edges { node { id } } } }`, nil)
		if len(listed.Webhooks.Edges) != 1 || listed.Webhooks.Edges[0].Node.ID != otherID {
			t.Errorf("the other processor lists %+v, want only its own webhook", listed)
		}
	})
}

// TestWebhookRefusals: who may register, what may be registered, and in
// production mode, where deliveries may go.
func TestWebhookRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{WebhookGuard: &webhook.Guard{Production: true, AllowHosts: []string{"receiver.test"}}})
		tn := a.tenants()
		in := func(url string) map[string]any {
			return map[string]any{"in": map[string]any{"url": url, "topics": []string{"ALERT"}}}
		}
		before := a.count("webhooks")
		for _, url := range []string{
			"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.0.0.7/hook", "http://192.168.1.1/",
			"http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[fd00::1]/hook", "http://100.64.0.1/",
			"http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
		} {
			tn.aStaff.fails("URL_NOT_ALLOWED", "input.url", createWebhook, in(url))
		}
		for _, url := range []string{"ftp://example.com/", "/hook", "http://user:pw@example.com/", "javascript:alert(1)", "http:///x", "https://example.com/#frag"} {
			tn.aStaff.fails("INVALID_URL", "input.url", createWebhook, in(url))
		}
		// Staff, read-only keys and outsiders do not register.
		tn.bStaff.fails("FORBIDDEN", "", createWebhook, in("https://partner.example.com/hook"))
		tn.anonymous.fails("UNAUTHENTICATED", "", createWebhook, in("https://partner.example.com/hook"))
		tn.aStaff.fails("FORBIDDEN", "", createWebhook, map[string]any{"in": map[string]any{
			"organizationID": tn.bOrg, "url": "https://partner.example.com/hook", "topics": []string{"ALERT"}}})
		tn.aStaff.fails("BAD_USER_INPUT", "input.topics", createWebhook, map[string]any{"in": map[string]any{
			"url": "https://partner.example.com/hook", "topics": []string{}}})
		tn.aStaff.fails("BAD_USER_INPUT", "input.secret", createWebhook, map[string]any{"in": map[string]any{
			"url": "https://partner.example.com/hook", "topics": []string{"ALERT"}, "secret": "short"}})
		tn.aStaff.fails("BAD_USER_INPUT", "input.epcisQuery", createWebhook, map[string]any{"in": map[string]any{
			"url": "https://partner.example.com/hook", "topics": []string{"EPCIS_EVENT"},
			"epcisQuery": []any{map[string]any{"name": "EQ_nonsense", "values": []string{"x"}}}}})
		if n := a.count("webhooks"); n != before {
			t.Fatalf("refused registrations stored %d webhooks", n-before)
		}
		// An administrator allowed this host, whatever it resolves to.
		var ok webhookCreated
		tn.aStaff.must(&ok, createWebhook, in("http://receiver.test:9/hook"))
		if !ok.CreateWebhook.Webhook.Active {
			t.Fatalf("registered: %+v", ok)
		}
	})
}

// TestWebhookDeliveryGuard: in production the deliverer checks the
// address it connects to, after resolution, and follows no redirect; a
// receiver that does not answer in time fails the attempt.
func TestWebhookDeliveryGuard(t *testing.T) {
	db := testdb.SQLite(t)
	log := eventlog.New(db.Client, nil)
	a := newAPI(t, db, server.Config{Log: log, WebhookGuard: &webhook.Guard{}}) // receivers on loopback
	tn := a.tenants()
	target := newReceiver(t, webhook.SignatureHeader)
	redirector := httptest.NewServer(http.RedirectHandler(target.srv.URL+"/hook", http.StatusTemporaryRedirect))
	defer redirector.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	defer slow.Close()
	defer close(hang)
	reg := func(url string) string {
		var out webhookCreated
		tn.aStaff.must(&out, createWebhook, map[string]any{"in": map[string]any{"url": url, "topics": []string{"ALERT"}}})
		return out.CreateWebhook.Webhook.ID
	}
	// Registered in development (loopback allowed), delivered by a
	// production deliverer: the connection is refused.
	guarded := reg(target.srv.URL + "/hook")
	// The others are on a host an administrator allowed.
	redirected := reg(strings.Replace(redirector.URL, "127.0.0.1", "localhost", 1) + "/hook")
	slowID := reg(strings.Replace(slow.URL, "127.0.0.1", "localhost", 1) + "/hook")
	d := webhook.NewDeliverer(db.Client, log, db.Dialect, webhook.Options{
		Guard:   &webhook.Guard{Production: true, AllowHosts: []string{"localhost"}},
		Timeout: 300 * time.Millisecond, Backoff: time.Hour})
	if err := d.Dispatch(context.Background()); err != nil { // it starts at the outbox's end
		t.Fatal(err)
	}
	a.spoil(tn.p.loin, tn.p.labOrg, 28)
	if err := d.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{guarded: "loopback", redirected: "redirect", slowID: "no answer within"} {
		log := tn.aStaff.deliveries(id)
		if len(log) != 1 || log[0].Status != "PENDING" || log[0].Attempts != 1 || !strings.Contains(log[0].LastError, want) {
			t.Errorf("webhook %s: %+v, want one failed attempt saying %q", id, log, want)
		}
	}
	target.mu.Lock()
	defer target.mu.Unlock()
	if len(target.tried) != 0 {
		t.Errorf("the guarded receiver was reached %d times", len(target.tried))
	}
}

// TestWebhookLosesNothing: a deliverer that stops between a change's
// commit and its delivery — before it read the outbox, or after it made
// the deliveries and before it sent them — loses nothing and sends
// nothing twice; a delivery that failed every attempt is dead until it is
// replayed.
func TestWebhookLosesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		log := eventlog.New(db.Client, nil)
		a := newAPI(t, db, server.Config{Log: log, WebhookGuard: &webhook.Guard{}}) // receivers on loopback
		tn := a.tenants()
		r := newReceiver(t, webhook.SignatureHeader)
		id, _ := tn.aStaff.register(r, []string{"ALERT"}, nil)
		// The first deliverer reads the outbox's position and stops.
		first := webhook.NewDeliverer(db.Client, log, db.Dialect, webhook.Options{Guard: &webhook.Guard{}})
		if err := first.Dispatch(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.spoil(tn.p.loin, tn.p.labOrg, 28) // committed with no deliverer running
		// A second makes the delivery and dies before sending it.
		second := webhook.NewDeliverer(db.Client, log, db.Dialect, webhook.Options{Guard: &webhook.Guard{}})
		if err := second.Dispatch(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.spoil(tn.p.carcass, tn.p.labOrg, 29) // and this one is committed after it died
		// A third starts afresh from the stored position.
		deliver(t, db, log, webhook.Options{MaxAttempts: 2})
		got := r.wait(2)
		r.check()
		if len(got) != 2 || got[0].id >= got[1].id {
			t.Fatalf("delivered %d: %+v", len(got), got)
		}
		if n := len(tn.aStaff.settled(id)); n != 2 {
			t.Errorf("the delivery log holds %d deliveries, want 2: the outbox read again made none twice", n)
		}

		// The receiver goes down: the next delivery dies after its two
		// attempts, and a replay sends it once the receiver is back.
		r.setFailing(true)
		a.spoil(tn.p.salt, tn.p.labOrg, 27)
		var dead deliveryNode
		poll := time.NewTicker(20 * time.Millisecond)
		defer poll.Stop()
		for deadline := time.Now().Add(30 * time.Second); dead.Status != "DEAD" && time.Now().Before(deadline); <-poll.C {
			for _, d := range tn.aStaff.deliveries(id) {
				if d.Status != "DELIVERED" {
					dead = d
				}
			}
		}
		if dead.Status != "DEAD" || dead.Attempts != 2 || dead.ResponseStatus == nil || *dead.ResponseStatus != 503 {
			t.Fatalf("the failing delivery: %+v", dead)
		}
		r.setFailing(false)
		var replayed struct{ ReplayWebhookDeliveries int }
		tn.aStaff.must(&replayed, `mutation($id: ID!) { replayWebhookDeliveries(webhookID: $id) }`, map[string]any{"id": id})
		if replayed.ReplayWebhookDeliveries != 1 {
			t.Fatalf("replayed %d deliveries, want the dead one", replayed.ReplayWebhookDeliveries)
		}
		got = r.wait(3)
		if !strings.Contains(string(got[2].raw), "INSPECTION_FAILED") {
			t.Errorf("the replayed delivery: %s", got[2].raw)
		}
		// Another organisation cannot replay, pause or delete it.
		tn.bStaff.fails("NOT_FOUND", "", `mutation($id: ID!) { replayWebhookDeliveries(webhookID: $id) }`, map[string]any{"id": id})
		tn.bStaff.fails("NOT_FOUND", "", `mutation($id: ID!) { deleteWebhook(id: $id) }`, map[string]any{"id": id})
		tn.aStaff.must(nil, `mutation($id: ID!) { deleteWebhook(id: $id) }`, map[string]any{"id": id})
		if n := a.count("webhook_deliveries"); n != 0 {
			t.Errorf("a deleted webhook left %d deliveries", n)
		}
	})
}

// TestEPCISQuerySubscription: a partner names a query, subscribes to it
// with a dest and a signatureToken, and receives the events it matches as
// EPCISQueryDocuments signed in GS1-Signature — only the events it may
// read.
func TestEPCISQuerySubscription(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		log := eventlog.New(db.Client, nil)
		a := newAPI(t, db, server.Config{Log: log, WebhookGuard: &webhook.Guard{}}) // receivers on loopback
		tn := a.tenants()
		deliver(t, db, log, webhook.Options{})
		r := newReceiver(t, "GS1-Signature")
		const token = "13df38d8275b13f05704629e5f1cf3d45d6132d5"
		r.setSecret(token)
		plant := tn.aStaff
		post := func(c *api, path string, body any) captureAnswer {
			b, _ := json.Marshal(body)
			return c.epcisDo("POST", path, b, map[string]string{"Content-Type": "application/json"})
		}
		res := post(plant, "/epcis/queries", map[string]any{"name": "shipping", "query": map[string]any{"EQ_bizStep": []string{"shipping"}}})
		if res.status != http.StatusCreated || res.header.Get("Location") != "/epcis/queries/shipping" {
			t.Fatalf("creating the query answered %d %v: %s", res.status, res.header, res.raw)
		}
		if res := post(plant, "/epcis/queries", map[string]any{"name": "shipping", "query": map[string]any{}}); res.status != http.StatusConflict {
			t.Errorf("a second query of that name answered %d: %s", res.status, res.raw)
		}
		if res := post(plant, "/epcis/queries", map[string]any{"name": "bad", "query": map[string]any{"EQ_nonsense": "x"}}); res.status != http.StatusBadRequest {
			t.Errorf("a query with an unknown parameter answered %d: %s", res.status, res.raw)
		}
		if res := post(plant, "/epcis/queries/shipping/subscriptions", map[string]any{"dest": r.srv.URL + "/epcis", "signatureToken": token}); res.status != http.StatusBadRequest {
			t.Errorf("a subscription without stream or schedule answered %d: %s", res.status, res.raw)
		}
		sub := post(plant, "/epcis/queries/shipping/subscriptions", map[string]any{"dest": r.srv.URL + "/epcis", "signatureToken": token, "stream": true})
		if sub.status != http.StatusCreated {
			t.Fatalf("subscribing answered %d: %s", sub.status, sub.raw)
		}
		subID, _ := sub.body["subscriptionID"].(string)
		if subID == "" || sub.header.Get("Location") != "/epcis/queries/shipping/subscriptions/"+subID || sub.body["signatureToken"] != nil {
			t.Fatalf("the subscription: %v %v", sub.header, sub.body)
		}
		// Another organisation neither sees the query nor subscribes to it.
		if res := tn.bStaff.epcisDo("GET", "/epcis/queries/shipping", nil, nil); res.status != http.StatusNotFound {
			t.Errorf("another organisation read the query: %d %s", res.status, res.raw)
		}

		// The plant ships loin; the other processor ships its own lot
		// (an event the plant may not read); then the plant receives.
		a.ship(tn.p.carrierOrg, tn.p.plant, tn.p.store, day(4), time.Time{}, item(tn.p.loin, 10, "KG"))
		a.ship(tn.p.carrierOrg, tn.bFacility, tn.p.store, day(4), time.Time{}, item(tn.bBatch, 5, "KG"))
		a.ship(tn.p.carrierOrg, tn.p.plant, tn.p.store, day(4.5), time.Time{}, item(tn.p.loin, 5, "KG"))
		got := r.wait(2)
		r.check()
		for _, d := range got {
			if d.header.Get("Content-Type") != "application/ld+json" || d.header.Get("GS1-EPCIS-Version") != "2.0.0" {
				t.Errorf("headers: %v", d.header)
			}
			if strings.Contains(string(d.raw), "B-LOT-1") {
				t.Errorf("the plant heard of another processor's shipment: %s", d.raw)
			}
			body := d.body["epcisBody"].(map[string]any)["queryResults"].(map[string]any)
			if body["subscriptionID"] != subID || body["queryName"] != "shipping" || d.body["type"] != "EPCISQueryDocument" {
				t.Errorf("the document: %s", d.raw)
			}
			events := body["resultsBody"].(map[string]any)["eventList"].([]any)
			if len(events) != 1 || events[0].(map[string]any)["bizStep"] != "shipping" {
				t.Errorf("the events: %s", d.raw)
			}
		}
		list := plant.epcisDo("GET", "/epcis/queries/shipping/subscriptions/"+subID, nil, nil)
		if list.status != http.StatusOK || list.body["dest"] != r.srv.URL+"/epcis" {
			t.Errorf("reading the subscription answered %d: %s", list.status, list.raw)
		}
		if res := plant.epcisDo("DELETE", "/epcis/queries/shipping/subscriptions/"+subID, nil, nil); res.status != http.StatusNoContent {
			t.Errorf("unsubscribing answered %d: %s", res.status, res.raw)
		}
		if res := plant.epcisDo("DELETE", "/epcis/queries/shipping", nil, nil); res.status != http.StatusNoContent {
			t.Errorf("deleting the query answered %d: %s", res.status, res.raw)
		}
		ctx := tenancy.System(context.Background())
		if n, _ := db.Client.Webhook.Query().Count(ctx); n != 0 {
			t.Errorf("%d webhooks are left", n)
		}
	})
}

// TestWebhookLogPruned: delivered deliveries leave the delivery log once
// they are older than the retention; pending ones stay.
func TestWebhookLogPruned(t *testing.T) {
	db := testdb.SQLite(t)
	log := eventlog.New(db.Client, nil)
	a := newAPI(t, db, server.Config{Log: log, WebhookGuard: &webhook.Guard{}})
	tn := a.tenants()
	r := newReceiver(t, webhook.SignatureHeader)
	tn.aStaff.register(r, []string{"ALERT"}, nil)
	down := newReceiver(t, webhook.SignatureHeader)
	down.setFailing(true)
	downID, _ := tn.aStaff.register(down, []string{"ALERT"}, nil)
	d := webhook.NewDeliverer(db.Client, log, db.Dialect, webhook.Options{
		Guard: &webhook.Guard{}, Retention: time.Nanosecond, Backoff: time.Hour})
	if err := d.Dispatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.spoil(tn.p.loin, tn.p.labOrg, 28)
	if err := d.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.wait(1)
	if dl := tn.aStaff.deliveries(downID); len(dl) != 1 || dl[0].Status != "PENDING" {
		t.Errorf("the failing webhook's log: %+v, want its pending delivery kept", dl)
	}
	if n := a.count("webhook_deliveries"); n != 1 {
		t.Errorf("%d deliveries left, want only the pending one", n)
	}
}

// TestWebhookPausedAndSlow: what is recorded while a webhook is paused
// reaches it once it resumes; a receiver that hangs holds up its own
// queue, never another webhook's.
func TestWebhookPausedAndSlow(t *testing.T) {
	db := testdb.SQLite(t)
	log := eventlog.New(db.Client, nil)
	a := newAPI(t, db, server.Config{Log: log, WebhookGuard: &webhook.Guard{}})
	tn := a.tenants()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	defer slow.Close()
	defer close(hang)
	var out webhookCreated
	tn.aStaff.must(&out, createWebhook, map[string]any{"in": map[string]any{"url": slow.URL + "/hook", "topics": []string{"ALERT"}}})
	r := newReceiver(t, webhook.SignatureHeader)
	id, _ := tn.aStaff.register(r, []string{"ALERT"}, nil)
	// Attempts to the hanging receiver last a minute: longer than the
	// wait below.
	deliver(t, db, log, webhook.Options{Timeout: time.Minute})
	tn.aStaff.must(nil, `mutation($id: ID!) { updateWebhook(id: $id, input: {active: false}) { id } }`, map[string]any{"id": id})
	a.spoil(tn.p.loin, tn.p.labOrg, 28)
	tn.aStaff.must(nil, `mutation($id: ID!) { updateWebhook(id: $id, input: {active: true}) { id } }`, map[string]any{"id": id})
	got := r.wait(1)
	r.check()
	if !strings.Contains(string(got[0].raw), "INSPECTION_FAILED") {
		t.Errorf("the resumed webhook got %s", got[0].raw)
	}
}
