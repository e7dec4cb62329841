package consumer

import (
	"strconv"
	"strings"

	"suyuan/ent"
	"suyuan/internal/eventlog"
)

// Apply drops the cached pages that show what a committed change created or
// changed. The recording path tells every change once committed — this
// server's at once, other servers' as the outbox's follower reads them —
// so a page never outlives a change it shows by more than the follower's
// interval, and never caches a row before its change commits.
//
// A change names rows as "Type:id" (eventlog.Ref): a page records the
// batches, shipments, facilities, organisations, products, inspections
// and shelf events it shows as its dependencies, and a change naming any
// of them drops it. Recordings name the rows whose pages they change — a
// new leg, shelf, result or ingredient names its batch; sensor readings
// name their shipment.
func (h *Handler) Apply(ch *eventlog.Change) {
	var deps []dep
	for _, ref := range ch.Refs {
		typ, id, ok := strings.Cut(ref, ":")
		if !ok {
			continue
		}
		kind, ok := depOf(typ)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(id)
		if err != nil {
			continue
		}
		deps = append(deps, dep{kind, n})
	}
	if len(deps) > 0 {
		h.cache.invalidate(ch.After, deps...)
	}
}

// depOf is the dependency kind of the rows of type typ that pages show.
func depOf(typ string) (depKind, bool) {
	switch typ {
	case ent.TypeBatch:
		return depBatch, true
	case ent.TypeShipment:
		return depShipment, true
	case ent.TypeFacility:
		return depFacility, true
	case ent.TypeOrganization:
		return depOrganization, true
	case ent.TypeProduct:
		return depProduct, true
	case ent.TypeInspection:
		return depInspection, true
	case ent.TypeShelfEvent:
		return depShelfEvent, true
	}
	return 0, false
}
