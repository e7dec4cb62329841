// Command check checks a running loopback cluster (tools/cluster/up)
// against what it promises:
//
//   - the demo's trace and consumer page answer through HAProxy;
//   - a recall made on one server shows on another server's consumer page
//     within 2 seconds, though that page was cached there before;
//   - a subscriber to alertRaised on one server hears of an alert raised
//     by a recording on another.
//
// Run it as
//
//	go run ./tools/cluster/check
//
// Each check records a lot of its own, so it can run again and again on
// the same cluster.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"suyuan/tools/internal/demoapi"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		os.Exit(1)
	}
}

type config struct {
	proxy   string
	servers []string
	within  time.Duration
	timeout time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var c config
	var servers string
	fs.StringVar(&c.proxy, "url", "http://127.0.0.1:18180", "HAProxy in front of the servers")
	fs.StringVar(&servers, "servers", "http://127.0.0.1:18181,http://127.0.0.1:18182,http://127.0.0.1:18183", "the servers themselves, comma-separated (at least 3)")
	fs.DurationVar(&c.within, "within", 2*time.Second, "how soon a recall on one server must show on another's page")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "time limit of the whole check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.servers = strings.Split(servers, ",")
	if len(c.servers) < 3 {
		return fmt.Errorf("-servers: need 3, got %d", len(c.servers))
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	proxy := demoapi.New(c.proxy, 10*time.Second)
	if err := checkDemo(ctx, proxy); err != nil {
		return err
	}
	fmt.Fprintln(out, "ok   the demo's trace and page answer through HAProxy")

	tokens, err := demoapi.LoginAll(ctx, proxy, demoapi.Regulator, demoapi.Slaughterhouse, demoapi.Carrier, demoapi.Supermarket, demoapi.Laboratory)
	if err != nil {
		return err
	}
	demo, err := demoapi.FindDemo(ctx, proxy, tokens)
	if err != nil {
		return err
	}
	// A lot of this check's own, with a trace code.
	plant := proxy.At(c.servers[0]).As(tokens[demoapi.Slaughterhouse])
	lot := fmt.Sprintf("CHK%d", time.Now().UnixMilli()%1e12)
	var b struct{ CreateBatch struct{ ID string } }
	if err := plant.Must(ctx, &b, `mutation($in: CreateBatchInput!) { createBatch(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"productID": demo.Product, "facilityID": demo.Plant, "lotCode": lot,
		"producedAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "quantity": 50, "unit": "KG"}}); err != nil {
		return fmt.Errorf("creating lot %s: %w", lot, err)
	}
	batch := b.CreateBatch.ID
	issued := plant.GraphQL(ctx, "", `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
		map[string]any{"in": map[string]any{"batchID": batch, "count": 1}})
	var tc struct{ IssueTraceCodes []struct{ Code string } }
	if err := issued.Err(); err != nil {
		return fmt.Errorf("issuing a trace code: %w", err)
	}
	if err := json.Unmarshal(issued.Data, &tc); err != nil || len(tc.IssueTraceCodes) != 1 {
		return fmt.Errorf("issuing a trace code: %s, %v", issued.Data, err)
	}
	code := tc.IssueTraceCodes[0].Code

	took, err := checkRecall(ctx, c, proxy, tokens[demoapi.Regulator], batch, code, issued.ReadAfter)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ok   a recall on %s showed on %s's page after %s (at most %s)\n", c.servers[0], c.servers[1], took.Round(time.Millisecond), c.within)

	took, err = checkAlert(ctx, c, proxy, tokens, demo, batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ok   an alert raised on %s reached a subscriber on %s after %s\n", c.servers[2], c.servers[0], took.Round(time.Millisecond))
	return nil
}

func checkDemo(ctx context.Context, proxy *demoapi.Client) error {
	var tr struct {
		Trace struct {
			Batch struct{ LotCode string }
		}
	}
	if err := proxy.Must(ctx, &tr, `query($c: String!) { trace(code: $c) { batch { lotCode } } }`, map[string]any{"c": demoapi.PorkCode}); err != nil {
		return fmt.Errorf("the demo's trace through HAProxy: %w", err)
	}
	if tr.Trace.Batch.LotCode == "" {
		return errors.New("the demo's trace through HAProxy has no lot")
	}
	for _, accept := range []string{"text/html", "application/json"} {
		if a := proxy.Get(ctx, "/t/"+demoapi.PorkCode, accept); a.Status != 200 {
			return fmt.Errorf("the demo's page (%s) through HAProxy: HTTP %d %s", accept, a.Status, a.Message)
		}
	}
	return nil
}

// recalled reads the recalled flag of code's page on one server.
func recalled(ctx context.Context, server *demoapi.Client, code string) (bool, error) {
	a := server.Get(ctx, "/t/"+code, "application/json")
	if a.Status != 200 {
		return false, fmt.Errorf("page of %s on %s: HTTP %d %s", code, server.Base, a.Status, a.Message)
	}
	var page struct{ Recalled bool }
	if err := json.Unmarshal(a.Body, &page); err != nil {
		return false, fmt.Errorf("page of %s on %s: %w", code, server.Base, err)
	}
	return page.Recalled, nil
}

// checkRecall caches the page on the second server, recalls the lot on the
// first, and polls the second until its page says so.
//
// The first look at the page sends the code's recording's position
// (readAfter), as a client reading its own write does: a replica behind
// it would not know the code yet. The looks after the recall send
// nothing, as a shopper's phone would.
func checkRecall(ctx context.Context, c config, proxy *demoapi.Client, regulator, batch, code, readAfter string) (time.Duration, error) {
	other := proxy.At(c.servers[1])
	if r, err := recalled(ctx, other.After(readAfter), code); err != nil || r {
		return 0, fmt.Errorf("before the recall: recalled %v, %w", r, err)
	}
	if err := proxy.At(c.servers[0]).As(regulator).Must(ctx, nil,
		`mutation($in: InitiateRecallInput!) { initiateRecall(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"batchIDs": []string{batch}, "reason": "cluster check", "class": "III", "depth": "CONSUMER"}}); err != nil {
		return 0, fmt.Errorf("recalling: %w", err)
	}
	start := time.Now()
	for {
		r, err := recalled(ctx, other, code)
		if err != nil {
			return 0, err
		}
		took := time.Since(start)
		if r {
			if took > c.within {
				return took, fmt.Errorf("the recall showed on %s's page after %s, more than %s", other.Base, took, c.within)
			}
			return took, nil
		}
		if took > c.within {
			return took, fmt.Errorf("the recall did not show on %s's page within %s", other.Base, c.within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkAlert subscribes as the regulator on the first server and records
// a failed inspection of the lot on the third.
func checkAlert(ctx context.Context, c config, proxy *demoapi.Client, tokens map[string]string, demo demoapi.Demo, batch string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(c.servers[0], "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return 0, fmt.Errorf("subscribing on %s: %w", c.servers[0], err)
	}
	defer conn.CloseNow()
	type msg struct {
		ID      string          `json:"id,omitempty"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	send := func(m any) error { return wsjson.Write(ctx, conn, m) }
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + tokens[demoapi.Regulator]}}); err != nil {
		return 0, err
	}
	var ack msg
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		return 0, fmt.Errorf("subscribing on %s: got %q, %v", c.servers[0], ack.Type, err)
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]string{
		"query": "subscription { alertRaised { id kind batch { id } } }"}}); err != nil {
		return 0, err
	}
	// The subscription is live once the server has read the subscribe
	// message; a ping answered after it says so, as messages are handled
	// in order.
	if err := send(map[string]string{"type": "ping"}); err != nil {
		return 0, err
	}
	for {
		var m msg
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			return 0, fmt.Errorf("waiting for pong: %w", err)
		}
		if m.Type == "pong" {
			break
		}
	}
	lab := proxy.At(c.servers[2]).As(tokens[demoapi.Laboratory])
	if err := lab.Must(ctx, nil, `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"batchID": batch, "labID": demo.LabOrg, "inspectedAt": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "result": "FAIL",
		"measurements": []any{map[string]any{"name": "TVB-N", "value": 24, "unit": "mg/100g", "limitMax": 15}}}}); err != nil {
		return 0, fmt.Errorf("recording a failed inspection on %s: %w", c.servers[2], err)
	}
	start := time.Now()
	for {
		var m msg
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			return 0, fmt.Errorf("no alert on the lot reached %s's subscriber: %w", c.servers[0], err)
		}
		switch m.Type {
		case "next":
			var p struct {
				Data struct {
					AlertRaised struct {
						Kind  string
						Batch *struct{ ID string }
					}
				}
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				return 0, err
			}
			if b := p.Data.AlertRaised.Batch; b != nil && b.ID == batch {
				return time.Since(start), nil
			}
		case "error", "complete":
			return 0, fmt.Errorf("the subscription ended: %s %s", m.Type, m.Payload)
		}
	}
}
