package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"suyuan/internal/store"
)

type result struct {
	windows      []*window
	ledger       *ledger
	began, ended time.Time

	// From the database, after the load.
	lostBatches, lostShipments int
	unackedShipments           int // recorded, though the client never heard so
	negativeStocks             int
	unbalanced                 []string
	replicaLag                 []string
}

// verify reads the primary's database: every acknowledged recording must
// be there, no stock negative, and every lot of the run balanced.
func (res *result) verify(ctx context.Context, c config, ld *load) error {
	dsn, err := os.ReadFile(filepath.Join(c.clusterDir, "serve-1.db"))
	if err != nil {
		return fmt.Errorf("the cluster's database: %w", err)
	}
	db, err := store.Open(ctx, strings.TrimSpace(string(dsn)))
	if err != nil {
		return err
	}
	defer db.Close()
	l := ld.ledger
	var shipIDs []string
	for _, s := range l.shipments {
		shipIDs = append(shipIDs, s.id)
	}
	if res.lostBatches, err = missing(ctx, db.SQL, "batches", l.batches); err != nil {
		return err
	}
	if res.lostShipments, err = missing(ctx, db.SQL, "shipments", shipIDs); err != nil {
		return err
	}
	if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM stocks WHERE on_hand_milli < 0`).Scan(&res.negativeStocks); err != nil {
		return fmt.Errorf("counting negative stocks: %w", err)
	}
	// Each lot of the run: what is left at the plant and what its
	// shipments took add up to what was made. Lots and shipments recorded
	// though never acknowledged count too: they are in the database.
	rows, err := db.SQL.QueryContext(ctx, `
SELECT b.lot_code, b.quantity * 1000,
       COALESCE((SELECT s.on_hand_milli FROM stocks s WHERE s.batch_id = b.id AND s.facility_id = b.facility_id), 0),
       COALESCE((SELECT SUM(i.quantity) * 1000 FROM shipment_items i WHERE i.batch_id = b.id), 0),
       (SELECT COUNT(*) FROM shipment_items i WHERE i.batch_id = b.id)
  FROM batches b WHERE b.lot_code LIKE ?`, "F"+ld.runID+"%")
	if err != nil {
		return fmt.Errorf("balancing the run's lots: %w", err)
	}
	defer rows.Close()
	recorded := 0
	for rows.Next() {
		var lot string
		var made, left, shipped float64
		var n int
		if err := rows.Scan(&lot, &made, &left, &shipped, &n); err != nil {
			return err
		}
		recorded += n
		if made != left+shipped {
			res.unbalanced = append(res.unbalanced, fmt.Sprintf("%s: made %.0f g, %.0f g left, %.0f g shipped", lot, made, left, shipped))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	res.unackedShipments = recorded - len(l.shipments)
	res.replicaLag = replicasCaughtUp(ctx, c, ld.runID)
	return nil
}

// missing counts the ids not in table.
func missing(ctx context.Context, db *sql.DB, table string, ids []string) (int, error) {
	lost := 0
	for chunk := range slices.Chunk(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		var found int
		q := `SELECT COUNT(*) FROM ` + table + ` WHERE id IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		if err := db.QueryRowContext(ctx, q, args...).Scan(&found); err != nil {
			return 0, fmt.Errorf("looking for acknowledged %s: %w", table, err)
		}
		lost += len(chunk) - found
	}
	return lost, nil
}

// replicasCaughtUp waits up to 30 s for each replica to hold as many of
// the run's lots as the primary, and names those that do not.
func replicasCaughtUp(ctx context.Context, c config, runID string) []string {
	if c.galera {
		return nil
	}
	count := func(port int) (int, error) {
		db, err := store.Open(ctx, fmt.Sprintf("mysql://root@127.0.0.1:%d/suyuan", port))
		if err != nil {
			return 0, err
		}
		defer db.Close()
		var n int
		err = db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM batches WHERE lot_code LIKE ?`, "F"+runID+"%").Scan(&n)
		return n, err
	}
	want, err := count(3407)
	if err != nil {
		return []string{"primary: " + err.Error()}
	}
	var behind []string
	for _, port := range []int{3408, 3409} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := count(port)
			if err == nil && n == want {
				break
			}
			if time.Now().After(deadline) {
				behind = append(behind, fmt.Sprintf("replica on %d holds %d of the run's %d lots (%v)", port, n, want, err))
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return behind
}

// tally is what one window saw.
type tally struct {
	requests, failed, stale, rejected int
	byLabel                           map[string]int
	byKind                            map[string]int // failures by kind of request
	lastFailure                       time.Time
	slowest                           time.Duration
	internal, hangs                   int
}

func (res *result) tally(w *window) tally {
	t := tally{byLabel: map[string]int{}, byKind: map[string]int{}}
	for _, o := range res.ledger.outcomes {
		// A request belongs to the window it was answered in: one sent
		// just before a fault and failed by it is the fault's. A
		// recording sent again belongs to the window of its first
		// sending.
		answered := o.at.Add(o.took)
		in := answered
		if !o.first.IsZero() {
			in = o.first.Add(o.took)
		}
		if in.Before(w.start) || !in.Before(w.end) {
			continue
		}
		t.requests++
		t.slowest = max(t.slowest, o.took)
		switch {
		case o.stale:
			t.stale++
		case o.rejected:
			t.rejected++
		case o.failed():
			t.failed++
			t.byLabel[o.label()]++
			t.byKind[o.kind]++
			if answered.After(t.lastFailure) {
				t.lastFailure = answered
			}
			if o.answer.Code == "INTERNAL" || o.answer.Status == 500 {
				t.internal++
			}
			if o.answer.Status == 0 && o.answer.Message == "timeout" {
				t.hangs++
			}
		}
	}
	return t
}

func joinCounts(m map[string]int) string {
	if len(m) == 0 {
		return "—"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func (res *result) write(out io.Writer, c config) {
	l := res.ledger
	fmt.Fprintf(out, "Fault run of %s, %d recorders, faults held %s, %s between them.\n\n",
		res.ended.Sub(res.began).Round(time.Second), c.writers, c.hold, c.gap)
	fmt.Fprintf(out, "| window | requests | failed | failures by status and code | failed by request | last failure after mending | slowest answer |\n|---|---|---|---|---|---|---|\n")
	for _, w := range res.windows {
		t := res.tally(w)
		recovery := "—"
		if !w.restored.IsZero() && !t.lastFailure.IsZero() {
			if d := t.lastFailure.Sub(w.restored); d > 0 {
				recovery = d.Round(100 * time.Millisecond).String()
			} else {
				recovery = "none after"
			}
		}
		name := w.name
		if w.err != nil {
			name += " (FAULT NOT MADE: " + w.err.Error() + ")"
		}
		if len(w.restartedServers) > 0 {
			name += " (servers restarted: " + strings.Join(w.restartedServers, ", ") + ")"
		}
		fmt.Fprintf(out, "| %s | %d | %d | %s | %s | %s | %s |\n", name, t.requests, t.failed,
			joinCounts(t.byLabel), joinCounts(t.byKind), recovery, t.slowest.Round(time.Millisecond))
	}
	var stale, rejected int
	for _, w := range res.windows {
		t := res.tally(w)
		stale += t.stale
		rejected += t.rejected
	}
	fmt.Fprintf(out, "\nAcknowledged: %d lots, %d shipments. Lost (acknowledged, not in the primary): %d lots, %d shipments.\n",
		len(l.batches), len(l.shipments), res.lostBatches, res.lostShipments)
	fmt.Fprintf(out, "Shipments recorded without the client hearing so: %d. Negative stocks: %d. Unbalanced lots: %d.\n",
		res.unackedShipments, res.negativeStocks, len(res.unbalanced))
	fmt.Fprintf(out, "Refused for what they asked (not faults): %d. Reads of the run's newest lot a replica did not have yet: %d.\n", rejected, stale)
	for _, u := range res.unbalanced {
		fmt.Fprintf(out, "  unbalanced: %s\n", u)
	}
	for _, r := range res.replicaLag {
		fmt.Fprintf(out, "  replica behind: %s\n", r)
	}
}

// problems lists what the issue says must never happen.
func (res *result) problems() []string {
	var p []string
	if res.lostBatches+res.lostShipments > 0 {
		p = append(p, fmt.Sprintf("%d acknowledged recordings lost", res.lostBatches+res.lostShipments))
	}
	if res.negativeStocks > 0 {
		p = append(p, fmt.Sprintf("%d negative stocks", res.negativeStocks))
	}
	if len(res.unbalanced) > 0 {
		p = append(p, fmt.Sprintf("%d lots do not balance", len(res.unbalanced)))
	}
	if len(res.replicaLag) > 0 {
		p = append(p, "replicas did not catch up")
	}
	for _, w := range res.windows {
		t := res.tally(w)
		if w.err != nil {
			p = append(p, fmt.Sprintf("%s: %v", w.name, w.err))
		}
		if t.internal > 0 {
			p = append(p, fmt.Sprintf("%s: %d INTERNAL answers", w.name, t.internal))
		}
		if t.hangs > 0 {
			p = append(p, fmt.Sprintf("%s: %d requests hung", w.name, t.hangs))
		}
		if strings.HasPrefix(w.name, "rolling restart") && t.failed > 0 {
			p = append(p, fmt.Sprintf("the rolling restart failed %d requests", t.failed))
		}
		if len(w.restartedServers) > 0 {
			p = append(p, fmt.Sprintf("%s: servers restarted", w.name))
		}
	}
	return p
}
