package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"suyuan/internal/trace"
)

// The reader's work follows the selection of the field being resolved: a
// lineage of the widest lot has over a thousand legs, and reading each
// one's carrier, origin, readings and organisations for a question that
// asks only where it went was most of its cost. Each function below says,
// for one field, which parts of the answer its selection does not read
// (trace.Omit); fragments count as their fields.

// lineageOmit is what the selection of a lineage field does not read.
// Batch.lineage's loader keeps it in its keys, so that siblings with the
// same selection share one walk.
func lineageOmit(ctx context.Context) trace.Omit {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return 0
	}
	omit := trace.OmitShipments | trace.OmitShelfEvents | trace.OmitShelfRemovals | legParts
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"Lineage"}) {
		switch f.Name {
		case "shipments":
			omit &^= trace.OmitShipments
			omit &^= legParts &^ legOmit(oc, f.Selections) // what it reads
		case "shelfEvents":
			omit &^= trace.OmitShelfEvents
			if readsField(oc, f.Selections, "ShelfPlacement", "ShelfPlacement.removedAt", "ShelfPlacement.removalReason") {
				omit &^= trace.OmitShelfRemovals
			}
		}
	}
	return omit | detailsOmit(oc, fc.Field.Selections, "Lineage") | organizationOmit(oc, fc.Field.Selections, "Lineage")
}

// traceOmit is what the selection of a trace does not read. The
// warnings name both ends of a leg in a cold-chain excursion, so asking
// for them reads the legs' places and cold chain.
func traceOmit(ctx context.Context) trace.Omit {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return 0
	}
	omit := legParts | trace.OmitCertificates
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"Trace"}) {
		switch f.Name {
		case "certificates":
			omit &^= trace.OmitCertificates
		case "journey":
			omit &^= legParts &^ legOmit(oc, f.Selections) // what it reads
		case "warnings":
			omit &^= trace.OmitOrigins | trace.OmitDestinations | trace.OmitColdChain
		}
	}
	return omit | organizationOmit(oc, fc.Field.Selections, "Trace")
}

// impactOmit is what the selection of a recall impact does not read:
// only the facilities' details and organisations are optional, the
// accounting needs every leg's places.
func impactOmit(ctx context.Context) trace.Omit {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return 0
	}
	return detailsOmit(oc, fc.Field.Selections, "RecallImpact") | organizationOmit(oc, fc.Field.Selections, "RecallImpact")
}

// legParts are the parts of a leg beyond the shipment itself.
const legParts = trace.OmitCarriers | trace.OmitOrigins | trace.OmitDestinations | trace.OmitColdChain | trace.OmitLegDetails

// legOmit is what a selection of JourneyLeg leaves unread of legParts.
func legOmit(oc *graphql.OperationContext, sel ast.SelectionSet) trace.Omit {
	omit := legParts
	for _, f := range graphql.CollectFields(oc, sel, []string{"JourneyLeg"}) {
		switch f.Name {
		case "carrier":
			omit &^= trace.OmitCarriers
		case "from":
			omit &^= trace.OmitOrigins
		case "to":
			omit &^= trace.OmitDestinations
		case "coldChain":
			omit &^= trace.OmitColdChain
		case "status", "vehiclePlate", "referenceDoc", "departedAt", "arrivedAt":
			omit &^= trace.OmitLegDetails
		}
	}
	return omit
}

// detailsOmit is OmitFacilityDetails unless the selection, of an object
// of type typ, reads a facility's address, region or GLN anywhere below
// it. The trace keeps them: its warnings name places.
func detailsOmit(oc *graphql.OperationContext, sel ast.SelectionSet, typ string) trace.Omit {
	if readsField(oc, sel, typ, "TraceFacility.address", "TraceFacility.regionCode", "TraceFacility.gln") {
		return 0
	}
	return trace.OmitFacilityDetails
}

// organizationOmit is OmitFacilityOrganizations unless the selection, of
// an object of type typ, reads the organisation of a facility anywhere
// below it.
func organizationOmit(oc *graphql.OperationContext, sel ast.SelectionSet, typ string) trace.Omit {
	if readsField(oc, sel, typ, "TraceFacility.organization") {
		return 0
	}
	return trace.OmitFacilityOrganizations
}

// readsField reports whether a selection of an object of type typ reads,
// anywhere below it, one of the fields, each named "Type.field".
func readsField(oc *graphql.OperationContext, sel ast.SelectionSet, typ string, fields ...string) bool {
	for _, f := range graphql.CollectFields(oc, sel, []string{typ}) {
		if slices.Contains(fields, typ+"."+f.Name) {
			return true
		}
		if len(f.Selections) > 0 && f.Definition != nil &&
			readsField(oc, f.Selections, f.Definition.Type.Name(), fields...) {
			return true
		}
	}
	return false
}
