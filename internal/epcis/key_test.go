package epcis

import (
	"testing"
)

func TestParseKey(t *testing.T) {
	for _, c := range []struct {
		in       string
		kind     KeyKind
		dl, urn  string
		gtin     string
		notAKey  bool
		wantFail bool
	}{
		{in: "urn:epc:id:sgtin:0614141.107346.2017", kind: KindSGTIN, dl: "https://id.gs1.org/01/10614141073464/21/2017", urn: "urn:epc:id:sgtin:0614141.107346.2017", gtin: "10614141073464"},
		{in: "https://id.gs1.org/01/10614141073464/21/2017", kind: KindSGTIN, dl: "https://id.gs1.org/01/10614141073464/21/2017", urn: "urn:epc:id:sgtin:0614141.107346.2017", gtin: "10614141073464"},
		{in: "urn:epc:class:lgtin:4012345.012345.998877", kind: KindLGTIN, dl: "https://id.gs1.org/01/04012345123456/10/998877", urn: "urn:epc:class:lgtin:4012345.012345.998877"},
		{in: "https://example.com/01/4012345123456/10/L%2F1?17=261231", kind: KindLGTIN, dl: "https://id.gs1.org/01/04012345123456/10/L%2F1", urn: "urn:epc:class:lgtin:4012345.012345.L%2F1", gtin: "04012345123456"},
		{in: "https://example.com/shop/01/04012345123456/22/V1/10/L1/21/S1", kind: KindSGTIN, dl: "https://id.gs1.org/01/04012345123456/21/S1"},
		{in: "https://id.gs1.org/gtin/04012345123456/lot/L1", kind: KindLGTIN, dl: "https://id.gs1.org/01/04012345123456/10/L1"},
		{in: "urn:epc:idpat:sgtin:4012345.012345.*", kind: KindGTIN, dl: "https://id.gs1.org/01/04012345123456", urn: "urn:epc:idpat:sgtin:4012345.012345.*"},
		{in: "https://id.gs1.org/01/04012345123456", kind: KindGTIN, dl: "https://id.gs1.org/01/04012345123456"},
		{in: "urn:epc:id:sscc:0614141.1234567890", kind: KindSSCC, dl: "https://id.gs1.org/00/106141412345678908", urn: "urn:epc:id:sscc:0614141.1234567890"},
		{in: "https://id.gs1.org/00/106141412345678908", kind: KindSSCC, dl: "https://id.gs1.org/00/106141412345678908"},
		{in: "urn:epc:id:sgln:0614141.07346.1234", kind: KindSGLN, dl: "https://id.gs1.org/414/0614141073467/254/1234", urn: "urn:epc:id:sgln:0614141.07346.1234"},
		{in: "urn:epc:id:sgln:0614141.07346.0", kind: KindSGLN, dl: "https://id.gs1.org/414/0614141073467", urn: "urn:epc:id:sgln:0614141.07346.0"},
		{in: "urn:epc:id:sgln:061414112345..0", kind: KindSGLN, dl: "https://id.gs1.org/414/0614141123452"},
		{in: "https://id.gs1.org/414/0614141073467/254/1234", kind: KindSGLN, dl: "https://id.gs1.org/414/0614141073467/254/1234"},
		{in: "urn:epc:id:pgln:4012345.00000", kind: KindPGLN, dl: "https://id.gs1.org/417/4012345000009", urn: "urn:epc:id:pgln:4012345.00000"},
		{in: "urn:epc:id:grai:4012345.55555.987", kind: KindGRAI, dl: "https://id.gs1.org/8003/04012345555554987", urn: "urn:epc:id:grai:4012345.55555.987"},
		{in: "urn:epc:id:giai:4000001.111", kind: KindGIAI, dl: "https://id.gs1.org/8004/4000001111", urn: "urn:epc:id:giai:4000001.111"},
		{in: "urn:epc:id:gdti:0614141.00001.1618034", kind: KindGDTI, dl: "https://id.gs1.org/253/06141410000121618034", urn: "urn:epc:id:gdti:0614141.00001.1618034"},
		{in: "urn:epc:id:gsrn:0614141.0000010253", kind: KindGSRN, dl: "https://id.gs1.org/8018/061414100000102534"},
		{in: "https://id.gs1.org/01/09506000134353/21/1", wantFail: true},                          // check digit
		{in: "https://id.gs1.org/00/106141412345678909", wantFail: true},                           // check digit
		{in: "https://id.gs1.org/414/0614141073468", wantFail: true},                               // check digit
		{in: "https://id.gs1.org/01/04012345123456/10/" + "L12345678901234567890", wantFail: true}, // lot too long
		{in: "urn:epc:id:sgtin:0614141.107346.20.17", kind: KindSGTIN, dl: "https://id.gs1.org/01/10614141073464/21/20.17", urn: "urn:epc:id:sgtin:0614141.107346.20.17"},
		{in: "https://id.gs1.org/01/04012345123456/10", wantFail: true},                // AI without value
		{in: "https://id.gs1.org/01/04012345123456/01/04012345123456", wantFail: true}, // AI twice
		{in: "https://id.gs1.org/01/04012345123456/17/261231", wantFail: true},         // not a qualifier of a GTIN
		{in: "urn:epc:id:sgtin:0614141.1073.2017", wantFail: true},                     // 11 digits
		{in: "urn:epc:id:sgtin:0614141.107346.", wantFail: true},                       // no serial
		{in: "urn:epc:idpat:sgtin:0614141.107346.12", wantFail: true},                  // pattern without *
		{in: "http://transaction.acme.com/po/12345678", notAKey: true},
		{in: "urn:epcglobal:cbv:bt:5200001000008:4711", notAKey: true},
		{in: "urn:epc:id:cpi:0614141.123ABC.123456789", kind: KindCPI, dl: "https://id.gs1.org/8010/0614141123ABC/8011/123456789", urn: "urn:epc:id:cpi:0614141.123ABC.123456789"},
		{in: "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234", kind: KindCPI, dl: "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234", urn: "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234"},
		{in: "urn:epc:idpat:cpi:4012345.ABC.*", kind: KindCPI, dl: "https://id.gs1.org/8010/4012345ABC", urn: "urn:epc:idpat:cpi:4012345.ABC.*"},
		{in: "urn:epc:id:itip:4012345.011111.01.02.987", kind: KindITIP, dl: "https://id.gs1.org/8006/040123451111180102/21/987", urn: "urn:epc:id:itip:4012345.011111.01.02.987"},
		{in: "urn:epc:idpat:itip:4012345.012345.01.02.*", kind: KindITIP, dl: "https://id.gs1.org/8006/040123451234560102", urn: "urn:epc:idpat:itip:4012345.012345.01.02.*"},
		{in: "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", kind: KindUPUI, dl: "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB"},
		{in: "urn:epc:idpat:upui:1234567.098765.*", kind: KindGTIN, dl: "https://id.gs1.org/01/01234567987651"},
		{in: "urn:epc:id:sgcn:4012345.99999.44", kind: KindSGCN, dl: "https://id.gs1.org/255/401234599999044", urn: "urn:epc:id:sgcn:4012345.99999.44"},
		{in: "urn:epc:idpat:sgcn:4012345.99999.*", kind: KindSGCN, dl: "https://id.gs1.org/255/4012345999990", urn: "urn:epc:idpat:sgcn:4012345.99999.*"},
		{in: "urn:epc:idpat:grai:4012345.66666.*", kind: KindGRAI, dl: "https://id.gs1.org/8003/04012345666663", urn: "urn:epc:idpat:grai:4012345.66666.*"},
		{in: "urn:epc:idpat:gdti:4012345.55555.*", kind: KindGDTI, dl: "https://id.gs1.org/253/4012345555554", urn: "urn:epc:idpat:gdti:4012345.55555.*"},
		{in: "https://id.gs1.org/8006/040123451111190102/21/987", wantFail: true}, // GTIN check digit
		{in: "https://id.gs1.org/255/4012345999991", wantFail: true},              // check digit
		{in: "urn:epc:id:foo:4012345.1", notAKey: true},
		{in: "geo:50.9,6.9", notAKey: true},
		{in: "https://example.com/sites/01/dock-3", notAKey: true},              // "/01/" but no GTIN after it
		{in: "https://example.com/2024/01/05/report.html", notAKey: true},       // a date in a path
		{in: "https://example.com/2024/01/05/01/4012345123457", wantFail: true}, // GTIN-shaped, wrong check digit
	} {
		k, err := ParseKey(c.in)
		switch {
		case c.notAKey:
			if err == nil || !IsNotAKey(err) {
				t.Errorf("ParseKey(%s) = %+v, %v; want not-a-key", c.in, k, err)
			}
			continue
		case c.wantFail:
			if err == nil || IsNotAKey(err) {
				t.Errorf("ParseKey(%s) = %+v, %v; want a refusal", c.in, k, err)
			}
			continue
		case err != nil:
			t.Errorf("ParseKey(%s): %v", c.in, err)
			continue
		}
		if k.Kind != c.kind {
			t.Errorf("ParseKey(%s).Kind = %s, want %s", c.in, k.Kind, c.kind)
		}
		if got := k.DigitalLink(""); got != c.dl {
			t.Errorf("ParseKey(%s).DigitalLink = %s, want %s", c.in, got, c.dl)
		}
		if c.urn != "" {
			if got := k.URN(); got != c.urn {
				t.Errorf("ParseKey(%s).URN = %s, want %s", c.in, got, c.urn)
			}
		}
		if c.gtin != "" && k.GTIN != c.gtin {
			t.Errorf("ParseKey(%s).GTIN = %s, want %s", c.in, k.GTIN, c.gtin)
		}
		// Both syntaxes name the same key.
		for _, s := range []string{k.DigitalLink("https://resolver.example.com/"), k.URN()} {
			back, err := ParseKey(s)
			if err != nil || back.DigitalLink("") != c.dl {
				t.Errorf("%s: re-parsing %s gives %s, %v", c.in, s, back.DigitalLink(""), err)
			}
		}
	}
}

func TestKeyConstructors(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{LGTIN("6901234567892", "L 1/2"), "https://id.gs1.org/01/06901234567892/10/L%201%2F2"},
		{LGTIN("06901234567892", "A1"), "https://id.gs1.org/01/06901234567892/10/A1"},
		{SGLN("6901234000009", ""), "https://id.gs1.org/414/6901234000009"},
		{SGLN("6901234000009", "0"), "https://id.gs1.org/414/6901234000009"},
		{SGLN("6901234000009", "dock-3"), "https://id.gs1.org/414/6901234000009/254/dock-3"},
		{SSCC("106141412345678908"), "https://id.gs1.org/00/106141412345678908"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	k, err := ParseKey(LGTIN("6901234567892", "L1"))
	if err != nil || k.Kind != KindLGTIN || k.GTIN != "06901234567892" || k.Lot != "L1" {
		t.Errorf("LGTIN does not parse back: %+v %v", k, err)
	}
	// A key with no known company prefix length gets GS1's 7-digit
	// convention in its URN.
	if got := k.URN(); got != "urn:epc:class:lgtin:6901234.056789.L1" {
		t.Errorf("URN = %s", got)
	}
	if !KindLGTIN.Projected() || KindGRAI.Projected() {
		t.Error("Projected")
	}
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"urn:epc:id:sgtin:0614141.107346.2017":          "https://id.gs1.org/01/10614141073464/21/2017",
		"https://example.com/01/10614141073464/21/2017": "https://id.gs1.org/01/10614141073464/21/2017",
		"urn:epc:class:lgtin:4012345.012345.998877":     "https://id.gs1.org/01/04012345123456/10/998877",
		"urn:epc:idpat:sgtin:0614141.107346.*":          "https://id.gs1.org/01/10614141073464/*",
		"urn:epc:id:sgln:0614141.00777.0":               "https://id.gs1.org/414/0614141007776",
		"urn:suyuan:batch:7":                            "urn:suyuan:batch:7",
		"https://id.gs1.org/01/0061414*":                "https://id.gs1.org/01/0061414*",
	} {
		if got := Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}
