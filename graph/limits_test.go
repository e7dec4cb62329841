package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"

	"suyuan/internal/alert"
	"suyuan/internal/auth"
	"suyuan/internal/eventlog"
	"suyuan/internal/recall"
	"suyuan/internal/record"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/internal/trace"
	"suyuan/internal/viewer"
)

// pageProbe serves the GraphQL handler as a platform administrator and
// records, for each request, the page sizes the resolvers of fields
// aliased "target" received and the complexity the limit computed.
type pageProbe struct {
	t      *testing.T
	srv    *httptest.Server
	schema *ast.Schema

	mu         sync.Mutex
	sizes      []string // "first=20", "last=3", one per resolver call
	complexity int
}

func newPageProbe(t *testing.T, db *testdb.DB) *pageProbe {
	t.Helper()
	reader := trace.NewReader(db.Client, nil)
	alerts := alert.NewBroker()
	log := eventlog.New(db.Client, nil)
	srv := newServer(Deps{
		Client:   db.Client,
		Log:      log,
		Recorder: record.New(db.Client, log),
		Reader:   reader,
		Auth:     auth.NewService(db.Client, db.Dialect, auth.DerivedKeySet(""), auth.NewHasher(1), nil),
		Alerts:   alerts,
		Recalls:  recall.New(db.Client, log, reader),
	}, Options{ComplexityLimit: 1 << 40})
	p := &pageProbe{t: t, schema: NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()}
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc.Field.Alias == "target" {
			var size string
			for _, name := range []string{"first", "last"} {
				if n, ok := fc.Args[name].(*int); ok && n != nil {
					size += fmt.Sprintf("%s=%d", name, *n)
				}
			}
			p.mu.Lock()
			p.sizes = append(p.sizes, size)
			p.mu.Unlock()
		}
		return next(ctx)
	})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if s, ok := graphql.GetOperationContext(ctx).Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats); ok {
			p.mu.Lock()
			p.complexity = s.Complexity
			p.mu.Unlock()
		}
		return next(ctx)
	})
	admin := &viewer.Viewer{UserID: 1, OrgID: 1, Role: viewer.Admin, Region: "510000"}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), admin)))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

type probeResult struct {
	Data   map[string]any
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
	sizes      []string
	complexity int
}

func (p *pageProbe) do(query string, vars map[string]any) probeResult {
	p.t.Helper()
	p.mu.Lock()
	p.sizes, p.complexity = nil, 0
	p.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(p.srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var r probeResult
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	r.sizes, r.complexity = p.sizes, p.complexity
	p.mu.Unlock()
	return r
}

// connectionPath is how a query reaches one connection field from the
// root: the fields to select on the way, and the field itself.
type connectionPath struct {
	steps []*ast.FieldDefinition
	owner string // the type the connection field belongs to
	field *ast.FieldDefinition
}

func (c connectionPath) String() string { return c.owner + "." + c.field.Name }

// connectionPaths walks the schema from Query and returns a shortest path
// to every connection field of every type it reaches, through fields that
// need no arguments (or are connections).
func connectionPaths(t *testing.T, s *ast.Schema) []connectionPath {
	t.Helper()
	type visit struct {
		typ   string
		steps []*ast.FieldDefinition
	}
	seen := map[string]bool{"Query": true}
	queue := []visit{{typ: "Query"}}
	var out []connectionPath
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		def := s.Types[v.typ]
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			target := f.Type.Name()
			if strings.HasSuffix(target, "Connection") {
				if !isConnection(f) {
					t.Errorf("%s.%s returns a connection that cannot be paged with first and last", v.typ, f.Name)
					continue
				}
				out = append(out, connectionPath{steps: v.steps, owner: v.typ, field: f})
				node := s.Types[target].Fields.ForName("edges").Type.Name()
				node = s.Types[node].Fields.ForName("node").Type.Name()
				if !seen[node] && s.Types[node].Kind == ast.Object {
					seen[node] = true
					queue = append(queue, visit{typ: node, steps: append(append([]*ast.FieldDefinition{}, v.steps...), f)})
				}
				continue
			}
			if requiredArgs(f) || s.Types[target].Kind != ast.Object || seen[target] {
				continue
			}
			seen[target] = true
			queue = append(queue, visit{typ: target, steps: append(append([]*ast.FieldDefinition{}, v.steps...), f)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func requiredArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// query selects the connection at the end of path, aliased target, with
// page arguments args, inside a fragment when inFragment is set; every
// connection on the way takes up to 100 nodes.
func (c connectionPath) query(args string, inFragment bool) string {
	target := "target: " + c.field.Name + args + " { totalCount edges { node { __typename } } }"
	var frag string
	if inFragment {
		frag = " fragment T on " + c.owner + " { " + target + " }"
		target = "...T"
	}
	for i := len(c.steps) - 1; i >= 0; i-- {
		f := c.steps[i]
		if isConnection(f) {
			target = f.Name + "(first: 100) { edges { node { " + target + " } } }"
		} else {
			target = f.Name + " { " + target + " }"
		}
	}
	if strings.Contains(args, "$n") {
		return "query($n: Int) { " + target + " }" + frag
	}
	return "{ " + target + " }" + frag
}

// TestEveryConnectionIsPaged walks every connection in the schema and asks
// for it with its page size absent, null, in a variable that is absent or
// null, or in a fragment, and with sizes in bounds and beyond: the
// resolvers, the complexity limit and the rows returned must all see the
// default page of 20, the size asked for, or the request is refused.
func TestEveryConnectionIsPaged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := tenancy.System(context.Background())
		if err := seed.Demo(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		p := newPageProbe(t, db)
		paths := connectionPaths(t, p.schema)
		if len(paths) < 30 {
			t.Fatalf("found only %d connections in the schema", len(paths))
		}
		type variant struct {
			name, args string
			vars       map[string]any
			fragment   bool
			want       string // the page size resolvers see; "" for refused
		}
		variants := []variant{
			{"absent", "", nil, false, "first=20"},
			{"null", "(first: null)", nil, false, "first=20"},
			{"null first and last", "(first: null, last: null)", nil, false, "first=20"},
			{"variable absent", "(first: $n)", nil, false, "first=20"},
			{"variable null", "(first: $n)", map[string]any{"n": nil}, false, "first=20"},
			{"last variable null", "(last: $n)", map[string]any{"n": nil}, false, "first=20"},
			{"variable null in a fragment", "(first: $n)", map[string]any{"n": nil}, true, "first=20"},
			{"literal", "(first: 7)", nil, false, "first=7"},
			{"variable", "(first: $n)", map[string]any{"n": 100}, false, "first=100"},
			{"variable in a fragment", "(last: $n)", map[string]any{"n": 5}, true, "last=5"},
			{"literal over maximum", "(first: 101)", nil, false, ""},
			{"variable over maximum", "(first: $n)", map[string]any{"n": 101}, false, ""},
			{"variable over maximum in a fragment", "(last: $n)", map[string]any{"n": 1000}, true, ""},
			{"negative variable", "(first: $n)", map[string]any{"n": -1}, false, ""},
		}
		resolved := 0
		for _, c := range paths {
			t.Run(c.String(), func(t *testing.T) {
				// The cost of a page of 20, for comparison.
				r20 := p.do(c.query("(first: 20)", false), nil)
				want20 := r20.complexity
				if want20 == 0 {
					t.Fatalf("no complexity recorded: %+v", r20)
				}
				for _, v := range variants {
					db.Counter.Reset()
					r := p.do(c.query(v.args, v.fragment), v.vars)
					if v.want == "" {
						if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PAGE_SIZE_EXCEEDED" {
							t.Errorf("%s: want PAGE_SIZE_EXCEEDED, got %+v", v.name, r.Errors)
						}
						if n := db.Counter.Count(); n != 0 {
							t.Errorf("%s: %d SQL statements ran before the request was refused", v.name, n)
						}
						continue
					}
					if len(r.Errors) != 0 {
						t.Errorf("%s: %+v", v.name, r.Errors)
						continue
					}
					for _, got := range r.sizes {
						if got != v.want {
							t.Errorf("%s: the resolver saw %q, want %q", v.name, got, v.want)
						}
					}
					if len(r.sizes) > 0 && v.name == "variable null" {
						resolved++
					}
					if v.want == "first=20" && r.complexity != want20 {
						t.Errorf("%s: complexity %d, want %d as for first: 20", v.name, r.complexity, want20)
					}
					var limit int
					fmt.Sscanf(v.want[strings.Index(v.want, "=")+1:], "%d", &limit)
					checkPages(t, v.name, r.Data, limit)
				}
			})
		}
		// The demo has rows behind most connections, so most resolvers ran.
		t.Logf("%d of %d connections resolved with the demo's data", resolved, len(paths))
		if resolved < len(paths)/2 {
			t.Errorf("only %d of %d connections were resolved with the demo's data", resolved, len(paths))
		}
	})
}

// checkPages fails when any connection aliased target in data holds more
// than limit edges.
func checkPages(t *testing.T, name string, data any, limit int) {
	t.Helper()
	switch d := data.(type) {
	case map[string]any:
		for k, v := range d {
			if k == "target" {
				if conn, ok := v.(map[string]any); ok {
					if edges, _ := conn["edges"].([]any); len(edges) > limit {
						t.Errorf("%s: %d edges, want at most %d", name, len(edges), limit)
					}
				}
			}
			checkPages(t, name, v, limit)
		}
	case []any:
		for _, v := range d {
			checkPages(t, name, v, limit)
		}
	}
}
