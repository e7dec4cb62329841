package epcis

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

const docHead = `{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",{"ex":"https://ns.example.com/"}],
"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T08:00:00+08:00","epcisBody":{"eventList":[`

const okEvent = `{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2024-05-01T08:00:00.5+08:00","eventTimeZoneOffset":"+08:00",
"epcList":["urn:epc:id:sgtin:4012345.011111.9876"],"bizStep":"shipping","readPoint":{"id":"urn:epc:id:sgln:4012345.00011.0"}}`

// doc wraps events in a valid document.
func doc(events ...string) string { return docHead + strings.Join(events, ",") + `]}}` }

// ev returns okEvent with the member k replaced by v (or removed when v
// is empty).
func ev(k, v string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(okEvent), &m); err != nil {
		panic(err)
	}
	if v == "" {
		delete(m, k)
	} else {
		m[k] = json.RawMessage(v)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestDecoderRefusals(t *testing.T) {
	for _, c := range []struct {
		name   string
		doc    string
		limits Limits
		typ    ExceptionType
		index  int
		field  string
	}{
		{"bad JSON", `{"type":"EPCISDocument",`, Limits{}, ValidationException, -1, ""},
		{"bad JSON in an event", docHead + okEvent + `,{"type":"ObjectEvent",]}}`, Limits{}, ValidationException, 1, "epcisBody.eventList.1"},
		{"trailing comma in the list", docHead + okEvent + `,]}}`, Limits{}, ValidationException, 1, ""},
		{"bad JSON in the header", `{"type":"EPCISDocument","schemaVersion":2.0.1}`, Limits{}, ValidationException, -1, ""},
		{"document cut short", docHead + okEvent, Limits{}, ValidationException, 1, ""},
		{"not an object", `[1,2]`, Limits{}, ValidationException, -1, ""},
		{"empty input", ``, Limits{}, ValidationException, -1, ""},
		{"something after the document", doc(okEvent) + ` {}`, Limits{}, ValidationException, -1, ""},
		{"wrong document type", strings.Replace(doc(okEvent), `"EPCISDocument"`, `"EPCISMasterDataDocument"`, 1), Limits{}, ValidationException, -1, "type"},
		{"wrong schema version", strings.Replace(doc(okEvent), `"2.0"`, `"1.2"`, 1), Limits{}, ValidationException, -1, "schemaVersion"},
		{"no creationDate", strings.Replace(doc(okEvent), `"creationDate":"2024-05-01T08:00:00+08:00",`, ``, 1), Limits{}, ValidationException, -1, "creationDate"},
		{"bad creationDate", strings.Replace(doc(okEvent), `2024-05-01T08:00:00+08:00`, `yesterday`, 1), Limits{}, ValidationException, -1, "creationDate"},
		{"unknown top-level key", strings.Replace(doc(okEvent), `"type":`, `"colour":"red","type":`, 1), Limits{}, ValidationException, -1, "colour"},
		{"unknown body key", strings.Replace(doc(okEvent), `"epcisBody":{`, `"epcisBody":{"events":[],`, 1), Limits{}, ValidationException, -1, "epcisBody.events"},
		{"eventList not an array", docHead[:strings.LastIndex(docHead, "[")] + `{}}}`, Limits{}, ValidationException, -1, "epcisBody.eventList"},
		{"two eventLists", strings.TrimSuffix(doc(okEvent), "}}") + `,"eventList":[]}}`, Limits{}, ValidationException, -1, "epcisBody.eventList"},
		{"no eventList", strings.Replace(doc(), `"eventList":[]`, ``, 1), Limits{}, ValidationException, -1, "epcisBody"},
		{"event not an object", doc(okEvent, `"x"`), Limits{}, ValidationException, 1, "epcisBody.eventList.1"},
		{"missing eventTime", doc(okEvent, ev("eventTime", "")), Limits{}, ValidationException, 1, "epcisBody.eventList.1.eventTime"},
		{"eventTime without offset", doc(ev("eventTime", `"2024-05-01T08:00:00"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.eventTime"},
		{"missing offset", doc(ev("eventTimeZoneOffset", "")), Limits{}, ValidationException, 0, "epcisBody.eventList.0.eventTimeZoneOffset"},
		{"bad offset", doc(ev("eventTimeZoneOffset", `"+8:00"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.eventTimeZoneOffset"},
		{"offset out of range", doc(ev("eventTimeZoneOffset", `"+15:00"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.eventTimeZoneOffset"},
		{"bad action", doc(ev("action", `"MOVE"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.action"},
		{"missing action", doc(ev("action", "")), Limits{}, ValidationException, 0, "epcisBody.eventList.0.action"},
		{"unknown event type", doc(ev("type", `"ShipmentEvent"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.type"},
		{"missing event type", doc(ev("type", "")), Limits{}, ValidationException, 0, "epcisBody.eventList.0.type"},
		{"bad GTIN check digit", doc(okEvent, okEvent, ev("epcList", `["https://id.gs1.org/01/09506000134353/21/1"]`)), Limits{}, ValidationException, 2, "epcisBody.eventList.2.epcList.0"},
		{"bad GLN check digit", doc(ev("readPoint", `{"id":"https://id.gs1.org/414/4012345000116"}`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.readPoint.id"},
		{"EPC not a URI", doc(ev("epcList", `["urn:epc:id:sgtin:4012345.011111.1","4012345"]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.epcList.1"},
		{"bad EPC URN", doc(ev("epcList", `["urn:epc:id:sgtin:4012345.0111.1"]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.epcList.0"},
		{"negative quantity", doc(ev("quantityList", `[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":-1,"uom":"KGM"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.quantityList.0.quantity"},
		{"quantity as a string", doc(ev("quantityList", `[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":"1"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.quantityList.0.quantity"},
		{"quantity too large to be finite", doc(ev("quantityList", `[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":1e999,"uom":"KGM"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.quantityList.0.quantity"},
		{"fractional count", doc(ev("quantityList", `[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":1.5}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.quantityList.0.quantity"},
		{"bad uom", doc(ev("quantityList", `[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":1},{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":1,"uom":"kg"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.quantityList.1.uom"},
		{"unknown key in quantity", doc(ev("quantityList", `[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":1,"unit":"KGM"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.quantityList.0.unit"},
		{"unknown un-namespaced event key", doc(ev("colour", `"red"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.colour"},
		{"unknown key in readPoint", doc(ev("readPoint", `{"id":"urn:epc:id:sgln:4012345.00011.0","floor":1}`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.readPoint.floor"},
		{"bare bizStep not in CBV", doc(ev("bizStep", `"teleporting"`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.bizStep"},
		{"bizTransaction without value", doc(ev("bizTransactionList", `[{"type":"po"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.bizTransactionList.0.bizTransaction"},
		{"source without type", doc(ev("sourceList", `[{"source":"urn:epc:id:pgln:4012345.00000"}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.sourceList.0.type"},
		{"ilmd on OBSERVE", doc(ev("ilmd", `{"cbvmda:lotNumber":"L1"}`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.ilmd"},
		{"sensor report without type", doc(ev("sensorElementList", `[{"sensorReport":[{"value":1,"uom":"CEL"}]}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.sensorElementList.0.sensorReport.0.type"},
		{"sensor value not a number", doc(ev("sensorElementList", `[{"sensorReport":[{"type":"Temperature","value":"warm"}]}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.sensorElementList.0.sensorReport.0.value"},
		{"sensor booleanValue not a boolean", doc(ev("sensorElementList", `[{"sensorReport":[{"type":"Temperature","booleanValue":"yes"}]}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.sensorElementList.0.sensorReport.0.booleanValue"},
		{"sensor min above max", doc(ev("sensorElementList", `[{"sensorReport":[{"type":"Temperature","minValue":5,"maxValue":4,"uom":"CEL"}]}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.sensorElementList.0.sensorReport.0.minValue"},
		{"sensor hexBinaryValue not hex", doc(ev("sensorElementList", `[{"sensorReport":[{"type":"Temperature","hexBinaryValue":"xyz"}]}]`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.sensorElementList.0.sensorReport.0.hexBinaryValue"},
		{"errorDeclaration without declarationTime", doc(ev("errorDeclaration", `{"reason":"incorrect_data"}`)), Limits{}, ValidationException, 0, "epcisBody.eventList.0.errorDeclaration.declarationTime"},
		{"aggregation ADD without parentID", doc(`{"type":"AggregationEvent","action":"ADD","eventTime":"2024-05-01T08:00:00Z","eventTimeZoneOffset":"+00:00","childEPCs":["urn:epc:id:sgtin:4012345.011111.1"]}`), Limits{}, ValidationException, 0, "epcisBody.eventList.0.parentID"},
		{"transformation without inputs or outputs", doc(`{"type":"TransformationEvent","eventTime":"2024-05-01T08:00:00Z","eventTimeZoneOffset":"+00:00","bizStep":"transforming"}`), Limits{}, ValidationException, 0, "epcisBody.eventList.0"},
		{"transformation with an action", doc(`{"type":"TransformationEvent","action":"ADD","eventTime":"2024-05-01T08:00:00Z","eventTimeZoneOffset":"+00:00","inputEPCList":["urn:epc:id:sgtin:4012345.011111.1"]}`), Limits{}, ValidationException, 0, "epcisBody.eventList.0.action"},
		{"transaction without bizTransactionList", doc(`{"type":"TransactionEvent","action":"ADD","eventTime":"2024-05-01T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":[]}`), Limits{}, ValidationException, 0, "epcisBody.eventList.0.bizTransactionList"},
		{"too many events", doc(okEvent, okEvent, okEvent), Limits{MaxEvents: 2}, CaptureLimitExceededException, 2, "epcisBody.eventList.2"},
		{"too many events before the header", `{"epcisBody":{"eventList":[` + okEvent + `,` + okEvent + `]},"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T00:00:00Z"}`, Limits{MaxEvents: 1}, CaptureLimitExceededException, 1, "epcisBody.eventList.1"},
		{"queryResults in an EPCISDocument", strings.Replace(doc(okEvent), `"epcisBody":{"eventList":`, `"epcisBody":{"queryResults":{"resultsBody":{"eventList":`, 1) + "}}", Limits{}, ValidationException, -1, "epcisBody.queryResults"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(c.doc), c.limits)
			var err error
			for err == nil {
				_, err = d.Next()
			}
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("got %v, want a *Problem", err)
			}
			if p.Type != c.typ || p.EventIndex != c.index || p.Field != c.field {
				t.Errorf("got %s index %d field %q (%s), want %s index %d field %q", p.Type, p.EventIndex, p.Field, p.Detail, c.typ, c.index, c.field)
			}
			if p.Status != c.typ.Status() || p.Title == "" || p.Detail == "" {
				t.Errorf("incomplete problem %+v", p)
			}
			// The decoder stays spent.
			if _, again := d.Next(); again != err {
				t.Errorf("second Next = %v, want the same error", again)
			}
		})
	}
}

func TestDecoderAnyKeyOrder(t *testing.T) {
	// The body first, the context last, as GS1's "all possible fields"
	// examples are written: the extension prefix must still be known to
	// the events.
	in := `{"epcisBody":{"eventList":[` + ev("ex:note", `"fragile"`) + `,` + okEvent + `]},"creationDate":"2024-05-01T00:00:00Z",
	"schemaVersion":"2.0","type":"EPCISDocument","@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",{"ex":"https://ns.example.com/"}]}`
	d := NewDecoder(strings.NewReader(in), Limits{})
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != "EPCISDocument" || h.Context["ex"] != "https://ns.example.com/" || !h.CreationDate.Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("header %+v", h)
	}
	e, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Extensions["ex:note"]) != `"fragile"` || e.Context["ex"] != "https://ns.example.com/" {
		t.Errorf("extension %s, context %v", e.Extensions["ex:note"], e.Context)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("after the last event: %v, want io.EOF", err)
	}
}

func TestDecoderQueryDocumentAndHeader(t *testing.T) {
	in := `{"@context":"https://ref.gs1.org/standards/epcis/epcis-context.jsonld","type":"EPCISQueryDocument","schemaVersion":"2.0",
	"creationDate":"2024-05-01T00:00:00Z","id":"urn:uuid:1","instanceIdentifier":"42","sender":"urn:epc:id:pgln:4012345.00000",
	"epcisHeader":{"epcisMasterData":{"vocabularyList":[]}},"ex:batch":"7",
	"epcisBody":{"queryResults":{"subscriptionID":"s1","queryName":"SimpleEventQuery","resultsBody":{"eventList":[` + okEvent + `]}}}}`
	d := NewDecoder(strings.NewReader(in), Limits{MaxEvents: 1})
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	if h.QueryName != "SimpleEventQuery" || h.SubscriptionID != "s1" || h.ID != "urn:uuid:1" || h.InstanceIdentifier != "42" ||
		h.Sender == "" || string(h.EPCISHeader) != `{"epcisMasterData":{"vocabularyList":[]}}` || string(h.Extensions["ex:batch"]) != `"7"` {
		t.Errorf("header %+v", h)
	}
	e, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if _, off := e.EventTime.Zone(); off != 8*3600 || e.EventTime.Nanosecond() != 5e8 {
		t.Errorf("eventTime %v lost its offset or fraction", e.EventTime)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

// failingReader fails after its data.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestDecoderReaderFailureIsNotAProblem(t *testing.T) {
	d := NewDecoder(failingReader{strings.NewReader(docHead + okEvent)}, Limits{})
	var err error
	for err == nil {
		_, err = d.Next()
	}
	var p *Problem
	if errors.As(err, &p) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("got %v, want the reader's error, not a refusal", err)
	}
}

func TestEventExtensionsRoundTrip(t *testing.T) {
	in := ev("ex:outer", `{"ex:inner":[1,"two",{"ex:deep":true}]}`)
	in = strings.Replace(in, `"readPoint":{`, `"readPoint":{"ex:floor":"2",`, 1)
	var e Event
	if err := json.Unmarshal([]byte(in), &e); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal([]byte(in), &a)
	json.Unmarshal(out, &b)
	if !jsonEqual(a, b) {
		t.Errorf("round trip:\n in %s\nout %s", in, out)
	}
}

func TestVocabularyNormalised(t *testing.T) {
	in := `{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2024-05-01T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":[],
	"bizStep":"https://ref.gs1.org/cbv/BizStep-shipping","disposition":"urn:epcglobal:cbv:disp:in_transit",
	"bizTransactionList":[{"type":"urn:epcglobal:cbv:btt:po","bizTransaction":"urn:epcglobal:cbv:bt:4012345000009:1"}],
	"sourceList":[{"type":"cbv:SDT-owning_party","source":"urn:epc:id:pgln:4012345.00000"}],
	"destinationList":[{"type":"https://example.com/my-type","destination":"urn:epc:id:pgln:4012345.00000"}],
	"persistentDisposition":{"set":["https://ref.gs1.org/cbv/Disp-recalled"]},
	"sensorElementList":[{"sensorReport":[{"type":"gs1:Temperature","value":4,"uom":"CEL"},{"type":"https://gs1.org/voc/Temperature","exception":"gs1:ALARM_CONDITION"},{"type":"Temperature","component":"cbv:Comp-x"}]}]}`
	var e Event
	if err := json.Unmarshal([]byte(in), &e); err != nil {
		t.Fatal(err)
	}
	got := []string{e.BizStep, e.Disposition, e.BizTransactionList[0].Type, e.SourceList[0].Type, e.DestinationList[0].Type, e.PersistentDisposition.Set[0],
		e.SensorElementList[0].SensorReport[0].Type, e.SensorElementList[0].SensorReport[1].Type, e.SensorElementList[0].SensorReport[1].Exception,
		e.SensorElementList[0].SensorReport[2].Type, e.SensorElementList[0].SensorReport[2].Component}
	want := []string{"shipping", "in_transit", "po", "owning_party", "https://example.com/my-type", "recalled", "Temperature", "Temperature", "ALARM_CONDITION", "Temperature", "x"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestProblemJSON(t *testing.T) {
	p := NewProblem(ValidationException, "quantity must be a finite, non-negative number")
	p.EventIndex = 3
	p.Field = "epcisBody.eventList.3.quantityList.0.quantity"
	p.Instance = "/capture/7"
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"epcisException:ValidationException","title":"Invalid EPCIS document or event","status":400,"detail":"quantity must be a finite, non-negative number","instance":"/capture/7","eventIndex":3,"field":"epcisBody.eventList.3.quantityList.0.quantity"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(NewProblem(CaptureLimitExceededException, "too many"))
	if strings.Contains(string(b), "eventIndex") || !strings.Contains(string(b), `"status":413`) {
		t.Errorf("document-level problem: %s", b)
	}
	for _, c := range []struct {
		t      ExceptionType
		status int
	}{{ImplementationException, 500}, {QueryParameterException, 400}, {NoSuchResourceException, 404}, {SubscriptionControlsException, 400}, {QueryTooLargeException, 413}} {
		if c.t.Status() != c.status {
			t.Errorf("%s status %d, want %d", c.t, c.t.Status(), c.status)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
