package graph

import (
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"suyuan/internal/errcode"
)

// Page sizes of every connection. entgql connections have neither a default
// nor a maximum; without them a query without `first` reads a whole table.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// isConnection reports whether a field returns a Relay connection that can
// be paged with first and last.
func isConnection(def *ast.FieldDefinition) bool {
	return def != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection") &&
		def.Arguments.ForName("first") != nil &&
		def.Arguments.ForName("last") != nil
}

// DefaultPageCache is the parsed-query cache with one addition: before a
// validated document is cached and executed, every connection field that
// asks for neither first nor last gets first: DefaultPageSize. Doing it on
// the document, once per distinct query, means Ent's eager loading (which
// reads arguments from the document, not from resolvers) pages by default
// too. The executor adds a document to the cache before it first runs it,
// and serves later requests from the cache, so every executed document has
// been through Add.
type DefaultPageCache struct {
	graphql.Cache[*ast.QueryDocument]
}

// Add sets default page sizes in doc and caches it.
func (c DefaultPageCache) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		defaultPages(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		defaultPages(f.SelectionSet)
	}
	c.Cache.Add(ctx, key, doc)
}

func defaultPages(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if isConnection(s.Definition) && s.Arguments.ForName("first") == nil && s.Arguments.ForName("last") == nil {
				s.Arguments = append(s.Arguments, &ast.Argument{
					Name:     "first",
					Value:    &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(DefaultPageSize), Position: s.Position, ExpectedType: s.Definition.Arguments.ForName("first").Type},
					Position: s.Position,
				})
			}
			defaultPages(s.SelectionSet)
		case *ast.InlineFragment:
			defaultPages(s.SelectionSet)
		}
		// Fragment spreads are handled through doc.Fragments.
	}
}

// PageLimit refuses, before anything runs, any connection page larger than
// MaxPageSize, with the variables of the request applied. It is checked
// up front so that eager loading never fetches an oversized page.
type PageLimit struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = PageLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (PageLimit) ExtensionName() string { return "PageLimit" }

// Validate implements graphql.HandlerExtension.
func (PageLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (PageLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	w := pageWalker{doc: oc.Doc, vars: oc.Variables, seen: map[string]bool{}}
	return w.walk(oc.Operation.SelectionSet)
}

type pageWalker struct {
	doc  *ast.QueryDocument
	vars map[string]any
	seen map[string]bool // fragments already checked: variables are the same everywhere
}

func (w *pageWalker) walk(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			if isConnection(s.Definition) {
				if err = checkPage(s, w.vars); err != nil {
					return err
				}
			}
			err = w.walk(s.SelectionSet)
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

func checkPage(f *ast.Field, vars map[string]any) *gqlerror.Error {
	args := f.ArgumentMap(vars)
	for _, name := range []string{"first", "last"} {
		n, ok := toInt(args[name])
		if !ok {
			continue
		}
		if n < 0 || n > MaxPageSize {
			e := gqlerror.ErrorPosf(f.Position, "%s of %s must be between 0 and %d; got %d", name, f.Alias, MaxPageSize, n)
			e.Extensions = map[string]any{"code": string(errcode.PageSizeExceeded), "field": name}
			return e
		}
	}
	return nil
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	case string: // variables decoded with json.Number
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// pagedComplexity prices an operation by the number of objects it can
// return: a connection costs its page size times (one plus the cost below
// each node); other fields cost what lies below them, scalars nothing (the
// handler sets that), and gqlgen counts an object at least 1.
type pagedComplexity struct {
	graphql.ExecutableSchema
}

func (s pagedComplexity) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	_, first := args["first"]
	_, last := args["last"]
	if !first && !last {
		return childComplexity, true
	}
	n := int64(DefaultPageSize)
	if v, ok := toInt(args["first"]); ok {
		n = v
	} else if v, ok := toInt(args["last"]); ok {
		n = v
	}
	n = max(n, 0)
	return int(n) * (1 + childComplexity), true
}

// NoIntrospection refuses introspection queries with a validation error,
// for production, where the schema is not advertised.
type NoIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = NoIntrospection{}

// ExtensionName implements graphql.HandlerExtension.
func (NoIntrospection) ExtensionName() string { return "NoIntrospection" }

// Validate implements graphql.HandlerExtension.
func (NoIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (NoIntrospection) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.DisableIntrospection = true
	if introspects(oc.Doc, oc.Operation.SelectionSet, map[string]bool{}) {
		e := gqlerror.Errorf("introspection is disabled")
		e.Extensions = map[string]any{"code": string(errcode.GraphQLValidationFailed)}
		return e
	}
	return nil
}

// introspects reports whether a root selection asks for __schema or
// __type, which may only appear at the root.
func introspects(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(doc, s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
				seen[s.Name] = true
				if introspects(doc, f.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}

// ShapeLimit refuses operations nested deeper than Depth, with more than
// Aliases aliased fields, or that expand to more than Fields selected
// fields once fragments are spread, before anything runs: deep nesting,
// wide aliasing and fragments spread into each other are how a small query
// asks for a huge amount of work (gqlgen's own complexity count and field
// collection walk every spread, so a fragment bomb must be stopped first).
type ShapeLimit struct {
	Depth   int
	Aliases int
	Fields  int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = ShapeLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (ShapeLimit) ExtensionName() string { return "ShapeLimit" }

// Validate implements graphql.HandlerExtension.
func (ShapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (l ShapeLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	m := shapeMeter{doc: oc.Doc, frags: map[string]shape{}}
	s := m.measure(oc.Operation.SelectionSet)
	if s.depth > l.Depth {
		e := gqlerror.Errorf("the query nests %d levels deep; at most %d are allowed", s.depth, l.Depth)
		e.Extensions = map[string]any{"code": string(errcode.DepthLimitExceeded)}
		return e
	}
	if s.fields > l.Fields {
		e := gqlerror.Errorf("the query expands to more than %d fields; at most %d are allowed", l.Fields, l.Fields)
		e.Extensions = map[string]any{"code": string(errcode.ComplexityLimitExceeded)}
		return e
	}
	if s.aliases > l.Aliases {
		e := gqlerror.Errorf("the query has %d aliased fields; at most %d are allowed", s.aliases, l.Aliases)
		e.Extensions = map[string]any{"code": string(errcode.AliasLimitExceeded)}
		return e
	}
	return nil
}

type shape struct{ depth, aliases, fields int }

// shapeMeter measures selection sets, each fragment once: a fragment
// spread many times must not cost exponential time to measure.
type shapeMeter struct {
	doc   *ast.QueryDocument
	frags map[string]shape
}

func (m *shapeMeter) measure(set ast.SelectionSet) shape {
	var out shape
	for _, sel := range set {
		var s shape
		switch x := sel.(type) {
		case *ast.Field:
			s = m.measure(x.SelectionSet)
			s.depth++
			s.fields++
			if x.Alias != "" && x.Alias != x.Name {
				s.aliases++
			}
		case *ast.InlineFragment:
			s = m.measure(x.SelectionSet)
		case *ast.FragmentSpread:
			var ok bool
			if s, ok = m.frags[x.Name]; !ok {
				m.frags[x.Name] = shape{} // validation forbids cycles; this guards anyway
				if f := m.doc.Fragments.ForName(x.Name); f != nil {
					s = m.measure(f.SelectionSet)
				}
				m.frags[x.Name] = s
			}
		}
		out.depth = max(out.depth, s.depth)
		// Saturate: a fragment bomb's true sizes overflow any integer.
		out.aliases = min(out.aliases+s.aliases, 1<<40)
		out.fields = min(out.fields+s.fields, 1<<40)
	}
	return out
}
