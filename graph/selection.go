package graph

import (
	"context"

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
	omit := trace.OmitShipments | trace.OmitShelfEvents | legParts
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"Lineage"}) {
		switch f.Name {
		case "shipments":
			omit &^= trace.OmitShipments
			omit &^= legParts &^ legOmit(oc, f.Selections) // what it reads
		case "shelfEvents":
			omit &^= trace.OmitShelfEvents
		}
	}
	return omit | organizationOmit(oc, fc.Field.Selections, "Lineage")
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
// only the facilities' organisations are optional, the accounting needs
// every leg's places.
func impactOmit(ctx context.Context) trace.Omit {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return 0
	}
	return organizationOmit(oc, fc.Field.Selections, "RecallImpact")
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

// organizationOmit is OmitFacilityOrganizations unless the selection, of
// an object of type typ, reads the organisation of a facility anywhere
// below it.
func organizationOmit(oc *graphql.OperationContext, sel ast.SelectionSet, typ string) trace.Omit {
	if readsFacilityOrganization(oc, sel, typ) {
		return 0
	}
	return trace.OmitFacilityOrganizations
}

func readsFacilityOrganization(oc *graphql.OperationContext, sel ast.SelectionSet, typ string) bool {
	for _, f := range graphql.CollectFields(oc, sel, []string{typ}) {
		if typ == "TraceFacility" && f.Name == "organization" {
			return true
		}
		if len(f.Selections) > 0 && f.Definition != nil &&
			readsFacilityOrganization(oc, f.Selections, f.Definition.Type.Name()) {
			return true
		}
	}
	return false
}
