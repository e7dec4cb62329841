package trace

import "context"

// Omit names parts of an answer that a caller does not read, so that the
// reader skips the statements and joins that would load them. A lineage
// of the widest lot has over a thousand legs: reading each one's carrier,
// origin, readings and organisations for a question that asks only where
// it went was most of its cost.
type Omit uint16

const (
	// OmitShipments leaves a downstream lineage's shipments empty.
	OmitShipments Omit = 1 << iota
	// OmitShelfEvents leaves a downstream lineage's shelf events empty.
	OmitShelfEvents
	// OmitColdChain leaves the legs' cold chain empty and reads no
	// readings.
	OmitColdChain
	// OmitCarriers leaves the legs' carriers empty.
	OmitCarriers
	// OmitOrigins leaves the legs' from facilities empty.
	OmitOrigins
	// OmitDestinations leaves the legs' to facilities empty.
	OmitDestinations
	// OmitFacilityOrganizations leaves the organisation of every facility
	// read (a batch's, a leg's, a shelf's) empty.
	OmitFacilityOrganizations
	// OmitLegDetails leaves the legs' status, vehicle plate, reference
	// document and times empty (the legs keep their order).
	OmitLegDetails
	// OmitCertificates leaves a trace's certificates empty.
	OmitCertificates
	// OmitFacilityDetails leaves the address, region and GLN of every
	// facility read empty (its id, name, kind and whether it is public
	// remain: a recall impact counts stores by their kind).
	OmitFacilityDetails
	// OmitShelfRemovals leaves the shelf events' removal time and reason
	// empty.
	OmitShelfRemovals
)

type omitKey struct{}

// Without returns a context in which the reader also omits o.
func Without(ctx context.Context, o Omit) context.Context {
	if o == 0 {
		return ctx
	}
	return context.WithValue(ctx, omitKey{}, omitted(ctx)|o)
}

// omitted is what ctx says the caller does not read.
func omitted(ctx context.Context) Omit {
	o, _ := ctx.Value(omitKey{}).(Omit)
	return o
}

// has reports whether every part of p is omitted.
func (o Omit) has(p Omit) bool { return o&p == p }
