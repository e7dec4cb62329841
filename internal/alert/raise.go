// Package alert stores the findings of the screening rules as alerts —
// one per rule, subject and organisation, updated when the rule fires
// again — keeps the dashboard's alert counters in the same transaction,
// moves alerts through their review workflow and passes new ones to
// subscribers.
package alert

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/ent/shipment"
	"suyuan/internal/anomaly"
	"suyuan/internal/dashboard"
)

// Target is who an alert is for and where it happened, worked out from a
// finding's subject.
type Target struct {
	OrganizationID                                         int
	Region                                                 string
	BatchID, ShipmentID, FacilityID, TraceCodeID, RecallID *int
}

// Raise stores a finding as an alert in tx: a new alert, or the existing
// one for the same rule, subject and organisation brought up to date. It
// returns the alert and whether subscribers should hear of it: it is new,
// or was resolved and the finding has changed since. orgID, when not 0,
// addresses the alert to that organisation instead of the one the subject
// implies (recall notices go to every organisation concerned).
func Raise(ctx context.Context, tx *ent.Tx, now time.Time, f anomaly.Finding, orgID int) (*ent.Alert, bool, error) {
	t, err := target(ctx, tx, f)
	if err != nil {
		return nil, false, err
	}
	if orgID != 0 {
		t.OrganizationID = orgID
	}
	if t.OrganizationID == 0 {
		return nil, false, fmt.Errorf("alert %s on %s %d: no organisation concerned", f.Kind, f.Subject.Type, f.Subject.ID)
	}
	fingerprint := f.Fingerprint()
	key := fmt.Sprintf("%s/%s/%d/%d", f.Kind, f.Subject.Type, f.Subject.ID, t.OrganizationID)
	at := f.At
	if at.IsZero() {
		at = now
	}
	at = at.UTC()

	old, err := tx.Alert.Query().Where(alert.DedupKey(key)).Modify(lockOnMySQL).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		a, err := tx.Alert.Create().
			SetKind(alert.Kind(f.Kind)).
			SetSeverity(alert.Severity(f.Severity)).
			SetSubjectType(alert.SubjectType(f.Subject.Type)).
			SetSubjectID(f.Subject.ID).
			SetDedupKey(key).
			SetOrganizationID(t.OrganizationID).
			SetRegionCode(t.Region).
			SetNillableBatchID(t.BatchID).
			SetNillableShipmentID(t.ShipmentID).
			SetNillableFacilityID(t.FacilityID).
			SetNillableTraceCodeID(t.TraceCodeID).
			SetNillableRecallID(t.RecallID).
			SetDetectedAt(now.UTC()).
			SetLastDetectedAt(at).
			SetEvidence(f.Evidence).
			SetFingerprint(fingerprint).
			Save(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("raising alert: %w", err)
		}
		if err := countNew(ctx, tx, a); err != nil {
			return nil, false, err
		}
		return a, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("looking up alert: %w", err)
	}
	if old.Fingerprint == fingerprint && old.Severity == alert.Severity(f.Severity) {
		return old, false, nil
	}
	up := tx.Alert.UpdateOne(old).
		SetEvidence(f.Evidence).
		SetFingerprint(fingerprint).
		SetSeverity(alert.Severity(f.Severity))
	if at.After(old.LastDetectedAt) {
		up.SetLastDetectedAt(at)
	}
	reopened := old.Status == alert.StatusRESOLVED && old.Fingerprint != fingerprint
	if reopened {
		up.SetStatus(alert.StatusOPEN).SetStatusNote("").ClearStatusChangedAt().ClearStatusChangedByID()
	}
	a, err := up.Save(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("updating alert: %w", err)
	}
	if old.Severity != a.Severity {
		// The counters count alerts by their current severity.
		if err := dashboard.Add(ctx, tx, a.RegionCode, a.DetectedAt, dashboard.Alerts, string(a.Kind)+"/"+string(old.Severity), -1); err != nil {
			return nil, false, err
		}
		if err := dashboard.Add(ctx, tx, a.RegionCode, a.DetectedAt, dashboard.Alerts, string(a.Kind)+"/"+string(a.Severity), 1); err != nil {
			return nil, false, err
		}
	}
	return a, reopened, nil
}

// RaiseAll raises each finding (see Raise) and returns the alerts
// subscribers should hear of, to publish once tx has committed.
func RaiseAll(ctx context.Context, tx *ent.Tx, now time.Time, fs []anomaly.Finding) ([]*ent.Alert, error) {
	var out []*ent.Alert
	for _, f := range fs {
		a, news, err := Raise(ctx, tx, now, f, 0)
		if err != nil {
			return nil, err
		}
		if news {
			out = append(out, a)
		}
	}
	return out, nil
}

// lockOnMySQL locks the rows a query reads until the transaction ends, so
// that two transactions raising the same alert take turns. SQLite needs no
// row locks: its writers take turns anyway.
func lockOnMySQL(s *sql.Selector) {
	if s.Dialect() == dialect.MySQL {
		s.ForUpdate()
	}
}

// countNew adds a new alert to the dashboard counters.
func countNew(ctx context.Context, tx *ent.Tx, a *ent.Alert) error {
	if err := dashboard.Add(ctx, tx, a.RegionCode, a.DetectedAt, dashboard.Alerts, string(a.Kind)+"/"+string(a.Severity), 1); err != nil {
		return err
	}
	org, err := tx.Organization.Get(ctx, a.OrganizationID)
	if err != nil {
		return fmt.Errorf("reading organisation of alert: %w", err)
	}
	if err := dashboard.Add(ctx, tx, a.RegionCode, a.DetectedAt, dashboard.OrgAlerts, dashboard.OrgDim(string(org.Kind), org.ID), 1); err != nil {
		return err
	}
	if a.ShipmentID == nil || !dashboard.IsBreach(a.Kind) {
		return nil
	}
	// A shipment breaks its cold chain once, however many alerts say so.
	// Its row is locked first, and the reads after it lock too, so that
	// a concurrent departure or alert of the same shipment is seen
	// committed, not as MySQL's snapshot had it.
	s, err := tx.Shipment.Query().Where(shipment.ID(*a.ShipmentID)).Modify(lockOnMySQL).Only(ctx)
	if err != nil {
		return fmt.Errorf("reading shipment of alert: %w", err)
	}
	others, err := tx.Alert.Query().Where(
		alert.ShipmentID(*a.ShipmentID), alert.IDNEQ(a.ID),
		alert.KindIn(dashboard.BreachKinds()...),
	).Modify(lockOnMySQL).IDs(ctx)
	if err != nil {
		return fmt.Errorf("checking shipment's alerts: %w", err)
	}
	if len(others) > 0 || s.DepartedAt == nil {
		// Counted already, or when it departs (CountBreach), as its trip is.
		return nil
	}
	from, err := tx.Facility.Get(ctx, s.FromFacilityID)
	if err != nil {
		return fmt.Errorf("reading shipment's origin: %w", err)
	}
	return dashboard.Add(ctx, tx, from.RegionCode, *s.DepartedAt, dashboard.CarrierBreaches, fmt.Sprint(s.CarrierID), 1)
}

// CountBreach counts, when a shipment departs, a temperature alert raised
// about it before: readings may be logged before the departure is.
func CountBreach(ctx context.Context, tx *ent.Tx, shipmentID, carrierID int, region string, departed time.Time) error {
	// The caller has updated the shipment's row, so holds its lock; this
	// read locks too, to see alerts committed since the snapshot.
	breaches, err := tx.Alert.Query().Where(
		alert.ShipmentID(shipmentID),
		alert.KindIn(dashboard.BreachKinds()...),
	).Modify(lockOnMySQL).IDs(ctx)
	if err != nil {
		return fmt.Errorf("checking shipment's alerts: %w", err)
	}
	if len(breaches) == 0 {
		return nil
	}
	return dashboard.Add(ctx, tx, region, departed, dashboard.CarrierBreaches, fmt.Sprint(carrierID), 1)
}
