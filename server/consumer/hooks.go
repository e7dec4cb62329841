package consumer

import (
	"context"
	"fmt"

	"suyuan/ent"
	"suyuan/ent/privacy"
)

// Ent hooks that keep the page cache honest. Every mutation of a row that a
// page shows invalidates the pages that show it — once the change is
// visible to other connections: at once outside a transaction, and when
// the transaction commits inside one (invalidating earlier would let a
// concurrent load cache the old rows again).
//
// What a change reaches:
//
//   - an update or delete of a batch, shipment, facility, organisation,
//     product, inspection or shelf event: the pages showing that row;
//   - a new shipment item, shelf event, inspection or batch input: the
//     pages of the batch it belongs to (a new leg, shelf, result or
//     ingredient); a new sensor reading: the pages of its shipment's
//     batches; a new measurement: the pages showing its inspection;
//   - an update or delete of a measurement, shipment item, sensor reading,
//     batch input or trace code: every page (rare corrections, not worth
//     working out).
//
// Writes that bypass Ent (raw SQL) are not seen; such code must call
// Handler.Invalidate. Adding a type that the page shows means adding it
// here.

// ownDep maps the types whose rows a page records as deps.
var ownDep = map[string]depKind{
	ent.TypeBatch:        depBatch,
	ent.TypeShipment:     depShipment,
	ent.TypeFacility:     depFacility,
	ent.TypeOrganization: depOrganization,
	ent.TypeProduct:      depProduct,
	ent.TypeInspection:   depInspection,
	ent.TypeShelfEvent:   depShelfEvent,
}

// parentDep maps a type to the field of a new row that names the
// dependency it changes, and that dependency's kind.
var parentDep = map[string]struct {
	field string
	kind  depKind
}{
	ent.TypeShipmentItem:  {"batch_id", depBatch},
	ent.TypeShelfEvent:    {"batch_id", depBatch},
	ent.TypeInspection:    {"batch_id", depBatch},
	ent.TypeBatchInput:    {"output_id", depBatch},
	ent.TypeSensorReading: {"shipment_id", depShipment},
	ent.TypeMeasurement:   {"inspection_id", depInspection},
}

// purgeOnChange lists types whose updates and deletes purge the cache.
var purgeOnChange = map[string]bool{
	ent.TypeMeasurement:   true,
	ent.TypeShipmentItem:  true,
	ent.TypeSensorReading: true,
	ent.TypeBatchInput:    true,
	ent.TypeTraceCode:     true,
}

// registerHooks installs the invalidation hook on every type of client.
// Transactions started from client share its hooks.
func (h *Handler) registerHooks(client *ent.Client) {
	client.Use(h.invalidationHook)
}

// invalidation is what a mutation must invalidate.
type invalidation struct {
	deps  []dep
	purge bool
}

func (h *Handler) invalidationHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		inv, err := affected(ctx, m)
		if err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || (!inv.purge && len(inv.deps) == 0) {
			return v, err
		}
		if tx := txOf(m); tx != nil {
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					err := next.Commit(ctx, tx)
					if err == nil {
						h.apply(inv)
					}
					return err
				})
			})
			return v, nil
		}
		h.apply(inv)
		return v, nil
	})
}

func (h *Handler) apply(inv invalidation) {
	if inv.purge {
		h.cache.purge()
		return
	}
	h.cache.invalidate(inv.deps...)
}

// affected works out, before the mutation runs, what it will change: the
// ids of an update or delete must be read before it, as its predicates may
// not match afterwards (status = ACTIVE → RECALLED) or the rows be gone.
func affected(ctx context.Context, m ent.Mutation) (invalidation, error) {
	typ := m.Type()
	if m.Op().Is(ent.OpCreate) {
		p, ok := parentDep[typ]
		if !ok {
			return invalidation{}, nil
		}
		v, ok := m.Field(p.field)
		id, isInt := v.(int)
		if !ok || !isInt {
			return invalidation{}, nil
		}
		return invalidation{deps: []dep{{p.kind, id}}}, nil
	}
	if purgeOnChange[typ] {
		return invalidation{purge: true}, nil
	}
	kind, ok := ownDep[typ]
	if !ok {
		return invalidation{}, nil
	}
	idm, ok := m.(interface {
		IDs(context.Context) ([]int, error)
	})
	if !ok {
		return invalidation{purge: true}, nil
	}
	// Reading the ids is the system's business, not the caller's: a
	// privacy rule that hides rows from the caller must not hide them from
	// the cache.
	ids, err := idm.IDs(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return invalidation{}, fmt.Errorf("finding the rows a change reaches: %w", err)
	}
	inv := invalidation{deps: make([]dep, len(ids))}
	for i, id := range ids {
		inv.deps[i] = dep{kind, id}
	}
	return inv, nil
}

// txOf returns the transaction a mutation runs in, or nil.
func txOf(m ent.Mutation) *ent.Tx {
	txm, ok := m.(interface{ Tx() (*ent.Tx, error) })
	if !ok {
		return nil
	}
	tx, err := txm.Tx()
	if err != nil {
		return nil
	}
	return tx
}
