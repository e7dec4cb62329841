package epcis

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"suyuan/ent"
	gs1 "suyuan/internal/epcis"
	"suyuan/internal/eventlog"
	"suyuan/internal/viewer"
	"suyuan/internal/webhook"
)

// maxDefinition bounds the body of a query definition or subscription.
const maxDefinition = 64 << 10

// mountQueries adds the named queries and their subscriptions (EPCIS 2.0
// REST binding, "Queries" and "Subscriptions"): a query is the caller's
// organisation's; a subscription streams what it matches to dest through
// the webhook deliverer.
func (h *Handler) mountQueries(r chi.Router) {
	r.Route("/queries", func(r chi.Router) {
		r.Use(h.loggedIn)
		r.Get("/", h.listQueries)
		r.Post("/", h.createQuery)
		r.Get("/{name}", h.getQuery)
		r.Delete("/{name}", h.deleteQuery)
		r.Get("/{name}/events", h.queryEvents)
		r.Get("/{name}/subscriptions", h.listSubscriptions)
		r.Post("/{name}/subscriptions", h.subscribe)
		r.Get("/{name}/subscriptions/{id}", h.getSubscription)
		r.Delete("/{name}/subscriptions/{id}", h.unsubscribe)
	})
}

// loggedIn refuses anonymous callers before anything is read.
func (h *Handler) loggedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if viewer.FromContext(r.Context()) == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="suyuan"`)
			writeProblem(w, security(http.StatusUnauthorized, "log in, or send an API key, to use named queries"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// queryJSON is a named query as the binding shows it.
func queryJSON(q *ent.EPCISQuery) map[string]any {
	def := map[string]any{}
	for k, vs := range q.Query {
		def[k] = vs
	}
	return map[string]any{"name": q.Name, "query": def, "createdAt": q.CreatedAt.UTC().Format(time.RFC3339Nano)}
}

func (h *Handler) listQueries(w http.ResponseWriter, r *http.Request) {
	qs, err := h.hooks.Queries(r.Context())
	if err != nil {
		writeProblem(w, h.problem(r, err))
		return
	}
	out := make([]map[string]any, len(qs))
	for i, q := range qs {
		out[i] = queryJSON(q)
	}
	writeJSON(w, http.StatusOK, out)
}

// readJSON decodes a JSON body of at most maxDefinition bytes into v.
func readJSON(r *http.Request, v any) *gs1.Problem {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil ||
		(mt != "application/json" && mt != "application/ld+json") {
		return gs1.NewProblem(gs1.UnsupportedMediaTypeException, "send the definition as application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxDefinition+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return gs1.NewProblem(gs1.ValidationException, "the definition is not the JSON expected: "+err.Error())
	}
	return nil
}

// definition is POST /queries's body. A parameter's value is a string, a
// number or a list of strings (EPCIS 2.0's query schema).
type definition struct {
	Name  string                     `json:"name"`
	Query map[string]json.RawMessage `json:"query"`
}

func (h *Handler) createQuery(w http.ResponseWriter, r *http.Request) {
	var def definition
	if p := readJSON(r, &def); p != nil {
		writeProblem(w, p)
		return
	}
	params := url.Values{}
	for k, raw := range def.Query {
		var list []string
		var one any
		if json.Unmarshal(raw, &list) != nil {
			if err := json.Unmarshal(raw, &one); err != nil {
				writeProblem(w, gs1.NewProblem(gs1.QueryParameterException, k+": not a value or a list of strings"))
				return
			}
			switch v := one.(type) {
			case string:
				list = []string{v}
			case float64:
				list = []string{string(raw)}
			default:
				writeProblem(w, gs1.NewProblem(gs1.QueryParameterException, k+": not a value or a list of strings"))
				return
			}
		}
		params[k] = list
	}
	q, err := h.hooks.CreateQuery(r.Context(), def.Name, params)
	if err != nil {
		writeProblem(w, h.problem(r, err))
		return
	}
	w.Header().Set("Location", "/epcis/queries/"+url.PathEscape(q.Name))
	writeJSON(w, http.StatusCreated, queryJSON(q))
}

// named returns the caller's query named in the path, answering 404 when
// there is none.
func (h *Handler) named(w http.ResponseWriter, r *http.Request) (*ent.EPCISQuery, bool) {
	q, err := h.hooks.Query(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		writeProblem(w, h.noQuery(r, err))
		return nil, false
	}
	return q, true
}

// noQuery answers a query or subscription that is not there.
func (h *Handler) noQuery(r *http.Request, err error) *gs1.Problem {
	if errors.Is(err, webhook.ErrNoQuery) {
		return gs1.NewProblem(gs1.NoSuchNameException, "no such query, or subscription, of your organisation")
	}
	return h.problem(r, err)
}

func (h *Handler) getQuery(w http.ResponseWriter, r *http.Request) {
	if q, ok := h.named(w, r); ok {
		writeJSON(w, http.StatusOK, queryJSON(q))
	}
}

func (h *Handler) deleteQuery(w http.ResponseWriter, r *http.Request) {
	if err := h.hooks.DeleteQuery(r.Context(), chi.URLParam(r, "name")); err != nil {
		writeProblem(w, h.noQuery(r, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// queryEvents answers a named query; perPage and nextPageToken page it.
func (h *Handler) queryEvents(w http.ResponseWriter, r *http.Request) {
	q, ok := h.named(w, r)
	if !ok {
		return
	}
	params := url.Values{}
	for k, vs := range q.Query {
		params[k] = vs
	}
	for k, vs := range r.URL.Query() {
		if k != "perPage" && k != "nextPageToken" {
			writeProblem(w, gs1.NewProblem(gs1.QueryParameterException, k+": a named query takes only perPage and nextPageToken"))
			return
		}
		params[k] = vs
	}
	lq, p := eventlog.ParseQuery(params)
	if p != nil {
		writeProblem(w, p)
		return
	}
	h.answerAs(w, r, lq, false, q.Name)
}

// subscriptionBody is POST /queries/{name}/subscriptions's body.
type subscriptionBody struct {
	Dest              string          `json:"dest"`
	SignatureToken    string          `json:"signatureToken"`
	Stream            *bool           `json:"stream"`
	ReportIfEmpty     *bool           `json:"reportIfEmpty"`
	InitialRecordTime string          `json:"initialRecordTime"`
	Schedule          json.RawMessage `json:"schedule"`
}

func subscriptionJSON(name string, hk *ent.Webhook) map[string]any {
	return map[string]any{"subscriptionID": *hk.SubscriptionID, "queryName": name, "dest": hk.URL,
		"stream": true, "createdAt": hk.CreatedAt.UTC().Format(time.RFC3339Nano)}
}

func (h *Handler) subscribe(w http.ResponseWriter, r *http.Request) {
	var body subscriptionBody
	if p := readJSON(r, &body); p != nil {
		writeProblem(w, p)
		return
	}
	switch {
	case body.Schedule != nil:
		// Streaming delivers each event as it is recorded, which a
		// schedule would only batch; one machinery serves both needs.
		p := gs1.NewProblem(gs1.SubscriptionControlsException, "this repository offers streaming subscriptions (\"stream\": true); schedules are not offered")
		p.Status = http.StatusNotImplemented
		writeProblem(w, p)
		return
	case body.Stream == nil || !*body.Stream:
		writeProblem(w, gs1.NewProblem(gs1.SubscriptionControlsException, "set \"stream\": true to be sent each event the query matches as it is recorded"))
		return
	case body.InitialRecordTime != "":
		writeProblem(w, gs1.NewProblem(gs1.SubscriptionControlsException, "initialRecordTime is not offered: a subscription streams what is recorded from now on; query /events for what came before"))
		return
	}
	name := chi.URLParam(r, "name")
	hk, err := h.hooks.Subscribe(r.Context(), name, webhook.Subscription{Dest: body.Dest, SignatureToken: body.SignatureToken})
	if err != nil {
		writeProblem(w, h.noQuery(r, err))
		return
	}
	w.Header().Set("Location", "/epcis/queries/"+url.PathEscape(name)+"/subscriptions/"+*hk.SubscriptionID)
	writeJSON(w, http.StatusCreated, subscriptionJSON(name, hk))
}

func (h *Handler) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	hs, err := h.hooks.Subscriptions(r.Context(), name)
	if err != nil {
		writeProblem(w, h.noQuery(r, err))
		return
	}
	out := make([]map[string]any, len(hs))
	for i, hk := range hs {
		out[i] = subscriptionJSON(name, hk)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getSubscription(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	hk, err := h.hooks.Subscribed(r.Context(), name, chi.URLParam(r, "id"))
	if err != nil {
		writeProblem(w, h.noQuery(r, err))
		return
	}
	writeJSON(w, http.StatusOK, subscriptionJSON(name, hk))
}

func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if err := h.hooks.Unsubscribe(r.Context(), chi.URLParam(r, "name"), chi.URLParam(r, "id")); err != nil {
		writeProblem(w, h.noQuery(r, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
