package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"suyuan/ent"
	"suyuan/graph/model"
	"suyuan/internal/trace"
)

// loaderWait is how long a loader collects keys before it fetches. It is
// short because loaders do not rely on it to batch a page: see siblings.
const loaderWait = time.Millisecond

// maxSiblings bounds how many batches one fetch covers.
const maxSiblings = 1000

// siblings records the ids of every row of one type (batches, recalls) a
// request has loaded through Ent (a page of a connection, eager-loaded
// edges). When a resolver asks a loader for one row's journey, lineage or
// progress, the loader fetches it for all of them at once: gqlgen resolves
// the nodes of a page concurrently, and gathering their keys by a timer
// alone splits a page into several fetches whenever the scheduler is slow,
// so the number of statements would depend on the machine's load.
type siblings struct {
	mu  sync.Mutex
	ids []int
	has map[int]bool
}

func newSiblings() *siblings { return &siblings{has: map[int]bool{}} }

func (s *siblings) add(ids ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if !s.has[id] {
			s.has[id] = true
			s.ids = append(s.ids, id)
		}
	}
}

// list returns the recorded ids.
func (s *siblings) list() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.ids...)
}

// with returns missing and the recorded ids not yet known, up to
// maxSiblings ids.
func (s *siblings) with(missing []int, known func(int) bool) []int {
	out := append([]int(nil), missing...)
	for _, id := range s.list() {
		if len(out) >= maxSiblings {
			break
		}
		if !known(id) {
			out = append(out, id)
		}
	}
	return out
}

// RecordBatches is an Ent interceptor that records, for the loaders of the
// request in ctx, the ids of the batches every query returns.
func RecordBatches() ent.Interceptor {
	return recordLoaded(func(l *loaders, v ent.Value) {
		switch bs := v.(type) {
		case []*ent.Batch:
			for _, b := range bs {
				l.batches.add(b.ID)
			}
		case *ent.Batch:
			l.batches.add(bs.ID)
		}
	})
}

// RecordRecalls is RecordBatches for recalls.
func RecordRecalls() ent.Interceptor {
	return recordLoaded(func(l *loaders, v ent.Value) {
		switch rs := v.(type) {
		case []*ent.Recall:
			for _, r := range rs {
				l.recalls.add(r.ID)
			}
		case *ent.Recall:
			l.recalls.add(rs.ID)
		}
	})
}

// recordLoaded is an interceptor that hands what every successful query returns
// to add, with the loaders of the request in ctx, if it has them.
func recordLoaded(add func(*loaders, ent.Value)) ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if l, ok := ctx.Value(loadersKey{}).(*loaders); ok && err == nil {
				add(l, v)
			}
			return v, err
		})
	})
}

// fetched keeps what a loader has fetched in this request, so that keys a
// sibling fetch already answered are not fetched again. The mutex is held
// across a fetch: a second batch of keys waits for the first and usually
// finds its answers there.
type fetched[K comparable, V any] struct {
	mu   sync.Mutex
	vals map[K]V
	errs map[K]error
}

// load answers keys, fetching those not yet known together with the
// request's sibling batches. expand turns the missing keys into the keys
// to fetch; fetch must answer every key it is given (absence is a nil V).
func (f *fetched[K, V]) load(keys []K, expand func(missing []K) []K, fetch func(keys []K) (map[K]V, error)) []*dataloader.Result[V] {
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []K
	for _, k := range keys {
		if _, ok := f.vals[k]; !ok {
			if _, failed := f.errs[k]; !failed {
				missing = append(missing, k)
			}
		}
	}
	if len(missing) > 0 {
		want := expand(missing)
		got, err := fetch(want)
		for _, k := range want {
			if err != nil {
				f.errs[k] = err
				continue
			}
			f.vals[k] = got[k]
		}
	}
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[V]{Data: f.vals[k], Error: f.errs[k]}
	}
	return out
}

func newFetched[K comparable, V any]() *fetched[K, V] {
	return &fetched[K, V]{vals: map[K]V{}, errs: map[K]error{}}
}

// lineageKey identifies one lineage walk.
type lineageKey struct {
	batchID   int
	direction trace.Direction
	maxDepth  int
	omit      trace.Omit // what the field's selection does not read
}

// kind is the walk k asks for, whatever its root: one statement walks
// from every root of a kind at once.
func (k lineageKey) kind() lineageKey { k.batchID = 0; return k }

// from is the walk of kind k from batch id.
func (k lineageKey) from(id int) lineageKey { k.batchID = id; return k }

// loaders batch the hand-written fields of Batch that a connection asks
// for once per node. They are made per request: results must not outlive
// it, and cached values must not leak between users. Batch functions
// tolerate duplicate keys.
type loaders struct {
	batches  *siblings
	recalls  *siblings
	journey  *dataloader.Loader[int, []trace.Leg]
	lineage  *dataloader.Loader[lineageKey, *trace.Lineage]
	progress *dataloader.Loader[int, *model.RecallProgress]
}

type loadersKey struct{}

func newLoaders(r *Resolver) *loaders {
	l := &loaders{batches: newSiblings(), recalls: newSiblings()}
	journeys := newFetched[int, []trace.Leg]()
	l.journey = dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[[]trace.Leg] {
		return journeys.load(ids,
			func(missing []int) []int {
				return l.batches.with(missing, func(id int) bool { _, ok := journeys.vals[id]; return ok })
			},
			func(ids []int) (map[int][]trace.Leg, error) {
				js, err := r.reader.Journeys(ctx, ids)
				if err != nil {
					return nil, err
				}
				return js, r.filterJourneys(ctx, js)
			})
	}, dataloader.WithWait[int, []trace.Leg](loaderWait))

	lineages := newFetched[lineageKey, *trace.Lineage]()
	l.lineage = dataloader.NewBatchedLoader(func(ctx context.Context, keys []lineageKey) []*dataloader.Result[*trace.Lineage] {
		return lineages.load(keys,
			func(missing []lineageKey) []lineageKey {
				// Every sibling, for every kind of walk asked for.
				kinds := map[lineageKey]bool{}
				for _, k := range missing {
					kinds[k.kind()] = true
				}
				out := append([]lineageKey(nil), missing...)
				for kind := range kinds {
					ids := l.batches.with(nil, func(id int) bool {
						_, ok := lineages.vals[kind.from(id)]
						return ok
					})
					for _, id := range ids {
						out = append(out, kind.from(id))
					}
				}
				return out
			},
			func(keys []lineageKey) (map[lineageKey]*trace.Lineage, error) {
				// One walk per kind, with all of its roots at once.
				roots := map[lineageKey][]int{}
				for _, k := range keys {
					roots[k.kind()] = append(roots[k.kind()], k.batchID)
				}
				out := make(map[lineageKey]*trace.Lineage, len(keys))
				for kind, ids := range roots {
					found, err := r.reader.Lineages(trace.Without(ctx, kind.omit), ids, kind.direction, kind.maxDepth)
					if err != nil {
						return nil, err
					}
					if err := r.filterLineages(ctx, found); err != nil {
						return nil, err
					}
					for id, lin := range found {
						out[kind.from(id)] = lin
					}
				}
				return out, nil
			})
	}, dataloader.WithWait[lineageKey, *trace.Lineage](loaderWait))
	l.progress = newProgressLoader(r, l.recalls)
	return l
}

// withLoaders gives every operation its own loaders: each request over
// HTTP, each subscription over a websocket.
func withLoaders(res *Resolver) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(context.WithValue(ctx, loadersKey{}, newLoaders(res)))
	}
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
