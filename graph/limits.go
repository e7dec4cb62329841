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

// PageLimit gives every connection of an operation its page size once the
// request's variables are known, before anything runs: a connection whose
// first and last both resolve to nothing — absent, null, or a variable that
// is absent or null — pages by DefaultPageSize, and one asking for more than
// MaxPageSize (or a negative size) is refused with PAGE_SIZE_EXCEEDED, so no
// SQL is issued for it. This holds at every depth and inside fragments.
//
// Resolvers, Ent's eager loading (which reads arguments from the document
// with the request's variables, not from resolvers) and the complexity
// limit all read a connection's page size from the operation. The parsed
// document is cached and shared between requests, so it is never changed:
// when a connection needs its default, the request gets its own copy of the
// operation — and of the fragments involved — in which that connection says
// first: DefaultPageSize, sharing every unchanged part with the cached
// document. PageLimit must run before the complexity limit.
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
	p := pager{doc: oc.Doc, vars: oc.Variables, frags: map[string]*fragmentPages{}}
	set, changed, err := p.selections(oc.Operation.SelectionSet)
	if err != nil {
		return err
	}
	if !changed {
		return nil
	}
	op := *oc.Operation
	op.SelectionSet = set
	doc := *oc.Doc
	doc.Operations = make(ast.OperationList, len(oc.Doc.Operations))
	for i, o := range oc.Doc.Operations {
		if o == oc.Operation {
			o = &op
		}
		doc.Operations[i] = o
	}
	doc.Fragments = make(ast.FragmentDefinitionList, len(oc.Doc.Fragments))
	for i, f := range oc.Doc.Fragments {
		if fp := p.frags[f.Name]; fp != nil && fp.def != nil {
			f = fp.def
		}
		doc.Fragments[i] = f
	}
	oc.Doc, oc.Operation = &doc, &op
	return nil
}

// pager rewrites selection sets copy-on-write: a set comes back as it was
// unless something in it needed a default page size.
type pager struct {
	doc   *ast.QueryDocument
	vars  map[string]any
	frags map[string]*fragmentPages
}

// fragmentPages is a fragment as rewritten for the request: def is its
// copy, or nil when it needed no change. A fragment is the same wherever it
// is spread, since the variables are.
type fragmentPages struct {
	def *ast.FragmentDefinition
}

func (p *pager) selections(set ast.SelectionSet) (ast.SelectionSet, bool, *gqlerror.Error) {
	var out ast.SelectionSet // nil until the first change
	for i, sel := range set {
		var repl ast.Selection
		switch s := sel.(type) {
		case *ast.Field:
			f, err := p.field(s)
			if err != nil {
				return nil, false, err
			}
			if f != s {
				repl = f
			}
		case *ast.InlineFragment:
			inner, changed, err := p.selections(s.SelectionSet)
			if err != nil {
				return nil, false, err
			}
			if changed {
				c := *s
				c.SelectionSet = inner
				repl = &c
			}
		case *ast.FragmentSpread:
			def, err := p.fragment(s.Name)
			if err != nil {
				return nil, false, err
			}
			if def != nil {
				c := *s
				c.Definition = def
				repl = &c
			}
		}
		if repl != nil && out == nil {
			out = make(ast.SelectionSet, len(set))
			copy(out, set[:i])
		}
		if out != nil {
			if repl == nil {
				repl = sel
			}
			out[i] = repl
		}
	}
	if out == nil {
		return set, false, nil
	}
	return out, true, nil
}

// fragment returns the request's copy of a fragment, or nil when the
// cached one serves as it is.
func (p *pager) fragment(name string) (*ast.FragmentDefinition, *gqlerror.Error) {
	fp := p.frags[name]
	if fp != nil {
		return fp.def, nil // rewritten, or in progress (validation forbids cycles)
	}
	fp = &fragmentPages{}
	p.frags[name] = fp
	f := p.doc.Fragments.ForName(name)
	if f == nil {
		return nil, nil
	}
	set, changed, err := p.selections(f.SelectionSet)
	if err != nil {
		return nil, err
	}
	if changed {
		c := *f
		c.SelectionSet = set
		fp.def = &c
	}
	return fp.def, nil
}

// field checks the page size of a connection field and returns the field,
// or a copy of it with a default page size or rewritten children.
func (p *pager) field(f *ast.Field) (*ast.Field, *gqlerror.Error) {
	var args ast.ArgumentList
	if isConnection(f.Definition) {
		values := f.ArgumentMap(p.vars)
		sizes := 0
		for _, name := range []string{"first", "last"} {
			v := values[name]
			if v == nil {
				continue
			}
			sizes++
			n, ok := toInt(v)
			if !ok || n < 0 || n > MaxPageSize {
				e := gqlerror.ErrorPosf(f.Position, "%s of %s must be between 0 and %d; got %v", name, f.Alias, MaxPageSize, v)
				e.Extensions = map[string]any{"code": string(errcode.PageSizeExceeded), "field": name}
				return nil, e
			}
		}
		if sizes == 0 {
			args = make(ast.ArgumentList, 0, len(f.Arguments)+1)
			for _, a := range f.Arguments {
				if a.Name != "first" && a.Name != "last" { // both say nothing
					args = append(args, a)
				}
			}
			args = append(args, &ast.Argument{
				Name:     "first",
				Value:    &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(DefaultPageSize), Position: f.Position, ExpectedType: f.Definition.Arguments.ForName("first").Type},
				Position: f.Position,
			})
		}
	}
	set, changed, err := p.selections(f.SelectionSet)
	if err != nil {
		return nil, err
	}
	if args == nil && !changed {
		return f, nil
	}
	c := *f
	if args != nil {
		c.Arguments = args
	}
	c.SelectionSet = set
	return &c, nil
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
