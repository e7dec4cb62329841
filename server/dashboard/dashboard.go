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
	"embed"
	"encoding/json"
	"net/http"
	"path"
	"strings"

	"suyuan/internal/cnid"
	"suyuan/server/static"
)

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every response. The page has no inline
// script or style: everything it runs or styles with comes from its own
// origin, and it talks only to its own origin (HTTP and websocket).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

type handler struct {
	prefix string
	set    *static.Set
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
	regions, err := regionsJSON()
	if err != nil {
		panic(err) // the region tables are Go values: cannot fail
	}
	set, err := static.Load(staticFS, "static", map[string][]byte{regionsAsset: regions}, prefix+"/static/")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return &handler{prefix: prefix, set: set}
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
		static.Serve(w, r, h.set.Index, static.CacheRevalidate)
		return
	case strings.HasPrefix(rest, "/static/"):
		rel := strings.TrimPrefix(rest, "/static/")
		cache := static.CacheRevalidate
		if v, after, ok := strings.Cut(rel, "/"); ok && static.IsVersion(v) {
			rel = after
			if v == h.set.Version {
				cache = static.CacheImmutable
			}
			// Another build's version: serve this build's file, but do not
			// let it be kept under that name.
		}
		if rel != path.Clean("/" + rel)[1:] {
			break
		}
		if a, ok := h.set.Asset(rel); ok {
			static.Serve(w, r, a, cache)
			return
		}
	}
	hd.Set("Cache-Control", static.CacheRevalidate)
	http.NotFound(w, r)
}
