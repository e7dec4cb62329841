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
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
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

const staticPlaceholder = "{{static}}"

type asset struct {
	body  []byte
	ctype string
	etag  string
}

type handler struct {
	version string // "v" + hex of the assets' hash
	index   asset
	assets  map[string]asset // by path under static/
}

// Handler serves the page at any path outside AssetPath, and the assets
// under it. Only GET and HEAD are served.
func Handler() http.Handler {
	h := &handler{assets: map[string]asset{}}
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
	sort.Strings(names)
	sum := sha256.New()
	var indexSrc []byte
	for _, p := range names {
		body, err := staticFS.ReadFile(p)
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
	page := bytes.ReplaceAll(indexSrc, []byte(staticPlaceholder), []byte(AssetPath+h.version))
	h.index = asset{body: page, ctype: "text/html; charset=utf-8", etag: etag(page)}
	return h
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
		serve(w, r, h.index, "no-cache")
		return
	}
	if v, rest, ok := strings.Cut(rel, "/"); ok && v == h.version {
		if a, ok := h.assets[rest]; ok {
			serve(w, r, a, "public, max-age=31536000, immutable")
			return
		}
	}
	hd.Set("Cache-Control", "no-cache")
	http.NotFound(w, r)
}

func serve(w http.ResponseWriter, r *http.Request, a asset, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", cache)
	hd.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

func etag(body []byte) string {
	s := sha256.Sum256(body)
	return `"` + hex.EncodeToString(s[:12]) + `"`
}

// contentType is fixed here rather than taken from the system's MIME table,
// which differs between machines.
func contentType(name string) string {
	if path.Base(name) == "LICENSE" {
		return "text/plain; charset=utf-8"
	}
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".md":
		return "text/markdown; charset=utf-8"
	}
	return "application/octet-stream"
}
