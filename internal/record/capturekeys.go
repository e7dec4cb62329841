package record

import (
	"net/url"
	"strconv"
	"strings"

	"suyuan/internal/gs1"
)

// The GS1 keys a captured event names goods and places by, as EPC URNs or
// as Digital Link URIs on any host, and the service's own URNs for what
// has no GS1 key (eventlog.LotClass, eventlog.Place).

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
	if rest, ok := strings.CutPrefix(s, "urn:epc:class:lgtin:"); ok {
		parts := strings.SplitN(rest, ".", 3)
		if len(parts) != 3 || parts[1] == "" {
			return lotRef{}, false
		}
		gtin, ok := withCheckDigit(parts[1][:1] + parts[0] + parts[1][1:])
		lot, err := url.PathUnescape(parts[2])
		if !ok || err != nil || len(gtin) != 14 {
			return lotRef{}, false
		}
		return lotRef{gtin: gtin, lot: lot}, true
	}
	if dl, err := gs1.ParseDigitalLink(s); err == nil && dl.Lot != "" && dl.Serial == "" {
		return lotRef{gtin: dl.GTIN, lot: dl.Lot}, true
	}
	return lotRef{}, false
}

// parsePlace reads a location: a GLN (with its extension, which names a
// part of the place and is not told apart here) or the service's id.
func parsePlace(s string) (gln string, facilityID int, ok bool) {
	if id, ok := ownID(s, "urn:suyuan:facility:"); ok {
		return "", id, true
	}
	if rest, ok := strings.CutPrefix(s, "urn:epc:id:sgln:"); ok {
		parts := strings.SplitN(rest, ".", 3)
		if len(parts) < 2 {
			return "", 0, false
		}
		gln, ok := withCheckDigit(parts[0] + parts[1])
		return gln, 0, ok && len(gln) == 13
	}
	if v, ok := dlValue(s, "414"); ok {
		gln, err := gs1.GLN(v)
		return gln, 0, err == nil
	}
	return "", 0, false
}

// parseSSCC reads a logistic unit's SSCC.
func parseSSCC(s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "urn:epc:id:sscc:"); ok {
		parts := strings.SplitN(rest, ".", 2)
		if len(parts) != 2 || parts[1] == "" {
			return "", false
		}
		sscc, ok := withCheckDigit(parts[1][:1] + parts[0] + parts[1][1:])
		return sscc, ok && len(sscc) == 18
	}
	if v, ok := dlValue(s, "00"); ok {
		sscc, err := gs1.SSCC(v)
		return sscc, err == nil
	}
	return "", false
}

// dlValue returns the value after /ai/ in a Digital Link URI's path.
func dlValue(s, ai string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+1 < len(segs); i += 2 {
		if segs[i] == ai {
			return segs[i+1], true
		}
	}
	return "", false
}

func ownID(s, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.Atoi(rest)
	return id, err == nil && id > 0
}

// withCheckDigit appends the GS1 check digit to the digits of a key.
func withCheckDigit(digits string) (string, bool) {
	c, err := gs1.CheckDigit(digits)
	if err != nil {
		return "", false
	}
	return digits + string(c), true
}
