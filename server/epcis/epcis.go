// Package epcis serves the EPCIS 2.0 REST binding at /epcis: capture of
// EPCIS documents onto the event log and the graph, the capture jobs, and
// the event queries, answered as EPCISQueryDocuments with only the events
// the caller may read. docs/EPCIS.md says what is supported.
package epcis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"suyuan/ent"
	"suyuan/ent/capturejob"
	gs1 "suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/record"
	"suyuan/internal/reqlog"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
	"suyuan/internal/webhook"
)

// Limits of one capture, advertised in GS1-EPCIS-Capture-Limit and
// GS1-EPCIS-Capture-File-Size-Limit.
const (
	MaxEvents    = 10000
	MaxFileBytes = 20 << 20
)

// Page sizes of a query.
const (
	DefaultPerPage = eventlog.DefaultPerPage
	MaxPerPage     = eventlog.MaxPerPage
)

// Handler serves /epcis.
type Handler struct {
	client   *ent.Client
	log      *eventlog.Log
	recorder *record.Recorder
	hooks    *webhook.Service
	now      func() time.Time
}

// New returns the handler over client, capturing through recorder,
// querying log, and keeping named queries and their subscriptions in
// hooks.
func New(client *ent.Client, log *eventlog.Log, recorder *record.Recorder, hooks *webhook.Service) *Handler {
	return &Handler{client: client, log: log, recorder: recorder, hooks: hooks, now: log.Now}
}

// Mount adds the routes to r, which must answer through Answers. Capture
// is a POST the caller may retry with an Idempotency-Key: capture wraps
// it.
func (h *Handler) Mount(r chi.Router, capture func(http.Handler) http.Handler) {
	r.Route("/epcis", func(r chi.Router) {
		r.Use(middleware.GetHead) // HEAD is answered as GET, without the body
		r.With(limitBody, capture).Post("/capture", h.capture)
		r.Get("/capture/{id}", h.job)
		r.Get("/events", h.events)
		r.Get("/events/{eventID}", h.event)
		r.Get("/epcs/{epc}/events", h.epcEvents)
		r.Get("/eventTypes", h.eventTypes)
		r.Get("/eventTypes/{type}/events", h.typeEvents)
		h.mountQueries(r)
		r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
			writeProblem(w, gs1.NewProblem(gs1.NoSuchResourceException, "nothing is served at this path"))
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			p := gs1.NewProblem(gs1.ValidationException, r.Method+" is not allowed at this path")
			p.Status, p.Code = http.StatusMethodNotAllowed, string(errcode.MethodNotAllowed)
			writeProblem(w, p)
		})
	})
}

// limitBody bounds a capture's body before anything reads it (the
// Idempotency-Key middleware reads it whole).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxFileBytes {
			writeProblem(w, tooLarge())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxFileBytes)
		next.ServeHTTP(w, r)
	})
}

// versions sends the versions of the standards spoken, on every answer.
func versions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("GS1-EPCIS-Version", "2.0.0")
		w.Header().Set("GS1-CBV-Version", "2.0.0")
		w.Header().Set("GS1-EPCIS-Capture-Limit", strconv.Itoa(MaxEvents))
		w.Header().Set("GS1-EPCIS-Capture-File-Size-Limit", strconv.Itoa(MaxFileBytes))
		next.ServeHTTP(w, r)
	})
}

// capture takes an EPCISDocument: decoded and validated event by event as
// it streams in, then recorded all or nothing (GS1-Capture-Error-Behaviour:
// rollback, the default) or event by event (proceed). A refused document
// stores nothing and is answered with its problem; a captured one with
// 202 and the Location of its capture job.
func (h *Handler) capture(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := viewer.FromContext(ctx)
	if v == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="suyuan"`)
		writeProblem(w, security(http.StatusUnauthorized, "log in, or send an API key, to capture events"))
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/ld+json") {
		writeProblem(w, gs1.NewProblem(gs1.UnsupportedMediaTypeException, "send an EPCISDocument as application/ld+json or application/json"))
		return
	}
	behaviour := strings.ToLower(r.Header.Get("GS1-Capture-Error-Behaviour"))
	switch behaviour {
	case "":
		behaviour = "rollback"
	case "rollback", "proceed":
	default:
		writeProblem(w, gs1.NewProblem(gs1.ValidationException, "GS1-Capture-Error-Behaviour must be rollback or proceed"))
		return
	}
	d := gs1.NewDecoder(r.Body, gs1.Limits{MaxEvents: MaxEvents})
	refuse := func(err error) {
		var mb *http.MaxBytesError
		var p *gs1.Problem
		switch {
		case errors.As(err, &mb):
			writeProblem(w, tooLarge())
		case errors.As(err, &p):
			writeProblem(w, p)
		default:
			writeProblem(w, gs1.NewProblem(gs1.ValidationException, "the document could not be read"))
		}
	}
	hdr, err := d.Header()
	if err != nil {
		refuse(err)
		return
	}
	if hdr.Type != "EPCISDocument" {
		writeProblem(w, gs1.NewProblem(gs1.ValidationException, "capture takes an EPCISDocument, not "+strconv.Quote(hdr.Type)))
		return
	}
	var events []*gs1.Event
	for {
		e, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			refuse(err)
			return
		}
		events = append(events, e)
	}
	if len(events) == 0 {
		writeProblem(w, gs1.NewProblem(gs1.ValidationException, "the document holds no event"))
		return
	}
	job := h.client.CaptureJob.Create().SetCreatedAt(h.now().UTC()).SetSuccess(true)
	if v.OrgID != 0 {
		job.SetOrganizationID(v.OrgID)
	}
	if v.UserID != 0 {
		job.SetUserID(v.UserID)
	}
	if v.KeyID != 0 {
		job.SetAPIKeyID(v.KeyID)
	}
	var problems []map[string]any
	if behaviour == "rollback" {
		res, err := h.recorder.Capture(ctx, events)
		if err != nil {
			writeProblem(w, h.problem(r, err))
			return
		}
		job.SetCaptured(res.Captured).SetDuplicates(res.Duplicates).SetNotes(res.Notes)
		if res.Change != 0 {
			job.SetChangeID(res.Change)
		}
	} else {
		captured, duplicates, notes := 0, 0, []string{}
		for i, e := range events {
			res, err := h.recorder.Capture(ctx, []*gs1.Event{e})
			if err != nil {
				p := h.problem(r, err)
				p.EventIndex = i
				p.Field = strings.Replace(p.Field, "eventList.0", "eventList."+strconv.Itoa(i), 1)
				problems = append(problems, asMap(p))
				continue
			}
			captured += res.Captured
			duplicates += res.Duplicates
			for _, n := range res.Notes {
				notes = append(notes, strings.Replace(n, "event 0", "event "+strconv.Itoa(i), 1))
			}
		}
		job.SetCaptured(captured).SetDuplicates(duplicates).SetNotes(notes).
			SetSuccess(len(problems) == 0).SetErrors(problems)
	}
	out, err := job.SetFinishedAt(h.now().UTC()).Save(tenancy.System(ctx))
	if err != nil {
		// The events are recorded: a retry finds them captured already.
		writeProblem(w, h.problem(r, fmt.Errorf("recording the capture job: %w", err)))
		return
	}
	w.Header().Set("Location", "/epcis/capture/"+strconv.Itoa(out.ID))
	writeJSON(w, http.StatusAccepted, jobJSON(out, behaviour))
}

func tooLarge() *gs1.Problem {
	return gs1.NewProblem(gs1.CaptureLimitExceededException,
		fmt.Sprintf("a capture holds at most %d events and %d bytes", MaxEvents, MaxFileBytes))
}

// job answers a capture job to whoever sent it, an administrator, or
// nobody else (to whom it does not exist).
func (h *Handler) job(w http.ResponseWriter, r *http.Request) {
	v := viewer.FromContext(r.Context())
	if v == nil {
		writeProblem(w, security(http.StatusUnauthorized, "log in, or send an API key"))
		return
	}
	var j *ent.CaptureJob
	if id, err := strconv.Atoi(chi.URLParam(r, "id")); err == nil {
		j, err = h.client.CaptureJob.Query().Where(capturejob.ID(id)).Only(tenancy.System(r.Context()))
		if err != nil && !ent.IsNotFound(err) {
			writeProblem(w, h.problem(r, err))
			return
		}
	}
	if j == nil || (v.Role != viewer.Admin && (j.OrganizationID == nil || *j.OrganizationID != v.OrgID)) {
		writeProblem(w, gs1.NewProblem(gs1.NoSuchResourceException, "no such capture job"))
		return
	}
	writeJSON(w, http.StatusOK, jobJSON(j, ""))
}

// jobJSON is a capture job as the REST binding's CaptureJob, with what
// this service adds: the counts and notes.
func jobJSON(j *ent.CaptureJob, behaviour string) map[string]any {
	out := map[string]any{
		"captureID":  strconv.Itoa(j.ID),
		"createdAt":  j.CreatedAt.UTC().Format(time.RFC3339Nano),
		"running":    j.Running,
		"success":    j.Success,
		"captured":   j.Captured,
		"duplicates": j.Duplicates,
		"errors":     nonNil(j.Errors),
		"notes":      nonNilStrings(j.Notes),
	}
	if j.FinishedAt != nil {
		out["finishedAt"] = j.FinishedAt.UTC().Format(time.RFC3339Nano)
	}
	if behaviour != "" {
		out["captureErrorBehaviour"] = behaviour
	}
	return out
}

func nonNil(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// problem turns a recording's error into a problem: a refusal keeps its
// message and the field it names; anything else is the service's failure
// and is logged, not shown.
func (h *Handler) problem(r *http.Request, err error) *gs1.Problem {
	var p *gs1.Problem
	if errors.As(err, &p) {
		return p
	}
	var ce *errcode.Error
	if !errors.As(err, &ce) {
		reqlog.Logger(r.Context()).Error("epcis", "error", err.Error())
		return gs1.NewProblem(gs1.ImplementationException, "internal error; reference "+reqlog.ID(r.Context()))
	}
	var out *gs1.Problem
	switch ce.Code {
	case errcode.Unauthenticated:
		out = security(http.StatusUnauthorized, ce.Message)
	case errcode.Forbidden:
		out = security(http.StatusForbidden, ce.Message)
	case errcode.NotFound:
		out = gs1.NewProblem(gs1.NoSuchResourceException, ce.Message)
	case errcode.Conflict:
		out = gs1.NewProblem(gs1.ValidationException, ce.Message)
		out.Status = http.StatusConflict
	default:
		out = gs1.NewProblem(gs1.ValidationException, ce.Message)
		out.Code = string(ce.Code)
	}
	out.Field = ce.Field
	if rest, ok := strings.CutPrefix(ce.Field, "epcisBody.eventList."); ok {
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil {
			out.EventIndex = i
		}
	}
	return out
}

// security is a SecurityException with the status of its cause.
func security(status int, detail string) *gs1.Problem {
	p := gs1.NewProblem(gs1.SecurityException, detail)
	p.Status = status
	return p
}

func asMap(p *gs1.Problem) map[string]any {
	b, _ := json.Marshal(p) // a Problem always marshals
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func writeProblem(w http.ResponseWriter, p *gs1.Problem) {
	w.Header().Set("Content-Type", gs1.ProblemContentType)
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// pathParam returns a path parameter percent-decoded (an EPC or eventID
// is a URI and comes escaped).
func pathParam(r *http.Request, name string) (string, bool) {
	s, err := url.PathUnescape(chi.URLParam(r, name))
	return s, err == nil && s != ""
}
