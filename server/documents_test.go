package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"suyuan/ent"
	"suyuan/ent/auditentry"
	"suyuan/ent/change"
	"suyuan/internal/document"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// testPDF is a minimal one-page PDF.
const testPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// testImage encodes a small image with enc.
func testImage(t testing.TB, enc func(io.Writer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(2, 3, color.RGBA{0, 128, 0, 255})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testPNG(t testing.TB) []byte {
	return testImage(t, func(w io.Writer, m image.Image) error { return png.Encode(w, m) })
}

func testJPEG(t testing.TB) []byte {
	return testImage(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
}

// uploaded is the answer to an upload: the document's metadata, or an
// error.
type uploaded struct {
	Status      int
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
	Sha256      string `json:"sha256"`
	Public      bool   `json:"public"`
	URL         string `json:"url"`
	Errors      []gqlError
	Raw         string
	Replayed    bool
}

// upload posts a document with the client's credentials, and the
// headers given as name and value pairs.
func (a *api) upload(subject, kind string, public bool, filename string, content []byte, header ...string) uploaded {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	// A retry sends the same bytes, boundary included.
	if err := mw.SetBoundary("suyuan-test-boundary"); err != nil {
		a.t.Fatal(err)
	}
	mw.WriteField("subject", subject)
	mw.WriteField("kind", kind)
	if public {
		mw.WriteField("public", "true")
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		a.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/documents", &body)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := a.send(req)
	if err != nil {
		a.t.Fatalf("uploading: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	u := uploaded{Status: res.StatusCode, Raw: string(raw), Replayed: res.Header.Get("Idempotent-Replayed") == "true"}
	if err := json.Unmarshal(raw, &u); err != nil {
		a.t.Fatalf("decoding %q: %v", raw, err)
	}
	return u
}

// mustUpload uploads a document that must be stored.
func (a *api) mustUpload(subject, kind string, public bool, filename string, content []byte) uploaded {
	a.t.Helper()
	u := a.upload(subject, kind, public, filename, content)
	if u.Status != http.StatusCreated || u.ID == "" {
		a.t.Fatalf("upload of %s: %d %s", filename, u.Status, u.Raw)
	}
	return u
}

// refused uploads a document that must be refused with status and code.
func (a *api) uploadRefused(status int, code, subject, kind, filename string, content []byte) {
	a.t.Helper()
	u := a.upload(subject, kind, false, filename, content)
	if u.Status != status || len(u.Errors) != 1 || u.Errors[0].Extensions.Code != code {
		a.t.Fatalf("upload of %s: %d %s; want %d %s", filename, u.Status, u.Raw, status, code)
	}
}

// fetch GETs a document: its status, content and headers.
func (a *api) fetchDocument(url string) (int, []byte, http.Header) {
	a.t.Helper()
	res := a.get(url)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res.StatusCode, b, res.Header
}

// stored counts what uploads store: documents, their contents, and the
// changes and audit entries of their recordings.
func (a *api) stored() [4]int {
	return [4]int{a.count("documents"), a.count("document_contents"), a.count("changes"), a.count("audit_entries")}
}

// refusals uploads what must be refused, as the producer of lot, and
// checks each stored nothing.
func refusals(t *testing.T, a *api, lot string, limit int) {
	t.Helper()
	before := a.stored()
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 200)...)
	mz := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 200)...)
	a.uploadRefused(415, "DOCUMENT_TYPE_REFUSED", lot, "LAB_REPORT", "report.pdf", elf)
	a.uploadRefused(415, "DOCUMENT_TYPE_REFUSED", lot, "LAB_REPORT", "licence.jpg", mz)
	a.uploadRefused(415, "DOCUMENT_TYPE_REFUSED", lot, "LAB_REPORT", "certificate.pdf", []byte("<!DOCTYPE html><html><script>fetchDocument('/graphql')</script></html>"))
	a.uploadRefused(415, "DOCUMENT_TYPE_REFUSED", lot, "LAB_REPORT", "truncated.pdf", []byte(testPDF[:60]))
	a.uploadRefused(400, "DOCUMENT_EMPTY", lot, "LAB_REPORT", "empty.pdf", nil)
	big := []byte(testPDF[:9] + strings.Repeat("%padding\n", limit/9) + "%%EOF\n")
	a.uploadRefused(413, "DOCUMENT_TOO_LARGE", lot, "LAB_REPORT", "big.pdf", big)
	// Past the body's limit, refused before the parts are read.
	a.uploadRefused(413, "DOCUMENT_TOO_LARGE", lot, "LAB_REPORT", "huge.pdf", bytes.Repeat(big, 3))
	a.uploadRefused(400, "BAD_USER_INPUT", lot, "DIPLOMA", "report.pdf", []byte(testPDF))
	a.uploadRefused(404, "NOT_FOUND", "999999", "LAB_REPORT", "report.pdf", []byte(testPDF))
	if after := a.stored(); after != before {
		t.Errorf("refused uploads stored something: documents, contents, changes, audit entries %v before, %v after", before, after)
	}
}

// TestDocuments uploads a PDF, a JPEG and a PNG to a lot, a laboratory's
// inspection of it and the producer, and a PDF to a shipment, and serves
// each to exactly those who read the row it is attached to; refused files
// store nothing; the consumer page says a public certificate is on file
// and says nothing of a private one.
func TestDocuments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		const limit = 64 << 10
		a := newAPI(t, db, server.Config{MaxDocumentSize: limit})
		ps := a.parties()
		p := ps.p
		pngData, jpegData := testPNG(t), testJPEG(t)

		cert := ps.plant.mustUpload(p.loin, "QUARANTINE_CERTIFICATE", true, "检疫证明 LOIN-1.pdf", []byte(testPDF))
		if cert.ContentType != "application/pdf" || cert.Filename != "检疫证明 LOIN-1.pdf" || cert.Size != len(testPDF) ||
			cert.Kind != "QUARANTINE_CERTIFICATE" || !cert.Public || cert.URL != "/documents/"+cert.ID || len(cert.Sha256) != 64 {
			t.Errorf("the certificate's metadata: %s", cert.Raw)
		}
		report := ps.lab.mustUpload(ps.inspLoin, "LAB_REPORT", false, "report.png", pngData)
		licence := ps.plant.mustUpload(p.plantOrg, "BUSINESS_LICENCE", false, "licence.JPEG", jpegData)
		waybill := ps.carrier.mustUpload(p.legToWarehouse, "OTHER", false, "waybill.pdf", []byte(testPDF))
		// The upload is a recording: a change naming the lot, whose page
		// it changes, no EPCIS event, an audit entry.
		ctx := tenancy.System(context.Background())
		ch, err := db.Client.Change.Query().Where(change.Operation("uploadDocument")).WithEvents().Order(ent.Asc(change.FieldID)).First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ch.Refs, "Batch:"+p.loin) || len(ch.Edges.Events) != 0 {
			t.Errorf("the upload's change names %v with %d events; want the lot, no event", ch.Refs, len(ch.Edges.Events))
		}
		if n, err := db.Client.AuditEntry.Query().Where(auditentry.Operation("uploadDocument"), auditentry.EntityID(id(t, cert.ID))).Count(ctx); err != nil || n != 1 {
			t.Errorf("audit entries of the upload: %d %v", n, err)
		}
		if report.ContentType != "image/png" || licence.ContentType != "image/jpeg" || licence.Filename != "licence.jpg" {
			t.Errorf("sniffed types: %s; %s", report.Raw, licence.Raw)
		}

		anonymous := a.as("")
		readers := map[string]*api{
			"admin": a, "farm": ps.farm, "plant": ps.plant, "carrier": ps.carrier, "shop": ps.shop, "lab": ps.lab,
			"D": ps.d, "S": ps.s, "regulator": ps.regulator, "far regulator": ps.farRegulator,
		}
		docs := []struct {
			u                uploaded
			subject          string
			content          []byte
			mustRead, mustNt []string
		}{
			{cert, p.loin, []byte(testPDF), []string{"admin", "plant", "regulator", "lab", "shop", "carrier", "D"}, []string{"S", "far regulator", "farm"}},
			{report, ps.inspLoin, pngData, []string{"admin", "lab", "plant", "regulator"}, []string{"S", "far regulator"}},
			{licence, p.plantOrg, jpegData, []string{"admin", "plant", "regulator", "shop", "carrier"}, []string{"S", "far regulator"}},
			{waybill, p.legToWarehouse, []byte(testPDF), []string{"admin", "plant", "carrier", "shop", "regulator"}, []string{"S", "far regulator", "lab", "farm"}},
		}
		for _, d := range docs {
			for name, who := range readers {
				who := who.forTest(t)
				sees := who.sees(d.subject)
				status, body, h := who.fetchDocument(d.u.URL)
				switch {
				case sees && status != http.StatusOK:
					t.Errorf("%s reads %s's subject but GET %s answered %d", name, d.u.Filename, d.u.URL, status)
				case sees && !bytes.Equal(body, d.content):
					t.Errorf("%s got other bytes for %s", name, d.u.Filename)
				case !sees && (status != http.StatusNotFound || !strings.Contains(string(body), `"NOT_FOUND"`)):
					t.Errorf("%s does not read %s's subject but GET %s answered %d %s", name, d.u.Filename, d.u.URL, status, body)
				}
				if sees != who.sees(d.u.ID) {
					t.Errorf("%s: node(%s) disagrees with the subject's visibility (%v)", name, d.u.Filename, sees)
				}
				if sees && h.Get("Content-Type") != d.u.ContentType {
					t.Errorf("%s served as %q, want %q", d.u.Filename, h.Get("Content-Type"), d.u.ContentType)
				}
			}
			for _, name := range d.mustRead {
				if !readers[name].forTest(t).sees(d.u.ID) {
					t.Errorf("%s does not read %s", name, d.u.Filename)
				}
			}
			for _, name := range d.mustNt {
				if readers[name].forTest(t).sees(d.u.ID) {
					t.Errorf("%s reads %s", name, d.u.Filename)
				}
			}
			if status, body, _ := anonymous.fetchDocument(d.u.URL); status != http.StatusNotFound || !strings.Contains(string(body), `"NOT_FOUND"`) {
				t.Errorf("an anonymous caller got %s: %d %s", d.u.Filename, status, body)
			}
		}

		status, _, h := ps.plant.fetchDocument(cert.URL)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", cert.URL, status)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
			"Content-Disposition":     `attachment; filename="____ LOIN-1.pdf"; filename*=UTF-8''%E6%A3%80%E7%96%AB%E8%AF%81%E6%98%8E%20LOIN-1.pdf`,
			"ETag":                    `"` + cert.Sha256 + `"`,
			"Cache-Control":           "private, no-cache",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		for _, path := range []string{"/documents/abc", "/documents/" + p.loin, "/documents/0"} {
			if status, _, _ := a.fetchDocument(path); status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, status)
			}
		}

		// GraphQL lists the documents of what one reads, with the page's
		// other rows, in the statements of a page of them.
		var out struct {
			Node struct {
				Documents []struct {
					ID, Kind, Filename, ContentType, Sha256, URL string
					Size                                         int
					Public                                       bool
				}
				Inspections struct {
					Edges []struct {
						Node struct{ Documents []struct{ ID string } }
					}
				}
			}
		}
		q := `query($id: ID!) { node(id: $id) { ... on Batch { documents { id kind filename contentType size sha256 public url }
			inspections { edges { node { documents { id } } } } } } }`
		ps.regulator.must(&out, q, map[string]any{"id": p.loin})
		if len(out.Node.Documents) != 1 || out.Node.Documents[0].ID != cert.ID || out.Node.Documents[0].URL != cert.URL || out.Node.Documents[0].Sha256 != cert.Sha256 {
			t.Errorf("the loin's documents: %+v", out.Node.Documents)
		}
		found := false
		for _, e := range out.Node.Inspections.Edges {
			for _, d := range e.Node.Documents {
				found = found || d.ID == report.ID
			}
		}
		if !found {
			t.Errorf("the loin's inspections do not list the laboratory's report: %+v", out.Node.Inspections)
		}

		// Uploads are for those who record for the subject.
		before := a.stored()
		if u := ps.s.upload(p.loin, "LAB_REPORT", false, "x.pdf", []byte(testPDF)); u.Status != 403 || u.Errors[0].Extensions.Code != "FORBIDDEN" {
			t.Errorf("a stranger's upload to the loin: %d %s", u.Status, u.Raw)
		}
		if u := ps.shop.upload(p.loin, "LAB_REPORT", false, "x.pdf", []byte(testPDF)); u.Status != 403 {
			t.Errorf("the shop's upload to the loin: %d %s", u.Status, u.Raw)
		}
		if u := ps.plant.upload(ps.inspLoin, "LAB_REPORT", false, "x.pdf", []byte(testPDF)); u.Status != 403 {
			t.Errorf("the producer's upload to the laboratory's inspection: %d %s", u.Status, u.Raw)
		}
		if u := anonymous.upload(p.loin, "LAB_REPORT", false, "x.pdf", []byte(testPDF)); u.Status != 401 {
			t.Errorf("an anonymous upload: %d %s", u.Status, u.Raw)
		}
		if after := a.stored(); after != before {
			t.Errorf("refused uploads stored something: %v before, %v after", before, after)
		}
		refusals(t, ps.plant, p.loin, limit)

		// The consumer page says a public certificate is on file; of the
		// private report and licence, nothing.
		page := func() (string, []struct{ Kind, UploadedAt string }) {
			res := a.as("").get("/t/" + p.code + "?lang=en")
			defer res.Body.Close()
			html, _ := io.ReadAll(res.Body)
			req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/t/"+p.code, nil)
			req.Header.Set("Accept", "application/json")
			jr, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer jr.Body.Close()
			var doc struct {
				Certificates []struct{ Kind, UploadedAt string }
			}
			raw, _ := io.ReadAll(jr.Body)
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("the page's JSON %s: %v", raw, err)
			}
			if strings.Contains(string(html), "/documents/") || strings.Contains(string(raw), "/documents/") {
				t.Errorf("the consumer page names a document's address")
			}
			return string(html), doc.Certificates
		}
		html, certs := page()
		if len(certs) != 1 || certs[0].Kind != "QUARANTINE_CERTIFICATE" || certs[0].UploadedAt == "" {
			t.Errorf("the page's certificates: %+v", certs)
		}
		if !strings.Contains(html, "Quarantine certificate") || strings.Contains(html, "Laboratory report") || strings.Contains(html, "Business licence") {
			t.Errorf("the page shows certificates it should not, or not the public one")
		}
		ps.lab.mustUpload(ps.inspLoin, "LAB_REPORT", true, "public report.pdf", []byte(testPDF))
		html, certs = page()
		if len(certs) != 2 || certs[0].Kind != "LAB_REPORT" || !strings.Contains(html, "Laboratory report") {
			t.Errorf("after a public report, the page's certificates: %+v", certs)
		}
		// The GraphQL trace answers the same when it asks for them, and
		// reads them only then.
		var tr struct {
			Trace struct {
				Certificates []struct{ Kind, UploadedAt string }
			}
		}
		a.as("").must(&tr, `query($c: String!) { trace(code: $c) { certificates { kind uploadedAt } } }`, map[string]any{"c": p.code})
		kinds := func(cs []struct{ Kind, UploadedAt string }) (ks []string) {
			for _, c := range cs {
				ks = append(ks, c.Kind)
			}
			return ks
		}
		if !slices.Equal(kinds(tr.Trace.Certificates), kinds(certs)) {
			t.Errorf("the trace's certificates %+v, the page's %+v", tr.Trace.Certificates, certs)
		}
		with := a.statements(`query($c: String!) { trace(code: $c) { certificates { kind } } }`, map[string]any{"c": p.code})
		without := a.statements(`query($c: String!) { trace(code: $c) { recalled } }`, map[string]any{"c": p.code})
		if without != with-1 {
			t.Errorf("a trace without certificates issued %d statements, with them %d; want one fewer", without, with)
		}
	})
}

// TestDocumentsInADirectory keeps documents in a directory: a stored
// one's file is named by its hash and nothing is in the database; refused
// uploads and a recording refused after its file was written leave no
// file behind.
func TestDocumentsInADirectory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		const limit = 32 << 10
		dir := filepath.Join(t.TempDir(), "documents")
		store, err := document.NewStore(db.Client, dir)
		if err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, db, server.Config{MaxDocumentSize: limit, Documents: store})
		c := a.newChain()
		lot := a.batch(c.pigs, c.farm, "PIG-1", 10, "HEAD", day(0))
		farm := a.staff(c.farmOrg)
		files := func() []string {
			var out []string
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					out = append(out, path)
				}
				return nil
			})
			return out
		}

		pngData := testPNG(t)
		u := farm.mustUpload(lot, "QUARANTINE_CERTIFICATE", false, "cert.png", pngData)
		if got := files(); len(got) != 1 || got[0] != filepath.Join(dir, u.Sha256[:2], u.Sha256) {
			t.Fatalf("files after an upload: %v", got)
		}
		if n := a.count("document_contents"); n != 0 {
			t.Errorf("%d contents in the database beside the directory", n)
		}
		if status, body, h := farm.fetchDocument(u.URL); status != 200 || !bytes.Equal(body, pngData) || h.Get("Content-Type") != "image/png" {
			t.Errorf("GET %s: %d %s", u.URL, status, h.Get("Content-Type"))
		}
		// The same bytes again share the file.
		farm.mustUpload(c.farmOrg, "OTHER", false, "again.png", pngData)
		if got := files(); len(got) != 1 {
			t.Errorf("files after the same bytes again: %v", got)
		}

		// A retry with the same Idempotency-Key is answered again, and
		// stores nothing more.
		jpegData := testJPEG(t)
		first := farm.upload(lot, "OTHER", false, "photo.jpg", jpegData, "Idempotency-Key", "doc-1")
		again := farm.upload(lot, "OTHER", false, "photo.jpg", jpegData, "Idempotency-Key", "doc-1")
		if first.Status != 201 || again.Status != 201 || again.ID != first.ID || !again.Replayed || a.count("documents") != 3 {
			t.Errorf("an upload retried: %d %s; %d %s (replayed %v); %d documents", first.Status, first.Raw, again.Status, again.Raw, again.Replayed, a.count("documents"))
		}
		if got := files(); len(got) != 2 {
			t.Errorf("files after a retried upload: %v", got)
		}
		refusals(t, farm, lot, limit)
		// Refused after its file was written: the stranger may not record
		// for the farm's lot.
		stranger := a.staff(a.org("RETAILER"))
		if u := stranger.upload(lot, "LAB_REPORT", false, "x.pdf", []byte(testPDF)); u.Status != 403 {
			t.Errorf("a stranger's upload: %d %s", u.Status, u.Raw)
		}
		want := []string{filepath.Join(dir, u.Sha256[:2], u.Sha256), filepath.Join(dir, first.Sha256[:2], first.Sha256)}
		slices.Sort(want)
		if got := files(); !slices.Equal(got, want) {
			t.Errorf("files after refused uploads: %v, want %v", got, want)
		}
	})
}

// TestDocumentStatements proves that listing documents is no N+1: a page
// of batches with their documents, and their inspections' documents,
// issues as many statements for one document as for many on many rows.
func TestDocumentStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		farm := a.staff(c.farmOrg)
		lab := a.staff(c.labOrg)
		lots := make([]string, 6)
		for i := range lots {
			lots[i] = a.batch(c.pigs, c.farm, "PIG-"+strconv.Itoa(i), 10, "HEAD", day(float64(i)))
		}
		q := `query($org: ID!) { node(id: $org) { ... on Organization { documents { id kind }
			batches(first: 20) { edges { node { documents { id url } inspections { edges { node { documents { id sha256 } } } } } } } } } }`
		vars := map[string]any{"org": c.farmOrg}
		farm.mustUpload(lots[0], "QUARANTINE_CERTIFICATE", true, "c.pdf", []byte(testPDF))
		a.inspect(lots[0], c.labOrg, 6.5)
		small := a.statements(q, vars)
		pngData := testPNG(t)
		farm.mustUpload(c.farmOrg, "BUSINESS_LICENCE", true, "l.png", pngData)
		for _, lot := range lots {
			farm.mustUpload(lot, "QUARANTINE_CERTIFICATE", true, "c.pdf", []byte(testPDF))
			farm.mustUpload(lot, "OTHER", false, "o.png", pngData)
			insp := a.inspect(lot, c.labOrg, 7)
			lab.mustUpload(insp, "LAB_REPORT", false, "r.pdf", []byte(testPDF))
		}
		large := a.statements(q, vars)
		t.Logf("%s: %d statements for 1 document, %d for 19 on 13 rows", db.Name, small, large)
		if small != large {
			t.Errorf("statements grew with the documents: %d, then %d", small, large)
		}
	})
}
