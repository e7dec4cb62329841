package epcis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hashMismatches are the reference vectors this package does not
// reproduce, by document and event index, with the reason.
var hashMismatches = map[string]string{
	// The reference implementation drops fields an "ignoreFields" member
	// in a private namespace (repository-x.example.com) lists: a feature
	// of that tool, not of CBV 2.0.
	"epcisDocHavingEventWithIgnoreFields#0":      "tool-specific ignoreFields",
	"epcisQueryDocHavingEventWithIgnoreFields#0": "tool-specific ignoreFields",
}

// TestHashVectors checks Hash against every event of the reference
// implementation's example documents.
func TestHashVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/hashgen/*.jsonld")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	matched := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonld")
		hb, err := os.ReadFile(strings.TrimSuffix(f, ".jsonld") + ".hashes")
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Fields(string(hb))
		var pres []string
		if pb, err := os.ReadFile(strings.TrimSuffix(f, ".jsonld") + ".prehashes"); err == nil {
			pres = strings.Split(strings.TrimRight(string(pb), "\n"), "\n")
		}
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, events := decodeAll(t, r)
		r.Close()
		if len(events) != len(want) {
			t.Errorf("%s: %d events, %d hashes", name, len(events), len(want))
			continue
		}
		for i, e := range events {
			key := name + "#" + itoa(i)
			got, err := Hash(e)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if why, known := hashMismatches[key]; known {
				if got == want[i] {
					t.Errorf("%s now matches; remove it from hashMismatches (%s)", key, why)
				}
				continue
			}
			if got != want[i] {
				pre, _ := preHash(e)
				wantPre := ""
				if i < len(pres) {
					wantPre = pres[i]
				}
				t.Errorf("%s:\n got %s\nwant %s\n got pre-hash %s\nwant pre-hash %s", key, got, want[i], pre, wantPre)
				continue
			}
			matched++
		}
	}
	if matched < 41+34 {
		t.Errorf("only %d vectors matched", matched)
	}
	t.Logf("%d reference vectors matched, %d known mismatches", matched, len(hashMismatches))
}

// gs1HashDivergences are the GS1 example events whose hash differs from
// the reference implementation's, where that tool departs from the rule
// it implements; see docs/EPCIS.md, "Event hash".
var gs1HashDivergences = map[string]string{
	// A sensorReport's bizRules is not in the tool's field order, so it
	// moves it to the end of the string.
	"WithSensorData__SensorDataExample8.jsonld#0": "bizRules in a sensor report",
	// Extension members inside sensor elements whose namespace IRI does not
	// end in "/" are moved by the tool to the end of the string.
	"WithSensorData__SensorDataExample12.jsonld#0": "namespace IRI without a final /",
	// component "cbv:Comp-latitude" in a document that does not declare
	// the cbv prefix: the tool hashes the text, this package the term's URI.
	"WithFullCombinationOfFields__aggregation_event_all_possible_fields.jsonld#0": "CURIE with an undeclared prefix",
}

// TestGS1ExampleHashes compares Hash with the reference implementation's
// hashes of GS1's published examples.
func TestGS1ExampleHashes(t *testing.T) {
	b, err := os.ReadFile("testdata/gs1/reference-hashes.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		want[f[0]+"#"+f[1]] = f[2]
	}
	matched := 0
	files, _ := filepath.Glob("testdata/gs1/*.jsonld")
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, events := decodeAll(t, r)
		r.Close()
		for i, e := range events {
			key := filepath.Base(f) + "#" + itoa(i)
			w, ok := want[key]
			if !ok {
				continue
			}
			got, err := Hash(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, diverges := gs1HashDivergences[key]; diverges {
				if got == w {
					t.Errorf("%s now matches the reference; remove it from gs1HashDivergences", key)
				}
				continue
			}
			if got != w {
				pre, _ := preHash(e)
				t.Errorf("%s: got %s, reference %s\npre-hash %s", key, got, w, pre)
				continue
			}
			matched++
		}
	}
	if matched != len(want)-len(gs1HashDivergences) {
		t.Errorf("matched %d of %d reference hashes", matched, len(want))
	}
}

func TestHashIgnoresRecordTimeEventIDAndErrorDeclaration(t *testing.T) {
	e := sampleEvent()
	h1, err := Hash(e)
	if err != nil {
		t.Fatal(err)
	}
	rt := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e.RecordTime = &rt
	e.EventID = "urn:uuid:5d2f1c38-9a15-99af-40fe-1b530b62e0ca"
	e.ErrorDeclaration = &ErrorDeclaration{DeclarationTime: rt, Reason: ErrorReasonIncorrectData}
	if h2, _ := Hash(e); h2 != h1 {
		t.Errorf("hash changed with recordTime/eventID/errorDeclaration: %s vs %s", h2, h1)
	}
}

func TestHashSameForEquivalentSpellings(t *testing.T) {
	a := mustDecodeEvent(t, `{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2020-03-04T11:00:30.0004+01:00","eventTimeZoneOffset":"+01:00",
		"epcList":["urn:epc:id:sgtin:4012345.011111.9876","urn:epc:id:sscc:4012345.0000000111"],
		"bizStep":"urn:epcglobal:cbv:bizstep:shipping","disposition":"https://ref.gs1.org/cbv/Disp-in_transit",
		"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":10.50,"uom":"KGM"}],
		"readPoint":{"id":"urn:epc:id:sgln:4012345.00011.0"}}`)
	b := mustDecodeEvent(t, `{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2020-03-04T10:00:30Z","eventTimeZoneOffset":"+01:00",
		"epcList":["https://example.com/00/040123450000001112","https://id.gs1.org/01/04012345111118/10/X/21/9876"],
		"bizStep":"shipping","disposition":"in_transit",
		"quantityList":[{"epcClass":"https://id.gs1.org/01/04012345111118/10/L1","quantity":10.5,"uom":"KGM"}],
		"readPoint":{"id":"https://id.gs1.org/414/4012345000115"}}`)
	ha, _ := Hash(a)
	hb, _ := Hash(b)
	if ha != hb {
		pa, _ := preHash(a)
		pb, _ := preHash(b)
		t.Errorf("equivalent events hash differently:\n%s\n%s", pa, pb)
	}
	if !strings.HasPrefix(ha, "ni:///sha-256;") || !strings.HasSuffix(ha, "?ver=CBV2.0") || len(ha) != len("ni:///sha-256;?ver=CBV2.0")+64 {
		t.Errorf("hash %q is not in ni:///sha-256;…?ver=CBV2.0 form", ha)
	}
}

func TestEnsureEventID(t *testing.T) {
	e := sampleEvent()
	if err := EnsureEventID(e); err != nil {
		t.Fatal(err)
	}
	h, _ := Hash(e)
	if e.EventID != h {
		t.Errorf("EventID = %q, want the hash %q", e.EventID, h)
	}
	e.EventID = "urn:uuid:their-own"
	if err := EnsureEventID(e); err != nil || e.EventID != "urn:uuid:their-own" {
		t.Errorf("an event's own eventID was replaced: %q, %v", e.EventID, err)
	}
	if err := EnsureEventID(&Event{}); err == nil {
		t.Error("an event without type and time got an ID")
	}
}

func TestHashTime(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2023-02-02T12:04:03.1415+01:00", "2023-02-02T11:04:03.142Z"},
		{"2023-02-02T12:04:03.1425+01:00", "2023-02-02T11:04:03.142Z"}, // half to even
		{"2023-02-02T12:04:03.1416+01:00", "2023-02-02T11:04:03.142Z"},
		{"2023-02-02T12:04:03.14149999+01:00", "2023-02-02T11:04:03.141Z"}, // beyond microseconds is cut
		{"2023-02-02T23:59:59.9996-01:00", "2023-02-03T01:00:00.000Z"},     // carries into the next second
		{"2023-02-02T11:04:03Z", "2023-02-02T11:04:03.000Z"},
	} {
		tm, err := parseTime(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := hashTime(tm); got != c.want {
			t.Errorf("hashTime(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestPyNumber(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{600, "600"}, {12.1, "12.1"}, {-0.0, "0"}, {0.0001, "0.0001"}, {0.00001, "1e-05"},
		{1e16, "10000000000000000"}, {1234567.5, "1234567.5"}, {1.5e16 + 0.5, "15000000000000000"}, {0.30000000000000004, "0.30000000000000004"},
	} {
		if got := pyNumber(c.in); got != c.want {
			t.Errorf("pyNumber(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func sampleEvent() *Event {
	q := 5.0
	return &Event{
		Type: ObjectEvent, Action: Observe,
		EventTime:           time.Date(2024, 5, 1, 8, 0, 0, 0, time.FixedZone("", 8*3600)),
		EventTimeZoneOffset: "+08:00",
		QuantityList:        []Quantity{{EPCClass: LGTIN("06901234567892", "L1"), Quantity: &q, UOM: "KGM"}},
		BizStep:             BizStepShipping, Disposition: DispInTransit,
		ReadPoint: &Location{ID: SGLN("6901234000009", "")},
	}
}

func mustDecodeEvent(t *testing.T, s string) *Event {
	t.Helper()
	var e Event
	if err := e.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	if err := Validate(&e); err != nil {
		t.Fatalf("validating %s: %v", s, err)
	}
	return &e
}
