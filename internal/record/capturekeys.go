package record

import (
	"strconv"
	"strings"

	"suyuan/internal/epcis"
)

// The GS1 keys a captured event names goods and places by — EPC URNs or
// Digital Link URIs on any host (epcis.ParseKey) — and the service's own
// URNs for what has no GS1 key (eventlog.LotClass, eventlog.Place).

// lotRef is a lot named by GTIN and lot number, or by the service's id.
type lotRef struct {
	gtin, lot string
	batchID   int
}

// parseLot reads an EPC class naming a lot.
func parseLot(s string) (lotRef, bool) {
	if id, ok := ownID(s, "urn:suyuan:batch:"); ok {
		return lotRef{batchID: id}, true
	}
	k, err := epcis.ParseKey(s)
	if err != nil || k.Kind != epcis.KindLGTIN {
		return lotRef{}, false
	}
	return lotRef{gtin: k.GTIN, lot: k.Lot}, true
}

// parsePlace reads a location: a GLN (with its extension, which names a
// part of the place and is not told apart here) or the service's id.
func parsePlace(s string) (gln string, facilityID int, ok bool) {
	if id, ok := ownID(s, "urn:suyuan:facility:"); ok {
		return "", id, true
	}
	k, err := epcis.ParseKey(s)
	if err != nil || k.Kind != epcis.KindSGLN {
		return "", 0, false
	}
	return k.GLN, 0, true
}

// parseParty reads a party: its GLN (PGLN) or the service's id.
func parseParty(s string) (gln string, orgID int, ok bool) {
	if id, ok := ownID(s, "urn:suyuan:org:"); ok {
		return "", id, true
	}
	k, err := epcis.ParseKey(s)
	if err != nil || k.Kind != epcis.KindPGLN {
		return "", 0, false
	}
	return k.GLN, 0, true
}

// parseSSCC reads a logistic unit's SSCC.
func parseSSCC(s string) (string, bool) {
	k, err := epcis.ParseKey(s)
	if err != nil || k.Kind != epcis.KindSSCC {
		return "", false
	}
	return k.Value, true
}

func ownID(s, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.Atoi(rest)
	return id, err == nil && id > 0
}
