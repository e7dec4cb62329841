package record

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/inspection"
	"suyuan/ent/organization"
	"suyuan/internal/anomaly"
	"suyuan/internal/dashboard"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/viewer"
)

// MeasurementInput is one measured value with its legal limits.
type MeasurementInput struct {
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Unit     *string  `json:"unit"`
	LimitMin *float64 `json:"limitMin"`
	LimitMax *float64 `json:"limitMax"`
}

// RecordInspectionInput is a laboratory's test of a batch.
type RecordInspectionInput struct {
	BatchID       int                `json:"batchID"`
	LabID         int                `json:"labID"`
	InspectedAt   time.Time          `json:"inspectedAt"`
	Result        inspection.Result  `json:"result"`
	CertificateNo *string            `json:"certificateNo"`
	Notes         *string            `json:"notes"`
	Measurements  []MeasurementInput `json:"measurements"`
}

const maxMeasurements = 200

// RecordInspection stores an inspection and its measurements.
func (r *Recorder) RecordInspection(ctx context.Context, in RecordInspectionInput) (*ent.Inspection, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.checkTime(in.InspectedAt, "inspectedAt"); err != nil {
		return nil, err
	}
	if err := inspection.ResultValidator(in.Result); err != nil {
		return nil, errcode.Field(errcode.BadUserInput, "result", "result must be PASS or FAIL")
	}
	cert, notes := deref(in.CertificateNo), deref(in.Notes)
	if err := checkText(cert, "certificateNo", 64); err != nil {
		return nil, err
	}
	if err := checkText(notes, "notes", 2000); err != nil {
		return nil, err
	}
	if len(in.Measurements) > maxMeasurements {
		return nil, errcode.Field(errcode.BadUserInput, "measurements", "at most %d measurements", maxMeasurements)
	}
	for i, m := range in.Measurements {
		field := "measurements." + strconv.Itoa(i)
		if strings.TrimSpace(m.Name) == "" {
			return nil, errcode.Field(errcode.BadUserInput, field+".name", "name is required")
		}
		if err := checkText(m.Name, field+".name", 64); err != nil {
			return nil, err
		}
		if err := checkText(deref(m.Unit), field+".unit", 16); err != nil {
			return nil, err
		}
		for _, v := range []*float64{&m.Value, m.LimitMin, m.LimitMax} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				return nil, errcode.Field(errcode.BadUserInput, field, "values must be finite numbers")
			}
		}
		if m.LimitMin != nil && m.LimitMax != nil && *m.LimitMin > *m.LimitMax {
			return nil, errcode.Field(errcode.BadUserInput, field+".limitMin", "lower limit exceeds upper limit")
		}
	}
	var out *ent.Inspection
	_, err = r.log.Record(ctx, "recordInspection", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		lab, err := tx.Organization.Get(ctx, in.LabID)
		if err != nil {
			return notFound(err, "labID", "laboratory")
		}
		if lab.Kind != organization.KindLAB && lab.Kind != organization.KindREGULATOR {
			return errcode.Field(errcode.BadUserInput, "labID", "inspections are recorded by laboratories and regulators; this is a %s", lab.Kind)
		}
		// Laboratories and regulators record their own inspections.
		if v.Role != viewer.Admin && (v.OrgID != lab.ID || v.ReadOnly) {
			return errcode.Field(errcode.Forbidden, "labID", "inspections are recorded by the inspecting organisation")
		}
		if err := active(lab, "labID"); err != nil {
			return err
		}
		b, err := tx.Batch.Query().Where(batch.ID(in.BatchID)).WithFacility().WithProduct().Only(ctx)
		if err != nil {
			return notFound(err, "batchID", "batch")
		}
		if err := notBefore(in.InspectedAt, b.ProducedAt, "inspectedAt", "the batch's production"); err != nil {
			return err
		}
		out, err = tx.Inspection.Create().
			SetBatchID(b.ID).SetLabID(lab.ID).
			SetInspectedAt(in.InspectedAt.UTC()).
			SetResult(in.Result).
			SetCertificateNo(cert).
			SetNotes(notes).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("recording inspection: %w", err)
		}
		rec.Event(inspected(b, out, in), []int{lab.ID, b.OrganizationID}, b.Edges.Facility.RegionCode)
		rec.Changed(ent.TypeBatch, b.ID)
		rec.Changed(ent.TypeInspection, out.ID)
		rec.Audit("Inspection", out.ID, []string{"batchID", "labID", "inspectedAt", "result", "measurements"})
		if err := dashboard.Add(ctx, tx, b.Edges.Facility.RegionCode, out.InspectedAt, dashboard.Inspections, string(out.Result), 1); err != nil {
			return err
		}
		if err := r.raise(ctx, tx, rec, r.judgeInspection(b, out, in.Measurements)); err != nil {
			return err
		}
		if len(in.Measurements) == 0 {
			return nil
		}
		bulk := make([]*ent.MeasurementCreate, len(in.Measurements))
		for i, m := range in.Measurements {
			bulk[i] = tx.Measurement.Create().
				SetInspectionID(out.ID).
				SetName(strings.TrimSpace(m.Name)).
				SetValue(m.Value).
				SetUnit(deref(m.Unit)).
				SetNillableLimitMin(m.LimitMin).
				SetNillableLimitMax(m.LimitMax)
		}
		if err := tx.Measurement.CreateBulk(bulk...).Exec(ctx); err != nil {
			return fmt.Errorf("recording measurements: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// judgeInspection runs the inspection rules on a new inspection.
func (r *Recorder) judgeInspection(b *ent.Batch, in *ent.Inspection, ms []MeasurementInput) []anomaly.Finding {
	subject := anomaly.Subject{Type: anomaly.SubjectBatch, ID: b.ID}
	judged := anomaly.Inspection{ID: in.ID, At: in.InspectedAt, Failed: in.Result == inspection.ResultFAIL}
	for _, m := range ms {
		judged.Measurements = append(judged.Measurements, anomaly.Measurement{
			Name: strings.TrimSpace(m.Name), Value: m.Value, Unit: deref(m.Unit), LimitMin: m.LimitMin, LimitMax: m.LimitMax,
		})
	}
	return append(anomaly.FailedInspection(subject, judged), anomaly.OverLimit(subject, judged, r.rules.LegalLimits)...)
}

// inspected is the event of an inspection: the lot observed by the
// laboratory, conformant or not, with its measurements as the extension
// suyuan:measurements (laboratory results are not sensor readings:
// their names and units are the laboratory's own).
func inspected(b *ent.Batch, out *ent.Inspection, in RecordInspectionInput) epcis.Event {
	disp := "conformant"
	if out.Result == inspection.ResultFAIL {
		disp = "non_conformant"
	}
	e := newEvent(epcis.ObjectEvent, in.InspectedAt, epcis.Observe, "inspecting", disp)
	e.QuantityList = []epcis.Quantity{{EPCClass: lotOf(b, nil)}}
	e.BizLocation = placeOf(b.Edges.Facility)
	e.SourceList = []epcis.Source{{Type: "owning_party", Source: eventlog.Party(out.LabID)}}
	if len(in.Measurements) > 0 {
		ms := make([]measurementJSON, len(in.Measurements))
		for i, m := range in.Measurements {
			ms[i] = measurementJSON{Name: strings.TrimSpace(m.Name), Value: m.Value, Unit: deref(m.Unit), LimitMin: m.LimitMin, LimitMax: m.LimitMax}
		}
		if raw, err := json.Marshal(ms); err == nil {
			e.Extensions = map[string]json.RawMessage{"suyuan:measurements": raw}
		}
	}
	return e
}

// measurementJSON is a measurement in the suyuan:measurements extension.
type measurementJSON struct {
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Unit     string   `json:"unit,omitempty"`
	LimitMin *float64 `json:"limitMin,omitempty"`
	LimitMax *float64 `json:"limitMax,omitempty"`
}
