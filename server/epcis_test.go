package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"suyuan/internal/epcis"
	"suyuan/internal/gs1"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// epcisChain is a chain whose facilities have GLNs, with a logged-in
// client for each party, as partner systems would capture for it.
type epcisChain struct {
	chain
	farmGLN, plantGLN, storeGLN, otherGLN      string
	pigsGTIN, porkGTIN                         string
	asFarm, asPlant, asCarrier, asStore, asLab *api
	asOutsider, asRegulator                    *api
}

func (a *api) epcisChain(n int) epcisChain {
	a.t.Helper()
	c := epcisChain{chain: a.newChain()}
	c.farmGLN, c.plantGLN, c.storeGLN, c.otherGLN = gln(a.t, 4*n), gln(a.t, 4*n+1), gln(a.t, 4*n+2), gln(a.t, 4*n+3)
	a.must(nil, updateFacGLN, map[string]any{"id": c.farm, "gln": c.farmGLN})
	a.must(nil, updateFacGLN, map[string]any{"id": c.plant, "gln": c.plantGLN})
	a.must(nil, updateFacGLN, map[string]any{"id": c.store, "gln": c.storeGLN})
	for _, p := range []struct {
		id  string
		out *string
	}{{c.pigs, &c.pigsGTIN}, {c.pork, &c.porkGTIN}} {
		var g struct{ Node struct{ Gtin string } }
		a.must(&g, productGTINOf, map[string]any{"id": p.id})
		*p.out = g.Node.Gtin
	}
	staff := func(org string) *api { return a.as(a.login(a.account(id(a.t, org), "STAFF"))) }
	c.asFarm, c.asPlant, c.asCarrier, c.asStore, c.asLab = staff(c.farmOrg), staff(c.plantOrg), staff(c.carrierOrg), staff(c.shopOrg), staff(c.labOrg)
	other := a.org("PRODUCER")
	otherFarm := a.facility(other, "FARM")
	a.must(nil, updateFacGLN, map[string]any{"id": otherFarm, "gln": c.otherGLN})
	c.asOutsider = staff(other)
	c.asRegulator = a.regulator("511802")
	return c
}

// regulator returns a client for a regulator of region.
func (a *api) regulator(region string) *api {
	a.t.Helper()
	*a.seq++
	var out struct{ CreateOrganization struct{ ID string } }
	a.must(&out, createOrg, map[string]any{"in": map[string]any{
		"name": "Bureau " + strconv.Itoa(*a.seq), "kind": "REGULATOR",
		"creditCode": creditCode(a.t, *a.seq), "regionCode": region,
	}})
	return a.as(a.login(a.account(id(a.t, out.CreateOrganization.ID), "REGULATOR")))
}

func sgln(g string) string { return epcis.SGLN(g, "") }

// epcisDoc wraps events in an EPCISDocument.
func epcisDoc(events ...map[string]any) map[string]any {
	return map[string]any{
		"@context": []any{"https://ref.gs1.org/standards/epcis/epcis-context.jsonld"},
		"type":     "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-05T10:00:00+08:00",
		"epcisBody": map[string]any{"eventList": events},
	}
}

// objectEvent is an ObjectEvent of quantities of lots at a location, at
// a time given in Ya'an's offset.
func objectEvent(action, step, where, at string, qs ...map[string]any) map[string]any {
	e := map[string]any{
		"type": "ObjectEvent", "action": action, "bizStep": step,
		"eventTime": at, "eventTimeZoneOffset": "+08:00",
		"bizLocation": map[string]any{"id": where}, "quantityList": qs,
	}
	if action == "OBSERVE" || action == "ADD" {
		e["disposition"] = map[string]string{"commissioning": "active", "shipping": "in_transit", "receiving": "in_progress", "stocking": "sellable_accessible"}[step]
		if e["disposition"] == "" {
			delete(e, "disposition")
		}
	}
	return e
}

func qty(class string, n float64, uom string) map[string]any {
	return map[string]any{"epcClass": class, "quantity": n, "uom": uom}
}

// captureAnswer is what a capture or a query answered.
type captureAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// epcisDo sends a request to the EPCIS binding.
func (a *api) epcisDo(method, path string, body []byte, header map[string]string) captureAnswer {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/ld+json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := a.send(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	out := captureAnswer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 && json.Unmarshal(raw, &out.body) != nil {
		a.t.Fatalf("%s %s answered %d with no JSON: %s", method, path, res.StatusCode, raw)
	}
	return out
}

// capture posts an EPCISDocument and expects it captured.
func (a *api) capture(doc map[string]any) captureAnswer {
	a.t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		a.t.Fatal(err)
	}
	res := a.epcisDo("POST", "/epcis/capture", b, nil)
	if res.status != http.StatusAccepted {
		a.t.Fatalf("capture answered %d: %s", res.status, res.raw)
	}
	if !strings.HasPrefix(res.header.Get("Location"), "/epcis/capture/") {
		a.t.Fatalf("capture gave no Location of its job: %v", res.header)
	}
	return res
}

// refused posts an EPCISDocument and expects it refused with status and
// the problem type's name in its type.
func (a *api) captureRefused(doc any, status int, problem string, header map[string]string) captureAnswer {
	a.t.Helper()
	var b []byte
	switch d := doc.(type) {
	case string:
		b = []byte(d)
	default:
		var err error
		if b, err = json.Marshal(d); err != nil {
			a.t.Fatal(err)
		}
	}
	res := a.epcisDo("POST", "/epcis/capture", b, header)
	if res.status != status || !strings.HasSuffix(str(res.body["type"]), problem) {
		a.t.Fatalf("capture answered %d %s, want %d %s: %s", res.status, str(res.body["type"]), status, problem, res.raw)
	}
	if res.header.Get("Content-Type") != epcis.ProblemContentType || res.header.Get("GS1-EPCIS-Version") != "2.0.0" {
		a.t.Errorf("a refusal came as %q, GS1-EPCIS-Version %q", res.header.Get("Content-Type"), res.header.Get("GS1-EPCIS-Version"))
	}
	return res
}

// events queries /epcis/events and returns the eventIDs of the answer.
func (a *api) events(query string) ([]map[string]any, captureAnswer) {
	a.t.Helper()
	res := a.epcisDo("GET", "/epcis/events?"+query, nil, nil)
	if res.status != http.StatusOK {
		a.t.Fatalf("query %s answered %d: %s", query, res.status, res.raw)
	}
	return eventList(a.t, res.body), res
}

func eventList(t testing.TB, body map[string]any) []map[string]any {
	t.Helper()
	if body["type"] != "EPCISQueryDocument" {
		t.Fatalf("not a query document: %v", body)
	}
	results := body["epcisBody"].(map[string]any)["queryResults"].(map[string]any)["resultsBody"].(map[string]any)
	var out []map[string]any
	for _, e := range results["eventList"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// count returns the rows of the tables a refused capture must not touch.
func (a *api) captureRows() map[string]int {
	out := map[string]int{}
	for _, t := range []string{"events", "event_keys", "changes", "batches", "shipments", "stocks", "capture_jobs", "alerts"} {
		out[t] = a.count(t)
	}
	return out
}

// TestEPCISPorkChain: a farm, a slaughterhouse, a cold-chain carrier, a
// supermarket and a laboratory whose systems speak EPCIS record the pork
// chain by capture alone — the pigs commissioned and shipped, received and
// slaughtered into two cuts in a transformation told in two parts, the
// loin packed on a pallet that ships its contents, the carrier's
// temperature readings, the shop's receipt and shelf, the laboratory's
// inspection — and GraphQL traces it like any chain recorded through it.
// Each party then reads from the log the events it is party to, no other.
func TestEPCISPorkChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.epcisChain(1)
		ribsProduct := a.product(c.plantOrg, "排骨 Pork ribs", "KG")
		var g struct{ Node struct{ Gtin string } }
		a.must(&g, productGTINOf, map[string]any{"id": ribsProduct})
		carrierGLN := gln(t, 99)
		a.must(nil, updateOrgGLN, map[string]any{"id": c.carrierOrg, "gln": carrierGLN})
		pigs, pork, ribs := epcis.LGTIN(c.pigsGTIN, "PIG-1"), epcis.LGTIN(c.porkGTIN, "LOIN-1"), epcis.LGTIN(g.Node.Gtin, "RIB-1")
		ssccBody := "069010000000000" + "01"
		check, err := gs1.CheckDigit(ssccBody)
		if err != nil {
			t.Fatal(err)
		}
		sscc := ssccBody + string(check)
		palletID := epcis.SSCC(sscc)
		desadv := func(n string) []any {
			return []any{map[string]any{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:" + c.farmGLN + ":" + n}}
		}
		slaughter := "urn:uuid:7f3c5a2e-0d4b-4c61-9a8e-2b7d1f6e9c10"

		born := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-01T08:00:00+08:00", qty(pigs, 10, "HEA"))
		born["ilmd"] = map[string]any{"cbvmda:itemExpirationDate": "2026-06-01"}
		sent := objectEvent("OBSERVE", "shipping", sgln(c.farmGLN), "2026-03-02T06:00:00+08:00", qty(pigs, 10, "HEA"))
		sent["destinationList"] = []any{map[string]any{"type": "location", "destination": sgln(c.plantGLN)}}
		sent["bizTransactionList"] = desadv("D-1")
		res := c.asFarm.capture(epcisDoc(born, sent))
		if num(res.body["captured"]) != 2 || res.body["success"] != true {
			t.Fatalf("the farm's capture: %s", res.raw)
		}

		// The plant's system tells the slaughter in two parts: the pigs
		// go in, then — in a later document — the two cuts come out.
		got := objectEvent("OBSERVE", "receiving", sgln(c.plantGLN), "2026-03-02T11:00:00+08:00", qty(pigs, 10, "HEA"))
		got["bizTransactionList"] = desadv("D-1")
		in := map[string]any{
			"type": "TransformationEvent", "transformationID": slaughter,
			"eventTime": "2026-03-03T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"bizLocation":       map[string]any{"id": "urn:epc:id:sgln:" + c.plantGLN[:7] + "." + c.plantGLN[7:12] + ".0"},
			"inputQuantityList": []any{qty(pigs, 10, "HEA")},
		}
		c.asPlant.capture(epcisDoc(got, in))
		out := map[string]any{
			"type": "TransformationEvent", "bizStep": "commissioning", "transformationID": slaughter,
			"eventTime": "2026-03-03T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"bizLocation":        map[string]any{"id": sgln(c.plantGLN)},
			"outputQuantityList": []any{qty(pork, 500, "KGM"), qty(ribs, 300, "KGM")},
		}
		packed := map[string]any{
			"type": "AggregationEvent", "action": "ADD", "bizStep": "packing", "parentID": palletID,
			"eventTime": "2026-03-04T04:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"bizLocation":       map[string]any{"id": sgln(c.plantGLN)},
			"childQuantityList": []any{qty(pork, 200, "KGM")},
		}
		toShop := map[string]any{
			"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
			"eventTime": "2026-03-04T05:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"bizLocation": map[string]any{"id": sgln(c.plantGLN)}, "epcList": []any{palletID},
			"bizTransactionList": desadv("D-2"),
			"destinationList": []any{
				map[string]any{"type": "location", "destination": sgln(c.storeGLN)},
				map[string]any{"type": "possessing_party", "destination": "urn:epc:id:pgln:" + carrierGLN[:7] + "." + carrierGLN[7:12]},
			},
		}
		c.asPlant.capture(epcisDoc(out, packed, toShop))

		// The carrier's system reports the truck's temperatures.
		reading := func(at string, v float64) map[string]any {
			return map[string]any{"type": "Temperature", "value": v, "uom": "CEL", "time": at}
		}
		truck := map[string]any{
			"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "transporting",
			"eventTime": "2026-03-04T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"epcList": []any{palletID}, "bizTransactionList": desadv("D-2"),
			"sensorElementList": []any{map[string]any{"sensorReport": []any{
				reading("2026-03-04T06:00:00+08:00", 2.5), reading("2026-03-04T07:00:00+08:00", 3.0), reading("2026-03-04T08:00:00+08:00", 2.8),
			}}},
		}
		c.asCarrier.capture(epcisDoc(truck))

		arrived := objectEvent("OBSERVE", "receiving", sgln(c.storeGLN), "2026-03-04T09:30:00+08:00")
		delete(arrived, "quantityList")
		arrived["epcList"] = []any{palletID}
		arrived["bizTransactionList"] = desadv("D-2")
		shelved := objectEvent("OBSERVE", "stocking", sgln(c.storeGLN), "2026-03-04T10:00:00+08:00", qty(pork, 40, "KGM"))
		c.asStore.capture(epcisDoc(arrived, shelved))

		tested := objectEvent("OBSERVE", "inspecting", sgln(c.storeGLN), "2026-03-04T15:00:00+08:00", qty(pork, 0.5, "KGM"))
		tested["disposition"] = "conformant"
		c.asLab.capture(epcisDoc(tested))

		// GraphQL sees the chain: the loin's lineage reaches the farm's
		// pigs through the slaughter, sharing the pigs between the cuts.
		var lot struct{ BatchByLot struct{ ID string } }
		a.must(&lot, batchByLot, map[string]any{"gtin": c.porkGTIN, "lot": "LOIN-1"})
		var up struct {
			Lineage struct {
				Nodes []struct{ Batch struct{ LotCode string } }
				Edges []struct {
					Quantity float64
					Unit     string
				}
			}
		}
		a.must(&up, `query($b: ID!) { lineage(batchId: $b, direction: UPSTREAM) { nodes { batch { lotCode } } edges { quantity unit } } }`, map[string]any{"b": lot.BatchByLot.ID})
		if len(up.Lineage.Nodes) != 1 || up.Lineage.Nodes[0].Batch.LotCode != "PIG-1" || len(up.Lineage.Edges) != 1 ||
			up.Lineage.Edges[0].Quantity != 6.25 || up.Lineage.Edges[0].Unit != "HEAD" {
			t.Errorf("the loin's lineage (500 of 800 kg made from 10 pigs): %+v", up.Lineage)
		}
		var pigLot struct{ BatchByLot struct{ ID string } }
		a.must(&pigLot, batchByLot, map[string]any{"gtin": c.pigsGTIN, "lot": "PIG-1"})
		var down struct {
			Lineage struct {
				Nodes     []struct{ Batch struct{ LotCode string } }
				Shipments []struct {
					Status    string
					Carrier   struct{ ID string }
					To        struct{ ID string }
					Quantity  float64
					ColdChain struct {
						Verdict  string
						Readings int
					}
				}
				ShelfEvents []struct{ Quantity float64 }
			}
		}
		a.must(&down, `query($b: ID!) { lineage(batchId: $b, direction: DOWNSTREAM) { nodes { batch { lotCode } }
			shipments { status carrier { id } to { id } quantity coldChain { verdict readings } } shelfEvents { quantity } } }`,
			map[string]any{"b": pigLot.BatchByLot.ID})
		l := down.Lineage
		if len(l.Nodes) != 2 || len(l.Shipments) != 2 || len(l.ShelfEvents) != 1 || l.ShelfEvents[0].Quantity != 40 {
			t.Fatalf("where the pigs went: %+v", l)
		}
		for _, s := range l.Shipments {
			if s.Quantity == 200 && (s.To.ID != c.store || s.Status != "DELIVERED" || s.Carrier.ID != c.carrierOrg ||
				s.ColdChain.Readings != 3 || s.ColdChain.Verdict != "OK") {
				t.Errorf("the loin's trip to the shop: %+v", s)
			}
		}
		// Stock follows the goods: of 500 kg of loin, 200 left the plant
		// and reached the shop, which shelved 40; the pigs were used up.
		stocks := func(gtin, lot string) map[string]float64 {
			var out struct {
				BatchByLot struct {
					Stocks struct {
						Edges []struct {
							Node struct {
								Quantity float64
								Facility struct{ ID string }
							}
						}
					}
				}
			}
			a.must(&out, `query($g: String!, $l: String!) { batchByLot(gtin: $g, lot: $l) { stocks { edges { node { quantity facility { id } } } } } }`,
				map[string]any{"g": gtin, "l": lot})
			m := map[string]float64{}
			for _, e := range out.BatchByLot.Stocks.Edges {
				m[e.Node.Facility.ID] = e.Node.Quantity
			}
			return m
		}
		if got := stocks(c.porkGTIN, "LOIN-1"); got[c.plant] != 300 || got[c.store] != 160 {
			t.Errorf("the loin's stock: %v, want 300 kg at the plant and 160 at the shop", got)
		}
		if got := stocks(c.pigsGTIN, "PIG-1"); got[c.farm] != 0 || got[c.plant] != 0 {
			t.Errorf("the pigs' stock: %v, want none left", got)
		}
		// Selling part of what is on the shelf leaves the shelving there,
		// so that a recall still reaches it; selling it all takes it off.
		onShelf := func() int {
			var out struct {
				Lineage struct {
					ShelfEvents []struct{ RemovedAt *string }
				}
			}
			a.must(&out, `query($b: ID!) { lineage(batchId: $b, direction: DOWNSTREAM) { shelfEvents { removedAt } } }`, map[string]any{"b": lot.BatchByLot.ID})
			n := 0
			for _, se := range out.Lineage.ShelfEvents {
				if se.RemovedAt == nil {
					n++
				}
			}
			return n
		}
		c.asStore.capture(epcisDoc(objectEvent("OBSERVE", "retail_selling", sgln(c.storeGLN), "2026-03-04T12:00:00+08:00", qty(pork, 10, "KGM"))))
		if n := onShelf(); n != 1 {
			t.Errorf("after selling 10 kg of 40, %d shelvings on the shelf, want 1", n)
		}
		c.asStore.capture(epcisDoc(objectEvent("OBSERVE", "retail_selling", sgln(c.storeGLN), "2026-03-04T13:00:00+08:00", qty(pork, 40, "KGM"))))
		if n := onShelf(); n != 0 {
			t.Errorf("after selling all 40 kg, %d shelvings on the shelf, want none", n)
		}
		var pallet struct{ BatchesBySSCC []struct{ LotCode string } }
		a.must(&pallet, `query($s: String!) { batchesBySSCC(sscc: $s) { lotCode } }`, map[string]any{"s": sscc})
		if len(pallet.BatchesBySSCC) != 1 || pallet.BatchesBySSCC[0].LotCode != "LOIN-1" {
			t.Errorf("what is on the pallet: %+v", pallet.BatchesBySSCC)
		}
		var hidden struct{ BatchesBySSCC []struct{ LotCode string } }
		c.asOutsider.must(&hidden, `query($s: String!) { batchesBySSCC(sscc: $s) { lotCode } }`, map[string]any{"s": sscc})
		if len(hidden.BatchesBySSCC) != 0 {
			t.Errorf("an outsider reads the pallet's lots: %+v", hidden.BatchesBySSCC)
		}
		a.fails("BAD_USER_INPUT", "sscc", `{ batchesBySSCC(sscc: "123") { id } }`, nil)
		if n := a.count("inspections"); n != 1 {
			t.Errorf("%d inspections recorded", n)
		}
		if n := a.count("alerts"); n != 0 {
			t.Errorf("a chain without holes raised %d alerts", n)
		}

		// The log: each party reads what it is party to.
		all, _ := a.events("perPage=100")
		if len(all) != 13 {
			t.Fatalf("the administrator reads %d events, want 13", len(all))
		}
		for _, e := range all {
			if e["eventTimeZoneOffset"] != "+08:00" || e["recordTime"] == nil || !strings.HasPrefix(str(e["eventID"]), "ni:///sha-256;") {
				t.Errorf("an event as stored: %v", e)
			}
		}
		for who, cl := range map[string]*api{"farm": c.asFarm, "plant": c.asPlant, "store": c.asStore, "carrier": c.asCarrier, "lab": c.asLab, "outsider": c.asOutsider, "regulator": c.asRegulator} {
			evs, _ := cl.events("perPage=100")
			// The farm: its two, the plant's receipt of its pigs and both
			// parts of the slaughter that used them. The plant: all but the pigs' birth. The
			// carrier: the trip it carried — its despatch, its readings,
			// its arrival. The shop: the loin's despatch to it, what
			// happened to it there. The laboratory: its inspection. The
			// region's regulator: all.
			want := map[string]int{"farm": 5, "plant": 12, "carrier": 3, "store": 7, "lab": 1, "outsider": 0, "regulator": 13}[who]
			if len(evs) != want {
				var steps []string
				for _, e := range evs {
					steps = append(steps, str(e["type"])+" "+str(e["bizStep"]))
				}
				t.Errorf("%s reads %d events, want %d: %v", who, len(evs), want, steps)
			}
		}

		// The same fact in another syntax: the pigs' lot as an EPC URN
		// class finds the events that name it as a Digital Link.
		urn := "urn:epc:class:lgtin:" + c.pigsGTIN[1:8] + "." + c.pigsGTIN[:1] + c.pigsGTIN[8:13] + ".PIG-1"
		byURN, _ := a.events("MATCH_anyEPCClass=" + url.QueryEscape(urn))
		if len(byURN) != 4 {
			t.Errorf("MATCH_anyEPCClass by the lot's URN found %d events, want 4 (commissioned, shipped, received, used)", len(byURN))
		}
		byPath := a.epcisDo("GET", "/epcis/epcs/"+url.PathEscape(pigs)+"/events", nil, nil)
		if byPath.status != 200 || len(eventList(t, byPath.body)) != 4 {
			t.Errorf("/epcs/{lot}/events: %d %s", byPath.status, byPath.raw)
		}
		onPallet, _ := a.events("MATCH_anyEPC=" + url.QueryEscape("urn:epc:id:sscc:"+sscc[1:8]+"."+sscc[:1]+sscc[8:17]))
		if len(onPallet) != 4 {
			t.Errorf("events naming the pallet: %d, want 4 (packed, shipped, carried, received)", len(onPallet))
		}
		slaughtered, _ := a.events("EQ_transformationID=" + url.QueryEscape(slaughter))
		if len(slaughtered) != 2 {
			t.Errorf("the slaughter's parts: %d, want 2", len(slaughtered))
		}
		atPlant, _ := a.events("EQ_bizLocation=" + url.QueryEscape(sgln(c.plantGLN)) + "&eventType=ObjectEvent")
		if len(atPlant) != 2 {
			t.Errorf("ObjectEvents at the plant: %d, want 2", len(atPlant))
		}
		transformations := a.epcisDo("GET", "/epcis/eventTypes/TransformationEvent/events", nil, nil)
		if transformations.status != 200 || len(eventList(t, transformations.body)) != 2 {
			t.Errorf("/eventTypes/TransformationEvent/events: %d %s", transformations.status, transformations.raw)
		}
		bt, _ := a.events("EQ_bizTransaction_desadv=" + url.QueryEscape("urn:epcglobal:cbv:bt:"+c.farmGLN+":D-1"))
		if len(bt) != 2 {
			t.Errorf("the despatch advice D-1 names %d events, want 2", len(bt))
		}
		warm, _ := a.events("GE_value_FAH=" + url.QueryEscape("37.2")) // 2.9 °C
		if len(warm) != 1 {
			t.Errorf("events with a reading of at least 37.2 °F: %d, want 1", len(warm))
		}
		late, _ := a.events("GE_eventTime=" + url.QueryEscape("2026-03-04T09:00:00+08:00"))
		if len(late) != 5 {
			t.Errorf("events from 09:00 on 4 March: %d, want 5", len(late))
		}
		one := a.epcisDo("GET", "/epcis/events/"+url.PathEscape(str(all[0]["eventID"])), nil, nil)
		if one.status != 200 || len(eventList(t, one.body)) != 1 {
			t.Errorf("one event by its id: %d %s", one.status, one.raw)
		}
		if hidden := c.asOutsider.epcisDo("GET", "/epcis/events/"+url.PathEscape(str(all[0]["eventID"])), nil, nil); hidden.status != 404 {
			t.Errorf("an outsider reading the farm's event by its id: %d %s", hidden.status, hidden.raw)
		}
	})
}

// TestEPCISCaptureRefusals: what is malformed or not the caller's to say
// is refused with its problem and stores nothing — no event, no key, no
// change, no lot, no capture job.
func TestEPCISCaptureRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.epcisChain(2)
		pigs := epcis.LGTIN(c.pigsGTIN, "PIG-9")
		good := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-01T08:00:00+08:00", qty(pigs, 10, "HEA"))
		noTime := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "", qty(pigs, 10, "HEA"))
		delete(noTime, "eventTime")
		var key struct{ CreateAPIKey struct{ Secret string } }
		a.must(&key, `mutation($o: ID!) { createAPIKey(organizationID: $o, name: "reader") { secret } }`, map[string]any{"o": c.farmOrg})
		before := a.captureRows()
		for _, tc := range []struct {
			name    string
			as      *api
			doc     any
			header  map[string]string
			status  int
			problem string
			field   string
		}{
			{"no credentials", a.as(""), epcisDoc(good), nil, 401, "SecurityException", ""},
			{"a forged token", a.as("forged"), epcisDoc(good), nil, 401, "SecurityException", ""},
			{"an unknown API key", a.as(""), epcisDoc(good), map[string]string{"X-API-Key": "sk_forged"}, 401, "SecurityException", ""},
			{"an empty Idempotency-Key", c.asFarm, epcisDoc(good), map[string]string{"Idempotency-Key": ""}, 400, "ValidationException", "Idempotency-Key"},
			{"an event from the future", c.asFarm, epcisDoc(objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2099-03-01T08:00:00+08:00", qty(pigs, 10, "HEA"))), nil, 400, "ValidationException", "epcisBody.eventList.0.eventTime"},
			{"a read-only API key", a.as(""), epcisDoc(good), map[string]string{"X-API-Key": key.CreateAPIKey.Secret}, 403, "SecurityException", ""},
			{"not JSON", c.asFarm, `{"type": "EPCISDocument", "epcisBody": {"eventList": [`, nil, 400, "ValidationException", ""},
			{"not a document", c.asFarm, `[1, 2]`, nil, 400, "ValidationException", ""},
			{"a query document", c.asFarm, map[string]any{"@context": "https://ref.gs1.org/standards/epcis/epcis-context.jsonld", "type": "EPCISQueryDocument", "schemaVersion": "2.0", "creationDate": "2026-03-05T10:00:00Z", "epcisBody": map[string]any{"queryResults": map[string]any{}}}, nil, 400, "ValidationException", ""},
			{"an event without its time, after a good one", c.asFarm, epcisDoc(good, noTime), nil, 400, "ValidationException", "epcisBody.eventList.1.eventTime"},
			{"another organisation's facility", c.asOutsider, epcisDoc(good), nil, 403, "SecurityException", "epcisBody.eventList.0.bizLocation.id"},
			{"no event", c.asFarm, epcisDoc(), nil, 400, "ValidationException", ""},
			{"an unknown error behaviour", c.asFarm, epcisDoc(good), map[string]string{"GS1-Capture-Error-Behaviour": "ignore"}, 400, "ValidationException", ""},
			{"not JSON-LD", c.asFarm, epcisDoc(good), map[string]string{"Content-Type": "text/xml"}, 415, "UnsupportedMediaTypeException", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := tc.as.forTest(t).captureRefused(tc.doc, tc.status, tc.problem, tc.header)
				if tc.field != "" && str(res.body["field"]) != tc.field {
					t.Errorf("the problem names %q, want %q: %s", res.body["field"], tc.field, res.raw)
				}
				if str(res.body["detail"]) == "" || strings.Contains(strings.ToLower(res.raw), "sql") {
					t.Errorf("the problem does not say what is wrong, or says too much: %s", res.raw)
				}
				if after := a.captureRows(); !equalCounts(before, after) {
					t.Errorf("a refused capture stored something: %v, then %v", before, after)
				}
			})
		}
		t.Run("too large", func(t *testing.T) {
			body := `{"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-05T10:00:00Z", "padding": "` +
				strings.Repeat("x", 21<<20) + `"}`
			c.asFarm.forTest(t).captureRefused(body, 413, "CaptureLimitExceededException", nil)
			if after := a.captureRows(); !equalCounts(before, after) {
				t.Errorf("a refused capture stored something: %v, then %v", before, after)
			}
		})
	})
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEPCISCaptureFacts: the same fact captured twice is stored once; a
// retry with its Idempotency-Key is answered again without a second
// capture; a true event with a hole before it is stored and the hole
// raised as an alert; with GS1-Capture-Error-Behaviour: proceed, the
// events that may be captured are, and the job says which were not.
func TestEPCISCaptureFacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.epcisChain(3)
		pigs, pork := epcis.LGTIN(c.pigsGTIN, "PIG-3"), epcis.LGTIN(c.porkGTIN, "LOIN-3")
		born := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-01T08:00:00+08:00", qty(pigs, 10, "HEA"))
		doc := epcisDoc(born)
		first := c.asFarm.capture(doc)
		events := a.count("events")
		again := c.asFarm.capture(doc)
		if num(again.body["captured"]) != 0 || num(again.body["duplicates"]) != 1 || a.count("events") != events {
			t.Errorf("the same event captured again: %s; %d events, were %d", again.raw, a.count("events"), events)
		}
		if first.header.Get("Location") == again.header.Get("Location") {
			t.Error("two captures share a capture job")
		}

		t.Run("Idempotency-Key", func(t *testing.T) {
			b, _ := json.Marshal(epcisDoc(objectEvent("OBSERVE", "inspecting", sgln(c.farmGLN), "2026-03-01T09:00:00+08:00", qty(pigs, 10, "HEA"))))
			h := map[string]string{"Idempotency-Key": "farm-capture-1"}
			one := c.asFarm.epcisDo("POST", "/epcis/capture", b, h)
			jobs := a.count("capture_jobs")
			two := c.asFarm.epcisDo("POST", "/epcis/capture", b, h)
			if one.status != 202 || two.status != 202 || two.header.Get("Idempotent-Replayed") != "true" ||
				two.header.Get("Location") != one.header.Get("Location") || a.count("capture_jobs") != jobs {
				t.Errorf("a retry: %d %v, then %d %v; %d jobs, were %d", one.status, one.header, two.status, two.header, a.count("capture_jobs"), jobs)
			}
			other := c.asFarm.epcisDo("POST", "/epcis/capture", append(b[:len(b):len(b)], ' '), h)
			if other.status != http.StatusUnprocessableEntity || other.body["code"] != "IDEMPOTENCY_KEY_REUSED" ||
				other.header.Get("Content-Type") != epcis.ProblemContentType || other.header.Get("GS1-EPCIS-Version") == "" {
				t.Errorf("another document under the same key: %d %v %s", other.status, other.header, other.raw)
			}
		})

		t.Run("holes are stored and raised", func(t *testing.T) {
			// The plant makes loin from pigs no shipment brought it, and
			// the shop receives loin no shipment brought, then shelves
			// more than it received.
			cut := map[string]any{
				"type": "TransformationEvent", "eventTime": "2026-03-03T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
				"bizLocation":        map[string]any{"id": sgln(c.plantGLN)},
				"inputQuantityList":  []any{qty(pigs, 4, "HEA")},
				"outputQuantityList": []any{qty(pork, 200, "KGM")},
			}
			c.asPlant.capture(epcisDoc(cut))
			got := objectEvent("OBSERVE", "receiving", sgln(c.storeGLN), "2026-03-04T09:30:00+08:00", qty(pork, 30, "KGM"))
			shelved := objectEvent("OBSERVE", "stocking", sgln(c.storeGLN), "2026-03-04T10:00:00+08:00", qty(pork, 50, "KGM"))
			res := c.asStore.capture(epcisDoc(got, shelved))
			if num(res.body["captured"]) != 2 || len(res.body["notes"].([]any)) < 2 {
				t.Errorf("the shop's capture: %s", res.raw)
			}
			var alerts struct {
				Alerts struct {
					Edges []struct {
						Node struct {
							Kind     string
							Severity string
							Subject  struct{ ID string } `json:"batch"`
						}
					}
				}
			}
			a.must(&alerts, `{ alerts(first: 20) { edges { node { kind severity batch { id } } } } }`, nil)
			kinds := map[string]int{}
			for _, e := range alerts.Alerts.Edges {
				kinds[e.Node.Kind]++
			}
			// The pigs at the plant, the loin at the shop; 50 kg shelved of 30.
			if kinds["MISSING_CUSTODY"] != 2 || kinds["MASS_BALANCE"] != 1 {
				t.Errorf("alerts raised: %v", kinds)
			}
			var lot struct{ BatchByLot struct{ ID string } }
			a.must(&lot, batchByLot, map[string]any{"gtin": c.porkGTIN, "lot": "LOIN-3"})
			if lot.BatchByLot.ID == "" {
				t.Error("the loin made from pigs of unknown custody was not stored")
			}
			job := c.asStore.epcisDo("GET", res.header.Get("Location"), nil, nil)
			if job.status != 200 || job.body["success"] != true || num(job.body["captured"]) != 2 {
				t.Errorf("the shop's capture job: %d %s", job.status, job.raw)
			}
			if other := c.asFarm.epcisDo("GET", res.header.Get("Location"), nil, nil); other.status != 404 {
				t.Errorf("the farm reading the shop's capture job: %d", other.status)
			}
		})

		t.Run("proceed", func(t *testing.T) {
			mine := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-05T08:00:00+08:00", qty(epcis.LGTIN(c.pigsGTIN, "PIG-4"), 5, "HEA"))
			theirs := objectEvent("ADD", "commissioning", sgln(c.otherGLN), "2026-03-05T08:00:00+08:00", qty(epcis.LGTIN(c.pigsGTIN, "PIG-5"), 5, "HEA"))
			b, _ := json.Marshal(epcisDoc(theirs, mine))
			res := c.asFarm.epcisDo("POST", "/epcis/capture", b, map[string]string{"GS1-Capture-Error-Behaviour": "proceed"})
			errs, _ := res.body["errors"].([]any)
			if res.status != 202 || res.body["success"] != false || num(res.body["captured"]) != 1 || len(errs) != 1 ||
				num(errs[0].(map[string]any)["eventIndex"]) != 0 {
				t.Fatalf("proceed: %d %s", res.status, res.raw)
			}
			var lot struct{ BatchByLot *struct{ ID string } }
			a.must(&lot, `query($g: String!) { batchByLot(gtin: $g, lot: "PIG-4") { id } }`, map[string]any{"g": c.pigsGTIN})
			if lot.BatchByLot == nil {
				t.Error("the farm's own event was not captured")
			}
		})
	})
}

// TestEPCISQuery: the query's parameters are checked, its pages follow
// one another without a gap or a repeat, and GS1's own example documents
// are captured and found again by what they name.
func TestEPCISQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.epcisChain(4)
		var evs []map[string]any
		for i := range 7 {
			evs = append(evs, objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-0"+strconv.Itoa(i+1)+"T08:00:00+08:00",
				qty(epcis.LGTIN(c.pigsGTIN, "Q-"+strconv.Itoa(i)), 1, "HEA")))
		}
		c.asFarm.capture(epcisDoc(evs...))

		all, _ := c.asFarm.events("perPage=100")
		var paged []string
		next := "/epcis/events?perPage=3"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("the pages never end")
			}
			res := c.asFarm.epcisDo("GET", next, nil, nil)
			if res.status != 200 {
				t.Fatalf("%s: %d %s", next, res.status, res.raw)
			}
			for _, e := range eventList(t, res.body) {
				paged = append(paged, str(e["eventID"]))
			}
			next = ""
			if l := res.header.Get("Link"); l != "" {
				next = strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			}
		}
		if len(paged) != len(all) || len(all) != 7 {
			t.Fatalf("paged %d events, all at once %d", len(paged), len(all))
		}
		for i, e := range all {
			if paged[i] != str(e["eventID"]) {
				t.Errorf("page order differs at %d", i)
			}
		}

		for _, q := range []string{"perPage=0", "perPage=100000", "nextPageToken=forged", "MATCH_nothing=1", "eventType=WrongEvent",
			"GE_eventTime=yesterday", "EQ_action=MOVE", "GE_value_CEL=warm", "colour=red", "eventType=", "GE_value_XYZ=3",
			"MATCH_anyEPCClass=" + url.QueryEscape("https://id.gs1.org/01/06900000010014/10/X")} {
			res := c.asFarm.epcisDo("GET", "/epcis/events?"+q, nil, nil)
			if res.status != 400 || !strings.HasSuffix(str(res.body["type"]), "QueryParameterException") {
				t.Errorf("%s: %d %s", q, res.status, res.raw)
			}
		}
		if res := a.as("").epcisDo("GET", "/epcis/events", nil, nil); res.status != 401 {
			t.Errorf("an anonymous query: %d", res.status)
		}
		if res := a.epcisDo("GET", "/epcis/eventTypes/NoEvent/events", nil, nil); res.status != 404 {
			t.Errorf("an unknown event type: %d", res.status)
		}

		// GS1's examples name places and goods the service does not
		// know: stored for the farm that sent them, found by what they
		// name in either syntax, read by no one else.
		raw, err := os.ReadFile(filepath.Join("..", "internal", "epcis", "testdata", "gs1", "Example_9.6.1-ObjectEvent.jsonld"))
		if err != nil {
			t.Fatal(err)
		}
		res := c.asFarm.epcisDo("POST", "/epcis/capture", raw, nil)
		if res.status != 202 || num(res.body["captured"]) == 0 {
			t.Fatalf("GS1's example: %d %s", res.status, res.raw)
		}
		found, _ := c.asFarm.events("MATCH_epc=" + url.QueryEscape("urn:epc:id:sgtin:0614141.107346.2017"))
		byDL, _ := c.asFarm.events("MATCH_epc=" + url.QueryEscape("https://id.gs1.org/01/10614141073464/21/2017"))
		pattern, _ := c.asFarm.events("MATCH_epc=" + url.QueryEscape("urn:epc:idpat:sgtin:0614141.107346.*"))
		if len(found) == 0 || len(found) != len(byDL) || len(pattern) < len(found) {
			t.Errorf("GS1's example found by its EPC URN %d, Digital Link %d, pattern %d times", len(found), len(byDL), len(pattern))
		}
		if theirs, _ := c.asOutsider.events("MATCH_epc=" + url.QueryEscape("urn:epc:id:sgtin:0614141.107346.2017")); len(theirs) != 0 {
			t.Errorf("an outsider reads %d of the farm's captured examples", len(theirs))
		}
	})
}

// TestEPCISStatements: a query's statements do not grow with its page,
// nor a capture's with its commissionings — the lots it names are
// resolved together, the lots it makes, their stock, the events and their
// keys written in bulk.
func TestEPCISStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.epcisChain(6)
		capture := func(prefix string, n int) int64 {
			var evs []map[string]any
			for i := range n {
				evs = append(evs, objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-01T08:00:00+08:00",
					qty(epcis.LGTIN(c.pigsGTIN, fmt.Sprintf("%s-%d", prefix, i)), 1, "HEA")))
			}
			db.Counter.Reset()
			c.asFarm.capture(epcisDoc(evs...))
			return db.Counter.Count()
		}
		few, many := capture("A", 2), capture("B", 42)
		t.Logf("%s: capture of 2 commissionings %d statements, of 42 %d", db.Name, few, many)
		if many > few+1 || many > 16 {
			t.Errorf("a capture's statements grew with its commissionings: %d for 2, %d for 42", few, many)
		}
		query := func(per int) int64 {
			db.Counter.Reset()
			evs, _ := c.asFarm.events("perPage=" + strconv.Itoa(per) + "&MATCH_anyEPCClass=" + url.QueryEscape("https://id.gs1.org/01/"+c.pigsGTIN+"/*"))
			if len(evs) != per {
				t.Fatalf("a page of %d events has %d", per, len(evs))
			}
			return db.Counter.Count()
		}
		one, forty := query(1), query(40)
		t.Logf("%s: a page of 1 event %d statements, of 40 %d", db.Name, one, forty)
		if one != forty {
			t.Errorf("a query's statements grew with its page: %d for 1 event, %d for 40", one, forty)
		}
	})
}

// TestEPCISWhatPartnersSend: what partner systems really send — another
// party's event again, an eventID already taken, one lot in both GS1
// notations within a document, private business-transaction types longer
// than the index's column, a GTIN without a lot — is answered as a partner
// would expect, and tells no one of another party's events.
func TestEPCISWhatPartnersSend(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.epcisChain(7)
		born := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-01T08:00:00+08:00", qty(epcis.LGTIN(c.pigsGTIN, "W-1"), 10, "HEA"))
		c.asFarm.capture(epcisDoc(born))
		before := a.captureRows()

		// An outsider who sends the farm's event again learns nothing: it
		// is refused as any event at another's facility is.
		c.asOutsider.captureRefused(epcisDoc(born), 403, "SecurityException", nil)
		// Its own event under the farm's event's eventID is refused, not
		// silently dropped as a duplicate.
		all, _ := c.asFarm.events("")
		mine := objectEvent("ADD", "commissioning", sgln(c.otherGLN), "2026-03-02T08:00:00+08:00", qty("urn:suyuan:batch:1", 1, "HEA"))
		mine["eventID"] = all[0]["eventID"]
		c.asOutsider.captureRefused(epcisDoc(mine), 409, "ValidationException", nil)
		if after := a.captureRows(); !equalCounts(before, after) {
			t.Errorf("the outsider's captures stored something: %v, then %v", before, after)
		}

		// One lot in both notations within one document is one lot.
		urn := "urn:epc:class:lgtin:" + c.pigsGTIN[1:8] + "." + c.pigsGTIN[:1] + c.pigsGTIN[8:13] + ".W-2"
		made := objectEvent("ADD", "commissioning", sgln(c.farmGLN), "2026-03-03T08:00:00+08:00", qty(epcis.LGTIN(c.pigsGTIN, "W-2"), 10, "HEA"))
		sent := objectEvent("OBSERVE", "shipping", sgln(c.farmGLN), "2026-03-03T09:00:00+08:00", qty(urn, 4, "HEA"))
		sent["destinationList"] = []any{map[string]any{"type": "location", "destination": sgln(c.plantGLN)}}
		sent["bizTransactionList"] = []any{map[string]any{"type": "urn:example:btt:a-private-transaction-type-longer-than-the-column", "bizTransaction": "urn:example:bt:W-2"}}
		res := c.asFarm.capture(epcisDoc(made, sent))
		if notes := res.body["notes"].([]any); len(notes) != 0 {
			t.Errorf("the document's notes: %v", notes)
		}
		var lot struct {
			BatchByLot struct {
				ShipmentItems struct{ TotalCount int }
			}
		}
		a.must(&lot, `query($g: String!) { batchByLot(gtin: $g, lot: "W-2") { shipmentItems { totalCount } } }`, map[string]any{"g": c.pigsGTIN})
		if lot.BatchByLot.ShipmentItems.TotalCount != 1 {
			t.Errorf("the lot named by its URN was not shipped: %+v", lot)
		}
		byType, _ := c.asFarm.events("EQ_bizTransaction_" + url.QueryEscape("urn:example:btt:a-private-transaction-type-longer-than-the-column") + "=" + url.QueryEscape("urn:example:bt:W-2"))
		if len(byType) != 1 {
			t.Errorf("the event of a long private transaction type: %d found", len(byType))
		}

		// A GTIN alone stands for all its lots.
		byGTIN, _ := c.asFarm.events("MATCH_anyEPCClass=" + url.QueryEscape("https://id.gs1.org/01/"+c.pigsGTIN))
		if len(byGTIN) != 3 {
			t.Errorf("events of the GTIN's lots: %d, want 3", len(byGTIN))
		}
		// A laboratory's system reports a failed inspection with its
		// measurements: the regulator hears of the failure and of the value
		// over its legal limit.
		tested := objectEvent("OBSERVE", "inspecting", sgln(c.farmGLN), "2026-03-03T15:00:00+08:00", qty(epcis.LGTIN(c.pigsGTIN, "W-1"), 1, "HEA"))
		tested["disposition"] = "non_conformant"
		tested["suyuan:measurements"] = []any{map[string]any{"name": "TVB-N", "value": 24, "unit": "mg/100g"}}
		c.asLab.capture(epcisDoc(tested))
		var alerts struct {
			Alerts struct {
				Edges []struct {
					Node struct {
						Kind  string
						Batch struct{ LotCode string }
					}
				}
			}
		}
		c.asRegulator.must(&alerts, `{ alerts(first: 50) { edges { node { kind batch { lotCode } } } } }`, nil)
		kinds := map[string]bool{}
		for _, e := range alerts.Alerts.Edges {
			if e.Node.Batch.LotCode == "W-1" {
				kinds[e.Node.Kind] = true
			}
		}
		if !kinds["INSPECTION_FAILED"] || !kinds["OVER_LEGAL_LIMIT"] {
			t.Errorf("the regulator's alerts on the inspected lot: %v", kinds)
		}
		if res := c.asFarm.epcisDo("GET", "/epcis/capture", nil, nil); res.status != 405 || res.header.Get("Content-Type") != epcis.ProblemContentType {
			t.Errorf("GET /epcis/capture: %d %s", res.status, res.raw)
		}
		if res := c.asFarm.epcisDo("HEAD", "/epcis/events", nil, nil); res.status != 200 || res.header.Get("GS1-EPCIS-Version") != "2.0.0" {
			t.Errorf("HEAD /epcis/events: %d %v", res.status, res.header)
		}
	})
}
