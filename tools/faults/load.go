package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"suyuan/tools/internal/demoapi"
)

// Each lot the run makes holds lotKG, shipped lotKG/shipKG times.
const (
	lotKG  = 100
	shipKG = 10
	// writeDeadline bounds one recording with its retries: longer than
	// an Idempotency-Key's lease (twice the 30 s request limit), so that a
	// recording whose server died under it is taken over and answered.
	writeDeadline = 75 * time.Second
	// requestTimeout is what the run calls a hang: the service's own
	// request limit is 30 s, and HAProxy's server timeout 40 s.
	requestTimeout = 42 * time.Second
)

// outcome is one HTTP exchange.
type outcome struct {
	at   time.Time // when it was sent
	took time.Duration
	// first, for a recording sent again, is when it was first sent: its
	// failures count in that window (result.tally).
	first  time.Time
	kind   string // create, ship, trace, page, lot-page, read
	answer demoapi.Answer
	// rejected: the service refused the request for what it asked (a
	// domain error such as QUANTITY_EXCEEDS_AVAILABLE), not for a fault.
	rejected bool
	// stale: a read of the run's own recording that a replica did not
	// have yet (404 or null).
	stale bool
}

func (o outcome) failed() bool { return !o.answer.OK() && !o.rejected && !o.stale }

// label names a failure as the report counts it: HTTP status and code.
func (o outcome) label() string {
	switch {
	case o.answer.Status == 0 && o.answer.Message == "timeout":
		return "hang (no answer in " + requestTimeout.String() + ")"
	case o.answer.Status == 0:
		return "no answer"
	case o.answer.Code == "":
		return strconv.Itoa(o.answer.Status)
	}
	return strconv.Itoa(o.answer.Status) + " " + o.answer.Code
}

type ackedShipment struct {
	id, batch string
}

// ledger holds every outcome and every acknowledged recording.
type ledger struct {
	mu        sync.Mutex
	outcomes  []outcome
	batches   []string // acknowledged lots' ids
	lots      []string // and their lot codes, for the pages
	shipments []ackedShipment
	samples   io.Writer
}

func (l *ledger) add(o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes = append(l.outcomes, o)
	if o.failed() || o.rejected {
		a := o.answer
		what := "failed"
		if o.rejected {
			what = "refused"
		}
		fmt.Fprintf(l.samples, "%s %s %s: %s; request %s; retry-after %q; %.300s\n",
			o.at.Format("15:04:05.000"), o.kind, what, o.label(), a.RequestID, a.RetryAfter, a.Message)
	}
}

func (l *ledger) recentLot() (id, lot string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.batches) == 0 {
		return "", "", false
	}
	i := len(l.batches) - 1
	return l.batches[i], l.lots[i], true
}

// load is the traffic: recorders as the demo slaughterhouse, anonymous
// readers of traces and pages, and the regulator reading the run's lots.
type load struct {
	proxy     *demoapi.Client
	plant     *demoapi.Client // as the slaughterhouse
	regulator *demoapi.Client
	demo      demoapi.Demo
	gtin      string
	runID     string
	ledger    *ledger
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// retryable reports whether an answer is one a client should send again
// (with the same Idempotency-Key) after a while.
func retryable(a demoapi.Answer) bool {
	switch {
	case a.Status == 0, a.Status == http.StatusBadGateway, a.Status == http.StatusServiceUnavailable,
		a.Status == http.StatusGatewayTimeout, a.Status == http.StatusTooManyRequests:
		return true
	case a.Code == "UNAVAILABLE", a.Code == "IDEMPOTENCY_KEY_IN_USE", a.Code == "RATE_LIMITED":
		return true
	}
	return false
}

// record sends one recording until it is answered for good: it returns
// the answer's data when acknowledged.
func (ld *load) record(ctx context.Context, kind, query string, vars map[string]any) (json.RawMessage, bool) {
	key := newKey()
	ctx, cancel := context.WithTimeout(ctx, writeDeadline)
	defer cancel()
	backoff := 200 * time.Millisecond
	// Every sending of one recording counts in the window it was first
	// sent in: a retry told IDEMPOTENCY_KEY_IN_USE long after a server
	// was killed with the first sending under way is that kill's
	// failure, not the failure of whatever fault comes next.
	first := time.Now()
	for {
		start := time.Now()
		a := ld.plant.GraphQL(ctx, key, query, vars)
		o := outcome{at: start, first: first, took: time.Since(start), kind: kind, answer: a}
		if !a.OK() && !retryable(a) && a.Status != 500 && a.Status != 0 && a.Code != "INTERNAL" {
			o.rejected = true // refused for what it asked; not a fault
		}
		if ctx.Err() != nil && a.Status == 0 {
			return nil, false // the run ends; not the service's failure
		}
		ld.ledger.add(o)
		if a.OK() {
			return a.Data, true
		}
		if !retryable(a) {
			return nil, false
		}
		wait := backoff
		if s, err := strconv.Atoi(a.RetryAfter); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, 2*time.Second)
		}
		backoff = min(backoff*2, 2*time.Second)
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(wait):
		}
	}
}

// writer makes lots and ships each whole, ten shipments at a time, one
// recording every interval until load ends. A recording under way then
// is sent until it is answered (within ctx), so that every recording the
// database holds was either acknowledged or failed for the service's
// reasons, not the run's end.
func (ld *load) writer(ctx, load context.Context, n int, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	pace := func() bool {
		select {
		case <-load.Done():
			return false
		case <-tick.C:
			return true
		}
	}
	for seq := 0; pace(); seq++ {
		lot := fmt.Sprintf("F%s%d%04d", ld.runID, n, seq)
		data, ok := ld.record(ctx, "create", `mutation($in: CreateBatchInput!) { createBatch(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"productID": ld.demo.Product, "facilityID": ld.demo.Plant, "lotCode": lot,
			"producedAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "quantity": lotKG, "unit": "KG"}})
		if !ok {
			continue
		}
		var b struct{ CreateBatch struct{ ID string } }
		if json.Unmarshal(data, &b) != nil || b.CreateBatch.ID == "" {
			continue
		}
		ld.ledger.mu.Lock()
		ld.ledger.batches = append(ld.ledger.batches, b.CreateBatch.ID)
		ld.ledger.lots = append(ld.ledger.lots, lot)
		ld.ledger.mu.Unlock()
		for i := 0; i < lotKG/shipKG && pace(); i++ {
			data, ok := ld.record(ctx, "ship", `mutation($in: RecordShipmentInput!) { recordShipment(input: $in) { id } }`, map[string]any{"in": map[string]any{
				"carrierID": ld.demo.CarrierOrg, "fromFacilityID": ld.demo.Plant, "toFacilityID": ld.demo.Store,
				"departedAt": time.Now().UTC().Format(time.RFC3339),
				"items":      []any{map[string]any{"batchID": b.CreateBatch.ID, "quantity": shipKG, "unit": "KG"}}}})
			if !ok {
				continue
			}
			var s struct{ RecordShipment struct{ ID string } }
			if json.Unmarshal(data, &s) == nil && s.RecordShipment.ID != "" {
				ld.ledger.mu.Lock()
				ld.ledger.shipments = append(ld.ledger.shipments, ackedShipment{s.RecordShipment.ID, b.CreateBatch.ID})
				ld.ledger.mu.Unlock()
			}
		}
	}
}

// reader sends one kind of read every interval; reads are not retried by
// the client (HAProxy resends them to another server when one dies).
func (ld *load) reader(ctx context.Context, kind string, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		var o outcome
		switch kind {
		case "trace":
			a := ld.proxy.GraphQL(ctx, "", `query($c: String!) { trace(code: $c) { batch { lotCode } journey { status } recalled } }`,
				map[string]any{"c": demoapi.PorkCode})
			o = outcome{kind: kind, answer: a}
		case "page":
			o = outcome{kind: kind, answer: ld.proxy.Get(ctx, "/t/"+demoapi.PorkCode, "application/json")}
		case "lot-page":
			_, lot, ok := ld.ledger.recentLot()
			if !ok {
				continue
			}
			a := ld.proxy.Get(ctx, "/01/"+ld.gtin+"/10/"+lot, "application/json")
			o = outcome{kind: kind, answer: a, stale: a.Status == http.StatusNotFound}
		case "read":
			id, _, ok := ld.ledger.recentLot()
			if !ok {
				continue
			}
			a := ld.regulator.GraphQL(ctx, "", `query($id: ID!) { node(id: $id) { ... on Batch { id stocks { edges { node { quantity } } } } } }`,
				map[string]any{"id": id})
			// Another caller's recording: a replica within the allowed lag
			// may not hold it yet, and says so with null or NOT_FOUND.
			o = outcome{kind: kind, answer: a, stale: (a.OK() && string(a.Data) == `{"node":null}`) || a.Code == "NOT_FOUND"}
		}
		if ctx.Err() != nil && o.answer.Status == 0 {
			return
		}
		o.at, o.took = start, time.Since(start)
		ld.ledger.add(o)
	}
}
