package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"suyuan/internal/eventlog"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

const recordInspection = `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`

// spoil records a failed inspection of batch with TVB-N at value.
func (a *api) spoil(batch, lab string, value float64) {
	a.t.Helper()
	a.spoilAt(batch, lab, value, day(4))
}

// spoilAt is spoil, inspecting at a given time.
func (a *api) spoilAt(batch, lab string, value float64, at time.Time) {
	a.t.Helper()
	a.must(nil, recordInspection, map[string]any{"in": map[string]any{
		"batchID": batch, "labID": lab, "inspectedAt": at, "result": "FAIL",
		"measurements": []any{map[string]any{"name": "TVB-N", "value": value, "unit": "mg/100g", "limitMax": 15}},
	}})
}

type alertNode struct {
	ID, Kind, Severity, Status, SubjectType, RegionCode string
	StatusNote                                          string
	Organization                                        struct{ ID string }
	Batch                                               *struct{ ID string }
	Shipment                                            *struct{ ID string }
	Evidence                                            struct {
		Summary             string
		Observed, Threshold float64
		Unit                string
		Values              []struct {
			Name  string
			Value float64
		}
	}
}

const alertFields = `id kind severity status subjectType regionCode statusNote organization { id } batch { id } shipment { id }
	evidence { summary observed threshold unit values { name value } }`

// alerts lists the alerts the client sees, oldest first.
func (a *api) alerts() []alertNode {
	a.t.Helper()
	var out struct {
		Alerts struct{ Edges []struct{ Node alertNode } }
	}
	a.must(&out, `{ alerts(first: 100, orderBy: {field: DETECTED_AT, direction: ASC}) { edges { node { `+alertFields+` } } } }`, nil)
	var list []alertNode
	for _, e := range out.Alerts.Edges {
		list = append(list, e.Node)
	}
	return list
}

func kinds(as []alertNode) string {
	var ks []string
	for _, a := range as {
		ks = append(ks, a.Kind+"/"+a.SubjectType)
	}
	return strings.Join(ks, " ")
}

// TestRecordingRaisesAlerts: the cheap rules run in the recording
// transaction, once per rule and subject, and their alerts reach the
// organisation concerned and the region's regulator, nobody else.
func TestRecordingRaisesAlerts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		p := tn.p
		if got := a.alerts(); len(got) != 0 {
			t.Fatalf("a clean chain raised alerts: %s", kinds(got))
		}
		a.spoil(p.loin, p.labOrg, 22.4)
		got := a.alerts()
		if kinds(got) != "INSPECTION_FAILED/BATCH OVER_LEGAL_LIMIT/BATCH" && kinds(got) != "OVER_LEGAL_LIMIT/BATCH INSPECTION_FAILED/BATCH" {
			t.Fatalf("alerts after a failed inspection = %s", kinds(got))
		}
		for _, al := range got {
			if al.Batch == nil || al.Batch.ID != p.loin || al.Organization.ID != p.plantOrg || al.RegionCode != "511802" || al.Status != "OPEN" {
				t.Errorf("alert %+v: want OPEN, about the loin, for its producer in 511802", al)
			}
			if al.Kind == "OVER_LEGAL_LIMIT" && (al.Evidence.Observed != 22.4 || al.Evidence.Threshold != 15 || al.Severity != "CRITICAL") {
				t.Errorf("over-limit evidence %+v severity %s, want 22.4 against 15, CRITICAL", al.Evidence, al.Severity)
			}
		}
		// The same rule on the same subject updates its alert.
		a.spoil(p.loin, p.labOrg, 25)
		again := a.alerts()
		if len(again) != 2 {
			t.Fatalf("a second failed inspection made %d alerts, want the same 2: %s", len(again), kinds(again))
		}
		for _, al := range again {
			if al.Kind == "OVER_LEGAL_LIMIT" && al.Evidence.Observed != 25 {
				t.Errorf("the alert was not brought up to date: observed %v, want 25", al.Evidence.Observed)
			}
		}
		// A reading far outside the range alarms at once, for the carrier.
		a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
			map[string]any{"in": map[string]any{"shipmentID": p.legToStore, "readings": []any{
				map[string]any{"recordedAt": day(3.02), "temperature": 70, "temperatureUnit": "F"}, // 21.1 °C
			}}})
		var hot *alertNode
		for _, al := range a.alerts() {
			if al.Kind == "TEMPERATURE_OUT_OF_RANGE" {
				hot = &al
			}
		}
		if hot == nil || hot.Shipment == nil || hot.Shipment.ID != p.legToStore || hot.Organization.ID != p.carrierOrg {
			t.Fatalf("far-out reading: alert %+v, want one on the store leg for the carrier", hot)
		}
		if hot.Evidence.Observed < 21 || hot.Evidence.Observed > 21.2 {
			t.Errorf("°F reading judged as %v °C, want 21.1", hot.Evidence.Observed)
		}

		for _, c := range []struct {
			who  string
			as   *api
			want int
		}{
			{"producer", tn.aStaff, 2},
			{"carrier", tn.carrier, 1},
			{"regulator of the region", tn.regulator, 3},
			{"regulator elsewhere", tn.farRegulator, 0},
			{"another producer", tn.bStaff, 0},
			{"retailer", tn.retailer, 0},
		} {
			if n := len(c.as.alerts()); n != c.want {
				t.Errorf("%s sees %d alerts, want %d", c.who, n, c.want)
			}
		}
		tn.anonymous.fails("UNAUTHENTICATED", "", `{ alerts(first: 5) { totalCount } }`, nil)

		// A page of alerts with their organisations, batches and shipments
		// is loaded set at a time: the count, the page, and one statement
		// per kind of edge present.
		db.Counter.Reset()
		a.must(nil, `{ alerts(first: 50) { totalCount edges { node { `+alertFields+` } } } }`, nil)
		if n := db.Counter.Count(); n != 5 {
			t.Errorf("a page of 3 alerts took %d statements, want 5", n)
		}
	})
}

const setStatus = `mutation($id: ID!, $s: AlertStatus!, $n: String!) { setAlertStatus(id: $id, status: $s, note: $n) { id status statusNote statusChangedAt statusChangedBy { id } } }`

// TestAlertWorkflow: OPEN → ACKNOWLEDGED → RESOLVED or DISMISSED, with a
// note and who did it; the organisation concerned may not dismiss, others
// may not touch it.
func TestAlertWorkflow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		a.spoil(tn.p.loin, tn.p.labOrg, 30)
		var failed, over string
		for _, al := range a.alerts() {
			switch al.Kind {
			case "INSPECTION_FAILED":
				failed = al.ID
			case "OVER_LEGAL_LIMIT":
				over = al.ID
			}
		}
		vars := func(id, s, n string) map[string]any { return map[string]any{"id": id, "s": s, "n": n} }

		tn.bStaff.fails("NOT_FOUND", "id", setStatus, vars(failed, "ACKNOWLEDGED", ""))
		tn.farRegulator.fails("NOT_FOUND", "id", setStatus, vars(failed, "ACKNOWLEDGED", ""))
		tn.aStaff.fails("FORBIDDEN", "status", setStatus, vars(failed, "DISMISSED", "not ours"))
		tn.aStaff.fails("BAD_USER_INPUT", "note", setStatus, vars(failed, "ACKNOWLEDGED", strings.Repeat("x", 2001)))

		var out struct {
			SetAlertStatus struct {
				Status, StatusNote, StatusChangedAt string
				StatusChangedBy                     *struct{ ID string }
			}
		}
		tn.aStaff.must(&out, setStatus, vars(failed, "ACKNOWLEDGED", "batch held in the cold store"))
		if s := out.SetAlertStatus; s.Status != "ACKNOWLEDGED" || s.StatusNote != "batch held in the cold store" || s.StatusChangedAt == "" || s.StatusChangedBy == nil {
			t.Fatalf("acknowledged alert = %+v", s)
		}
		tn.regulator.must(&out, setStatus, vars(failed, "RESOLVED", "batch destroyed under supervision"))
		if out.SetAlertStatus.Status != "RESOLVED" {
			t.Fatalf("status = %s, want RESOLVED", out.SetAlertStatus.Status)
		}
		tn.regulator.fails("INVALID_STATE", "status", setStatus, vars(failed, "ACKNOWLEDGED", ""))
		tn.regulator.fails("INVALID_STATE", "status", setStatus, vars(failed, "OPEN", ""))
		tn.regulator.must(&out, setStatus, vars(over, "DISMISSED", "lab mix-up, retest passed"))
		if out.SetAlertStatus.Status != "DISMISSED" {
			t.Fatalf("status = %s, want DISMISSED", out.SetAlertStatus.Status)
		}
		// A dismissed alert stays dismissed when its rule fires again; a
		// resolved one opens again on a new finding (a new failed test).
		a.spoil(tn.p.loin, tn.p.labOrg, 31)
		for _, al := range a.alerts() {
			want := map[string]string{"INSPECTION_FAILED": "OPEN", "OVER_LEGAL_LIMIT": "DISMISSED"}[al.Kind]
			if al.Status != want {
				t.Errorf("%s is %s after its rule fired again, want %s", al.Kind, al.Status, want)
			}
		}
		if n := a.count("audit_entries WHERE operation = 'setAlertStatus'"); n != 3 {
			t.Errorf("%d audit entries for status changes, want 3", n)
		}
	})
}

// wsClient speaks graphql-transport-ws. One goroutine reads the socket
// for the life of the test and hands messages over a channel: a read whose
// context ends closes a coder/websocket connection, so waiting with a
// deadline must not be a read with a deadline, or a slow server (a busy
// machine) would lose the socket and every message after it.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan wsMessage
	done chan struct{} // closed when the socket can be read no more
	err  error         // why, once done is closed
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a graphql-transport-ws socket and starts reading it.
func (a *api) dialWS(ctx context.Context) (*wsClient, error) {
	url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	c := &wsClient{t: a.t, conn: conn, msgs: make(chan wsMessage, 64), done: make(chan struct{})}
	a.t.Cleanup(func() { conn.CloseNow() })
	go c.readLoop()
	return c, nil
}

// readLoop answers pings and passes every other message on, until the
// socket closes.
func (c *wsClient) readLoop() {
	defer close(c.done)
	for {
		var m wsMessage
		if err := wsjson.Read(context.Background(), c.conn, &m); err != nil {
			c.err = err
			return
		}
		if m.Type == "ping" {
			wsjson.Write(context.Background(), c.conn, map[string]string{"type": "pong"})
			continue
		}
		select {
		case c.msgs <- m:
		case <-time.After(time.Minute):
			c.err = errors.New("nobody read the socket's messages for a minute")
			return
		}
	}
}

// subscribe opens a socket with token and subscribes to alertRaised.
func (a *api) subscribe(token string) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := a.dialWS(ctx)
	if err != nil {
		return nil, err
	}
	init := map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + token}}
	if err := wsjson.Write(ctx, c.conn, init); err != nil {
		return nil, err
	}
	m, err := c.read(10 * time.Second)
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		return nil, fmt.Errorf("got %s, want connection_ack", m.Type)
	}
	sub := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { alertRaised { id kind organization { id } batch { id lotCode } evidence { summary } } }`}}
	return c, wsjson.Write(ctx, c.conn, sub)
}

// errNoMessage is what read returns when nothing came within its wait;
// the socket stays open.
var errNoMessage = errors.New("no message within the wait")

// read returns the next message other than a ping, waiting at most wait.
// Messages that arrive later are kept for the next read.
func (c *wsClient) read(wait time.Duration) (wsMessage, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case m := <-c.msgs:
		return m, nil
	case <-c.done:
		select { // messages read before the socket closed come first
		case m := <-c.msgs:
			return m, nil
		default:
			return wsMessage{}, c.err
		}
	case <-timer.C:
		return wsMessage{}, errNoMessage
	}
}

type raised struct {
	AlertRaised struct {
		ID, Kind     string
		Organization struct{ ID string }
		Batch        struct{ ID, LotCode string }
	}
}

// TestAlertSubscription: a connected regulator and the producer receive a
// new alert over the websocket; another organisation does not; a socket
// without a valid token is refused.
func TestAlertSubscription(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		regulator, err := a.subscribe(tn.regulator.token)
		if err != nil {
			t.Fatal(err)
		}
		producer, err := a.subscribe(tn.aStaff.token)
		if err != nil {
			t.Fatal(err)
		}
		other, err := a.subscribe(tn.bStaff.token)
		if err != nil {
			t.Fatal(err)
		}
		// A subscription is registered once the server has read the
		// subscribe message, a moment after it was sent. Until every
		// subscriber has heard of one, raise alerts on fresh lots: first
		// the other producer's, so that its socket is surely listening
		// when the first producer's alerts are raised.
		await := func(what string, c *wsClient, lotPrefix, product, facility string) raised {
			t.Helper()
			// A busy machine may take long to register a subscription;
			// give up only after half a minute of fresh lots.
			deadline := time.Now().Add(30 * time.Second)
			for i := 0; time.Now().Before(deadline); i++ {
				lot := a.batch(product, facility, fmt.Sprintf("%s-%d", lotPrefix, i), 10, "KG", day(1))
				a.spoil(lot, tn.p.labOrg, 28)
				// Skip what it may also see of earlier lots.
				for {
					m, err := c.read(time.Second)
					if err != nil {
						break
					}
					var p struct{ Data raised }
					if err := json.Unmarshal(m.Payload, &p); m.Type != "next" || err != nil {
						t.Fatalf("%s got %s %s", what, m.Type, m.Payload)
					}
					if strings.HasPrefix(p.Data.AlertRaised.Batch.LotCode, lotPrefix+"-") {
						return p.Data
					}
				}
			}
			t.Fatalf("no alert reached the %s", what)
			return raised{}
		}
		if got := await("other producer", other, "B-SPOILED", tn.bProduct, tn.bFacility); !strings.HasPrefix(got.AlertRaised.Batch.LotCode, "B-SPOILED-") {
			t.Errorf("the other producer got %+v", got.AlertRaised)
		}
		got := await("regulator", regulator, "SPOILED", tn.p.chain.pork, tn.p.plant)
		if got.AlertRaised.Organization.ID != tn.p.plantOrg || !strings.HasPrefix(got.AlertRaised.Batch.LotCode, "SPOILED-") {
			t.Errorf("regulator got %+v", got.AlertRaised)
		}
		if got := await("producer", producer, "SPOILED-AGAIN", tn.p.chain.pork, tn.p.plant); got.AlertRaised.Organization.ID != tn.p.plantOrg {
			t.Errorf("producer got %+v", got.AlertRaised)
		}
		// The other producer's socket listened all along and heard only of
		// its own lots (the alerts of its first lots may follow).
		for {
			m, err := other.read(300 * time.Millisecond)
			if err != nil {
				break
			}
			if strings.Contains(string(m.Payload), `"SPOILED-`) {
				t.Errorf("another organisation received %s %s", m.Type, m.Payload)
			}
		}

		// Queries and mutations go over HTTP, where credentials are shown
		// with every request, not over a socket opened with them once.
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		if err := wsjson.Write(wctx, regulator.conn, map[string]any{"id": "2", "type": "subscribe",
			"payload": map[string]any{"query": `mutation { closeRecall(id: "1") { id } }`}}); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := regulator.read(2 * time.Second)
			if err != nil {
				t.Fatalf("no answer to a mutation over the socket: %v", err)
			}
			if m.ID != "2" {
				continue
			}
			if !strings.Contains(string(m.Payload), "BAD_USER_INPUT") || !strings.Contains(string(m.Payload), "only subscriptions") {
				t.Errorf("a mutation over the socket: %s %s", m.Type, m.Payload)
			}
			break
		}

		// A page on another site may not open a socket with the user's
		// browser.
		dial, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/graphql"
		if c, _, err := websocket.Dial(dial, url, &websocket.DialOptions{
			Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader:   http.Header{"Origin": {"https://evil.example"}},
		}); err == nil {
			c.CloseNow()
			t.Error("a socket from another origin was accepted")
		}
		for _, token := range []string{"", "not-a-token"} {
			if _, err := a.subscribe(token); err == nil {
				t.Errorf("token %q: the socket was acknowledged", token)
			}
		}
	})
}

// TestAlertReachesOtherServers: with two servers on one database, an alert
// raised through one reaches a regulator whose socket is open on the
// other, once that server's follower has read the outbox — no server
// keeps its alerts to itself.
func TestAlertReachesOtherServers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		other := eventlog.New(db.Client, nil)
		follower := other.Follower()
		b := newAPI(t, db, server.Config{Log: other})
		regulator, err := b.subscribe(tn.regulator.token)
		if err != nil {
			t.Fatal(err)
		}
		ctx := tenancy.System(context.Background())
		// Until the subscription is registered (a moment after it was
		// sent), raise alerts on fresh lots through the first server.
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; time.Now().Before(deadline); i++ {
			lot := a.batch(tn.p.chain.pork, tn.p.plant, fmt.Sprintf("ELSEWHERE-%d", i), 10, "KG", day(1))
			a.spoil(lot, tn.p.labOrg, 28)
			if _, err := follower.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			for {
				m, err := regulator.read(time.Second)
				if err != nil {
					break
				}
				var p struct{ Data raised }
				if err := json.Unmarshal(m.Payload, &p); m.Type != "next" || err != nil {
					t.Fatalf("got %s %s", m.Type, m.Payload)
				}
				if strings.HasPrefix(p.Data.AlertRaised.Batch.LotCode, "ELSEWHERE-") {
					return
				}
			}
		}
		t.Fatal("an alert raised through one server never reached a subscriber of the other")
	})
}
