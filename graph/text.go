package graph

import (
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"suyuan/internal/errcode"
	"suyuan/internal/textcheck"
)

// PlainText refuses, before anything runs, an operation any of whose
// string arguments — at every depth of every field, in input objects,
// lists and where-filters, literal or from variables — holds a control
// character or a bidirectional override or isolate character
// (textcheck.Check), with INVALID_TEXT and the argument's path in
// extensions.field. Notes, descriptions and reasons may hold tabs and line
// breaks. Passwords are not looked at: they are never shown, and a
// password is checked only against its hash.
//
// This is the one place every name, code and address a client sends
// passes through; it also makes a filter such as nameContains: "\u0000"
// answer the same on every database (SQLite's string functions stop at
// U+0000, so it matched every row there and none on MariaDB).
type PlainText struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = PlainText{}

// ExtensionName implements graphql.HandlerExtension.
func (PlainText) ExtensionName() string { return "PlainText" }

// Validate implements graphql.HandlerExtension.
func (PlainText) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (PlainText) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	w := textWalker{doc: oc.Doc, vars: oc.Variables, seen: map[string]bool{}}
	return w.walk(oc.Operation.SelectionSet)
}

type textWalker struct {
	doc  *ast.QueryDocument
	vars map[string]any
	seen map[string]bool // fragments already checked: variables are the same everywhere
}

func (w *textWalker) walk(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Arguments) > 0 {
				for name, v := range s.ArgumentMap(w.vars) {
					if err = checkArgument(name, v); err != nil {
						break
					}
				}
			}
			if err == nil {
				err = w.walk(s.SelectionSet)
			}
		case *ast.InlineFragment:
			err = w.walk(s.SelectionSet)
		case *ast.FragmentSpread:
			if w.seen[s.Name] {
				continue
			}
			w.seen[s.Name] = true
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				err = w.walk(f.SelectionSet)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkArgument checks the strings in the value v of the argument name.
// As for every input error, the field it names is relative to the
// argument: lotCode in createBatch(input:), nameContains in where, the
// argument's own name for a scalar or a list.
func checkArgument(name string, v any) *gqlerror.Error {
	if m, ok := v.(map[string]any); ok {
		for k, inner := range m {
			if err := checkValue(inner, k, k); err != nil {
				return err
			}
		}
		return nil
	}
	return checkValue(v, name, name)
}

// checkValue checks the strings in v, found at path, named name (the
// innermost input field or argument).
func checkValue(v any, path, name string) *gqlerror.Error {
	switch x := v.(type) {
	case string:
		if strings.Contains(strings.ToLower(name), "password") {
			return nil
		}
		if err := textcheck.Check(x, textcheck.Multiline(name)); err != nil {
			// The error presenter gives it its code and field.
			return gqlerror.WrapIfUnwrapped(errcode.WithField(err, path))
		}
	case map[string]any:
		for k, inner := range x {
			if err := checkValue(inner, path+"."+k, k); err != nil {
				return err
			}
		}
	case []any:
		for i, inner := range x {
			if err := checkValue(inner, path+"."+strconv.Itoa(i), name); err != nil {
				return err
			}
		}
	}
	return nil
}
