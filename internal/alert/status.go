package alert

import (
	"context"
	"fmt"
	"strings"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/viewer"
)

// next lists the statuses each status may move to: an alert is
// acknowledged while someone looks into it, and ends resolved (the cause
// was dealt with) or dismissed (a false alarm).
var next = map[alert.Status][]alert.Status{
	alert.StatusOPEN:         {alert.StatusACKNOWLEDGED, alert.StatusRESOLVED, alert.StatusDISMISSED},
	alert.StatusACKNOWLEDGED: {alert.StatusRESOLVED, alert.StatusDISMISSED},
}

// maxNote bounds a review note.
const maxNote = 2000

// SetStatus moves an alert to status with a note, recording who did it.
// Regulators and administrators may make any move; the organisation the
// alert concerns may acknowledge and resolve it, not dismiss it.
func SetStatus(ctx context.Context, client *ent.Client, log *eventlog.Log, id int, status alert.Status, note string) (*ent.Alert, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to review alerts")
	}
	if err := alert.StatusValidator(status); err != nil {
		return nil, errcode.Field(errcode.BadUserInput, "status", "unknown status %q", status)
	}
	if len([]rune(note)) > maxNote {
		return nil, errcode.Field(errcode.BadUserInput, "note", "must be at most %d characters", maxNote)
	}
	// The viewer's own reads decide whether the alert exists for them.
	if _, err := client.Alert.Get(ctx, id); err != nil {
		if ent.IsNotFound(err) {
			return nil, errcode.Field(errcode.NotFound, "id", "alert not found")
		}
		return nil, fmt.Errorf("reading alert: %w", err)
	}
	_, err := log.Record(ctx, "setAlertStatus", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		a, err := tx.Alert.Query().Where(alert.ID(id)).Modify(lockOnMySQL).Only(ctx)
		if err != nil {
			return fmt.Errorf("reading alert: %w", err)
		}
		switch {
		case v.ReadOnly:
			return errcode.New(errcode.Forbidden, "this API key may only read")
		case v.Role == viewer.Admin || v.Role == viewer.Regulator:
		case v.OrgID == a.OrganizationID && status != alert.StatusDISMISSED:
		case v.OrgID == a.OrganizationID:
			return errcode.Field(errcode.Forbidden, "status", "only regulators dismiss alerts")
		default:
			return errcode.New(errcode.Forbidden, "you may not review this alert")
		}
		if !allowed(a.Status, status) {
			return errcode.Field(errcode.InvalidState, "status", "an alert that is %s cannot become %s", a.Status, status)
		}
		up := tx.Alert.UpdateOne(a).SetStatus(status).SetStatusNote(note).SetStatusChangedAt(log.Now().UTC())
		if v.UserID != 0 {
			up.SetStatusChangedByID(v.UserID)
		} else {
			up.ClearStatusChangedByID()
		}
		if _, err = up.Save(ctx); err != nil {
			return fmt.Errorf("updating alert: %w", err)
		}
		rec.Changed(ent.TypeAlert, a.ID)
		rec.Audit("Alert", a.ID, []string{"status", "note"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read outside the transaction: its edges load lazily.
	return client.Alert.Get(ctx, id)
}

func allowed(from, to alert.Status) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Visible reports whether the viewer in ctx should hear of an alert as it
// arises: administrators of all, regulators of their region's, others of
// their organisation's. Alerts passed through a broker were read with the
// system's privileges, so subscriptions filter with this.
func Visible(v *viewer.Viewer, a *ent.Alert) bool {
	switch {
	case v == nil:
		return false
	case v.Role == viewer.Admin:
		return true
	case v.Role == viewer.Regulator:
		return strings.HasPrefix(a.RegionCode, v.RegionPrefix())
	}
	return v.OrgID == a.OrganizationID
}
