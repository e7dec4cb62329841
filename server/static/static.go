// Package static serves a page and the files it loads from an embedded file
// system, as the dashboard and the playground do: index.html names its
// assets under a path that carries a hash of all of them ("v<hash>/..."),
// so they are cached for a year and a new build is fetched at once; the
// page itself is revalidated by ETag on every visit.
package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

// Cache-Control values of the page and of the versioned assets.
const (
	CacheImmutable  = "public, max-age=31536000, immutable"
	CacheRevalidate = "no-cache"
)

// Placeholder in index.html stands for the versioned asset path.
const Placeholder = "{{static}}"

// Asset is one file, ready to serve.
type Asset struct {
	Body []byte
	Type string // Content-Type
	ETag string
}

// Set is a page and its assets.
type Set struct {
	// Version is "v" + hex of the assets' hash, the path segment of the
	// cached asset URLs.
	Version string
	// Index is index.html with Placeholder replaced by base + Version.
	Index  Asset
	assets map[string]Asset // by path under the root, e.g. "js/app.js"
}

// Load reads every file under root in fsys, and the extra files (built by
// the caller, by path under root), into a Set whose page links its assets
// under base (e.g. "/dashboard/static/"). Files embedded at build time
// cannot fail to read, so an error here is a programming error.
func Load(fsys fs.FS, root string, extra map[string][]byte, base string) (*Set, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		files[strings.TrimPrefix(p, root+"/")] = body
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", root, err)
	}
	for rel, body := range extra {
		files[rel] = body
	}
	index, ok := files["index.html"]
	if !ok {
		return nil, fmt.Errorf("%s has no index.html", root)
	}
	delete(files, "index.html")
	names := make([]string, 0, len(files))
	for rel := range files {
		names = append(names, rel)
	}
	sort.Strings(names)
	s := &Set{assets: make(map[string]Asset, len(files))}
	sum := sha256.New()
	for _, rel := range names {
		body := files[rel]
		sum.Write([]byte(rel))
		sum.Write([]byte{0})
		sum.Write(body)
		sum.Write([]byte{0})
		s.assets[rel] = Asset{Body: body, Type: ContentType(rel), ETag: etag(body)}
	}
	s.Version = "v" + hex.EncodeToString(sum.Sum(nil))[:16]
	page := bytes.ReplaceAll(index, []byte(Placeholder), []byte(base+s.Version))
	s.Index = Asset{Body: page, Type: "text/html; charset=utf-8", ETag: etag(page)}
	return s, nil
}

// Asset returns the asset at rel, a path under the root without a version.
func (s *Set) Asset(rel string) (Asset, bool) {
	a, ok := s.assets[rel]
	return a, ok
}

// Serve writes a with its type, ETag and cache policy; it answers
// If-None-Match with 304 and handles HEAD and ranges.
func Serve(w http.ResponseWriter, r *http.Request, a Asset, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", a.Type)
	hd.Set("Cache-Control", cache)
	hd.Set("ETag", a.ETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.Body))
}

// IsVersion reports whether s has the form of a Set's Version.
func IsVersion(s string) bool {
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

// ContentType is fixed here rather than taken from the system's MIME
// table, which differs between machines.
func ContentType(name string) string {
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
