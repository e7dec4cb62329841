package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"suyuan/internal/trace"
)

// lineageWork narrows ctx to the parts of a downstream lineage that the
// selection of the field being resolved reads: a lineage of the widest
// lot has over a thousand shipments, and loading their readings, or the
// shipments and shelf events at all, for a question that does not ask for
// them was most of its cost.
func lineageWork(ctx context.Context) context.Context {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return ctx
	}
	var shipments, shelfEvents, coldChain bool
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"Lineage"}) {
		switch f.Name {
		case "shipments":
			shipments = true
			for _, g := range graphql.CollectFields(oc, f.Selections, []string{"JourneyLeg"}) {
				coldChain = coldChain || g.Name == "coldChain"
			}
		case "shelfEvents":
			shelfEvents = true
		}
	}
	if !shipments {
		ctx = trace.WithoutShipments(ctx)
	}
	if !coldChain {
		ctx = trace.WithoutColdChain(ctx)
	}
	if !shelfEvents {
		ctx = trace.WithoutShelfEvents(ctx)
	}
	return ctx
}
