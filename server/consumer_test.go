package server_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"suyuan/ent/privacy"
	"suyuan/internal/gs1"
	"suyuan/internal/scan"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// publicURL is the base URL the consumer tests configure.
const publicURL = "https://suyuan.test"

// consumerAPI is a test server with a running scan recorder.
type consumerAPI struct {
	*api
	scans *scan.Recorder
}

func newConsumerAPI(t *testing.T, db *testdb.DB) *consumerAPI {
	t.Helper()
	rec := scan.New(db.SQL, scan.Options{Secret: []byte("test"), Interval: time.Hour, Logger: discardLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("scan recorder: %v", err)
		}
	})
	return &consumerAPI{api: newAPI(t, db, server.Config{PublicBaseURL: publicURL, Scans: rec}), scans: rec}
}

// page is an HTTP answer of the consumer routes.
type page struct {
	Status int
	Header http.Header
	Body   string
}

// fetch makes a request; headers come in name, value pairs. Bodies are
// not decompressed unless the test asks for gzip itself.
func (a *api) fetch(method, path string, headers ...string) page {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := a.send(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var r io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			a.t.Fatalf("%s %s: bad gzip: %v", method, path, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		a.t.Fatal(err)
	}
	return page{res.StatusCode, res.Header, string(b)}
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// gtinOf returns the 13-digit form of a 14-digit GTIN starting with 0.
func shortGTIN(g string) string { return strings.TrimPrefix(g, "0") }

// extraProducts adds products with a GTIN-8 and a GTIN-12, each with a
// batch, and returns the short GTINs.
func (a *api) extraProducts(t *testing.T, c chain) (gtin8, gtin12 string) {
	t.Helper()
	check := func(body string) string {
		d, err := gs1.CheckDigit(body)
		if err != nil {
			t.Fatal(err)
		}
		return body + string(d)
	}
	gtin8, gtin12 = check("6901234"), check("69012345678")
	for _, g := range []struct{ gtin, lot string }{{gtin8, "EIGHT-1"}, {gtin12, "TWELVE-1"}} {
		var out struct{ CreateProduct struct{ ID string } }
		a.must(&out, createProduct, map[string]any{"in": map[string]any{
			"organizationID": c.plantOrg, "name": "雅安藏茶 Ya'an dark tea " + g.lot, "category": "TEA", "unit": "KG", "gtin": g.gtin,
		}})
		a.batch(out.CreateProduct.ID, c.plant, g.lot, 10, "KG", day(1))
	}
	return gtin8, gtin12
}

func TestConsumerRoutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newConsumerAPI(t, db)
		p := a.porkChain()
		gtin8, gtin12 := a.extraProducts(t, p.chain)
		dl := "/01/" + p.gtin + "/10/LOIN-1"
		badCheck := p.gtin[:13] + string('0'+(p.gtin[13]-'0'+1)%10)
		producer := a.db.Client.Organization.GetX(privacy.DecisionContext(context.Background(), privacy.Allow), id(t, p.plantOrg)).Name

		for _, c := range []struct {
			name, method, path string
			headers            []string
			status             int
			ctype              string
			contains           []string
		}{
			{"opaque code", "GET", "/t/" + p.code, []string{"Accept", browserAccept}, 200, "text/html", []string{"LOIN-1", "冷鲜猪里脊", producer, "SC1", "批次号"}},
			{"digital link", "GET", dl, []string{"Accept", browserAccept}, 200, "text/html", []string{"LOIN-1", producer}},
			{"GTIN-13 padded", "GET", "/01/" + shortGTIN(p.gtin) + "/10/LOIN-1", nil, 200, "text/html", []string{"LOIN-1"}},
			{"GTIN-8 padded", "GET", "/01/" + gtin8 + "/10/EIGHT-1", nil, 200, "text/html", []string{"EIGHT-1", "000000" + gtin8}},
			{"GTIN-8 as 14 digits", "GET", "/01/000000" + gtin8 + "/10/EIGHT-1", nil, 200, "text/html", []string{"EIGHT-1"}},
			{"GTIN-12 padded", "GET", "/01/" + gtin12 + "/10/TWELVE-1", nil, 200, "text/html", []string{"TWELVE-1", "00" + gtin12}},
			{"serial", "GET", dl + "/21/1", nil, 200, "text/html", []string{"序列号"}},
			{"variant and expiry", "GET", "/01/" + p.gtin + "/22/V1/10/LOIN-1?17=260308", nil, 200, "text/html", []string{"LOIN-1"}},
			{"trailing slash", "GET", dl + "/", nil, 200, "text/html", []string{"LOIN-1"}},
			{"wrong check digit", "GET", "/01/" + badCheck + "/10/LOIN-1", nil, 400, "text/html", []string{"链接格式不正确", "check digit"}},
			{"wrong qualifier order", "GET", "/01/" + p.gtin + "/21/1/10/LOIN-1", nil, 400, "text/html", []string{"order 22, 10, 21"}},
			{"over-long lot", "GET", "/01/" + p.gtin + "/10/" + strings.Repeat("L", 21), nil, 400, "text/html", []string{"1 to 20 characters"}},
			{"no lot", "GET", "/01/" + p.gtin, nil, 400, "text/html", []string{"链接格式不正确"}},
			{"bad expiry", "GET", dl + "?17=261340", nil, 400, "text/html", []string{"YYMMDD"}},
			{"unknown lot", "GET", "/01/" + p.gtin + "/10/NO-SUCH-LOT", nil, 404, "text/html", []string{"未找到该产品", "12315"}},
			{"unknown serial", "GET", dl + "/21/999", nil, 404, "text/html", []string{"未找到该产品"}},
			{"unknown GTIN", "GET", "/01/" + gtin8 + "/10/LOIN-1", nil, 404, "text/html", []string{"未找到该产品"}},
			{"unknown code", "GET", "/t/aaaaaaaaaaaaaaaaaaaa", nil, 404, "text/html", []string{"未找到该产品"}},
			{"malformed code", "GET", "/t/a%3Cb", nil, 400, "text/html", []string{"链接格式不正确"}},
			{"code with slash", "GET", "/t/a/b", nil, 400, "text/html", []string{"链接格式不正确"}},
			{"too long code", "GET", "/t/" + strings.Repeat("a", 33), nil, 400, "text/html", nil},
			{"JSON", "GET", dl, []string{"Accept", "application/json"}, 200, "application/json", []string{`"schema":"suyuan.trace/v1"`, `"lotCode":"LOIN-1"`}},
			{"JSON by linkType", "GET", dl + "?linkType=gs1:traceability", []string{"Accept", browserAccept}, 200, "application/json", []string{`"lotCode":"LOIN-1"`}},
			{"JSON 404", "GET", "/t/aaaaaaaaaaaaaaaaaaaa", []string{"Accept", "application/json"}, 404, "application/json", []string{`"code":"NOT_FOUND"`}},
			{"JSON 400", "GET", "/01/" + badCheck + "/10/LOIN-1", []string{"Accept", "application/json"}, 400, "application/json", []string{`"code":"INVALID_GTIN"`}},
			{"JSON 400 order", "GET", "/01/" + p.gtin + "/21/1/10/LOIN-1", []string{"Accept", "application/json"}, 400, "application/json", []string{`"code":"INVALID_DIGITAL_LINK"`}},
			{"linkset", "GET", dl + "?linkType=all", nil, 200, "application/linkset+json", []string{`"anchor":"` + publicURL + dl + `"`, "https://gs1.org/voc/pip", "https://gs1.org/voc/traceability"}},
			{"linkset by Accept", "GET", "/t/" + p.code, []string{"Accept", "application/linkset+json"}, 200, "application/linkset+json", []string{`"linkset"`}},
			{"English by query", "GET", "/t/" + p.code + "?lang=en", nil, 200, "text/html", []string{`lang="en"`, "Lot", "Producer", "Journey"}},
			{"English by header", "GET", "/t/" + p.code, []string{"Accept-Language", "en-GB,en;q=0.9,zh;q=0.5"}, 200, "text/html", []string{`lang="en"`, "Use by"}},
			{"Chinese by header", "GET", "/t/" + p.code, []string{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"}, 200, "text/html", []string{`lang="zh-CN"`, "流通轨迹"}},
			{"English 404", "GET", "/t/aaaaaaaaaaaaaaaaaaaa?lang=en", nil, 404, "text/html", []string{"Product not found"}},
			{"method", "POST", dl, nil, 405, "application/json", []string{"BAD_USER_INPUT"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := a.fetch(c.method, c.path, c.headers...)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d\n%.600s", r.Status, c.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
					t.Errorf("Content-Type %q, want %s", ct, c.ctype)
				}
				for _, s := range c.contains {
					if !strings.Contains(r.Body, s) {
						t.Errorf("body lacks %q:\n%.1500s", s, r.Body)
					}
				}
				switch {
				case r.Status >= 400 && r.Header.Get("Cache-Control") != "no-store":
					t.Errorf("error answer has Cache-Control %q, want no-store", r.Header.Get("Cache-Control"))
				case r.Status == 200 && !strings.HasPrefix(r.Header.Get("Cache-Control"), "public, max-age="):
					t.Errorf("page has Cache-Control %q", r.Header.Get("Cache-Control"))
				}
				if strings.Contains(c.ctype, "json") && c.status != 405 && r.Header.Get("Access-Control-Allow-Origin") != "*" {
					t.Error("JSON answer without CORS")
				}
				if strings.Contains(r.Body, "138 0000") {
					t.Error("a contact phone reached the page")
				}
			})
		}

		t.Run("HEAD", func(t *testing.T) {
			get := a.fetch("GET", dl)
			head := a.fetch("HEAD", dl)
			if head.Status != 200 || head.Body != "" || head.Header.Get("Content-Length") != get.Header.Get("Content-Length") ||
				head.Header.Get("ETag") != get.Header.Get("ETag") || head.Header.Get("ETag") == "" {
				t.Errorf("HEAD = %d %v %q, GET had %v", head.Status, head.Header, head.Body, get.Header)
			}
			if r := a.fetch("HEAD", "/t/aaaaaaaaaaaaaaaaaaaa"); r.Status != 404 || r.Body != "" {
				t.Errorf("HEAD of unknown = %d %q", r.Status, r.Body)
			}
		})
		t.Run("OPTIONS", func(t *testing.T) {
			for _, path := range []string{dl, "/t/" + p.code, "/qr/" + p.code + ".png"} {
				r := a.fetch("OPTIONS", path, "Origin", "https://shop.example", "Access-Control-Request-Method", "GET")
				if r.Status != 204 || r.Header.Get("Allow") != "GET, HEAD, OPTIONS" ||
					r.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "GET") {
					t.Errorf("OPTIONS %s = %d %v", path, r.Status, r.Header)
				}
			}
		})
		t.Run("JSON document", func(t *testing.T) {
			r := a.fetch("GET", "/t/"+p.code, "Accept", "application/json")
			var d struct {
				Schema, Code string
				Serial       *string
				Recalled     bool
				Links        struct{ Page, Data, Linkset, QRPng, QRSvg, DigitalLink string }
				Warnings     []struct{ Code, Message string }
				Product      struct {
					Name, Gtin  string
					StorageMaxC float64
				}
				Producer struct{ Name, LicenseNo string }
				Batch    struct {
					LotCode, ProducedAt string
					ExpiresAt           *string
					Expired             bool
					Facility            struct{ Kind string }
				}
				Inspections []struct {
					Result       string
					Measurements []struct{ WithinLimits bool }
				}
				Journey []struct {
					DepartedAt string
					From, To   struct {
						Public bool
						Name   string
					}
					ColdChain struct {
						Verdict string
						MaxC    float64
					}
				}
				Shelf       []struct{ ShelvedAt string }
				Ingredients []struct {
					LotCode     string
					Ingredients []struct{ LotCode string }
				}
			}
			if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
				t.Fatalf("decoding %s: %v", r.Body, err)
			}
			if d.Schema != "suyuan.trace/v1" || d.Code != p.code || d.Serial == nil || *d.Serial != "1" || d.Recalled {
				t.Errorf("head = %+v", d)
			}
			if d.Links.Page != publicURL+"/t/"+p.code || d.Links.QRPng != publicURL+"/qr/"+p.code+".png" ||
				d.Links.DigitalLink != publicURL+dl+"/21/1" || !strings.HasSuffix(d.Links.Linkset, "?linkType=all") {
				t.Errorf("links = %+v", d.Links)
			}
			if d.Product.Gtin != p.gtin || d.Product.StorageMaxC != 4 || !strings.HasPrefix(d.Producer.LicenseNo, "SC") ||
				d.Batch.LotCode != "LOIN-1" || d.Batch.Facility.Kind != "SLAUGHTERHOUSE" || !d.Batch.Expired {
				t.Errorf("product %+v, producer %+v, batch %+v", d.Product, d.Producer, d.Batch)
			}
			for _, ts := range []string{d.Batch.ProducedAt, d.Journey[0].DepartedAt, d.Shelf[0].ShelvedAt} {
				if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") {
					t.Errorf("time %q is not RFC 3339 UTC", ts)
				}
			}
			if len(d.Journey) != 2 || d.Journey[0].ColdChain.Verdict != "OK" || d.Journey[1].ColdChain.Verdict != "EXCURSION" || d.Journey[1].ColdChain.MaxC != 9.2 {
				t.Errorf("journey = %+v", d.Journey)
			}
			if len(d.Inspections) != 1 || d.Inspections[0].Result != "PASS" || len(d.Inspections[0].Measurements) != 2 {
				t.Errorf("inspections = %+v", d.Inspections)
			}
			lots := map[string][]string{}
			for _, in := range d.Ingredients {
				for _, sub := range in.Ingredients {
					lots[in.LotCode] = append(lots[in.LotCode], sub.LotCode)
				}
				if lots[in.LotCode] == nil {
					lots[in.LotCode] = []string{}
				}
			}
			if len(lots) != 2 || len(lots["CARC-1"]) != 1 || lots["CARC-1"][0] != "PIG-1" || len(lots["SALT-1"]) != 0 {
				t.Errorf("ingredient tree = %v, want carcass (from pigs) and salt", lots)
			}
			codes := map[string]bool{}
			for _, w := range d.Warnings {
				codes[w.Code] = w.Message != ""
			}
			if len(codes) != 2 || !codes["EXPIRED"] || !codes["COLD_CHAIN_EXCURSION"] {
				t.Errorf("warnings = %+v", d.Warnings)
			}
		})
		t.Run("private facility", func(t *testing.T) {
			ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
			warehouse := a.db.Client.Facility.GetX(ctx, id(t, p.warehouse))
			before := a.fetch("GET", "/t/"+p.code)
			if !strings.Contains(before.Body, warehouse.Name) {
				t.Fatalf("public warehouse %q not on the page", warehouse.Name)
			}
			const setPublic = `mutation($id: ID!, $p: Boolean!) { updateFacility(id: $id, input: {public: $p}) { id } }`
			a.must(nil, setPublic, map[string]any{"id": p.warehouse, "p": false})
			defer a.must(nil, setPublic, map[string]any{"id": p.warehouse, "p": true})
			for _, accept := range []string{browserAccept, "application/json"} {
				r := a.fetch("GET", "/t/"+p.code, "Accept", accept)
				if strings.Contains(r.Body, warehouse.Name) {
					t.Errorf("%s: private warehouse's name on the page", accept)
				}
			}
			if r := a.fetch("GET", "/t/"+p.code); !strings.Contains(r.Body, "私人设施 · 仓库") {
				t.Errorf("private warehouse is not shown as such:\n%s", r.Body)
			}
		})
	})
}

func TestConsumerCache(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newConsumerAPI(t, db)
		p := a.porkChain()
		path := "/t/" + p.code

		first := a.fetch("GET", path)
		second := a.fetch("GET", path)
		if first.Header.Get("X-Cache") != "MISS" || second.Header.Get("X-Cache") != "HIT" {
			t.Errorf("X-Cache %q then %q, want MISS then HIT", first.Header.Get("X-Cache"), second.Header.Get("X-Cache"))
		}
		etag := first.Header.Get("ETag")
		if etag == "" || etag != second.Header.Get("ETag") || first.Body != second.Body {
			t.Fatalf("ETag %q then %q", etag, second.Header.Get("ETag"))
		}
		if cc := first.Header.Get("Cache-Control"); cc != "public, max-age=10" {
			t.Errorf("Cache-Control %q", cc)
		}
		if v := first.Header.Get("Vary"); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Accept,") {
			t.Errorf("Vary %q", v)
		}
		if n := len(first.Body); n > 50<<10 {
			t.Errorf("page is %d bytes, over 50 KB", n)
		}
		if strings.Contains(first.Body, "<script") {
			t.Error("page has a script")
		}

		nm := a.fetch("GET", path, "If-None-Match", etag)
		if nm.Status != 304 || nm.Body != "" || nm.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match: %d %q %v", nm.Status, nm.Body, nm.Header)
		}
		if r := a.fetch("GET", path, "If-None-Match", `"other"`); r.Status != 200 {
			t.Errorf("If-None-Match of another tag: %d", r.Status)
		}
		en := a.fetch("GET", path+"?lang=en")
		if en.Header.Get("ETag") == etag {
			t.Error("English page has the Chinese page's ETag")
		}
		gz := a.fetch("GET", path, "Accept-Encoding", "gzip")
		if gz.Header.Get("Content-Encoding") != "gzip" || gz.Body != first.Body || gz.Header.Get("ETag") == etag {
			t.Errorf("gzip: encoding %q, ETag %q (identity %q), same body %v",
				gz.Header.Get("Content-Encoding"), gz.Header.Get("ETag"), etag, gz.Body == first.Body)
		}
		if r := a.fetch("GET", path, "Accept-Encoding", "gzip", "If-None-Match", etag); r.Status != 200 {
			t.Errorf("identity ETag matched the gzip encoding: %d", r.Status)
		}

		// Recordings reach the cache through the recording path as they
		// commit: an ingredient's recall shows on the very next request.
		if strings.Contains(first.Body, `id="alert"`) && strings.Contains(first.Body, "已召回") {
			t.Fatal("banner before the recall")
		}
		var salt struct {
			Batches struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		a.must(&salt, `{ batches(first: 1, where: {lotCode: "SALT-1"}) { edges { node { id } } } }`, nil)
		if len(salt.Batches.Edges) != 1 {
			t.Fatal("no lot SALT-1")
		}
		recall := `mutation($b: ID!) { initiateRecall(input: {batchIDs: [$b], reason: "test", class: II, depth: CONSUMER}) { id } }`
		a.must(nil, recall, map[string]any{"b": salt.Batches.Edges[0].Node.ID})
		r := a.fetch("GET", path, "If-None-Match", etag)
		if r.Status != 200 || r.Header.Get("X-Cache") != "MISS" || !strings.Contains(r.Body, `id="alert"`) ||
			!strings.Contains(r.Body, "已召回 · 请勿食用") || r.Header.Get("ETag") == etag {
			t.Fatalf("after the recall: %d %s, ETag %q\n%.1500s", r.Status, r.Header.Get("X-Cache"), r.Header.Get("ETag"), r.Body)
		}
		if j := a.fetch("GET", path, "Accept", "application/json"); !strings.Contains(j.Body, `"recalled":true`) || !strings.Contains(j.Body, `"code":"RECALLED"`) {
			t.Errorf("JSON after the recall: %.300s", j.Body)
		}
		// A refused recording invalidates nothing.
		a.fetch("GET", path)
		a.fails("INVALID_STATE", "batchIDs", recall, map[string]any{"b": p.loin})
		if r := a.fetch("GET", path); r.Header.Get("X-Cache") != "HIT" {
			t.Error("a refused recording dropped the page")
		}

		// New rows the page shows: a failed inspection.
		a.must(nil, `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"batchID": p.loin, "labID": p.labOrg, "inspectedAt": day(2), "result": "FAIL", "certificateNo": "CMA-2026-0042"}})
		r = a.fetch("GET", path)
		if r.Header.Get("X-Cache") != "MISS" || !strings.Contains(r.Body, "有一项实验室检验不合格") || !strings.Contains(r.Body, "CMA-2026-0042") {
			t.Errorf("new inspection not shown: %s\n%.2000s", r.Header.Get("X-Cache"), r.Body)
		}
		ls := a.fetch("GET", path+"?linkType=all")
		if !strings.Contains(ls.Body, "https://gs1.org/voc/certificationInfo") || !strings.Contains(ls.Body, "CMA-2026-0042") {
			t.Errorf("linkset lacks the certificate: %s", ls.Body)
		}
	})
}

func TestConsumerScans(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newConsumerAPI(t, db)
		p := a.porkChain()
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		dl := "/01/" + p.gtin + "/10/LOIN-1"
		views := []struct {
			method, path string
			headers      []string
		}{
			{"GET", "/t/" + p.code, nil},                                    // code 1
			{"GET", "/t/" + p.code, []string{"Accept", "application/json"}}, // code 1
			{"GET", dl + "/21/1", nil},                                      // code 1, by serial
			{"GET", dl, nil},                                                // the batch, no code
			{"GET", dl, []string{"If-None-Match", "*"}},                     // a 304 is a view
			// not views:
			{"HEAD", "/t/" + p.code, nil},
			{"GET", dl + "?linkType=all", nil},
			{"GET", "/t/aaaaaaaaaaaaaaaaaaaa", nil},
			{"OPTIONS", dl, nil},
		}
		var wg sync.WaitGroup
		for _, v := range views {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.fetch(v.method, v.path, v.headers...)
			}()
		}
		wg.Wait()
		if err := a.scans.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		loin := a.db.Client.Batch.GetX(ctx, id(t, p.loin))
		if loin.ScanCount != 5 {
			t.Errorf("batch scan count %d, want 5", loin.ScanCount)
		}
		codes := loin.QueryTraceCodes().AllX(ctx)
		counts := map[string]int64{}
		for _, c := range codes {
			counts[c.Code] = c.ScanCount
		}
		if counts[p.code] != 3 {
			t.Errorf("code scan counts %v, want 3 for %s", counts, p.code)
		}
		events := a.db.Client.ScanEvent.Query().AllX(ctx)
		if len(events) != 5 {
			t.Fatalf("%d scan events, want 5", len(events))
		}
		for _, e := range events {
			if e.BatchID != loin.ID || len(e.ClientHash) != 32 || e.RegionCode != "" || strings.Contains(e.ClientHash, "127.0.0.1") {
				t.Errorf("scan event %+v", e)
			}
		}
		if s := a.scans.Stats(); s.Recorded != 5 || s.Dropped != 0 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestConsumerQR(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newConsumerAPI(t, db)
		p := a.porkChain()
		dl := "/01/" + p.gtin + "/10/LOIN-1"

		// The PNG's modules are those of the page's absolute URL.
		for _, c := range []struct{ path, content string }{
			{"/qr/" + p.code + ".png?size=300", publicURL + "/t/" + p.code},
			{"/qr" + dl + ".png?size=300", publicURL + dl},
			{"/qr" + dl + "/21/1.png?size=300&17=261231", publicURL + dl + "/21/1?17=261231"},
			{"/qr/01/" + shortGTIN(p.gtin) + "/10/LOIN-1.png?size=300", publicURL + dl},
		} {
			r := a.fetch("GET", c.path)
			if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Body, "\x89PNG\r\n\x1a\n") {
				t.Fatalf("%s: %d %s %.40q", c.path, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			img, err := png.Decode(strings.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 300 {
				t.Errorf("%s: %v, want 300×300", c.path, b)
			}
			want, err := qrcode.New(c.content, qrcode.Medium)
			if err != nil {
				t.Fatal(err)
			}
			bm := want.Bitmap()
			n := len(bm)
			scale := 300 / n
			off := (300 - scale*n) / 2
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					r, _, _, _ := img.At(off+x*scale+scale/2, off+y*scale+scale/2).RGBA()
					if (r < 0x8000) != bm[y][x] {
						t.Fatalf("%s does not encode %s (module %d,%d)", c.path, c.content, x, y)
					}
				}
			}
			if r.Header.Get("Cache-Control") != "public, max-age=86400" || r.Header.Get("ETag") == "" {
				t.Errorf("%s: headers %v", c.path, r.Header)
			}
		}

		svg := a.fetch("GET", "/qr/"+p.code+".svg?size=512")
		if svg.Status != 200 || svg.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("svg: %d %v", svg.Status, svg.Header)
		}
		var root struct {
			XMLName xml.Name
			Width   string `xml:"width,attr"`
			Paths   []struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
		}
		if err := xml.Unmarshal([]byte(svg.Body), &root); err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if root.XMLName.Local != "svg" || root.Width != "512" || len(root.Paths) != 1 || root.Paths[0].D == "" {
			t.Errorf("svg = %+v", root)
		}
		if r := a.fetch("HEAD", "/qr/"+p.code+".svg"); r.Status != 200 || r.Body != "" {
			t.Errorf("HEAD svg: %d", r.Status)
		}

		for _, c := range []struct {
			path   string
			status int
		}{
			{"/qr/" + p.code + ".png?size=63", 400},
			{"/qr/" + p.code + ".png?size=1025", 400},
			{"/qr/" + p.code + ".png?size=big", 400},
			{"/qr/" + p.code + ".png?size=64", 200},
			{"/qr/" + p.code + ".svg?size=1024", 200},
			{"/qr/" + p.code + ".gif", 404},
			{"/qr/aaaaaaaaaaaaaaaaaaaa.png", 404},
			{"/qr/a%3Cb.png", 400},
			{"/qr" + dl + "/21/999.png", 404},
			{"/qr/01/" + p.gtin + "/10/NO-LOT.svg", 404},
			{"/qr/01/" + p.gtin[:13] + string('0'+(p.gtin[13]-'0'+1)%10) + "/10/LOIN-1.png", 400},
			{"/qr/01/" + p.gtin + "/21/1/10/LOIN-1.png", 400},
			{"/qr" + dl + ".jpg", 404},
		} {
			if r := a.fetch("GET", c.path, "Accept", "application/json"); r.Status != c.status {
				t.Errorf("%s: %d, want %d: %.200s", c.path, r.Status, c.status, r.Body)
			}
		}

		t.Run("print sheet", func(t *testing.T) {
			var codes struct{ IssueTraceCodes []struct{ Code string } }
			a.must(&codes, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
				map[string]any{"in": map[string]any{"batchID": p.loin, "count": 3}})
			base := "/batches/" + p.loin + "/codes/print"
			r := a.fetch("GET", base+"?n=4")
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || strings.Count(r.Body, "<svg") != 4 ||
				!strings.Contains(r.Body, p.code) || !strings.Contains(r.Body, "LOIN-1") || r.Header.Get("Cache-Control") != "private, no-store" {
				t.Fatalf("sheet: %d %v\n%.3000s", r.Status, r.Header, r.Body)
			}
			if r := a.fetch("GET", base); strings.Count(r.Body, "<svg") != 5 {
				t.Errorf("default sheet has %d codes, want all 5", strings.Count(r.Body, "<svg"))
			}
			if r := a.fetch("GET", base+"?n=2&offset=4"); strings.Count(r.Body, "<svg") != 1 || !strings.Contains(r.Body, codes.IssueTraceCodes[2].Code) {
				t.Errorf("offset sheet: %.2000s", r.Body)
			}
			for path, status := range map[string]int{
				base + "?n=0":                 400,
				base + "?n=201":               400,
				base + "?offset=-1":           400,
				"/batches/x/codes/print":      400,
				"/batches/999999/codes/print": 404,
				base + "?n=200":               200,
			} {
				if r := a.fetch("GET", path); r.Status != status {
					t.Errorf("%s: %d, want %d", path, r.Status, status)
				}
			}
			// Only the producer (and administrators and regulators) may
			// print: anonymous callers are refused, others see no batch.
			if r := a.as("").fetch("GET", base); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous print sheet: %d", r.Status)
			}
			var shop int
			fmt.Sscan(p.shopOrg, &shop)
			if r := a.as(a.login(a.account(shop, "ORG_ADMIN"))).fetch("GET", base); r.Status != http.StatusNotFound {
				t.Errorf("the retailer's print sheet: %d", r.Status)
			}
			var plant int
			fmt.Sscan(p.plantOrg, &plant)
			if r := a.as(a.login(a.account(plant, "STAFF"))).fetch("GET", base); r.Status != 200 {
				t.Errorf("the producer's print sheet: %d", r.Status)
			}
		})
	})
}
