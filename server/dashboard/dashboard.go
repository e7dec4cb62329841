// Package dashboard serves the regulators' dashboard: one static page and
// its scripts, which log in and read the region's figures, alerts and
// recalls from the GraphQL API (POST /graphql and the graphql-transport-ws
// websocket at /graphql). Nothing here reads the database; the page sees
// only what the API lets its user see.
//
// The assets are embedded. index.html names them under a path that carries
// a hash of all of them (PREFIX/static/v<hash>/...), so they are cached for
// a year and a new build is fetched at once; the same files are also served
// without the hash (PREFIX/static/...) for revalidation by ETag. The page
// itself is never cached without revalidation.
//
// Besides the files, the assets include regions.json, the names of the
// regions the page shows as codes (from internal/cnid), built here so that
// the page does not keep its own copy of them.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"suyuan/internal/cnid"
)

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every response. The page has no inline
// script or style: everything it runs or styles with comes from its own
// origin, and it talks only to its own origin (HTTP and websocket).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// staticPlaceholder in index.html stands for the versioned asset path.
const staticPlaceholder = "{{static}}"

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

type asset struct {
	body  []byte
	ctype string
	etag  string
}

type handler struct {
	prefix  string
	version string // "v" + hex, the path segment of the cached asset URLs
	index   asset
	assets  map[string]asset // by path under static/, e.g. "js/app.js"
}

// Handler serves the dashboard page and its assets under prefix (e.g.
// "/dashboard"): the page at PREFIX and PREFIX/, the assets at
// PREFIX/static/... . Mount it for both PREFIX and PREFIX/*. A request whose
// path does not start with prefix is taken as already stripped of it (as by
// http.StripPrefix). Only GET and HEAD are served.
func Handler(prefix string) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	h := &handler{prefix: prefix, assets: map[string]asset{}}

	var indexSrc []byte
	sum := sha256.New()
	var names []string
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	names = append(names, "static/"+regionsAsset)
	sort.Strings(names)
	for _, p := range names {
		body, err := staticFS.ReadFile(p)
		if p == "static/"+regionsAsset {
			body, err = regionsJSON()
		}
		if err != nil {
			panic(err)
		}
		rel := strings.TrimPrefix(p, "static/")
		if rel == "index.html" {
			indexSrc = body
			continue
		}
		sum.Write([]byte(rel))
		sum.Write([]byte{0})
		sum.Write(body)
		sum.Write([]byte{0})
		h.assets[rel] = asset{body: body, ctype: contentType(rel), etag: etag(body)}
	}
	h.version = "v" + hex.EncodeToString(sum.Sum(nil))[:16]

	page := bytes.ReplaceAll(indexSrc, []byte(staticPlaceholder), []byte(h.prefix+"/static/"+h.version))
	h.index = asset{body: page, ctype: "text/html; charset=utf-8", etag: etag(page)}
	return h
}

// regionsAsset is the path under static/ of the region names.
const regionsAsset = "regions.json"

// regionsJSON maps region codes to their names, [Chinese, English]: Ya'an
// and its districts and counties under their 6-digit codes, and the
// provinces under their 2-digit prefixes.
func regionsJSON() ([]byte, error) {
	m := map[string][2]string{}
	for _, r := range cnid.ProvinceNames() {
		m[r.Code] = [2]string{r.Chinese, r.English}
	}
	for _, r := range cnid.YaanRegionNames() {
		m[r.Code] = [2]string{r.Chinese, r.English}
	}
	return json.Marshal(m) // map keys are sorted: the same bytes every build
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	rest := r.URL.Path
	if h.prefix != "" && (rest == h.prefix || strings.HasPrefix(rest, h.prefix+"/")) {
		rest = rest[len(h.prefix):]
	}
	switch {
	case rest == "" || rest == "/" || rest == "/index.html":
		h.serve(w, r, h.index, cacheRevalidate)
		return
	case strings.HasPrefix(rest, "/static/"):
		rel := strings.TrimPrefix(rest, "/static/")
		cache := cacheRevalidate
		if v, after, ok := strings.Cut(rel, "/"); ok && isVersion(v) {
			rel = after
			if v == h.version {
				cache = cacheImmutable
			}
			// Another build's version: serve this build's file, but do not
			// let it be kept under that name.
		}
		if rel != path.Clean("/" + rel)[1:] {
			break
		}
		if a, ok := h.assets[rel]; ok {
			h.serve(w, r, a, cache)
			return
		}
	}
	hd.Set("Cache-Control", cacheRevalidate)
	http.NotFound(w, r)
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, a asset, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", cache)
	hd.Set("ETag", a.etag)
	// ServeContent answers If-None-Match with 304 and handles HEAD and
	// ranges; the ETag set above is what it compares.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

func isVersion(s string) bool {
	if len(s) != 17 || s[0] != 'v' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func etag(body []byte) string {
	s := sha256.Sum256(body)
	return `"` + hex.EncodeToString(s[:12]) + `"`
}

// contentType is fixed here rather than taken from the system's MIME table,
// which differs between machines.
func contentType(name string) string {
	base := path.Base(name)
	if base == "LICENSE" || strings.HasPrefix(base, "LICENSE.") && !strings.HasSuffix(base, ".md") {
		return "text/plain; charset=utf-8"
	}
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".json", ".map":
		return "application/json"
	case ".md":
		return "text/markdown; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
