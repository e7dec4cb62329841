package epcis_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"suyuan/internal/epcis"
)

// A capture: read the document one event at a time and name each event
// by its hash. The first problem refuses the whole document, so a real
// capture keeps nothing until Next has returned io.EOF.
func Example_capture() {
	doc := `{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
	"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T00:00:00Z",
	"epcisBody":{"eventList":[
	  {"type":"ObjectEvent","action":"OBSERVE","bizStep":"urn:epcglobal:cbv:bizstep:shipping",
	   "eventTime":"2024-05-01T08:00:00+08:00","eventTimeZoneOffset":"+08:00",
	   "quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012345.L1","quantity":12.5,"uom":"KGM"}],
	   "readPoint":{"id":"urn:epc:id:sgln:4012345.00011.0"}},
	  {"type":"ObjectEvent","action":"OBSERVE","eventTime":"2024-05-01T09:00:00+08:00","eventTimeZoneOffset":"+08:00",
	   "quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012345.L1","quantity":-1,"uom":"KGM"}]}
	]}}`
	d := epcis.NewDecoder(strings.NewReader(doc), epcis.Limits{MaxEvents: 10000})
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		var p *epcis.Problem
		if errors.As(err, &p) {
			b, _ := json.Marshal(p)
			fmt.Println(p.Status, string(b))
			return
		}
		if err != nil {
			panic(err)
		}
		if err := epcis.EnsureEventID(e); err != nil {
			panic(err)
		}
		k, _ := epcis.ParseKey(e.QuantityList[0].EPCClass)
		unit, _ := epcis.UnitFromUOM(e.QuantityList[0].UOM)
		fmt.Println(e.BizStep, k.DigitalLink(""), *e.QuantityList[0].Quantity, unit, e.EventID[:20])
	}
	// Output:
	// shipping https://id.gs1.org/01/04012345123456/10/L1 12.5 KG ni:///sha-256;00a256
	// 400 {"type":"epcisException:ValidationException","title":"Invalid EPCIS document or event","status":400,"detail":"must be a finite, non-negative number","eventIndex":1,"field":"epcisBody.eventList.1.quantityList.0.quantity"}
}

// A query answer, written as the events are read from storage.
func ExampleNewQueryDocumentWriter() {
	w := epcis.NewQueryDocumentWriter(os.Stdout, "SimpleEventQuery", time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
	q := 3.0
	w.Write(&epcis.Event{
		Type: epcis.ObjectEvent, Action: epcis.Observe, BizStep: epcis.BizStepReceiving,
		EventTime: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), EventTimeZoneOffset: "+08:00",
		QuantityList: []epcis.Quantity{{EPCClass: epcis.LGTIN("6901234567892", "L1"), Quantity: &q, UOM: "KGM"}},
		ReadPoint:    &epcis.Location{ID: epcis.SGLN("6901234000009", "")},
	})
	if err := w.Close(); err != nil {
		panic(err)
	}
	// Output:
	// {"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISQueryDocument","schemaVersion":"2.0","creationDate":"2024-05-02T00:00:00Z","epcisBody":{"queryResults":{"queryName":"SimpleEventQuery","resultsBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2024-05-01T10:00:00Z","eventTimeZoneOffset":"+08:00","quantityList":[{"epcClass":"https://id.gs1.org/01/06901234567892/10/L1","quantity":3,"uom":"KGM"}],"action":"OBSERVE","bizStep":"receiving","readPoint":{"id":"https://id.gs1.org/414/6901234000009"}}]}}}}
}
