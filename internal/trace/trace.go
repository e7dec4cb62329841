package trace

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"suyuan/ent/alert"
	"suyuan/ent/batch"
	"suyuan/ent/document"
	"suyuan/ent/inspection"
	"suyuan/internal/anomaly"
	"suyuan/internal/errcode"
	"suyuan/internal/gs1"
)

// maxCodeLen bounds what a scanner may send.
const maxCodeLen = 2048

// Trace answers a scanned code: an opaque trace code, or a GS1 Digital
// Link URI (https://…/01/{gtin}/10/{lot}[/21/{serial}]). An unknown code is
// NOT_FOUND and a malformed one BAD_USER_INPUT (or INVALID_GTIN /
// INVALID_DIGITAL_LINK). It issues seven or eight statements whatever the
// batch's history, one fewer for each of the certificates and the cold
// chain's readings that the context omits.
func (r *Reader) Trace(ctx context.Context, code string) (*Trace, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > maxCodeLen {
		return nil, errcode.Field(errcode.BadUserInput, "code", "code must be 1 to %d characters", maxCodeLen)
	}
	t := &Trace{Code: code}
	batchID, err := r.resolve(ctx, t)
	if err != nil {
		return nil, err
	}
	// The upstream walk loads the batch itself with its ingredients.
	up, err := r.Lineages(ctx, []int{batchID}, Upstream, traceDepth)
	if err != nil {
		return nil, err
	}
	l := up[batchID]
	if l == nil {
		return nil, errcode.Field(errcode.NotFound, "code", "no batch for this code")
	}
	t.Batch, t.Ingredients, t.IngredientEdges = l.Root, l.Nodes, l.Edges
	ins, err := r.Inspections(ctx, []int{batchID})
	if err != nil {
		return nil, err
	}
	t.Inspections = ins[batchID]
	legs, err := r.Journeys(ctx, []int{batchID})
	if err != nil {
		return nil, err
	}
	t.Journey = legs[batchID]
	shelves, err := r.Placements(ctx, []int{batchID})
	if err != nil {
		return nil, err
	}
	t.Shelf = shelves[batchID]
	if !omitted(ctx).has(OmitCertificates) {
		if t.Certificates, err = r.Certificates(ctx, batchID, t.Batch.Producer.ID); err != nil {
			return nil, err
		}
	}
	t.Recalled = t.Batch.Status == batch.StatusRECALLED
	// Redact first: warnings name places, and must not name private ones.
	t.redact()
	t.Warnings = warnings(t)
	return t, nil
}

// redact hides what organisations keep private from the public view.
func (t *Trace) redact() {
	t.Batch.Facility.redact()
	for i := range t.Journey {
		t.Journey[i].From.redact()
		t.Journey[i].To.redact()
	}
	for i := range t.Shelf {
		t.Shelf[i].Store.redact()
	}
	for _, n := range t.Ingredients {
		n.Batch.Facility.redact()
	}
}

// resolve finds the batch a code names, and the serial it carries.
func (r *Reader) resolve(ctx context.Context, t *Trace) (int, error) {
	var (
		q    string
		args []any
	)
	if gs1.LooksLikeDigitalLink(t.Code) {
		dl, err := gs1.ParseDigitalLink(t.Code)
		if err != nil {
			return 0, errcode.WithField(err, "code")
		}
		q = `SELECT b.id, tc.id, tc.serial FROM batches b JOIN products p ON p.id = b.product_id
LEFT JOIN trace_codes tc ON tc.batch_id = b.id AND tc.serial = ?
WHERE p.gtin = ? AND b.lot_code = ?`
		args = []any{dl.Serial, dl.GTIN, dl.Lot}
		if dl.Serial != "" {
			// An item-level link must name a serial that was issued:
			// an unknown serial is a sign of a copied or invented code.
			q += " AND tc.id IS NOT NULL"
		}
	} else {
		q = `SELECT batch_id, id, serial FROM trace_codes WHERE code = ?`
		args = []any{t.Code}
	}
	id := 0
	err := r.query(ctx, q, args, func(rows *sql.Rows) error {
		return rows.Scan(&id, &t.CodeID, &t.Serial)
	})
	if err != nil {
		return 0, fmt.Errorf("resolving code: %w", err)
	}
	if id == 0 {
		return 0, errcode.Field(errcode.NotFound, "code", "no product is known by this code")
	}
	return id, nil
}

// Inspections returns the inspections of each batch, newest first, with
// their laboratories and measurements, in two statements.
func (r *Reader) Inspections(ctx context.Context, batchIDs []int) (map[int][]Inspection, error) {
	out := make(map[int][]Inspection, len(batchIDs))
	if len(batchIDs) == 0 {
		return out, nil
	}
	list, args := in(unique(batchIDs))
	var all []*Inspection
	byID := map[int]*Inspection{}
	q := `SELECT i.id, i.batch_id, i.inspected_at, i.result, i.certificate_no, ` + orgColumns("l") + `
FROM inspections i JOIN organizations l ON l.id = i.lab_id
WHERE i.batch_id IN ` + list + ` ORDER BY i.inspected_at DESC, i.id DESC`
	err := r.query(ctx, q, args, func(rows *sql.Rows) error {
		var (
			in Inspection
			at timeValue
		)
		if err := rows.Scan(append([]any{&in.ID, &in.BatchID, &at, &in.Result, &in.CertificateNo}, in.Lab.dest()...)...); err != nil {
			return err
		}
		in.InspectedAt = at.T
		all = append(all, &in)
		byID[in.ID] = &in
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading inspections: %w", err)
	}
	if len(all) > 0 {
		q = `SELECT inspection_id, name, value, unit, limit_min, limit_max FROM measurements
WHERE inspection_id IN (SELECT id FROM inspections WHERE batch_id IN ` + list + `) ORDER BY inspection_id, id`
		err = r.query(ctx, q, args, func(rows *sql.Rows) error {
			var (
				id int
				m  Measurement
			)
			if err := rows.Scan(&id, &m.Name, &m.Value, &m.Unit, &m.LimitMin, &m.LimitMax); err != nil {
				return err
			}
			m.WithinLimits = (m.LimitMin == nil || m.Value >= *m.LimitMin) && (m.LimitMax == nil || m.Value <= *m.LimitMax)
			if in := byID[id]; in != nil {
				in.Measurements = append(in.Measurements, m)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("loading measurements: %w", err)
		}
	}
	for _, in := range all {
		out[in.BatchID] = append(out[in.BatchID], *in)
	}
	return out, nil
}

// maxCertificates bounds the certificates a trace names.
const maxCertificates = 20

// certificateKinds are the kinds of document whose existence a consumer's
// trace may show; OTHER documents are never mentioned.
var certificateKinds = []any{document.KindQUARANTINE_CERTIFICATE, document.KindLAB_REPORT, document.KindBUSINESS_LICENCE}

// Certificates returns, in one statement, the certificates on file that
// their uploaders made public for a batch, its inspections and its
// producer: kind and date only, newest first, at most maxCertificates
// (a page names a handful; a producer may have filed hundreds).
func (r *Reader) Certificates(ctx context.Context, batchID, producerID int) ([]Certificate, error) {
	q := `SELECT kind, uploaded_at FROM documents
WHERE public = ? AND kind IN (?,?,?)
AND (batch_id = ? OR organization_id = ? OR inspection_id IN (SELECT id FROM inspections WHERE batch_id = ?))
ORDER BY uploaded_at DESC, id DESC LIMIT ` + strconv.Itoa(maxCertificates)
	args := append([]any{true}, certificateKinds...)
	args = append(args, batchID, producerID, batchID)
	var out []Certificate
	err := r.query(ctx, q, args, func(rows *sql.Rows) error {
		var (
			c  Certificate
			at timeValue
		)
		if err := rows.Scan(&c.Kind, &at); err != nil {
			return err
		}
		c.UploadedAt = at.T
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading certificates: %w", err)
	}
	return out, nil
}

// warnings lists what a consumer must be told, most serious first.
func warnings(t *Trace) []Warning {
	var w []Warning
	if t.Recalled {
		w = append(w, Warning{"RECALLED", "This batch has been recalled. Do not eat it; return it to the shop."})
	}
	for _, n := range t.Ingredients {
		if n.Batch.Status == batch.StatusRECALLED {
			w = append(w, Warning{"INGREDIENT_RECALLED", fmt.Sprintf("An ingredient (%s, lot %s) has been recalled.", n.Batch.Product.Name, n.Batch.LotCode)})
		}
	}
	if t.Batch.Expired {
		w = append(w, Warning{"EXPIRED", "This batch is past its expiry date."})
	}
	for _, in := range t.Inspections {
		if in.Result == inspection.ResultFAIL {
			w = append(w, Warning{"INSPECTION_FAILED", "A laboratory inspection of this batch failed."})
			break
		}
	}
	for _, l := range t.Journey {
		if l.ColdChain.Verdict == ColdChainExcursion {
			w = append(w, Warning{"COLD_CHAIN_EXCURSION", fmt.Sprintf("The temperature left the required range while it was carried from %s to %s: %s; %s out of range, up to %s °C.",
				l.From.label(), l.To.label(), BreachText(l.ColdChain.Breaches), Minutes(l.ColdChain.MinutesOutOfRange), optC(l.ColdChain.MaxC))})
		}
	}
	return w
}

// BreachText names, in English, the cold-chain rules a leg breaks.
func BreachText(kinds []alert.Kind) string {
	var parts []string
	for _, k := range kinds {
		switch k {
		case alert.KindTEMPERATURE_OUT_OF_RANGE:
			parts = append(parts, "a reading far out of range")
		case alert.KindSUSTAINED_EXCURSION:
			parts = append(parts, "a sustained excursion")
		case alert.KindCUMULATIVE_EXCURSION:
			parts = append(parts, "excursions over the journey's budget")
		default:
			parts = append(parts, string(k))
		}
	}
	return strings.Join(parts, ", ")
}

// Minutes writes a duration in whole minutes: "45 min".
func Minutes(m float64) string { return strconv.FormatFloat(math.Round(m), 'f', -1, 64) + " min" }

// optC writes a temperature rounded to 0.1 °C, or "–".
func optC(c *float64) string {
	if c == nil {
		return "–"
	}
	return strconv.FormatFloat(anomaly.Round1(*c), 'f', -1, 64)
}
