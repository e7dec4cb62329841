// Package playground serves the GraphiQL playground of development mode
// from files embedded in the binary: GraphiQL, React and ReactDOM at pinned
// versions (static/vendor, see its README), so that the playground works
// without internet access and loads nothing from another host.
//
// The page is served at "/"; its assets under AssetPath followed by a hash of
// all of them (AssetPath + "v<hash>/..."), so that they are cached for a year
// and a new build is fetched at once. The page itself is revalidated by
// ETag.
package playground

import (
	"embed"
	"net/http"
	"strings"

	"suyuan/server/static"
)

//go:embed static
var staticFS embed.FS

// AssetPath is where the assets are served; mount Handler for AssetPath+"*"
// as well as for the page.
const AssetPath = "/playground/"

// ContentSecurityPolicy is sent with the page and its assets: scripts,
// styles and fonts only from the server itself (GraphiQL's fonts and icons
// are data: URLs in its stylesheet), connections only to its own origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"font-src 'self' data:; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

type handler struct{ set *static.Set }

// Handler serves the page at any path outside AssetPath, and the assets
// under it. Only GET and HEAD are served.
func Handler() http.Handler {
	set, err := static.Load(staticFS, "static", nil, AssetPath)
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return &handler{set: set}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, AssetPath)
	if !ok {
		static.Serve(w, r, h.set.Index, static.CacheRevalidate)
		return
	}
	if v, rest, ok := strings.Cut(rel, "/"); ok && v == h.set.Version {
		if a, ok := h.set.Asset(rest); ok {
			static.Serve(w, r, a, static.CacheImmutable)
			return
		}
	}
	hd.Set("Cache-Control", static.CacheRevalidate)
	http.NotFound(w, r)
}
