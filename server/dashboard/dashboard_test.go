package dashboard

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"suyuan/server/static"
)

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkSecurityHeaders(t *testing.T, res *http.Response, what string) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func TestPageRoutes(t *testing.T) {
	h := Handler("/dashboard")
	for _, target := range []string{"/dashboard", "/dashboard/", "/dashboard/index.html"} {
		res := get(t, h, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", target, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", target, cc)
		}
		checkSecurityHeaders(t, res, target)
		b := body(t, res)
		if strings.Contains(b, static.Placeholder) {
			t.Errorf("GET %s: placeholder %s left in the page", target, static.Placeholder)
		}
		if !strings.Contains(b, `src="/dashboard/static/v`) {
			t.Errorf("GET %s: page does not name versioned assets", target)
		}
	}
}

// Every asset the page names is served, with its type and a year's cache;
// the page has no inline script, style element or style attribute, which
// the CSP would refuse.
func TestPageAssets(t *testing.T) {
	h := Handler("/dashboard")
	page := body(t, get(t, h, http.MethodGet, "/dashboard/", nil))

	for _, re := range []string{`<script(?:\s[^>]*)?>\s*[^<\s]`, `<style`, `\sstyle\s*=`, `\son[a-z]+\s*=`, `javascript:`} {
		if m := regexp.MustCompile(`(?i)` + re).FindString(page); m != "" {
			t.Errorf("page has inline code or style the CSP refuses: %q", m)
		}
	}
	for _, id := range []string{`id="login-form"`, `id="phone"`, `id="password"`, `id="dashboard"`, `id="search-form"`,
		`id="search"`, `id="trace-view"`, `id="lineage-graph"`, `id="error"`, `id="live-status"`, `id="alert-list"`,
		`id="recall-list"`, `id="chart-activity"`, `id="chart-inspections"`, `id="chart-alerts"`,
		`data-counter="batches"`, `data-counter="shipments"`, `data-counter="shelfEvents"`, `data-counter="inspections"`,
		`data-counter="passRate"`, `data-counter="openAlerts"`, `data-counter="openRecalls"`} {
		if !strings.Contains(page, id) {
			t.Errorf("page lacks the hook %s", id)
		}
	}

	refs := regexp.MustCompile(`(?:src|href)="(/dashboard/static/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 6 {
		t.Fatalf("page names %d assets, want at least 6", len(refs))
	}
	wantType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml",
	}
	for _, m := range refs {
		target := m[1]
		res := get(t, h, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", target, res.StatusCode)
			continue
		}
		ext := target[strings.LastIndex(target, "."):]
		if ct := res.Header.Get("Content-Type"); ct != wantType[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", target, ct, wantType[ext])
		}
		if cc := res.Header.Get("Cache-Control"); cc != static.CacheImmutable {
			t.Errorf("GET %s: Cache-Control %q, want %q", target, cc, static.CacheImmutable)
		}
		if res.Header.Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", target)
		}
		checkSecurityHeaders(t, res, target)
	}
	for _, want := range []string{"/vendor/uplot/uPlot.iife.min.js", "/vendor/uplot/uPlot.min.css",
		"/vendor/graphql-ws/graphql-ws.min.js", "/js/app.js", "/css/dashboard.css"} {
		if !strings.Contains(page, want+`"`) {
			t.Errorf("page does not load %s", want)
		}
	}
}

// The scripts build the DOM with createElement and textContent: no HTML is
// parsed from data, and no style attribute is set (the CSP refuses those).
func TestScriptsParseNoHTML(t *testing.T) {
	h := Handler("/dashboard")
	for _, name := range []string{"app.js", "api.js", "charts.js", "evidence.js", "format.js", "lineage.js", "queries.js"} {
		src := body(t, get(t, h, http.MethodGet, "/dashboard/static/js/"+name, nil))
		if src == "" {
			t.Fatalf("js/%s is empty or missing", name)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", "cssText"} {
			if strings.Contains(src, bad) {
				t.Errorf("js/%s uses %s", name, bad)
			}
		}
	}
}

func TestUnversionedAndConditional(t *testing.T) {
	h := Handler("/dashboard/") // a trailing slash is dropped
	res := get(t, h, http.MethodGet, "/dashboard/static/vendor/uplot/uPlot.iife.min.js", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("unversioned asset: status %d", res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned asset: Cache-Control %q, want no-cache", cc)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("unversioned asset: Content-Type %q", ct)
	}
	tag := res.Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(tag) {
		t.Fatalf("ETag %q", tag)
	}
	res = get(t, h, http.MethodGet, "/dashboard/static/vendor/uplot/uPlot.iife.min.js", map[string]string{"If-None-Match": tag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}

	// Another build's version: this build's file, not cached under that name.
	res = get(t, h, http.MethodGet, "/dashboard/static/v0123456789abcdef/css/dashboard.css", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version: status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("stale version: Content-Type %q", ct)
	}

	res = get(t, h, http.MethodHead, "/dashboard/", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD: status %d", res.StatusCode)
	}
	res = get(t, h, http.MethodGet, "/dashboard/static/vendor/README.md", nil)
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || ct != "text/markdown; charset=utf-8" {
		t.Errorf("README: status %d, Content-Type %q", res.StatusCode, ct)
	}
	res = get(t, h, http.MethodGet, "/dashboard/static/vendor/uplot/LICENSE", nil)
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || ct != "text/plain; charset=utf-8" {
		t.Errorf("LICENSE: status %d, Content-Type %q", res.StatusCode, ct)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler("/dashboard")
	v := h.(*handler).set.Version
	for _, target := range []string{
		"/dashboard/static/nope.js",
		"/dashboard/static/" + v + "/nope.js",
		"/dashboard/static/",
		"/dashboard/static/js",
		"/dashboard/static/js/../js/app.js",
		"/dashboard/static//js/app.js",
		"/dashboard/static/index.html",
		"/dashboard/other",
		"/dashboardx",
	} {
		res := get(t, h, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, res.StatusCode)
		}
		checkSecurityHeaders(t, res, target)
	}
	res := get(t, h, http.MethodPost, "/dashboard/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	checkSecurityHeaders(t, res, "POST")
}

// Mounted behind http.StripPrefix the handler sees paths without the prefix.
func TestStrippedPrefix(t *testing.T) {
	h := http.StripPrefix("/dashboard", Handler("/dashboard"))
	for _, target := range []string{"/dashboard", "/dashboard/", "/dashboard/static/js/app.js"} {
		if res := get(t, h, http.MethodGet, target, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s through StripPrefix: status %d", target, res.StatusCode)
		}
	}
	// At the root.
	root := Handler("")
	if res := get(t, root, http.MethodGet, "/", nil); res.StatusCode != http.StatusOK {
		t.Errorf("root page: status %d", res.StatusCode)
	}
	if !strings.Contains(body(t, get(t, root, http.MethodGet, "/", nil)), `src="/static/v`) {
		t.Error("root page does not name /static/ assets")
	}
}

func TestRegionNames(t *testing.T) {
	h := Handler("/dashboard")
	page := body(t, get(t, h, http.MethodGet, "/dashboard/", nil))
	version := regexp.MustCompile(`/dashboard/static/(v[0-9a-f]{16})/`).FindStringSubmatch(page)
	if version == nil {
		t.Fatal("page names no versioned assets")
	}
	res := get(t, h, http.MethodGet, "/dashboard/static/"+version[1]+"/regions.json", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("regions.json: status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("regions.json: Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != static.CacheImmutable {
		t.Errorf("regions.json: Cache-Control %q", cc)
	}
	var names map[string][2]string
	if err := json.Unmarshal([]byte(body(t, res)), &names); err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string][2]string{
		"511800": {"雅安市", "Ya'an"},
		"511802": {"雨城区", "Yucheng District"},
		"511827": {"宝兴县", "Baoxing County"},
		"51":     {"四川省", "Sichuan"},
		"11":     {"北京市", "Beijing"},
	} {
		if names[code] != want {
			t.Errorf("regions.json[%s] = %q, want %q", code, names[code], want)
		}
	}
	if len(names) != 9+34 {
		t.Errorf("regions.json names %d regions, want Ya'an's 9 and 34 provinces", len(names))
	}
}
