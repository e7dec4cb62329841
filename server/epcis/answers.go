package epcis

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	gs1 "suyuan/internal/epcis"
	"suyuan/internal/errcode"
)

// Answers makes every answer under /epcis one of the binding's: it sends
// the versions of the standards spoken, and turns the refusals of what
// runs before the binding's own handlers — authentication, the rate
// limit, Idempotency-Key, the time limit — from the service's JSON errors
// into RFC 7807 problems with their GS1 exception type and the same
// status. It goes first, around everything else on the route.
func Answers(next http.Handler) http.Handler {
	return versions(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pw := &problemWriter{ResponseWriter: w}
		next.ServeHTTP(pw, r)
		pw.finish()
	}))
}

// problemWriter passes an answer through, except a JSON error, which it
// keeps to rewrite when the handler is done.
type problemWriter struct {
	http.ResponseWriter
	status int
	held   *bytes.Buffer // a JSON error being kept
}

func (w *problemWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	ct := w.Header().Get("Content-Type")
	if status >= 400 && strings.HasPrefix(ct, "application/json") {
		w.held = &bytes.Buffer{}
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.held != nil {
		return w.held.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets a streamed answer (a query document) through as it comes.
func (w *problemWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.held == nil {
		f.Flush()
	}
}

// finish writes the kept error as a problem.
func (w *problemWriter) finish() {
	if w.held == nil {
		return
	}
	var body struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code  string `json:"code"`
				Field string `json:"field"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(w.held.Bytes(), &body) != nil || len(body.Errors) == 0 {
		w.ResponseWriter.WriteHeader(w.status)
		w.ResponseWriter.Write(w.held.Bytes())
		return
	}
	e := body.Errors[0]
	t := gs1.ValidationException
	switch errcode.Code(e.Extensions.Code) {
	case errcode.Unauthenticated, errcode.Forbidden:
		t = gs1.SecurityException
	case errcode.NotFound:
		t = gs1.NoSuchResourceException
	case errcode.Internal, errcode.Unavailable, errcode.Timeout:
		t = gs1.ImplementationException
	}
	p := gs1.NewProblem(t, e.Message)
	p.Status = w.status
	p.Field = e.Extensions.Field
	p.Code = e.Extensions.Code
	w.Header().Del("Content-Length")
	writeProblem(w.ResponseWriter, p)
}
