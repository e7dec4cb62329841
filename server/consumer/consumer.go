// Package consumer serves what a shopper sees after scanning the code on a
// package: the GS1 Digital Link resolver (/01/{gtin}/10/{lot}[/21/{serial}])
// and the short form for opaque trace codes (/t/{code}), each as a small
// server-rendered page (Simplified Chinese or English, no JavaScript), as
// JSON for programs, or as a GS1 linkset; QR images of those links; and a
// printable sheet of a batch's codes.
//
// Pages come from an in-process cache with a short lifetime, dropped at
// once by Ent hooks when a row a page shows changes, so a recall shows on
// the very next request. Every page view is recorded as a scan through
// internal/scan, off the request's path.
//
// docs/CONSUMER.md documents the routes, the JSON shape and the caching.
package consumer

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"suyuan/ent"
	"suyuan/internal/errcode"
	"suyuan/internal/gs1"
	"suyuan/internal/reqlog"
	"suyuan/internal/scan"
	"suyuan/internal/trace"
)

//go:embed templates/*.html templates/style.css
var assets embed.FS

// Options configure a Handler. Zero values take the defaults below.
type Options struct {
	// PublicBaseURL is the scheme and host (and path prefix, if any) under
	// which consumers reach this server, such as "https://suyuan.example.cn".
	// QR codes and links are absolute URLs on it.
	PublicBaseURL string
	// CacheTTL is how long a page is kept at most; a negative value turns
	// the cache off.
	CacheTTL time.Duration
	// CacheSize bounds the number of cached codes.
	CacheSize int
	// MaxAge is the max-age that browsers and shared caches are told. It
	// bounds how long a shared cache may show a page after a recall, so
	// it stays short.
	MaxAge time.Duration
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// CacheResult is told whether each page served came from the cache
	// (for metrics); nil tells nobody.
	CacheResult func(hit bool)
}

// Defaults of Options.
const (
	DefaultPublicBaseURL = "http://localhost:8080"
	DefaultCacheTTL      = 30 * time.Second
	DefaultCacheSize     = 20000
	DefaultMaxAge        = 10 * time.Second
)

// Handler serves the consumer routes.
type Handler struct {
	client       *ent.Client
	reader       *trace.Reader
	scans        *scan.Recorder
	base         string
	cacheControl string
	cache        *pageCache
	tmpl         *template.Template
	css          template.CSS
	now          func() time.Time
	gzip         *sync.Pool
	cacheResult  func(hit bool)
}

// New returns a Handler over client and reader that records page views in
// scans (nil records none). Its cache learns of changes through Apply,
// which the server subscribes to the recording path's changes.
func New(client *ent.Client, reader *trace.Reader, scans *scan.Recorder, opts Options) *Handler {
	if opts.PublicBaseURL == "" {
		opts.PublicBaseURL = DefaultPublicBaseURL
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheResult == nil {
		opts.CacheResult = func(bool) {}
	}
	css, err := assets.ReadFile("templates/style.css")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	h := &Handler{
		client: client, reader: reader, scans: scans,
		base:         strings.TrimRight(opts.PublicBaseURL, "/"),
		cacheControl: "public, max-age=" + strconv.Itoa(int(opts.MaxAge/time.Second)),
		cache:        newPageCache(opts.CacheTTL, opts.CacheSize, opts.Now),
		tmpl:         template.Must(template.ParseFS(assets, "templates/*.html")),
		css:          template.CSS(css), // our own file
		now:          opts.Now,
		gzip:         newGzipPool(),
		cacheResult:  opts.CacheResult,
	}

	return h
}

// Mount adds the consumer routes to r.
func (h *Handler) Mount(r chi.Router) {
	r.Handle("/01/*", http.HandlerFunc(h.digitalLink))
	r.Handle("/t/*", http.HandlerFunc(h.opaque))
	r.Handle("/qr/{file}", http.HandlerFunc(h.qrOpaque))
	r.Handle("/qr/01/*", http.HandlerFunc(h.qrDigitalLink))
	r.Handle("/batches/{id}/codes/print", http.HandlerFunc(h.printSheet))
}

// CachedPages returns the number of codes whose pages are cached.
func (h *Handler) CachedPages() int { return h.cache.len() }

// loaded is what a code's page is made from.
type loaded struct {
	trace  *trace.Trace
	code   string // as shown: the opaque code or the Digital Link URI
	codeID *int   // the issued trace code scanned, if any
	links  links
}

// digitalLink serves /01/{gtin}[/22/{cpv}]/10/{lot}[/21/{serial}][?17=YYMMDD].
func (h *Handler) digitalLink(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) {
		return
	}
	f, lg := negotiateFormat(r), negotiateLang(r)
	raw := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		raw += "?" + r.URL.RawQuery
	}
	dl, err := gs1.ParseDigitalLink(raw)
	if err != nil {
		h.fail(w, r, f, lg, err)
		return
	}
	path := dl.Path()
	// The GTIN is normalised to 14 digits, so a GTIN-13 link and its
	// padded form share a page.
	h.servePage(w, r, f, lg, "dl:"+path, path, h.base+path)
}

// opaque serves /t/{code}.
func (h *Handler) opaque(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) {
		return
	}
	f, lg := negotiateFormat(r), negotiateLang(r)
	code := strings.TrimPrefix(r.URL.EscapedPath(), "/t/")
	if err := checkOpaqueCode(code); err != nil {
		h.fail(w, r, f, lg, err)
		return
	}
	h.servePage(w, r, f, lg, "t:"+code, code, h.base+"/t/"+code)
}

// servePage answers a resolved code in format f and language lg. key names
// the cache entry, code is what the trace reader resolves and page is the
// page's canonical URL.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, f format, lg lang, key, code, page string) {
	ctx := r.Context()
	p, hit, err := h.cache.get(ctx, key, func(ctx context.Context) (*loaded, []dep, time.Time, error) {
		return h.load(ctx, code, page)
	})
	if err != nil {
		h.fail(w, r, f, lg, err)
		return
	}
	var b *body
	switch f {
	case formatJSON:
		b, err = p.variant("json:"+string(lg), func() (*body, error) { return renderJSON(newDocument(p.trace, lg, p.links)) })
	case formatLinkset:
		b, err = p.variant("linkset:"+string(lg), func() (*body, error) { return renderLinkset(p.loaded, lg) })
	default:
		b, err = p.variant("html:"+string(lg), func() (*body, error) { return h.renderHTML(p.loaded, lg) })
	}
	if err != nil {
		h.fail(w, r, f, lg, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Cache-Control", h.cacheControl)
	hdr.Set("Vary", "Accept, Accept-Language, Accept-Encoding")
	hdr.Set("Link", "<"+p.links.Linkset+`>; rel="linkset"; type="application/linkset+json"`)
	h.cacheResult(hit)
	if hit {
		hdr.Set("X-Cache", "HIT")
	} else {
		hdr.Set("X-Cache", "MISS")
	}
	if f == formatHTML {
		h.securityHeaders(w)
	} else {
		cors(w)
	}
	h.write(w, r, b)
	// A view is a GET of the page or its data (a 304 is a view too); HEAD
	// and the linkset are not.
	if r.Method == http.MethodGet && f != formatLinkset {
		h.scans.Record(scan.Scan{BatchID: p.trace.Batch.ID, TraceCodeID: p.codeID, At: h.now(),
			RemoteIP: clientAddr(r), UserAgent: r.UserAgent()})
	}
}

// clientAddr is the client's address as the server's middleware resolved
// it (through trusted proxies), else the connection's peer.
func clientAddr(r *http.Request) string {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return ip
	}
	return r.RemoteAddr
}

// load reads a code's trace and the rows its page depends on.
func (h *Handler) load(ctx context.Context, code, page string) (*loaded, []dep, time.Time, error) {
	t, err := h.reader.Trace(ctx, code)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	l := &loaded{trace: t, code: code, links: links{
		Page: page, Data: page + "?linkType=gs1:traceability", Linkset: page + "?linkType=all",
		DigitalLink: digitalLink(h.base, t),
	}}
	if gs1.LooksLikeDigitalLink(code) {
		l.code = page
		l.links.QRPNG, l.links.QRSVG = h.base+"/qr"+code+".png", h.base+"/qr"+code+".svg"
	} else {
		l.links.QRPNG, l.links.QRSVG = h.base+"/qr/"+code+".png", h.base+"/qr/"+code+".svg"
	}
	l.codeID = t.CodeID
	// An unexpired batch's page changes by itself when it expires.
	var staleAt time.Time
	if b := t.Batch; b.ExpiresAt != nil && !b.Expired {
		staleAt = *b.ExpiresAt
	}
	return l, depsOf(t), staleAt, nil
}

// depsOf lists the rows a trace's page shows.
func depsOf(t *trace.Trace) []dep {
	seen := map[dep]bool{}
	var out []dep
	add := func(k depKind, id int) {
		d := dep{k, id}
		if id != 0 && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	facility := func(f trace.Facility) {
		add(depFacility, f.ID)
		add(depOrganization, f.Organization.ID)
	}
	batch := func(b *trace.Batch) {
		add(depBatch, b.ID)
		add(depProduct, b.Product.ID)
		add(depOrganization, b.Producer.ID)
		facility(b.Facility)
	}
	batch(t.Batch)
	for _, in := range t.Inspections {
		add(depInspection, in.ID)
		add(depOrganization, in.Lab.ID)
	}
	for _, l := range t.Journey {
		add(depShipment, l.ShipmentID)
		add(depOrganization, l.Carrier.ID)
		facility(l.From)
		facility(l.To)
	}
	for _, p := range t.Shelf {
		add(depShelfEvent, p.ID)
		facility(p.Store)
	}
	for _, n := range t.Ingredients {
		batch(n.Batch)
	}
	return out
}

func (h *Handler) renderHTML(l *loaded, lg lang) (*body, error) {
	d := newDocument(l.trace, lg, l.links)
	v := newPageView(l.trace, d, lg, h.css, l.links)
	v.Code = l.code
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, "page", v); err != nil {
		return nil, fmt.Errorf("rendering page: %w", err)
	}
	return newBody(buf.Bytes(), typeHTML), nil
}

func renderJSON(v any) (*body, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	return newBody(buf.Bytes(), typeJSON), nil
}

// linkTarget is a target of a linkset (RFC 9264).
type linkTarget struct {
	Href     string   `json:"href"`
	Title    string   `json:"title,omitempty"`
	Type     string   `json:"type,omitempty"`
	Hreflang []string `json:"hreflang,omitempty"`
}

// GS1 link relation types (GS1 Web Vocabulary).
const (
	relPIP           = "https://gs1.org/voc/pip"
	relDefault       = "https://gs1.org/voc/defaultLink"
	relTraceability  = "https://gs1.org/voc/traceability"
	relCertification = "https://gs1.org/voc/certificationInfo"
)

// renderLinkset lists a code's links as GS1 resolvers do for
// ?linkType=all: the consumer page, the traceability data, each
// inspection's certificate (on the page), and the QR images (as
// "alternate" representations of the link itself).
func renderLinkset(l *loaded, lg lang) (*body, error) {
	t, ln := l.trace, l.links
	title := t.Batch.Product.Name + " · " + lg.msg("lot") + " " + t.Batch.LotCode
	pageLink := linkTarget{Href: ln.Page, Title: title, Type: "text/html", Hreflang: []string{"zh", "en"}}
	set := map[string]any{
		"anchor":        ln.Page,
		relPIP:          []linkTarget{pageLink},
		relDefault:      []linkTarget{pageLink},
		relTraceability: []linkTarget{{Href: ln.Data, Title: lg.msg("json"), Type: typeJSON}},
		"alternate": []linkTarget{
			{Href: ln.QRPNG, Title: "QR", Type: "image/png"},
			{Href: ln.QRSVG, Title: "QR", Type: "image/svg+xml"},
		},
	}
	var certs []linkTarget
	for i, in := range t.Inspections {
		if in.CertificateNo == "" {
			continue
		}
		certs = append(certs, linkTarget{Href: ln.Page + "#inspection-" + strconv.Itoa(i+1),
			Title: lg.msg("certificate") + " " + in.CertificateNo, Type: "text/html"})
	}
	if len(certs) > 0 {
		set[relCertification] = certs
	}
	b, err := renderJSON(map[string]any{"linkset": []any{set}})
	if err != nil {
		return nil, err
	}
	b.ctype = typeLinkset
	return b, nil
}

// allow answers OPTIONS and refuses methods other than GET and HEAD; it
// reports whether the request should go on.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request) bool {
	const allowed = "GET, HEAD, OPTIONS"
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodOptions:
		hdr := w.Header()
		hdr.Set("Allow", allowed)
		cors(w)
		hdr.Set("Access-Control-Allow-Methods", allowed)
		hdr.Set("Access-Control-Allow-Headers", "Accept, Accept-Language, If-None-Match")
		hdr.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	w.Header().Set("Allow", allowed)
	writeJSONError(w, r, http.StatusMethodNotAllowed, &errcode.Error{Code: errcode.BadUserInput, Message: "only GET, HEAD and OPTIONS are allowed here"})
	return false
}

// cors lets any web page read the response: the data is public.
func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "ETag, Link, X-Request-ID")
}

// securityHeaders tell browsers that the pages run no script and load
// nothing but their own inline style and images.
func (h *Handler) securityHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
}

// write sends b, gzip-encoded when the client takes it, or 304 when the
// client's copy is current. HEAD gets the headers alone.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, b *body) {
	data, etag := b.data, b.etag
	hdr := w.Header()
	hdr.Set("Content-Type", b.ctype)
	if acceptsGzip(r) {
		if gz := b.gzipped(h.gzip); gz != nil {
			data, etag = gz, b.gzipETag()
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		hdr.Del("Content-Type")
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

// fail answers an error: a helpful page for a browser, a coded JSON error
// for a program; 400 for a malformed code, 404 for an unknown one, 500 with
// a reference for anything unexpected (logged, never shown). Error answers
// are never cached.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, f format, lg lang, err error) {
	ctx := r.Context()
	var e *errcode.Error
	status := http.StatusInternalServerError
	if errors.As(err, &e) {
		status = e.Code.HTTPStatus()
	} else {
		reqlog.Logger(ctx).Error("consumer page", "path", r.URL.Path, "error", err.Error())
		e = &errcode.Error{Code: errcode.Internal, Message: "internal error; reference " + reqlog.ID(ctx)}
	}
	hdr := w.Header()
	hdr.Del("ETag")
	hdr.Del("Link")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Vary", "Accept, Accept-Language")
	if f != formatHTML {
		cors(w)
		writeJSONError(w, r, status, e)
		return
	}
	v := errorView{Lang: lg.htmlLang(), M: catalogue[lg], CSS: h.css, Status: strconv.Itoa(status)}
	v.OtherLang, v.OtherHref = lg.msg("other_lang"), "?lang=en"
	if lg == en {
		v.OtherHref = "?lang=zh"
	}
	switch status {
	case http.StatusNotFound:
		v.Title, v.Body, v.Hint = lg.msg("not_found_title"), lg.msg("not_found_body"), lg.msg("not_found_hint")
	case http.StatusBadRequest:
		v.Title, v.Body, v.Detail = lg.msg("bad_title"), lg.msg("bad_body"), lg.label("detail", e.Message)
	default:
		v.Title, v.Body, v.Reference = lg.msg("error_title"), lg.msg("error_body"), reqlog.ID(ctx)
	}
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, "error", v); err != nil {
		reqlog.Logger(ctx).Error("rendering error page", "error", err.Error())
		http.Error(w, v.Title, status)
		return
	}
	h.securityHeaders(w)
	hdr.Set("Content-Type", typeHTML)
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

type errorView struct {
	Lang, Status                         string
	M                                    map[string]string
	CSS                                  template.CSS
	OtherLang, OtherHref                 string
	Title, Body, Hint, Detail, Reference string
}

// writeJSONError writes an error in the shape of Suyuan's other plain HTTP
// endpoints: {"errors":[{"message","extensions":{"code","field"}}]}.
func writeJSONError(w http.ResponseWriter, r *http.Request, status int, e *errcode.Error) {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.Code == errcode.Internal {
		ext["requestId"] = reqlog.ID(r.Context())
	}
	data, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": e.Message, "extensions": ext}}})
	w.Header().Set("Content-Type", typeJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(append(data, '\n'))
	}
}
