package postgraphile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"suyuan/internal/store"
)

// TestSameRows checks, against both servers running (as run.sh starts
// them), that the benchmark's questions get the same rows from each: for
// codes spread over the data set, the trace's batch, legs (with their
// readings' count, minimum and maximum), inspections with measurements,
// shelf placements and ingredients; for the widest lot, the downstream
// walk's shipment legs. It runs only when SUYUAN_PGBENCH_DB names the
// service's database:
//
//	SUYUAN_PGBENCH_DB=/tmp/city.db SUYUAN_PASSWORD=… go test ./tools/bench/postgraphile
//
// SUYUAN_PGBENCH_OURS and SUYUAN_PGBENCH_PG are the servers' addresses
// (default 127.0.0.1:18281 and 127.0.0.1:18282), SUYUAN_PGBENCH_PHONE the
// administrator who asks for the lineage (default 13800000009),
// SUYUAN_PGBENCH_DEPTH the walk's levels (default 5), SUYUAN_PGBENCH_CODES
// how many codes (default 50).
func TestSameRows(t *testing.T) {
	dsn := os.Getenv("SUYUAN_PGBENCH_DB")
	if dsn == "" {
		t.Skip("SUYUAN_PGBENCH_DB not set")
	}
	ours := "http://" + env("SUYUAN_PGBENCH_OURS", "127.0.0.1:18281") + "/graphql"
	pg := "http://" + env("SUYUAN_PGBENCH_PG", "127.0.0.1:18282") + "/graphql"
	depth, _ := strconv.Atoi(env("SUYUAN_PGBENCH_DEPTH", "5"))
	n, _ := strconv.Atoi(env("SUYUAN_PGBENCH_CODES", "50"))
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("trace", func(t *testing.T) {
		codes := sample(t, db, n)
		var legs, readings, inspections, shelf, ingredients int
		for _, code := range codes {
			var o oursTrace
			ask(t, ours, "", OursTrace, map[string]any{"code": code}, &o)
			var p pgTrace
			ask(t, pg, "", PGTrace, map[string]any{"code": code}, &p)
			a, b := o.rows(), p.rows()
			if !reflect.DeepEqual(a, b) {
				t.Errorf("code %s: the answers differ\nours:        %+v\npostgraphile: %+v", code, a, b)
				continue
			}
			legs += len(a.Legs)
			for _, l := range a.Legs {
				readings += l.Readings
			}
			inspections += len(a.Inspections)
			shelf += len(a.Shelf)
			ingredients += len(a.Ingredients)
		}
		t.Logf("%d codes: the same %d legs (%d readings), %d inspections, %d shelf placements, %d ingredients",
			len(codes), legs, readings, inspections, shelf, ingredients)
	})

	t.Run("downstream", func(t *testing.T) {
		id := widest(t, db)
		token := login(t, ours)
		var o struct {
			Lineage struct {
				Shipments []struct {
					ShipmentID, BatchID string
					To                  struct{ Name string }
					Quantity            float64
					Unit                string
				}
			}
		}
		ask(t, ours, token, OursDownstream, map[string]any{"id": id, "depth": depth}, &o)
		a := map[string]string{}
		for _, s := range o.Lineage.Shipments {
			a[s.BatchID+"/"+s.ShipmentID] = fmt.Sprintf("%s %g %s", s.To.Name, s.Quantity, s.Unit)
		}
		var p struct{ BatchByID pgLevel }
		ask(t, pg, "", PGDownstream(depth), map[string]any{"id": strconv.Itoa(id)}, &p)
		b := map[string]string{}
		items := p.BatchByID.walk(b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("batch %d, %d levels: ours has %d legs, PostGraphile %d distinct (%d with repeats)", id, depth, len(a), len(b), items)
		}
		t.Logf("batch %d, %d levels: the same %d legs (PostGraphile's answer %d, with batches reached twice repeated)", id, depth, len(a), items)
	})
}

// traceRows is what both traces must agree on, in a canonical order.
type traceRows struct {
	LotCode, Status, Product, Producer string
	ProducedAt                         int64
	Legs                               []leg
	Inspections                        []string
	Shelf                              []string
	Ingredients                        []string
}

type leg struct {
	Status, From, To, Carrier string
	Departed, Arrived         int64
	Readings                  int
	Min, Max                  float64
}

type oursTrace struct {
	Trace struct {
		Batch struct {
			LotCode, Status string
			ProducedAt      string
			Product         struct{ Name string }
			Producer        struct{ Name string }
		}
		Inspections []struct {
			Result, InspectedAt string
			Lab                 struct{ Name string }
			Measurements        []measurement
		}
		Journey []struct {
			Status, DepartedAt, ArrivedAt string
			Carrier, From, To             struct{ Name string }
			ColdChain                     struct {
				Readings   int
				MinC, MaxC *float64
			}
		}
		Shelf []struct {
			Store     struct{ Name string }
			ShelvedAt string
			Quantity  float64
			Unit      string
		}
		Ingredients []struct {
			Depth int
			Batch struct {
				LotCode  string
				Product  struct{ Name string }
				Producer struct{ Name string }
			}
		}
	}
}

type measurement struct {
	Name     string
	Value    float64
	Unit     string
	LimitMax *float64
}

func (m measurement) String() string {
	s := fmt.Sprintf("%s=%g%s", m.Name, m.Value, m.Unit)
	if m.LimitMax != nil {
		s += fmt.Sprintf("≤%g", *m.LimitMax)
	}
	return s
}

func (o oursTrace) rows() traceRows {
	t := o.Trace
	r := traceRows{LotCode: t.Batch.LotCode, Status: t.Batch.Status, Product: t.Batch.Product.Name,
		Producer: t.Batch.Producer.Name, ProducedAt: unix(t.Batch.ProducedAt)}
	for _, j := range t.Journey {
		l := leg{Status: j.Status, From: j.From.Name, To: j.To.Name, Carrier: j.Carrier.Name,
			Departed: unix(j.DepartedAt), Arrived: unix(j.ArrivedAt), Readings: j.ColdChain.Readings}
		if j.ColdChain.MinC != nil {
			l.Min, l.Max = *j.ColdChain.MinC, *j.ColdChain.MaxC
		}
		r.Legs = append(r.Legs, l)
	}
	for _, i := range t.Inspections {
		r.Inspections = append(r.Inspections, inspection(i.Result, i.InspectedAt, i.Lab.Name, i.Measurements))
	}
	for _, s := range t.Shelf {
		r.Shelf = append(r.Shelf, fmt.Sprintf("%s %d %g %s", s.Store.Name, unix(s.ShelvedAt), s.Quantity, s.Unit))
	}
	for _, n := range t.Ingredients {
		r.Ingredients = append(r.Ingredients, fmt.Sprintf("%d %s %s %s", n.Depth, n.Batch.LotCode, n.Batch.Product.Name, n.Batch.Producer.Name))
	}
	return r.sorted()
}

type pgTrace struct {
	TraceCodeByCode struct {
		BatchByBatchID struct {
			ID, LotCode, Status, ProducedAt string
			ProductByProductID              struct{ Name string }
			OrganizationByOrganizationID    struct{ Name string }
			InspectionsByBatchIDList        []struct {
				Result, InspectedAt            string
				OrganizationByLabID            struct{ Name string }
				MeasurementsByInspectionIDList []measurement
			}
			ShipmentItemsByBatchIDList []struct {
				ShipmentByShipmentID struct {
					Status, DepartedAt, ArrivedAt                                             string
					OrganizationByCarrierID, FacilityByFromFacilityID, FacilityByToFacilityID struct{ Name string }
					SensorReadingsByShipmentIDList                                            []struct{ TemperatureC float64 }
				}
			}
			ShelfEventsByBatchIDList []struct {
				FacilityByFacilityID struct{ Name string }
				ShelvedAt            string
				Quantity             float64
				Unit                 string
			}
			BatchInputRecordsByOutputIDList []pgInput
		}
	}
}

type pgInput struct {
	BatchByInputID struct {
		ID, LotCode                     string
		ProductByProductID              struct{ Name string }
		OrganizationByOrganizationID    struct{ Name string }
		BatchInputRecordsByOutputIDList []pgInput
	}
}

func (p pgTrace) rows() traceRows {
	b := p.TraceCodeByCode.BatchByBatchID
	r := traceRows{LotCode: b.LotCode, Status: b.Status, Product: b.ProductByProductID.Name,
		Producer: b.OrganizationByOrganizationID.Name, ProducedAt: unix(b.ProducedAt)}
	for _, i := range b.ShipmentItemsByBatchIDList {
		s := i.ShipmentByShipmentID
		l := leg{Status: s.Status, From: s.FacilityByFromFacilityID.Name, To: s.FacilityByToFacilityID.Name,
			Carrier: s.OrganizationByCarrierID.Name, Departed: unix(s.DepartedAt), Arrived: unix(s.ArrivedAt),
			Readings: len(s.SensorReadingsByShipmentIDList)}
		if l.Readings > 0 {
			l.Min, l.Max = math.Inf(1), math.Inf(-1)
			for _, rd := range s.SensorReadingsByShipmentIDList {
				l.Min, l.Max = min(l.Min, rd.TemperatureC), max(l.Max, rd.TemperatureC)
			}
			l.Min, l.Max = round1(l.Min), round1(l.Max)
		}
		r.Legs = append(r.Legs, l)
	}
	for _, i := range b.InspectionsByBatchIDList {
		r.Inspections = append(r.Inspections, inspection(i.Result, i.InspectedAt, i.OrganizationByLabID.Name, i.MeasurementsByInspectionIDList))
	}
	for _, s := range b.ShelfEventsByBatchIDList {
		r.Shelf = append(r.Shelf, fmt.Sprintf("%s %d %g %s", s.FacilityByFacilityID.Name, unix(s.ShelvedAt), s.Quantity, s.Unit))
	}
	// The nesting repeats a batch reached along two paths; the service
	// lists each once, at its shortest depth.
	depth := map[string]int{}
	names := map[string]string{}
	var walk func(in []pgInput, d int)
	walk = func(in []pgInput, d int) {
		for _, i := range in {
			x := i.BatchByInputID
			if old, ok := depth[x.ID]; !ok || d < old {
				depth[x.ID] = d
			}
			names[x.ID] = x.LotCode + " " + x.ProductByProductID.Name + " " + x.OrganizationByOrganizationID.Name
			walk(x.BatchInputRecordsByOutputIDList, d+1)
		}
	}
	walk(b.BatchInputRecordsByOutputIDList, 1)
	for id, d := range depth {
		r.Ingredients = append(r.Ingredients, fmt.Sprintf("%d %s", d, names[id]))
	}
	return r.sorted()
}

func inspection(result, at, lab string, ms []measurement) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.String())
	}
	sort.Strings(s)
	return fmt.Sprintf("%s %d %s %v", result, unix(at), lab, s)
}

func (r traceRows) sorted() traceRows {
	sort.Slice(r.Legs, func(i, j int) bool { return fmt.Sprint(r.Legs[i]) < fmt.Sprint(r.Legs[j]) })
	for _, s := range [][]string{r.Inspections, r.Shelf, r.Ingredients} {
		sort.Strings(s)
	}
	return r
}

// pgLevel is one level of PGDownstream's nesting.
type pgLevel struct {
	ID                         string
	ShipmentItemsByBatchIDList []struct {
		Quantity             float64
		Unit                 string
		ShipmentByShipmentID struct {
			ID                     string
			FacilityByToFacilityID struct{ Name string }
		}
	}
	BatchInputRecordsByInputIDList []struct{ BatchByOutputID pgLevel }
}

// walk adds the legs of the level and those below to legs, keyed as the
// service's are, and returns how many items the nesting listed.
func (l pgLevel) walk(legs map[string]string) int {
	n := 0
	for _, i := range l.ShipmentItemsByBatchIDList {
		legs[l.ID+"/"+i.ShipmentByShipmentID.ID] = fmt.Sprintf("%s %g %s", i.ShipmentByShipmentID.FacilityByToFacilityID.Name, i.Quantity, i.Unit)
		n++
	}
	for _, o := range l.BatchInputRecordsByInputIDList {
		n += o.BatchByOutputID.walk(legs)
	}
	return n
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func unix(s string) int64 {
	if s == "" {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return -1
	}
	return t.Unix()
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func ask(t *testing.T, url, token, query string, vars map[string]any, into any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	if len(out.Errors) > 0 {
		t.Fatalf("%s: %s", url, out.Errors[0].Message)
	}
	if err := json.Unmarshal(out.Data, into); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

func login(t *testing.T, url string) string {
	var out struct{ Login struct{ AccessToken string } }
	ask(t, url, "", `mutation($p: String!, $pw: String!) { login(phone: $p, password: $pw) { accessToken } }`,
		map[string]any{"p": env("SUYUAN_PGBENCH_PHONE", "13800000009"), "pw": os.Getenv("SUYUAN_PASSWORD")}, &out)
	return out.Login.AccessToken
}

// sample picks n codes spread over the table, as the load tool does.
func sample(t *testing.T, db *store.DB, n int) []string {
	var total int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM trace_codes`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	rows, err := db.SQL.Query(`SELECT code FROM trace_codes WHERE id % ? = 0 LIMIT ?`, max(1, total/n), n)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	return codes
}

// widest is the load tool's widest lot: the batch shipped to the most
// places.
func widest(t *testing.T, db *store.DB) int {
	if v := os.Getenv("SUYUAN_PGBENCH_BATCH"); v != "" {
		id, _ := strconv.Atoi(v)
		return id
	}
	var id, n int
	err := db.SQL.QueryRow(`SELECT si.batch_id, COUNT(DISTINCT s.to_facility_id) AS n
FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
GROUP BY si.batch_id ORDER BY n DESC LIMIT 1`).Scan(&id, &n)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
