package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"suyuan/internal/errcode"
)

// The HTTP transports are gqlgen's, behind checks of their own: gqlgen
// answers a request it cannot read with an error without a code, and
// echoes the whole body it could not decode. Every request refused here
// gets a GraphQL-shaped error with a code from the registry, and nothing
// of what was sent.

// postJSON is gqlgen's POST transport for bodies it can read: one JSON
// object with a string query and, if any, string operationName and object
// variables and extensions. Anything else — a JSON array (a batch), a
// query that is a number, malformed JSON, no body — is refused with
// INVALID_REQUEST.
type postJSON struct{ transport.POST }

func (t postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, errcode.New(errcode.InvalidRequest, "could not read the request body"))
		return
	}
	var p graphql.RawParams
	if err := decodeJSON(body, &p); err != nil {
		refuse(w, errcode.New(errcode.InvalidRequest, "%s", describeJSONError(body, err)))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r, unavailable := withUnavailable(r)
	t.POST.Do(&jsonStatus{ResponseWriter: w, unavailable: unavailable}, r, exec)
}

// getQuery is gqlgen's GET transport for queries only. Parameters that do
// not decode are refused with INVALID_REQUEST, and mutations and
// subscriptions (which must not run on a GET, a request that browsers and
// proxies repeat and prefetch) with METHOD_NOT_ALLOWED.
type getQuery struct {
	transport.GET
	tokenLimit int
}

func (t getQuery) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		refuse(w, errcode.New(errcode.InvalidRequest, "the URL's query string is malformed"))
		return
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := params.Get(name); v != "" {
			var m map[string]any
			if err := decodeJSON([]byte(v), &m); err != nil {
				refuse(w, errcode.Field(errcode.InvalidRequest, name, "%s must be a JSON object", name))
				return
			}
		}
	}
	// Which operation is asked for: when the query does not parse, or
	// names no operation that exists, gqlgen answers with the right error.
	if doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Get("query")}, t.tokenLimit); err == nil {
		var op *ast.OperationDefinition
		if name := params.Get("operationName"); name != "" {
			op = doc.Operations.ForName(name)
		} else if len(doc.Operations) == 1 {
			op = doc.Operations[0]
		}
		if op != nil && op.Operation != ast.Query {
			w.Header().Set("Allow", "POST")
			refuse(w, errcode.New(errcode.MethodNotAllowed, "a %s must be sent with POST", op.Operation))
			return
		}
	}
	r, unavailable := withUnavailable(r)
	t.GET.Do(&jsonStatus{ResponseWriter: w, unavailable: unavailable}, r, exec)
}

// jsonStatus answers with 200 the requests whose query does not parse or
// validate when the response is application/json, as GraphQL over HTTP
// asks of that type (clients of it read the errors from the body); gqlgen
// answers 422. Under application/graphql-response+json gqlgen's 400 stays.
// A response carrying UNAVAILABLE is 503 with Retry-After.
type jsonStatus struct {
	http.ResponseWriter
	unavailable *atomic.Bool
	wrote       bool
}

func (w *jsonStatus) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if status == http.StatusUnprocessableEntity && strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		status = http.StatusOK
	}
	if status == http.StatusOK && w.unavailable.Load() {
		w.Header().Set("Retry-After", retryAfterSeconds)
		status = http.StatusServiceUnavailable
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *jsonStatus) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *jsonStatus) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// refusal answers every request no other transport takes: a method other
// than GET, POST and OPTIONS, or a POST whose body is not JSON.
type refusal struct{}

func (refusal) Supports(*http.Request) bool { return true }

func (refusal) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		refuse(w, errcode.New(errcode.MethodNotAllowed, "%s is not supported; send GraphQL with POST (or a query with GET)", r.Method))
		return
	}
	refuse(w, errcode.New(errcode.UnsupportedMediaType, "send the request as application/json"))
}

// refuse answers an HTTP request with e, as a GraphQL error, with e's HTTP
// status.
func refuse(w http.ResponseWriter, e *errcode.Error) {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code.HTTPStatus())
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": e.Message, "extensions": ext}}})
}

// decodeJSON decodes one JSON value as gqlgen's transports do.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// describeJSONError says what is wrong with a request body without
// quoting it.
func describeJSONError(body []byte, err error) string {
	var typeErr *json.UnmarshalTypeError
	switch trimmed := bytes.TrimSpace(body); {
	case len(trimmed) == 0:
		return "the request has no body; send a JSON object with a query"
	case trimmed[0] == '[':
		return "batched requests (a JSON array) are not accepted; send one JSON object per request"
	case errors.As(err, &typeErr) && typeErr.Field != "":
		want := map[string]string{"query": "a string", "operationName": "a string", "variables": "an object", "extensions": "an object"}[strings.Split(typeErr.Field, ".")[0]]
		if want == "" {
			want = "of another type"
		}
		return fmt.Sprintf("%s must be %s", strings.Split(typeErr.Field, ".")[0], want)
	case errors.As(err, &typeErr):
		return "the request body must be a JSON object with a query"
	}
	return "the request body is not valid JSON"
}
