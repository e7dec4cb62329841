package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"suyuan/internal/trace"
)

// loaderWait is how long a loader collects keys before it queries. gqlgen
// resolves the items of a list concurrently, so the fields of a page of
// batches all ask within this window and are answered by one query.
const loaderWait = 2 * time.Millisecond

// lineageKey identifies one lineage walk.
type lineageKey struct {
	batchID   int
	direction trace.Direction
	maxDepth  int
}

// loaders batch the hand-written fields of Batch that a connection asks
// for once per node. They are made per request: results must not outlive
// it, and cached values must not leak between users.
type loaders struct {
	journey *dataloader.Loader[int, []trace.Leg]
	lineage *dataloader.Loader[lineageKey, *trace.Lineage]
}

type loadersKey struct{}

func newLoaders(reader *trace.Reader) *loaders {
	opts := func() []dataloader.Option[int, []trace.Leg] {
		return []dataloader.Option[int, []trace.Leg]{dataloader.WithWait[int, []trace.Leg](loaderWait)}
	}
	return &loaders{
		journey: dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[[]trace.Leg] {
			legs, err := reader.Journeys(ctx, ids)
			out := make([]*dataloader.Result[[]trace.Leg], len(ids))
			for i, id := range ids {
				out[i] = &dataloader.Result[[]trace.Leg]{Data: legs[id], Error: err}
			}
			return out
		}, opts()...),
		lineage: dataloader.NewBatchedLoader(func(ctx context.Context, keys []lineageKey) []*dataloader.Result[*trace.Lineage] {
			// One walk per direction and depth asked for, with every root
			// of that kind at once; duplicate keys share the answer.
			type walk struct {
				dir   trace.Direction
				depth int
			}
			roots := map[walk][]int{}
			for _, k := range keys {
				w := walk{k.direction, k.maxDepth}
				roots[w] = append(roots[w], k.batchID)
			}
			found := map[walk]map[int]*trace.Lineage{}
			errs := map[walk]error{}
			for w, ids := range roots {
				found[w], errs[w] = reader.Lineages(ctx, ids, w.dir, w.depth)
			}
			out := make([]*dataloader.Result[*trace.Lineage], len(keys))
			for i, k := range keys {
				w := walk{k.direction, k.maxDepth}
				out[i] = &dataloader.Result[*trace.Lineage]{Data: found[w][k.batchID], Error: errs[w]}
			}
			return out
		}, dataloader.WithWait[lineageKey, *trace.Lineage](loaderWait)),
	}
}

// WithLoaders gives every request its own loaders.
func WithLoaders(reader *trace.Reader, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), loadersKey{}, newLoaders(reader))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
