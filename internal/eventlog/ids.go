package eventlog

import (
	"strconv"
	"time"

	"suyuan/internal/epcis"
)

// Names of the service's own things in events. Where a thing has its GS1
// key, the event names it by that key as a GS1 Digital Link URI on GS1's
// canonical resolver (what EPCIS 2.0 recommends, and what the canonical
// event hash normalises every Digital Link to); where it has none, by a
// URN of the service's own (urn:suyuan:…), which a partner reads as an
// opaque identifier. docs/EPCIS.md lists them.

// LotClass names a lot: GTIN and lot number, or the batch's own URN.
func LotClass(gtin *string, lot string, batchID int) string {
	if gtin != nil && *gtin != "" {
		return epcis.LGTIN(*gtin, lot)
	}
	return "urn:suyuan:batch:" + strconv.Itoa(batchID)
}

// SGTIN names one serialised package of a trade item.
func SGTIN(gtin, serial string) string {
	return epcis.Key{Kind: epcis.KindSGTIN, GTIN: gtin, Serial: serial}.DigitalLink("")
}

// Place names a facility: its GLN, or its own URN.
func Place(gln *string, facilityID int) *epcis.Location {
	if gln != nil && *gln != "" {
		return &epcis.Location{ID: epcis.SGLN(*gln, "")}
	}
	return &epcis.Location{ID: "urn:suyuan:facility:" + strconv.Itoa(facilityID)}
}

// Party names an organisation.
func Party(orgID int) string { return "urn:suyuan:org:" + strconv.Itoa(orgID) }

// Thing names a row of the service's own that an event refers to (a
// shipment as a despatch advice, a recall, a trace code).
func Thing(kind string, id int) string { return "urn:suyuan:" + kind + ":" + strconv.Itoa(id) }

// At returns t in the offset it was given in, and that offset as EPCIS
// writes it (+08:00).
func At(t time.Time) (time.Time, string) {
	return t, t.Format("-07:00")
}
