package epcis

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestQueryDocumentWriter(t *testing.T) {
	var buf bytes.Buffer
	created := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	w := NewQueryDocumentWriter(&buf, "", created)
	a, b := sampleEvent(), sampleEvent()
	b.Extensions = map[string]json.RawMessage{"ex:note": json.RawMessage(`"fragile"`)}
	b.Context = map[string]string{"ex": "https://ns.example.com/", "gs1": "https://gs1.org/voc/"}
	for _, e := range []*Event{a, b} {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	var doc struct {
		Context       []string `json:"@context"`
		Type          string
		SchemaVersion string
		CreationDate  string
		EPCISBody     struct {
			QueryResults struct {
				QueryName   string
				ResultsBody struct{ EventList []map[string]any }
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if len(doc.Context) != 1 || doc.Context[0] != ContextURL || doc.Type != "EPCISQueryDocument" || doc.SchemaVersion != "2.0" ||
		doc.CreationDate != "2024-05-01T00:00:00Z" || doc.EPCISBody.QueryResults.QueryName != "SimpleEventQuery" {
		t.Errorf("document header: %s", buf.Bytes())
	}
	l := doc.EPCISBody.QueryResults.ResultsBody.EventList
	if len(l) != 2 || l[0]["bizStep"] != "shipping" || l[1]["ex:note"] != "fragile" {
		t.Errorf("events: %v", l)
	}
	// The event carries the prefixes its document declared, so that it
	// reads back (and hashes) the same.
	if ctx, _ := l[1]["@context"].(map[string]any); len(ctx) != 2 || ctx["ex"] != "https://ns.example.com/" || ctx["gs1"] != "https://gs1.org/voc/" {
		t.Errorf("event @context = %v", l[1]["@context"])
	}
	// And it reads back.
	h, events := decodeAll(t, bytes.NewReader(buf.Bytes()))
	if h.QueryName != "SimpleEventQuery" || len(events) != 2 || events[1].Context["ex"] != "https://ns.example.com/" {
		t.Errorf("read back: %+v, %d events", h, len(events))
	}
	ha, _ := Hash(a)
	if hb, _ := Hash(events[0]); ha != hb {
		t.Error("hash changed through the writer")
	}
}

func TestEmptyQueryDocument(t *testing.T) {
	var buf bytes.Buffer
	if err := NewQueryDocumentWriter(&buf, "MyQuery", time.Time{}).Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"queryName":"MyQuery","resultsBody":{"eventList":[]}`) || !json.Valid(buf.Bytes()) {
		t.Errorf("empty document: %s", buf.Bytes())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestDocumentWriterReportsWriteErrors(t *testing.T) {
	w := NewQueryDocumentWriter(failingWriter{}, "", time.Time{})
	var err error
	for i := 0; i < 2000 && err == nil; i++ { // past the buffer
		err = w.Write(sampleEvent())
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("got %v, want the write error", err)
	}
}

func TestEncode(t *testing.T) {
	var buf bytes.Buffer
	e := sampleEvent()
	if err := Encode(&buf, e); err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(e)
	if buf.String() != string(m) {
		t.Errorf("Encode and MarshalJSON differ:\n%s\n%s", buf.Bytes(), m)
	}
	want := `{"type":"ObjectEvent","eventTime":"2024-05-01T08:00:00+08:00","eventTimeZoneOffset":"+08:00","quantityList":[{"epcClass":"https://id.gs1.org/01/06901234567892/10/L1","quantity":5,"uom":"KGM"}],"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","readPoint":{"id":"https://id.gs1.org/414/6901234000009"}}`
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.Bytes(), want)
	}
}
