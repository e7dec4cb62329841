package epcis

import (
	"encoding/json"
	"errors"
	"net/http"

	gs1 "suyuan/internal/epcis"
	"suyuan/internal/eventlog"
	"suyuan/internal/viewer"
)

// events answers GET /epcis/events with the query its parameters ask.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	q, p := eventlog.ParseQuery(r.URL.Query())
	if p != nil {
		writeProblem(w, p)
		return
	}
	h.answer(w, r, q, false)
}

// event answers one event by its eventID.
func (h *Handler) event(w http.ResponseWriter, r *http.Request) {
	id, ok := pathParam(r, "eventID")
	if !ok {
		writeProblem(w, gs1.NewProblem(gs1.QueryParameterException, "the eventID is not a valid path segment"))
		return
	}
	h.answer(w, r, eventlog.Query{EventIDs: []string{id}, PerPage: 1}, true)
}

// epcEvents answers the events that name an EPC or, for a class (a lot),
// the events that name a quantity of it.
func (h *Handler) epcEvents(w http.ResponseWriter, r *http.Request) {
	epc, ok := pathParam(r, "epc")
	if !ok {
		writeProblem(w, gs1.NewProblem(gs1.QueryParameterException, "the EPC is not a valid path segment"))
		return
	}
	q, p := eventlog.ParseQuery(r.URL.Query())
	if p != nil {
		writeProblem(w, p)
		return
	}
	param := "anyEPC"
	if k, err := gs1.ParseKey(epc); err == nil && (k.Kind == gs1.KindLGTIN || k.Kind == gs1.KindGTIN) {
		param = "anyEPCClass"
	}
	q.Match[param] = append(q.Match[param], eventlog.MatchKey(epc))
	h.answer(w, r, q, false)
}

// typeEvents answers the events of one type.
func (h *Handler) typeEvents(w http.ResponseWriter, r *http.Request) {
	t := gs1.Type(param(r, "type"))
	if !eventlog.KnownType(t) {
		writeProblem(w, gs1.NewProblem(gs1.NoSuchResourceException, "no such event type"))
		return
	}
	q, p := eventlog.ParseQuery(r.URL.Query())
	if p != nil {
		writeProblem(w, p)
		return
	}
	q.EventTypes = []gs1.Type{t}
	h.answer(w, r, q, false)
}

// eventTypes lists the event types.
func (h *Handler) eventTypes(w http.ResponseWriter, _ *http.Request) {
	ts := gs1.Types()
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"@context": gs1.ContextURL, "type": "Collection", "member": names})
}

// answer runs q for the caller and writes its page as an
// EPCISQueryDocument, with the next page's Link. one answers a single
// event: none is 404.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, q eventlog.Query, one bool) {
	h.answerAs(w, r, q, one, "")
}

// answerAs answers q as the query named queryName (SimpleEventQuery when
// empty).
func (h *Handler) answerAs(w http.ResponseWriter, r *http.Request, q eventlog.Query, one bool, queryName string) {
	if viewer.FromContext(r.Context()) == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="suyuan"`)
		writeProblem(w, security(http.StatusUnauthorized, "log in, or send an API key, to query events"))
		return
	}
	page, err := h.log.Find(r.Context(), q)
	if errors.Is(err, eventlog.ErrBadToken) {
		writeProblem(w, gs1.NewProblem(gs1.QueryParameterException, err.Error()))
		return
	}
	if err != nil {
		writeProblem(w, h.problem(r, err))
		return
	}
	if one && len(page.Events) == 0 {
		writeProblem(w, gs1.NewProblem(gs1.NoSuchResourceException, "no such event, or not one you may read"))
		return
	}
	events := make([]*gs1.Event, 0, len(page.Events))
	for _, raw := range page.Events {
		var e gs1.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			writeProblem(w, h.problem(r, err))
			return
		}
		events = append(events, &e)
	}
	if page.Next != "" {
		next := *r.URL
		vals := next.Query()
		vals.Set("nextPageToken", page.Next)
		next.RawQuery = vals.Encode()
		w.Header().Set("Link", "<"+next.RequestURI()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/ld+json")
	w.WriteHeader(http.StatusOK)
	dw := gs1.NewQueryDocumentWriter(w, queryName, h.now().UTC())
	for _, e := range events {
		if err := dw.Write(e); err != nil {
			return // the client went away
		}
	}
	dw.Close()
}

func param(r *http.Request, name string) string {
	s, _ := pathParam(r, name)
	return s
}
