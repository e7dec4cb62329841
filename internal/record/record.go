// Package record carries out Suyuan's recording operations — batches,
// shipments, readings, shelving, inspections, trace codes — each in one
// transaction, with its validation and its mass-balance rules. It knows
// nothing of HTTP or GraphQL; the graph package calls it.
package record

import (
	"context"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/internal/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/textcheck"
)

// Recorder performs recording operations against one database.
type Recorder struct {
	client *ent.Client
	log    *eventlog.Log
	now    func() time.Time
	rules  anomaly.Config
}

// New returns a Recorder over client that records through log, whose
// clock it uses.
func New(client *ent.Client, log *eventlog.Log) *Recorder {
	return &Recorder{client: client, log: log, now: log.Now, rules: anomaly.DefaultConfig()}
}

// raise stores findings as alerts in tx and names the new or reopened ones
// in the recording's change, whose followers publish them once it commits.
func (r *Recorder) raise(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording, fs []anomaly.Finding) error {
	raised, err := alert.RaiseAll(ctx, tx, r.now(), fs)
	if err != nil {
		return err
	}
	for _, a := range raised {
		rec.Raised(a.ID)
	}
	return nil
}

// maxClockSkew is how far in the future an event time may lie: devices'
// clocks drift, but a reading from tomorrow is a mistake.
const maxClockSkew = 10 * time.Minute

// notFound turns Ent's not-found error for a referenced row into a client
// error naming the input field; other errors pass through.
func notFound(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return errcode.Field(errcode.NotFound, field, "%s not found", what)
	}
	return err
}

// checkTime refuses times in the future beyond clock skew, and zero times.
func (r *Recorder) checkTime(t time.Time, field string) error {
	if t.IsZero() {
		return errcode.Field(errcode.BadUserInput, field, "time is required")
	}
	if t.After(r.now().Add(maxClockSkew)) {
		return errcode.Field(errcode.InvalidTimeOrder, field, "time lies in the future")
	}
	return nil
}

// notBefore refuses t when it lies before earlier.
func notBefore(t, earlier time.Time, field, what string) error {
	if t.Before(earlier) {
		return errcode.Field(errcode.InvalidTimeOrder, field, "time must not be before %s (%s)", what, earlier.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkText bounds a text input and refuses control and bidirectional
// formatting characters in it (textcheck.Check); notes and descriptions
// may span lines.
func checkText(s, field string, max int) error {
	if len([]rune(s)) > max {
		return errcode.Field(errcode.BadUserInput, field, "must be at most %d characters", max)
	}
	if err := textcheck.Check(s, textcheck.Multiline(field[strings.LastIndex(field, ".")+1:])); err != nil {
		return errcode.WithField(err, field)
	}
	return nil
}
