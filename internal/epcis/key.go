package epcis

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"suyuan/internal/gs1"
)

// KeyKind is the kind of GS1 key an identifier names.
type KeyKind string

// The kinds of key ParseKey reads. SGTIN, LGTIN, GTIN, SSCC and SGLN are
// the ones the graph projects onto; the others are valid identifiers the
// service keeps on events but does not project.
const (
	KindSGTIN KeyKind = "sgtin" // one serialised trade item: GTIN + serial
	KindLGTIN KeyKind = "lgtin" // a batch/lot of a trade item: GTIN + lot (an EPC class)
	KindGTIN  KeyKind = "gtin"  // every instance of a trade item (urn:epc:idpat:sgtin:…*)
	KindSSCC  KeyKind = "sscc"  // a logistic unit
	KindSGLN  KeyKind = "sgln"  // a location: GLN + optional extension
	KindPGLN  KeyKind = "pgln"  // a party
	KindGRAI  KeyKind = "grai"
	KindGIAI  KeyKind = "giai"
	KindGDTI  KeyKind = "gdti"
	KindGSRN  KeyKind = "gsrn"
	KindGSRNP KeyKind = "gsrnp"
	KindGINC  KeyKind = "ginc"
	KindGSIN  KeyKind = "gsin"
	KindSGCN  KeyKind = "sgcn" // a coupon: GCN + optional serial
	KindCPI   KeyKind = "cpi"  // a component/part: CPID + optional serial
	KindITIP  KeyKind = "itip" // a piece of a trade item: GTIN + piece + total + optional serial
	KindUPUI  KeyKind = "upui" // a unit pack: GTIN + third-party controlled identifier
)

// Projected reports whether the graph maps keys of kind k onto its nodes.
func (k KeyKind) Projected() bool {
	switch k {
	case KindSGTIN, KindLGTIN, KindGTIN, KindSSCC, KindSGLN:
		return true
	}
	return false
}

// DefaultResolver is the canonical Digital Link base GS1 uses, and the one
// the event hash normalises every key to.
const DefaultResolver = "https://id.gs1.org"

// unknownPrefixLen is the company prefix length URN assumes when a key did
// not come from an EPC URN. GS1 company prefixes are 6 to 12 digits and
// the real length cannot be derived from the key; 7 is GS1's convention
// for examples. The URN is syntactically valid but its split may not be
// the allocated one, which is why this package writes Digital Link URIs
// for keys it makes.
const unknownPrefixLen = 7

// Key is a GS1 key as EPCIS events name it, whichever syntax it came in.
// Keys are compared by their DigitalLink(DefaultResolver) form.
type Key struct {
	Kind KeyKind
	// GTIN is 14 digits for SGTIN, LGTIN and GTIN.
	GTIN string
	// Serial is the serial (SGTIN, ITIP), the serial component of GRAI,
	// GDTI, SGCN and CPI (empty for their class), or the UPUI's
	// third-party controlled identifier, percent-decoded.
	Serial string
	// Lot is the batch/lot (LGTIN), percent-decoded.
	Lot string
	// GLN is 13 digits for SGLN and PGLN.
	GLN string
	// Extension is the SGLN extension, empty for the location itself
	// (EPC URN extension "0").
	Extension string
	// Value is the key's element string as in a Digital Link, for the
	// kinds above that have no field of their own: SSCC (18 digits),
	// GRAI (14 digits), GIAI, GDTI (13), GSRN, GSRNP, GINC, GSIN, SGCN
	// (13), CPI (its CPID); for ITIP the piece and total, 4 digits.
	Value string
	// PrefixLen is the GS1 company prefix length when the key came from
	// an EPC URN, 0 when unknown.
	PrefixLen int
}

// errNotAKey is matched by ParseKey's errors when s is not in any key
// syntax at all (as opposed to a key with, say, a wrong check digit).
var errNotAKey = errors.New("not a GS1 key URI")

// notAKey is the error for s being in no key syntax. The event hash asks
// ParseKey about every value, most of which are not keys, so this error
// is cheap to make and formatted only when read.
type notAKey string

func (e notAKey) Error() string { return strconv.Quote(string(e)) + ": not a GS1 key URI" }

func (e notAKey) Is(target error) bool { return target == errNotAKey }

// IsNotAKey reports whether err says that the string was in no key
// syntax, so that a caller may treat it as an opaque URI.
func IsNotAKey(err error) bool { return errors.Is(err, errNotAKey) }

// ParseKey reads an EPC URN (urn:epc:id:…, urn:epc:class:lgtin:…,
// urn:epc:idpat:…*) or a GS1 Digital Link URI on any host, of the kinds
// above. Check
// digits are verified; GTINs come back as 14 digits. A Digital Link with
// both lot and serial names the serialised item (the lot is dropped, as
// GS1's canonicalisation does); a consumer product variant (22) and the
// query string are ignored.
func ParseKey(s string) (Key, error) {
	switch {
	case strings.HasPrefix(s, "urn:epc:"):
		return parseEPCURN(s)
	case strings.HasPrefix(s, "https://"), strings.HasPrefix(s, "http://"):
		return parseDL(s)
	}
	return Key{}, notAKey(s)
}

// Canonical writes s as the log indexes and compares it: a GS1 key as its
// Digital Link on DefaultResolver, so that an EPC URN and any Digital
// Link of the same key are one value. An EPC pattern
// (urn:epc:idpat:sgtin:…*) becomes the Digital Link prefix of what it
// matches, ending in *; another value ending in * and what is no GS1 key
// are kept as given.
func Canonical(s string) string {
	if strings.HasPrefix(s, "urn:epc:idpat:") {
		if k, err := ParseKey(s); err == nil {
			return k.DigitalLink(DefaultResolver) + "/*"
		}
		return s
	}
	if strings.HasSuffix(s, "*") {
		return s
	}
	if k, err := ParseKey(s); err == nil {
		return k.DigitalLink(DefaultResolver)
	}
	return s
}

// URN returns the key as an EPC URN. Keys that did not come from a URN
// use a 7-digit company prefix (see unknownPrefixLen).
func (k Key) URN() string {
	n := k.PrefixLen
	if n == 0 {
		n = unknownPrefixLen
	}
	switch k.Kind {
	case KindSGTIN, KindLGTIN, KindGTIN:
		// GTIN-14: indicator, company prefix, item reference, check.
		cp, ir := k.GTIN[1:1+n], k.GTIN[0:1]+k.GTIN[1+n:13]
		switch k.Kind {
		case KindSGTIN:
			return "urn:epc:id:sgtin:" + cp + "." + ir + "." + urnEscape(k.Serial)
		case KindLGTIN:
			return "urn:epc:class:lgtin:" + cp + "." + ir + "." + urnEscape(k.Lot)
		}
		return "urn:epc:idpat:sgtin:" + cp + "." + ir + ".*"
	case KindSSCC:
		return "urn:epc:id:sscc:" + k.Value[1:1+n] + "." + k.Value[0:1] + k.Value[1+n:17]
	case KindSGLN:
		ext := k.Extension
		if ext == "" {
			ext = "0"
		}
		return "urn:epc:id:sgln:" + k.GLN[:n] + "." + k.GLN[n:12] + "." + urnEscape(ext)
	case KindPGLN:
		return "urn:epc:id:pgln:" + k.GLN[:n] + "." + k.GLN[n:12]
	case KindGRAI:
		if k.Serial == "" {
			return "urn:epc:idpat:grai:" + k.Value[1:1+n] + "." + k.Value[1+n:13] + ".*"
		}
		return "urn:epc:id:grai:" + k.Value[1:1+n] + "." + k.Value[1+n:13] + "." + urnEscape(k.Serial)
	case KindGDTI, KindSGCN:
		if k.Serial == "" {
			return "urn:epc:idpat:" + string(k.Kind) + ":" + k.Value[:n] + "." + k.Value[n:12] + ".*"
		}
		return "urn:epc:id:" + string(k.Kind) + ":" + k.Value[:n] + "." + k.Value[n:12] + "." + urnEscape(k.Serial)
	case KindCPI:
		if k.Serial == "" {
			return "urn:epc:idpat:cpi:" + k.Value[:n] + "." + urnEscape(k.Value[n:]) + ".*"
		}
		return "urn:epc:id:cpi:" + k.Value[:n] + "." + urnEscape(k.Value[n:]) + "." + k.Serial
	case KindITIP:
		cp, ir := k.GTIN[1:1+n], k.GTIN[0:1]+k.GTIN[1+n:13]
		if k.Serial == "" {
			return "urn:epc:idpat:itip:" + cp + "." + ir + "." + k.Value[:2] + "." + k.Value[2:] + ".*"
		}
		return "urn:epc:id:itip:" + cp + "." + ir + "." + k.Value[:2] + "." + k.Value[2:] + "." + urnEscape(k.Serial)
	case KindUPUI:
		return "urn:epc:id:upui:" + k.GTIN[1:1+n] + "." + k.GTIN[0:1] + k.GTIN[1+n:13] + "." + urnEscape(k.Serial)
	case KindGIAI:
		return "urn:epc:id:giai:" + k.Value[:n] + "." + urnEscape(k.Value[n:])
	case KindGINC:
		return "urn:epc:id:ginc:" + k.Value[:n] + "." + urnEscape(k.Value[n:])
	case KindGSRN, KindGSRNP:
		return "urn:epc:id:" + string(k.Kind) + ":" + k.Value[:n] + "." + k.Value[n:17]
	case KindGSIN:
		return "urn:epc:id:gsin:" + k.Value[:n] + "." + k.Value[n:16]
	}
	return ""
}

// DigitalLink returns the key as a GS1 Digital Link URI on base (no
// trailing slash; empty means DefaultResolver), in canonical form: AIs in
// numeric form, GTIN as 14 digits, only the most specific qualifier.
func (k Key) DigitalLink(base string) string {
	if base == "" {
		base = DefaultResolver
	}
	base = strings.TrimRight(base, "/")
	switch k.Kind {
	case KindSGTIN:
		return base + "/01/" + k.GTIN + "/21/" + dlEscape(k.Serial)
	case KindLGTIN:
		return base + "/01/" + k.GTIN + "/10/" + dlEscape(k.Lot)
	case KindGTIN:
		return base + "/01/" + k.GTIN
	case KindSSCC:
		return base + "/00/" + k.Value
	case KindSGLN:
		if k.Extension == "" {
			return base + "/414/" + k.GLN
		}
		return base + "/414/" + k.GLN + "/254/" + dlEscape(k.Extension)
	case KindPGLN:
		return base + "/417/" + k.GLN
	case KindGRAI:
		return base + "/8003/" + k.Value + dlEscape(k.Serial)
	case KindGDTI:
		return base + "/253/" + k.Value + dlEscape(k.Serial)
	case KindGIAI:
		return base + "/8004/" + dlEscape(k.Value)
	case KindGINC:
		return base + "/401/" + dlEscape(k.Value)
	case KindGSRN:
		return base + "/8018/" + k.Value
	case KindGSRNP:
		return base + "/8017/" + k.Value
	case KindGSIN:
		return base + "/402/" + k.Value
	case KindSGCN:
		return base + "/255/" + k.Value + k.Serial
	case KindCPI:
		if k.Serial == "" {
			return base + "/8010/" + dlEscape(k.Value)
		}
		return base + "/8010/" + dlEscape(k.Value) + "/8011/" + k.Serial
	case KindITIP:
		if k.Serial == "" {
			return base + "/8006/" + k.GTIN + k.Value
		}
		return base + "/8006/" + k.GTIN + k.Value + "/21/" + dlEscape(k.Serial)
	case KindUPUI:
		return base + "/01/" + k.GTIN + "/235/" + dlEscape(k.Serial)
	}
	return ""
}

// LGTIN returns the Digital Link URI (on DefaultResolver) of a batch/lot
// of gtin: https://id.gs1.org/01/{gtin14}/10/{lot}. EPCIS 2.0 recommends
// Digital Link URIs, and they need no GS1 company prefix length, which is
// unknown for the service's own keys (an EPC URN cannot be written
// without it). A GTIN-8, -12 or -13 is zero-padded to 14 digits. The
// constructors do not check their input, so that they never fail on the
// write path; Validate, or ParseKey on the result, catches a wrong key.
func LGTIN(gtin, lot string) string {
	return Key{Kind: KindLGTIN, GTIN: pad(gtin, 14), Lot: lot}.DigitalLink("")
}

// SGLN returns the Digital Link URI of location gln with extension ext
// (empty or "0" for the location itself): https://id.gs1.org/414/{gln}
// [/254/{ext}].
func SGLN(gln, ext string) string {
	if ext == "0" {
		ext = ""
	}
	return Key{Kind: KindSGLN, GLN: gln, Extension: ext}.DigitalLink("")
}

// SSCC returns the Digital Link URI of an 18-digit SSCC:
// https://id.gs1.org/00/{sscc}.
func SSCC(sscc string) string {
	return Key{Kind: KindSSCC, Value: sscc}.DigitalLink("")
}

// pad left-pads an all-digit s with zeros to n digits.
func pad(s string, n int) string {
	if len(s) < n && gs1.IsDigits(s) {
		return strings.Repeat("0", n-len(s)) + s
	}
	return s
}

// parseEPCURN reads the EPC URN forms of the keys.
func parseEPCURN(s string) (Key, error) {
	var scheme, body string
	for _, p := range [...]string{"urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:"} {
		if strings.HasPrefix(s, p) {
			var kind string
			kind, body, _ = strings.Cut(s[len(p):], ":")
			scheme = schemeName(p[len("urn:epc:"):len(p)-1], kind)
			break
		}
	}
	// companyPrefix.reference.rest; the last component (a serial, lot or
	// extension) may itself hold dots.
	cp, rest, has1 := strings.Cut(body, ".")
	p1, p2, has2 := strings.Cut(rest, ".")
	nparts := 1
	if has1 {
		nparts++
	}
	if has2 {
		nparts++
	}
	bad := func(why string) (Key, error) {
		return Key{}, fmt.Errorf("%q: %s", s, why)
	}
	if len(cp) < 6 || len(cp) > 12 || !gs1.IsDigits(cp) {
		if scheme == "id:sgtin" || scheme == "class:lgtin" || scheme == "id:sscc" || scheme == "id:sgln" {
			return bad("company prefix must be 6 to 12 digits")
		}
		return Key{}, notAKey(s)
	}
	n := len(cp)
	// ref checks that a numeric reference completes the company prefix
	// to total digits.
	ref := func(r string, total int) bool { return len(r) == total-n && (r == "" || gs1.IsDigits(r)) }
	switch scheme {
	case "id:sgtin", "class:lgtin", "idpat:sgtin":
		if nparts != 3 || !ref(p1, 13) || p1 == "" {
			return bad("must be companyPrefix.itemRef.value with 13 digits of prefix and item reference")
		}
		var g [14]byte
		copy(g[:], p1[:1])
		copy(g[1:], cp)
		copy(g[1+n:], p1[1:])
		g[13] = checkDigit(string(g[:13]))
		k := Key{GTIN: string(g[:]), PrefixLen: n}
		switch scheme {
		case "id:sgtin":
			k.Kind = KindSGTIN
			v, err := urnValue(p2, 20)
			if err != nil {
				return bad("serial " + err.Error())
			}
			k.Serial = v
		case "class:lgtin":
			k.Kind = KindLGTIN
			v, err := urnValue(p2, 20)
			if err != nil {
				return bad("lot " + err.Error())
			}
			k.Lot = v
		default:
			if p2 != "*" {
				return bad("an sgtin pattern must end in .*")
			}
			k.Kind = KindGTIN
		}
		return k, nil
	case "id:sscc":
		if nparts != 2 || !ref(p1, 17) {
			return bad("must be companyPrefix.serialRef with 17 digits in all")
		}
		v := p1[:1] + cp + p1[1:]
		return Key{Kind: KindSSCC, Value: v + string(checkDigit(v)), PrefixLen: n}, nil
	case "id:sgln", "id:pgln":
		want := 3
		if scheme == "id:pgln" {
			want = 2
		}
		if nparts != want || !ref(p1, 12) {
			return bad("must be companyPrefix.locationRef with 12 digits in all")
		}
		g := cp + p1
		k := Key{Kind: KindPGLN, GLN: g + string(checkDigit(g)), PrefixLen: n}
		if scheme == "id:sgln" {
			k.Kind = KindSGLN
			ext, err := urnValue(p2, 20)
			if err != nil {
				return bad("extension " + err.Error())
			}
			if ext != "0" {
				k.Extension = ext
			}
		}
		return k, nil
	case "id:grai", "id:gdti":
		if nparts < 3 || !ref(p1, 12) {
			return bad("must be companyPrefix.typeRef.serial with 12 digits of prefix and reference")
		}
		ser, err := urnValue(p2, 17)
		if err != nil && !(scheme == "id:gdti" && p2 == "") {
			return bad("serial " + err.Error())
		}
		if scheme == "id:grai" {
			v := "0" + cp + p1
			return Key{Kind: KindGRAI, Value: v + string(checkDigit(v)), Serial: ser, PrefixLen: n}, nil
		}
		v := cp + p1
		return Key{Kind: KindGDTI, Value: v + string(checkDigit(v)), Serial: ser, PrefixLen: n}, nil
	case "idpat:grai", "idpat:gdti", "idpat:sgcn":
		if nparts != 3 || p2 != "*" || !ref(p1, 12) {
			return bad("must be companyPrefix.reference.* with 12 digits of prefix and reference")
		}
		switch scheme {
		case "idpat:grai":
			v := "0" + cp + p1
			return Key{Kind: KindGRAI, Value: v + string(checkDigit(v)), PrefixLen: n}, nil
		case "idpat:gdti":
			return Key{Kind: KindGDTI, Value: cp + p1 + string(checkDigit(cp+p1)), PrefixLen: n}, nil
		}
		return Key{Kind: KindSGCN, Value: cp + p1 + string(checkDigit(cp+p1)), PrefixLen: n}, nil
	case "id:sgcn":
		if nparts != 3 || !ref(p1, 12) || len(p2) > 12 || !gs1.IsDigits(p2) {
			return bad("must be companyPrefix.couponRef.serial with 12 digits of prefix and reference and a numeric serial")
		}
		return Key{Kind: KindSGCN, Value: cp + p1 + string(checkDigit(cp+p1)), Serial: p2, PrefixLen: n}, nil
	case "id:cpi", "idpat:cpi":
		ref, err := url.PathUnescape(p1)
		if nparts != 3 || err != nil || ref == "" || n+len(ref) > 30 {
			return bad("must be companyPrefix.partRef.serial")
		}
		k := Key{Kind: KindCPI, Value: cp + ref, PrefixLen: n}
		switch {
		case scheme == "idpat:cpi" && p2 == "*":
		case scheme == "id:cpi" && len(p2) <= 12 && gs1.IsDigits(p2):
			k.Serial = p2
		default:
			return bad("serial must be up to 12 digits")
		}
		return k, nil
	case "id:itip", "idpat:itip", "id:upui", "idpat:upui":
		if nparts != 3 || !ref(p1, 13) || p1 == "" {
			return bad("must start companyPrefix.itemRef with 13 digits of prefix and item reference")
		}
		var g [14]byte
		copy(g[:], p1[:1])
		copy(g[1:], cp)
		copy(g[1+n:], p1[1:])
		g[13] = checkDigit(string(g[:13]))
		k := Key{GTIN: string(g[:]), PrefixLen: n}
		last := p2
		if scheme == "id:itip" || scheme == "idpat:itip" {
			pp, rest, ok1 := strings.Cut(p2, ".")
			tt, ser, ok2 := strings.Cut(rest, ".")
			if !ok1 || !ok2 || len(pp) != 2 || len(tt) != 2 || !gs1.IsDigits(pp) || !gs1.IsDigits(tt) {
				return bad("must be companyPrefix.itemRef.piece.total.serial")
			}
			k.Kind, k.Value, last = KindITIP, pp+tt, ser
		} else {
			k.Kind = KindUPUI
		}
		if strings.HasPrefix(scheme, "idpat:") {
			if last != "*" {
				return bad("a pattern must end in .*")
			}
			if k.Kind == KindUPUI {
				k.Kind = KindGTIN
			}
			return k, nil
		}
		max := 20
		if k.Kind == KindUPUI {
			max = 28
		}
		v, err := urnValue(last, max)
		if err != nil {
			return bad("serial " + err.Error())
		}
		k.Serial = v
		return k, nil
	case "id:giai", "id:ginc":
		if nparts < 2 {
			return bad("must be companyPrefix.reference")
		}
		r, err := urnValue(rest, 30-n)
		if err != nil {
			return bad("reference " + err.Error())
		}
		kind := KindGIAI
		if scheme == "id:ginc" {
			kind = KindGINC
		}
		return Key{Kind: kind, Value: cp + r, PrefixLen: n}, nil
	case "id:gsrn", "id:gsrnp", "id:gsin":
		total, kind := 17, KindGSRN
		switch scheme {
		case "id:gsrnp":
			kind = KindGSRNP
		case "id:gsin":
			total, kind = 16, KindGSIN
		}
		if nparts != 2 || !ref(p1, total) {
			return bad(fmt.Sprintf("must be companyPrefix.reference with %d digits in all", total))
		}
		v := cp + p1
		return Key{Kind: kind, Value: v + string(checkDigit(v)), PrefixLen: n}, nil
	}
	return Key{}, notAKey(s)
}

// schemeName returns class+":"+kind ("id:sgtin") without allocating for
// the schemes ParseKey knows.
func schemeName(class, kind string) string {
	for _, s := range [...]string{"id:sgtin", "class:lgtin", "idpat:sgtin", "id:sscc", "id:sgln", "id:pgln", "id:grai", "id:gdti", "id:giai", "id:ginc", "id:gsrn", "id:gsrnp", "id:gsin",
		"idpat:grai", "idpat:gdti", "idpat:sgcn", "id:sgcn", "id:cpi", "idpat:cpi", "id:itip", "idpat:itip", "id:upui", "idpat:upui"} {
		if len(s) == len(class)+1+len(kind) && s[:len(class)] == class && s[len(class)] == ':' && s[len(class)+1:] == kind {
			return s
		}
	}
	return class + ":" + kind
}

// urnValue percent-decodes an EPC URN component and checks it is 1 to max
// characters of GS1 character set 82.
func urnValue(v string, max int) (string, error) {
	d, err := url.PathUnescape(v)
	if err != nil {
		return "", errors.New("has an invalid percent-encoding")
	}
	if d == "" || len(d) > max || !gs1.CSet82(d) {
		return "", fmt.Errorf("must be 1 to %d characters of GS1 character set 82", max)
	}
	return d, nil
}

// dlShort maps the Digital Link short names GS1 once allowed to AIs.
func dlShort(ai string) string {
	switch ai {
	case "gtin":
		return "01"
	case "sscc":
		return "00"
	case "gln":
		return "414"
	case "party":
		return "417"
	case "lot":
		return "10"
	case "ser":
		return "21"
	case "cpv":
		return "22"
	case "grai":
		return "8003"
	case "giai":
		return "8004"
	case "gdti":
		return "253"
	case "gsrn":
		return "8018"
	case "gsrnp":
		return "8017"
	case "ginc":
		return "401"
	case "gsin":
		return "402"
	case "itip":
		return "8006"
	case "cpid":
		return "8010"
	case "gcn":
		return "255"
	}
	return ai
}

// parseDL reads a Digital Link URI: the first primary-key AI in the path
// and its qualifiers.
func parseDL(s string) (Key, error) {
	u := s
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	_, hostPath, _ := strings.Cut(u, "://")
	_, path, ok := strings.Cut(hostPath, "/")
	if !ok {
		return Key{}, notAKey(s)
	}
	// Skip any path before the first primary key AI (resolvers may mount
	// links under a prefix), then read AI/value pairs.
	var (
		vals    dlValues
		primary string
	)
	rest := strings.TrimSuffix(path, "/")
	for rest != "" {
		seg, after, _ := strings.Cut(rest, "/")
		ai := dlShort(seg)
		if primary == "" {
			// A key starts at a primary AI followed by a value of its
			// shape; anything before is a path prefix, so that an
			// ordinary URL that happens to hold "/01/" is not taken
			// for a broken key.
			val, _, _ := strings.Cut(after, "/")
			if !isPrimaryAI(ai) || !keyShaped(ai, val) {
				rest = after
				continue
			}
			primary = ai
		}
		raw, next, _ := strings.Cut(after, "/")
		if after == "" {
			return Key{}, fmt.Errorf("%q: a Digital Link path must be pairs of AI and value", s)
		}
		if _, dup := vals.get(ai); dup {
			return Key{}, fmt.Errorf("%q: AI %s appears twice", s, ai)
		}
		v, err := url.PathUnescape(raw)
		if err != nil || v == "" {
			return Key{}, fmt.Errorf("%q: AI %s has an invalid value", s, ai)
		}
		if !vals.add(ai, v) {
			return Key{}, fmt.Errorf("%q: too many AIs in the path", s)
		}
		rest = next
	}
	if primary == "" {
		return Key{}, notAKey(s)
	}
	bad := func(why string) (Key, error) { return Key{}, fmt.Errorf("%q: %s", s, why) }
	checked := func(v string, n int) bool { return len(v) == n && gs1.IsDigits(v) && checkDigit(v[:n-1]) == v[n-1] }
	v, _ := vals.get(primary)
	var k Key
	switch primary {
	case "01":
		g, err := gs1.GTIN(v)
		if err != nil || strings.TrimSpace(v) != v {
			return bad("GTIN is not valid (digits or check digit)")
		}
		k.GTIN = g
		ser, _ := vals.get("21")
		lot, _ := vals.get("10")
		cpv, _ := vals.get("22")
		tpx, _ := vals.get("235")
		switch {
		case tpx != "":
			if len(tpx) > 28 || !gs1.CSet82(tpx) || ser != "" || lot != "" {
				return bad("a third-party controlled identifier (235) is 1 to 28 characters of set 82, alone")
			}
			k.Kind, k.Serial = KindUPUI, tpx
		case ser != "":
			k.Kind, k.Serial = KindSGTIN, ser
		case lot != "":
			k.Kind, k.Lot = KindLGTIN, lot
		default:
			k.Kind = KindGTIN
		}
		for _, p := range vals.pairs[:vals.n] {
			if p.ai != "01" && p.ai != "10" && p.ai != "21" && p.ai != "22" && p.ai != "235" {
				return bad("AI " + p.ai + " may not qualify a GTIN")
			}
		}
		for _, q := range [...]string{k.Serial, k.Lot, cpv} {
			if q != "" && !gs1.CSet82(q) || len(q) > 20 {
				return bad("lot, serial and variant must be 1 to 20 characters of GS1 character set 82")
			}
		}
	case "00":
		if !checked(v, 18) {
			return bad("SSCC must be 18 digits with a valid check digit")
		}
		k = Key{Kind: KindSSCC, Value: v}
	case "414", "417":
		if !checked(v, 13) {
			return bad("GLN must be 13 digits with a valid check digit")
		}
		k = Key{Kind: KindSGLN, GLN: v}
		if primary == "417" {
			k.Kind = KindPGLN
		} else if ext, _ := vals.get("254"); ext != "" {
			if !gs1.CSet82(ext) {
				return bad("GLN extension must be 1 to 20 characters of GS1 character set 82")
			}
			k.Extension = ext
		}
	case "8003":
		if len(v) < 14 || !checked(v[:14], 14) {
			return bad("GRAI must start with 14 digits with a valid check digit")
		}
		k = Key{Kind: KindGRAI, Value: v[:14], Serial: v[14:]}
	case "253":
		if len(v) < 13 || !checked(v[:13], 13) {
			return bad("GDTI must start with 13 digits with a valid check digit")
		}
		k = Key{Kind: KindGDTI, Value: v[:13], Serial: v[13:]}
	case "8018", "8017":
		if !checked(v, 18) {
			return bad("GSRN must be 18 digits with a valid check digit")
		}
		k = Key{Kind: KindGSRN, Value: v}
		if primary == "8017" {
			k.Kind = KindGSRNP
		}
	case "402":
		if !checked(v, 17) {
			return bad("GSIN must be 17 digits with a valid check digit")
		}
		k = Key{Kind: KindGSIN, Value: v}
	case "8006":
		if len(v) != 18 || !gs1.IsDigits(v) {
			return bad("ITIP must be 18 digits")
		}
		g, err := gs1.GTIN(v[:14])
		if err != nil {
			return bad("ITIP's GTIN is not valid (check digit)")
		}
		k = Key{Kind: KindITIP, GTIN: g, Value: v[14:]}
		if ser, ok := vals.get("21"); ok {
			if len(ser) > 20 || !gs1.CSet82(ser) {
				return bad("serial must be 1 to 20 characters of GS1 character set 82")
			}
			k.Serial = ser
		}
	case "8010":
		if len(v) > 30 || v == "" {
			return bad("CPID must be up to 30 characters")
		}
		k = Key{Kind: KindCPI, Value: v}
		if ser, ok := vals.get("8011"); ok {
			if len(ser) > 12 || !gs1.IsDigits(ser) {
				return bad("CPI serial (8011) must be up to 12 digits")
			}
			k.Serial = ser
		}
	case "255":
		if len(v) < 13 || len(v) > 25 || !gs1.IsDigits(v) || !checked(v[:13], 13) {
			return bad("GCN must be 13 digits with a valid check digit and up to 12 digits of serial")
		}
		k = Key{Kind: KindSGCN, Value: v[:13], Serial: v[13:]}
	case "8004", "401":
		if len(v) > 30 || !gs1.CSet82(v) {
			return bad("GIAI/GINC must be up to 30 characters of GS1 character set 82")
		}
		k = Key{Kind: KindGIAI, Value: v}
		if primary == "401" {
			k.Kind = KindGINC
		}
	}
	return k, nil
}

// isPrimaryAI reports whether ai starts a key this package reads.
func isPrimaryAI(ai string) bool {
	switch ai {
	case "01", "00", "414", "417", "8003", "8004", "253", "8018", "8017", "401", "402", "8006", "8010", "255":
		return true
	}
	return false
}

// keyShaped reports whether v has the length and characters of the key
// that AI ai starts (check digits aside).
func keyShaped(ai, v string) bool {
	switch ai {
	case "01":
		n := len(v)
		return (n == 8 || n == 12 || n == 13 || n == 14) && gs1.IsDigits(v)
	case "00", "8018", "8017", "8006":
		return len(v) == 18 && gs1.IsDigits(v)
	case "414", "417":
		return len(v) == 13 && gs1.IsDigits(v)
	case "402":
		return len(v) == 17 && gs1.IsDigits(v)
	case "8003":
		return len(v) >= 14 && len(v) <= 30 && gs1.IsDigits(v[:14])
	case "253":
		return len(v) >= 13 && len(v) <= 30 && gs1.IsDigits(v[:13])
	case "255":
		return len(v) >= 13 && len(v) <= 25 && gs1.IsDigits(v)
	}
	return v != "" && len(v) <= 30 // 8004, 401, 8010: alphanumeric
}

// dlValues holds the AI/value pairs of a Digital Link path; a path has
// only a few, so a small array beats a map.
type dlValues struct {
	pairs [6]struct{ ai, v string }
	n     int
}

func (d *dlValues) add(ai, v string) bool {
	if d.n == len(d.pairs) {
		return false
	}
	d.pairs[d.n].ai, d.pairs[d.n].v = ai, v
	d.n++
	return true
}

func (d *dlValues) get(ai string) (string, bool) {
	for _, p := range d.pairs[:d.n] {
		if p.ai == ai {
			return p.v, true
		}
	}
	return "", false
}

// checkDigit is gs1.CheckDigit for input known to be 1 to 17 digits.
func checkDigit(d string) byte {
	c, err := gs1.CheckDigit(d)
	if err != nil {
		panic("epcis: check digit of " + d) // callers check digits first
	}
	return c
}

// dlEscape percent-encodes the characters of set 82 that GS1 Digital Link
// (table 7-1) requires escaped in a path segment.
func dlEscape(v string) string {
	return escapeSet(v, "!\"#%&()*+,/:<>? ")
}

// urnEscape percent-encodes the characters EPC Tag Data Standard requires
// escaped in a URN component.
func urnEscape(v string) string {
	return escapeSet(v, "\"%&/<>?#")
}

func escapeSet(v, set string) string {
	clean := true
	for i := 0; i < len(v) && clean; i++ {
		clean = strings.IndexByte(set, v[i]) < 0
	}
	if clean {
		return v
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if strings.IndexByte(set, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
