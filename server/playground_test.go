package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
	"suyuan/server/playground"
)

// TestPlaygroundIsSelfContained: development mode's playground at "/"
// loads every script and stylesheet from the server itself, each of which
// is served, under a strict Content-Security-Policy.
func TestPlaygroundIsSelfContained(t *testing.T) {
	db := testdb.SQLite(t)
	srv := httptest.NewServer(server.New(db.DB, server.Config{Development: true, Logger: discardLogger()}).Handler())
	defer srv.Close()

	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, string(body)
	}
	res, page := get("/")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != playground.ContentSecurityPolicy {
		t.Errorf("page's CSP %q", csp)
	}
	if strings.Contains(page, "//") && regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]`).MatchString(page) {
		t.Errorf("the page names another host:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	want := map[string]bool{"graphiql.min.js": false, "graphiql.min.css": false, "react.production.min.js": false, "react-dom.production.min.js": false, "playground.js": false}
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, playground.AssetPath) {
			t.Errorf("the page loads %q, not from %s", ref, playground.AssetPath)
			continue
		}
		res, body := get(ref)
		if res.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET %s: %d, %d bytes", ref, res.StatusCode, len(body))
		}
		ct := res.Header.Get("Content-Type")
		if strings.HasSuffix(ref, ".js") && !strings.HasPrefix(ct, "text/javascript") ||
			strings.HasSuffix(ref, ".css") && !strings.HasPrefix(ct, "text/css") {
			t.Errorf("GET %s: Content-Type %q", ref, ct)
		}
		if res.Header.Get("Content-Security-Policy") == "" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: CSP %q, Cache-Control %q", ref, res.Header.Get("Content-Security-Policy"), res.Header.Get("Cache-Control"))
		}
		name := ref[strings.LastIndex(ref, "/")+1:]
		if _, ok := want[name]; ok {
			want[name] = true
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("the page does not load %s", name)
		}
	}
	if res, _ := get(playground.AssetPath + "v0000000000000000/playground.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an asset of another build: %d", res.StatusCode)
	}

	// Production has no playground.
	prod := httptest.NewServer(server.New(db.DB, server.Config{Logger: discardLogger()}).Handler())
	defer prod.Close()
	pres, err := http.Get(prod.URL + refs[0][1])
	if err != nil {
		t.Fatal(err)
	}
	pres.Body.Close()
	if pres.StatusCode != http.StatusNotFound {
		t.Errorf("production serves the playground's assets: %d", pres.StatusCode)
	}
}
