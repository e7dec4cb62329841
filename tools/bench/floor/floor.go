package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"suyuan/ent/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/trace"
)

// The floor's statements: one per kind of row, each for one batch, so that
// they are prepared once for the process (database/sql keeps a prepared
// copy on every connection that runs them) and never compiled again.
const (
	batchSQL = `SELECT b.id, b.lot_code, b.produced_at, b.expires_at, b.status,
  p.name, p.gtin, p.category, p.storage_min_c, p.storage_max_c,
  o.name, o.license_no, o.region_code, f.name, f.public
FROM trace_codes tc
JOIN batches b ON b.id = tc.batch_id
JOIN products p ON p.id = b.product_id
JOIN organizations o ON o.id = b.organization_id
JOIN facilities f ON f.id = b.facility_id
WHERE tc.code = ?`
	inspectionSQL = `SELECT i.id, i.result, i.inspected_at, l.name
FROM inspections i JOIN organizations l ON l.id = i.lab_id
WHERE i.batch_id = ? ORDER BY i.inspected_at DESC, i.id DESC`
	measurementSQL = `SELECT inspection_id, name, value, unit, limit_min, limit_max FROM measurements
WHERE inspection_id IN (SELECT id FROM inspections WHERE batch_id = ?) ORDER BY inspection_id, id`
	legSQL = `SELECT s.id, s.status, s.departed_at, s.arrived_at, c.name,
  ff.name, ff.address, ff.public, ff.kind, ff.region_code,
  tf.name, tf.address, tf.public, tf.kind, tf.region_code
FROM shipment_items si
JOIN shipments s ON s.id = si.shipment_id
JOIN organizations c ON c.id = s.carrier_id
JOIN facilities ff ON ff.id = s.from_facility_id
JOIN facilities tf ON tf.id = s.to_facility_id
WHERE si.batch_id = ? ORDER BY s.departed_at, s.id`
	readingSQL = `SELECT shipment_id, recorded_at, temperature_c FROM sensor_readings
WHERE shipment_id IN (SELECT shipment_id FROM shipment_items WHERE batch_id = ?)
ORDER BY shipment_id, recorded_at`
	shelfSQL = `SELECT f.name, f.address, f.public, se.shelved_at, se.quantity, se.unit
FROM shelf_events se JOIN facilities f ON f.id = se.facility_id
WHERE se.batch_id = ? ORDER BY se.shelved_at, se.id`
	// ingredientSQL walks three levels up and joins what the answer shows
	// of each ingredient, in one statement.
	ingredientSQL = `WITH RECURSIVE walk(child, depth) AS (
  SELECT input_id, 1 FROM batch_inputs WHERE output_id = ?
  UNION
  SELECT bi.input_id, w.depth + 1 FROM batch_inputs bi JOIN walk w ON bi.output_id = w.child WHERE w.depth < 3
)
SELECT MIN(w.depth), b.id, b.lot_code, b.status, p.name, o.name, o.region_code
FROM walk w
JOIN batches b ON b.id = w.child
JOIN products p ON p.id = b.product_id
JOIN organizations o ON o.id = b.organization_id
WHERE w.child <> ?
GROUP BY b.id, b.lot_code, b.status, p.name, o.name, o.region_code
ORDER BY MIN(w.depth), b.id`
)

// floor answers the consumer trace's content from SQL with statements
// prepared once; it is the yardstick the service is measured against.
type floor struct {
	batch, inspection, measurement, leg, reading, shelf, ingredient *sql.Stmt
	rules                                                           anomaly.Config
	page                                                            []byte
}

func newFloor(ctx context.Context, db *sql.DB, page []byte) (*floor, error) {
	f := &floor{rules: anomaly.DefaultConfig(), page: page}
	for _, s := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&f.batch, batchSQL}, {&f.inspection, inspectionSQL}, {&f.measurement, measurementSQL},
		{&f.leg, legSQL}, {&f.reading, readingSQL}, {&f.shelf, shelfSQL}, {&f.ingredient, ingredientSQL},
	} {
		st, err := db.PrepareContext(ctx, s.q)
		if err != nil {
			return nil, fmt.Errorf("preparing %.40q: %w", s.q, err)
		}
		*s.dst = st
	}
	return f, nil
}

// The answer mirrors, field for field, the data of the load tool's trace
// query (tools/loadtest), so the two servers' answers can be compared.
type (
	answer struct {
		Data struct {
			Trace *traceOut `json:"trace"`
		} `json:"data"`
	}
	traceOut struct {
		Batch       batchOut        `json:"batch"`
		Inspections []inspectionOut `json:"inspections"`
		Journey     []legOut        `json:"journey"`
		Shelf       []shelfOut      `json:"shelf"`
		Ingredients []ingredientOut `json:"ingredients"`
		Recalled    bool            `json:"recalled"`
		Warnings    []warningOut    `json:"warnings"`
	}
	named struct {
		Name string `json:"name"`
	}
	batchOut struct {
		LotCode    string     `json:"lotCode"`
		ProducedAt time.Time  `json:"producedAt"`
		ExpiresAt  *time.Time `json:"expiresAt"`
		Expired    bool       `json:"expired"`
		Status     string     `json:"status"`
		Product    struct {
			Name        string   `json:"name"`
			Gtin        *string  `json:"gtin"`
			StorageMinC *float64 `json:"storageMinC"`
			StorageMaxC *float64 `json:"storageMaxC"`
		} `json:"product"`
		Producer struct {
			Name       string  `json:"name"`
			LicenseNo  *string `json:"licenseNo"`
			RegionCode string  `json:"regionCode"`
		} `json:"producer"`
		Facility named `json:"facility"`
	}
	measurementOut struct {
		Name         string   `json:"name"`
		Value        float64  `json:"value"`
		Unit         string   `json:"unit"`
		LimitMax     *float64 `json:"limitMax"`
		WithinLimits bool     `json:"withinLimits"`
	}
	inspectionOut struct {
		Result       string           `json:"result"`
		InspectedAt  time.Time        `json:"inspectedAt"`
		Lab          named            `json:"lab"`
		Measurements []measurementOut `json:"measurements"`
	}
	place struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		kind    string
		region  string
	}
	coldChainOut struct {
		Verdict  trace.ColdChainVerdict `json:"verdict"`
		Readings int                    `json:"readings"`
		MinC     *float64               `json:"minC"`
		MaxC     *float64               `json:"maxC"`
	}
	legOut struct {
		Status     string       `json:"status"`
		DepartedAt *time.Time   `json:"departedAt"`
		ArrivedAt  *time.Time   `json:"arrivedAt"`
		Carrier    named        `json:"carrier"`
		From       place        `json:"from"`
		To         place        `json:"to"`
		ColdChain  coldChainOut `json:"coldChain"`
		shipmentID int
	}
	shelfOut struct {
		Store     place     `json:"store"`
		ShelvedAt time.Time `json:"shelvedAt"`
		Quantity  float64   `json:"quantity"`
		Unit      string    `json:"unit"`
	}
	ingredientOut struct {
		Depth int `json:"depth"`
		Batch struct {
			LotCode string `json:"lotCode"`
			Product named  `json:"product"`
			// Producer names the organisation and its region.
			Producer struct {
				Name       string `json:"name"`
				RegionCode string `json:"regionCode"`
			} `json:"producer"`
		} `json:"batch"`
		status string
	}
	warningOut struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)

// ServeHTTP answers POST /graphql carrying {"variables":{"code":…}} (the
// load tool's trace request; the query itself is not read) and GET
// /trace?code=…, and GET /t/… with a fixed page.
func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/t/") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(f.page)
		return
	}
	code := r.URL.Query().Get("code")
	if r.Method == http.MethodPost {
		var req struct {
			Variables struct {
				Code string `json:"code"`
			} `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		code = req.Variables.Code
	}
	t, err := f.trace(r.Context(), code)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var a answer
	a.Data.Trace = t
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a)
}

// errNoCode is the answer for a code nobody issued.
var errNoCode = errors.New("no product is known by this code")

func (f *floor) trace(ctx context.Context, code string) (*traceOut, error) {
	var (
		t                      traceOut
		id                     int
		produced               time.Time
		expires                sql.NullTime
		category, facilityName string
		public                 bool
		b                      = &t.Batch
	)
	err := f.batch.QueryRowContext(ctx, code).Scan(&id, &b.LotCode, &produced, &expires, &b.Status,
		&b.Product.Name, &b.Product.Gtin, &category, &b.Product.StorageMinC, &b.Product.StorageMaxC,
		&b.Producer.Name, &b.Producer.LicenseNo, &b.Producer.RegionCode, &facilityName, &public)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoCode
	}
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	b.ProducedAt = produced.UTC()
	if expires.Valid {
		e := expires.Time.UTC()
		b.ExpiresAt = &e
		b.Expired = e.Before(time.Now())
	}
	if public {
		b.Facility.Name = facilityName
	}
	if err := f.inspections(ctx, id, &t); err != nil {
		return nil, err
	}
	if err := f.journey(ctx, id, category, &t); err != nil {
		return nil, err
	}
	if err := f.shelves(ctx, id, &t); err != nil {
		return nil, err
	}
	if err := f.ingredients(ctx, id, &t); err != nil {
		return nil, err
	}
	t.Recalled = b.Status == "RECALLED"
	t.Warnings = f.warnings(&t)
	return &t, nil
}

func (f *floor) inspections(ctx context.Context, id int, t *traceOut) error {
	t.Inspections = []inspectionOut{}
	rows, err := f.inspection.QueryContext(ctx, id)
	if err != nil {
		return fmt.Errorf("inspections: %w", err)
	}
	defer rows.Close()
	index := map[int]int{}
	for rows.Next() {
		var (
			iid int
			in  = inspectionOut{Measurements: []measurementOut{}}
		)
		if err := rows.Scan(&iid, &in.Result, &in.InspectedAt, &in.Lab.Name); err != nil {
			return fmt.Errorf("inspections: %w", err)
		}
		in.InspectedAt = in.InspectedAt.UTC()
		index[iid] = len(t.Inspections)
		t.Inspections = append(t.Inspections, in)
	}
	if err := rows.Err(); err != nil || len(t.Inspections) == 0 {
		return err
	}
	mrows, err := f.measurement.QueryContext(ctx, id)
	if err != nil {
		return fmt.Errorf("measurements: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var (
			iid int
			m   measurementOut
			lo  *float64
		)
		if err := mrows.Scan(&iid, &m.Name, &m.Value, &m.Unit, &lo, &m.LimitMax); err != nil {
			return fmt.Errorf("measurements: %w", err)
		}
		m.WithinLimits = (lo == nil || m.Value >= *lo) && (m.LimitMax == nil || m.Value <= *m.LimitMax)
		if i, ok := index[iid]; ok {
			t.Inspections[i].Measurements = append(t.Inspections[i].Measurements, m)
		}
	}
	return mrows.Err()
}

// scanPlace keeps a facility's name and address only when it is public:
// consumers see a private one by its kind and region.
func scanPlace(p *place, name, address string, public bool) {
	if public {
		p.Name, p.Address = name, address
	}
}

func (f *floor) journey(ctx context.Context, id int, category string, t *traceOut) error {
	t.Journey = []legOut{}
	rows, err := f.leg.QueryContext(ctx, id)
	if err != nil {
		return fmt.Errorf("legs: %w", err)
	}
	defer rows.Close()
	var planned []legOut
	for rows.Next() {
		var (
			l                                  legOut
			departed, arrived                  sql.NullTime
			fromName, fromAddr, toName, toAddr string
			fromPublic, toPublic               bool
		)
		if err := rows.Scan(&l.shipmentID, &l.Status, &departed, &arrived, &l.Carrier.Name,
			&fromName, &fromAddr, &fromPublic, &l.From.kind, &l.From.region,
			&toName, &toAddr, &toPublic, &l.To.kind, &l.To.region); err != nil {
			return fmt.Errorf("legs: %w", err)
		}
		scanPlace(&l.From, fromName, fromAddr, fromPublic)
		scanPlace(&l.To, toName, toAddr, toPublic)
		if arrived.Valid {
			a := arrived.Time.UTC()
			l.ArrivedAt = &a
		}
		if !departed.Valid {
			planned = append(planned, l)
			continue
		}
		d := departed.Time.UTC()
		l.DepartedAt = &d
		t.Journey = append(t.Journey, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("legs: %w", err)
	}
	rows.Close()
	// NULL departures sort first; a planned leg belongs last.
	t.Journey = append(t.Journey, planned...)
	if len(t.Journey) == 0 {
		return nil
	}
	readings := map[int][]anomaly.Reading{}
	rrows, err := f.reading.QueryContext(ctx, id)
	if err != nil {
		return fmt.Errorf("readings: %w", err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var (
			sid int
			r   anomaly.Reading
		)
		if err := rrows.Scan(&sid, &r.At, &r.Celsius); err != nil {
			return fmt.Errorf("readings: %w", err)
		}
		readings[sid] = append(readings[sid], r)
	}
	if err := rrows.Err(); err != nil {
		return fmt.Errorf("readings: %w", err)
	}
	f.judge(t, readings, category)
	return nil
}

// judge gives each leg its cold-chain verdict by the screener's rules.
func (f *floor) judge(t *traceOut, readings map[int][]anomaly.Reading, category string) {
	p := t.Batch.Product
	trips := make([][]anomaly.Reading, len(t.Journey))
	for i, l := range t.Journey {
		trips[i] = readings[l.shipmentID]
	}
	rng := anomaly.Range{Min: p.StorageMinC, Max: p.StorageMaxC}
	verdicts := anomaly.JudgeJourney(trips, rng, f.rules.ColdChainFor(category))
	for i := range t.Journey {
		c := &t.Journey[i].ColdChain
		c.Readings = len(trips[i])
		if len(trips[i]) > 0 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, r := range trips[i] {
				lo, hi = min(lo, r.Celsius), max(hi, r.Celsius)
			}
			lo, hi = anomaly.Round1(lo), anomaly.Round1(hi)
			c.MinC, c.MaxC = &lo, &hi
		}
		switch {
		case p.StorageMinC == nil && p.StorageMaxC == nil:
			c.Verdict = trace.ColdChainNotRequired
		case c.Readings == 0:
			c.Verdict = trace.ColdChainNoData
		case verdicts[i].Breached():
			c.Verdict = trace.ColdChainExcursion
			var kinds []alert.Kind
			for _, k := range verdicts[i].Kinds {
				kinds = append(kinds, alert.Kind(k))
			}
			l := &t.Journey[i]
			t.Warnings = append(t.Warnings, warningOut{"COLD_CHAIN_EXCURSION", fmt.Sprintf(
				"The temperature left the required range while it was carried from %s to %s: %s; %s out of range, up to %s °C.",
				l.From.label(), l.To.label(), trace.BreachText(kinds),
				trace.Minutes(math.Round(verdicts[i].OutOfRange.Minutes())), strconv.FormatFloat(*c.MaxC, 'f', -1, 64))})
		default:
			c.Verdict = trace.ColdChainOK
		}
	}
}

func (p *place) label() string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("a private %s in region %s", strings.ToLower(p.kind), p.region)
}

func (f *floor) shelves(ctx context.Context, id int, t *traceOut) error {
	t.Shelf = []shelfOut{}
	rows, err := f.shelf.QueryContext(ctx, id)
	if err != nil {
		return fmt.Errorf("shelves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			s             shelfOut
			name, address string
			public        bool
		)
		if err := rows.Scan(&name, &address, &public, &s.ShelvedAt, &s.Quantity, &s.Unit); err != nil {
			return fmt.Errorf("shelves: %w", err)
		}
		scanPlace(&s.Store, name, address, public)
		s.ShelvedAt = s.ShelvedAt.UTC()
		t.Shelf = append(t.Shelf, s)
	}
	return rows.Err()
}

func (f *floor) ingredients(ctx context.Context, id int, t *traceOut) error {
	t.Ingredients = []ingredientOut{}
	rows, err := f.ingredient.QueryContext(ctx, id, id)
	if err != nil {
		return fmt.Errorf("ingredients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n   ingredientOut
			bid int
		)
		if err := rows.Scan(&n.Depth, &bid, &n.Batch.LotCode, &n.status, &n.Batch.Product.Name,
			&n.Batch.Producer.Name, &n.Batch.Producer.RegionCode); err != nil {
			return fmt.Errorf("ingredients: %w", err)
		}
		t.Ingredients = append(t.Ingredients, n)
	}
	return rows.Err()
}

// warnings puts the warnings in the service's order, most serious first;
// judge has already listed the legs' excursions, which come last.
func (f *floor) warnings(t *traceOut) []warningOut {
	w := []warningOut{}
	if t.Recalled {
		w = append(w, warningOut{"RECALLED", "This batch has been recalled. Do not eat it; return it to the shop."})
	}
	for _, n := range t.Ingredients {
		if n.status == "RECALLED" {
			w = append(w, warningOut{"INGREDIENT_RECALLED", fmt.Sprintf("An ingredient (%s, lot %s) has been recalled.", n.Batch.Product.Name, n.Batch.LotCode)})
		}
	}
	if t.Batch.Expired {
		w = append(w, warningOut{"EXPIRED", "This batch is past its expiry date."})
	}
	for _, in := range t.Inspections {
		if in.Result == "FAIL" {
			w = append(w, warningOut{"INSPECTION_FAILED", "A laboratory inspection of this batch failed."})
			break
		}
	}
	return append(w, t.Warnings...)
}
