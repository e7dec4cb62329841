package graph

import (
	"encoding/json"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"suyuan/internal/errcode"
	"suyuan/internal/idempotency"
)

// IdempotencyClass tells idempotency.Middleware which requests to /graphql
// its keys apply to: mutations. A query with a key runs as if it had none
// (it changes nothing, so running it again is what a retry wants). A body
// that is not a GraphQL request the handler can read, or whose operation
// cannot be told, is treated as a mutation: its answer — the handler's
// refusal — is kept like any other, which is harmless, while passing a
// mutation through without its key would not be.
//
// Mutations whose answer holds a secret (tokens, a new API key) are
// refused with a key: keeping their answer would store the secret in the
// clear, which Suyuan never does (docs/SECURITY.md).
func IdempotencyClass(_ *http.Request, body []byte) (idempotency.Class, error) {
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return idempotency.Apply, nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, DefaultTokenLimit)
	if err != nil {
		return idempotency.Apply, nil
	}
	var op *ast.OperationDefinition
	if p.OperationName != "" {
		op = doc.Operations.ForName(p.OperationName)
	} else if len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	switch {
	case op == nil:
		return idempotency.Apply, nil
	case op.Operation != ast.Mutation:
		return idempotency.Pass, nil
	}
	for _, f := range rootFields(doc, op.SelectionSet, map[string]bool{}) {
		if answersSecret(f) {
			return idempotency.Apply, errcode.Field(errcode.BadUserInput, idempotency.Header,
				"%s cannot be sent with an Idempotency-Key: its answer holds a secret, which is never stored", f)
		}
	}
	return idempotency.Apply, nil
}

// answersSecret reports whether a mutation's answer holds a secret.
func answersSecret(field string) bool {
	switch field {
	case "login", "refreshToken", "createAPIKey":
		return true
	}
	return false
}

// rootFields returns the names of the fields a selection set selects at
// its own level, through fragments (each spread once).
func rootFields(doc *ast.QueryDocument, set ast.SelectionSet, spread map[string]bool) []string {
	var out []string
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, s.Name)
		case *ast.InlineFragment:
			out = append(out, rootFields(doc, s.SelectionSet, spread)...)
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil {
				out = append(out, rootFields(doc, f.SelectionSet, spread)...)
			}
		}
	}
	return out
}
