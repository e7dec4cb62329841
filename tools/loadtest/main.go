// Command loadtest drives a running Suyuan server with a load of one kind
// of request and reports throughput and latency percentiles. It picks its
// targets from the server's own database, so codes are chosen at random
// from the data set being served.
//
//	go run ./tools/loadtest -db suyuan.db -scenario trace -duration 30s
//
// Scenarios: trace (GraphQL trace of a random code), naive-trace is not
// here (see the Go benchmarks), lineage and impact (of the widest lot),
// page and page-json (the consumer page /t/{code}), export (FSMA CSV of a
// random lot), downstream (the lineage of the widest lot to -depth levels,
// selecting only the shipment legs). pg-trace and pg-downstream ask the
// same as trace and downstream of PostGraphile serving a copy of the data
// on PostgreSQL (tools/bench/postgraphile), in its GraphQL; -db is still
// the service's database, so both get the same codes and the same lot.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"suyuan/internal/store"
	"suyuan/tools/bench/postgraphile"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type config struct {
	base     string
	dsn      string
	scenario string
	duration time.Duration
	rate     int
	workers  uint64
	sample   int
	seed     uint64
	batchID  int
	depth    int
	phone    string
	password string
	token    string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.base, "url", "http://127.0.0.1:8080", "server base URL")
	fs.StringVar(&c.dsn, "db", "", "the server's database, to choose targets from (SQLite path or MySQL DSN)")
	fs.StringVar(&c.scenario, "scenario", "trace", "trace, lineage, downstream, impact, page, page-json, export, dashboard, pg-trace or pg-downstream")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to attack")
	fs.IntVar(&c.rate, "rate", 0, "requests per second; 0 for as many as the workers can send")
	fs.Uint64Var(&c.workers, "workers", 32, "concurrent connections")
	fs.IntVar(&c.sample, "sample", 10000, "how many codes to choose from")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed for choosing targets")
	fs.IntVar(&c.batchID, "batch", 0, "batch for lineage, downstream, impact and export (default: the one reaching the most stores)")
	fs.IntVar(&c.depth, "depth", 5, "levels of the downstream walk (downstream, pg-downstream)")
	fs.StringVar(&c.phone, "phone", "", "log in as this user for lineage, impact, export and dashboard (password in SUYUAN_PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.phone != "" {
		c.password = os.Getenv("SUYUAN_PASSWORD")
		token, err := login(c)
		if err != nil {
			return err
		}
		c.token = token
	}
	targeter, err := targets(ctx, c)
	if err != nil {
		return err
	}
	// GraphQL answers errors with status 200, which the attack counts as
	// success: check that a first request gets an answer without errors.
	if err := probe(targeter); err != nil {
		return err
	}
	var pacer vegeta.Pacer = vegeta.ConstantPacer{Freq: c.rate, Per: time.Second}
	opts := []func(*vegeta.Attacker){vegeta.Workers(c.workers), vegeta.KeepAlive(true), vegeta.Timeout(10 * time.Second)}
	if c.rate == 0 {
		opts = append(opts, vegeta.MaxWorkers(c.workers))
	}
	attacker := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, pacer, c.duration, c.scenario) {
		m.Add(res)
	}
	m.Close()
	fmt.Fprintf(out, "| %s | %d | %.0f | %s | %s | %s | %s | %.2f%% |\n",
		c.scenario, m.Requests, m.Throughput,
		ms(m.Latencies.P50), ms(m.Latencies.P90), ms(m.Latencies.P99), ms(m.Latencies.Max), m.Success*100)
	if len(m.Errors) > 0 {
		fmt.Fprintf(out, "errors: %v\n", m.Errors[:min(5, len(m.Errors))])
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

func targets(ctx context.Context, c config) (vegeta.Targeter, error) {
	db, err := store.Open(ctx, c.dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(c.seed, c.seed))
	switch c.scenario {
	case "trace", "page", "page-json", "pg-trace":
		codes, err := sampleCodes(ctx, db, c.sample)
		if err != nil {
			return nil, err
		}
		return func(t *vegeta.Target) error {
			code := codes[rng.IntN(len(codes))]
			switch c.scenario {
			case "trace":
				return graphql(t, c.base, postgraphile.OursTrace, map[string]any{"code": code})
			case "pg-trace":
				return graphql(t, c.base, postgraphile.PGTrace, map[string]any{"code": code})
			case "page-json":
				t.Header = http.Header{"Accept": {"application/json"}}
			}
			t.Method, t.URL = http.MethodGet, c.base+"/t/"+code
			return nil
		}, nil
	case "lineage", "downstream", "impact", "export", "pg-downstream":
		id := c.batchID
		if id == 0 {
			if id, err = widest(ctx, db); err != nil {
				return nil, err
			}
		}
		if c.scenario == "pg-downstream" {
			q := postgraphile.PGDownstream(c.depth)
			return func(t *vegeta.Target) error {
				return graphql(t, c.base, q, map[string]any{"id": strconv.Itoa(id)})
			}, nil
		}
		return func(t *vegeta.Target) error {
			defer func() {
				if t.Header == nil {
					t.Header = http.Header{}
				}
				t.Header.Set("Authorization", "Bearer "+c.token)
			}()
			switch c.scenario {
			case "lineage":
				return graphql(t, c.base, `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { truncated
				  nodes { depth batch { lotCode product { name } producer { name } } }
				  edges { outputID inputID quantity unit }
				  shipments { shipmentID to { name } quantity unit }
				  shelfEvents { store { name } quantity shelvedAt } } }`, map[string]any{"id": id})
			case "downstream":
				return graphql(t, c.base, postgraphile.OursDownstream, map[string]any{"id": id, "depth": c.depth})
			case "impact":
				return graphql(t, c.base, `query($id: ID!) { recallImpact(batchId: $id) { stores facilities
				  outstanding { quantity unit }
				  places { facility { name kind } batch { lotCode } shippedOut received inStock onShelf removed } } }`, map[string]any{"id": id})
			}
			t.Method, t.URL = http.MethodGet, c.base+"/export/fsma204.csv?lot="+strconv.Itoa(id)
			return nil
		}, nil
	case "dashboard":
		// The 90 days up to the newest batch: a generated data set's
		// anchor lies in the past.
		var last time.Time
		row := db.SQL.QueryRowContext(ctx, "SELECT produced_at FROM batches ORDER BY produced_at DESC LIMIT 1")
		if err := row.Scan(&last); err != nil {
			return nil, fmt.Errorf("finding the newest batch: %w", err)
		}
		vars := map[string]any{"from": last.AddDate(0, 0, -89), "to": last}
		return func(t *vegeta.Target) error {
			defer func() { t.Header.Set("Authorization", "Bearer "+c.token) }()
			return graphql(t, c.base, `query($from: Time, $to: Time) { dashboard(from: $from, to: $to) {
			  totals { batches shipments shelfEvents inspections inspectionsFailed passRate alerts openAlerts openRecalls }
			  days { day batches shipments shelfEvents inspections inspectionsFailed alerts }
			  alertsByKind { kind severity count }
			  topProducers { organization { name } alerts }
			  carrierCompliance { organization { name } shipments breached compliance } } }`, vars)
		}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q", c.scenario)
}

// login gets an access token for the lineage, impact and export
// scenarios.
func login(c config) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($p: String!, $pw: String!) { login(phone: $p, password: $pw) { accessToken } }`,
		"variables": map[string]any{"p": c.phone, "pw": c.password},
	})
	res, err := http.Post(c.base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("logging in: %w", err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Login struct{ AccessToken string }
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("logging in: %w", err)
	}
	if len(out.Errors) > 0 || out.Data.Login.AccessToken == "" {
		return "", fmt.Errorf("logging in: %v", out.Errors)
	}
	return out.Data.Login.AccessToken, nil
}

func graphql(t *vegeta.Target, base, query string, vars map[string]any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	t.Method, t.URL, t.Body = http.MethodPost, base+"/graphql", body
	t.Header = http.Header{"Content-Type": {"application/json"}}
	return nil
}

// probe sends one target and fails if it answers an error status or a
// GraphQL error.
func probe(targeter vegeta.Targeter) error {
	var t vegeta.Target
	if err := targeter(&t); err != nil {
		return err
	}
	req, err := t.Request()
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probing %s: %w", t.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("probing %s: %w", t.URL, err)
	}
	var answer struct {
		Errors []struct{ Message string }
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("probing %s: status %d: %.300s", t.URL, res.StatusCode, body)
	}
	if json.Unmarshal(body, &answer) == nil && len(answer.Errors) > 0 {
		return fmt.Errorf("probing %s: %s", t.URL, answer.Errors[0].Message)
	}
	return nil
}

// sampleCodes reads up to n trace codes spread over the whole table.
func sampleCodes(ctx context.Context, db *store.DB, n int) ([]string, error) {
	var total int
	if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM trace_codes`).Scan(&total); err != nil {
		return nil, fmt.Errorf("counting codes: %w", err)
	}
	if total == 0 {
		return nil, fmt.Errorf("the database has no trace codes")
	}
	step := max(1, total/n)
	rows, err := db.SQL.QueryContext(ctx, `SELECT code FROM trace_codes WHERE id % ? = 0 LIMIT ?`, step, n)
	if err != nil {
		return nil, fmt.Errorf("sampling codes: %w", err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("no codes sampled")
	}
	return codes, rows.Err()
}

// widest finds the batch whose shipments reached the most facilities.
func widest(ctx context.Context, db *store.DB) (int, error) {
	var id, n int
	err := db.SQL.QueryRowContext(ctx, `SELECT si.batch_id, COUNT(DISTINCT s.to_facility_id) AS n
FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
GROUP BY si.batch_id ORDER BY n DESC LIMIT 1`).Scan(&id, &n)
	if err != nil {
		return 0, fmt.Errorf("finding the widest lot: %w", err)
	}
	return id, nil
}
