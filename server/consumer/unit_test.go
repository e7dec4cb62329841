package consumer

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCatalogueComplete(t *testing.T) {
	for _, pair := range [][2]lang{{zh, en}, {en, zh}} {
		for k := range catalogue[pair[0]] {
			if _, ok := catalogue[pair[1]][k]; !ok {
				t.Errorf("message %q is in %s but not in %s", k, pair[0], pair[1])
			}
		}
		for k := range enums[pair[0]] {
			if _, ok := enums[pair[1]][k]; !ok {
				t.Errorf("enum %q is named in %s but not in %s", k, pair[0], pair[1])
			}
		}
	}
	// Every key the templates and the code use exists.
	used := map[string]bool{}
	for _, name := range []string{"templates/page.html", "templates/error.html", "templates/print.html"} {
		src, err := assets.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\.M\.([a-z_]+)`).FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	for _, name := range []string{"view.go", "consumer.go", "qr.go"} {
		b, err := os.ReadFile(name)
		src := string(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\.(?:msg|msgf|label)\("([a-z_A-Z]+)"[,)]`).FindAllStringSubmatch(src, -1) {
			used[m[1]] = true
		}
	}
	for _, v := range []string{"OK", "EXCURSION", "NO_DATA", "NOT_REQUIRED"} {
		used["cc_"+v] = true // built from the verdict
	}
	for _, k := range bannerKey {
		used[k] = true
	}
	for k := range used {
		if _, ok := catalogue[zh][k]; !ok {
			t.Errorf("message %q is used but not in the catalogue", k)
		}
	}
}

func TestNegotiateFormat(t *testing.T) {
	for _, c := range []struct {
		query, accept string
		want          format
	}{
		{"", "", formatHTML},
		{"", "*/*", formatHTML},
		{"", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", formatHTML},
		{"", "application/json", formatJSON},
		{"", "application/json, text/plain, */*", formatJSON},
		{"", "text/html;q=0.5, application/json", formatJSON},
		{"", "application/*", formatJSON},
		{"", "text/html;q=0, */*", formatJSON},
		{"", "application/linkset+json", formatLinkset},
		{"", "application/linkset+json, application/json;q=0.9", formatLinkset},
		{"", "image/png", formatHTML},
		{"linkType=all", "text/html", formatLinkset},
		{"linkType=gs1:traceability", "text/html", formatJSON},
		{"linkType=gs1:pip", "application/json", formatHTML},
		{"linkType=gs1:nonsense", "application/json", formatJSON},
	} {
		r := httptest.NewRequest("GET", "/t/x?"+c.query, nil)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		if got := negotiateFormat(r); got != c.want {
			t.Errorf("?%s Accept %q: format %d, want %d", c.query, c.accept, got, c.want)
		}
	}
}

func TestNegotiateLang(t *testing.T) {
	for _, c := range []struct {
		query, header string
		want          lang
	}{
		{"", "", zh},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", zh},
		{"", "en-US,en;q=0.9,zh-CN;q=0.8", en},
		{"", "en", en},
		{"", "fr-FR,fr;q=0.9", zh},
		{"", "fr-FR,en;q=0.5", en},
		{"", "zh-TW;q=0.2, en-GB;q=0.7", en},
		{"", "en;q=0, zh", zh},
		{"lang=en", "zh-CN", en},
		{"lang=zh", "en", zh},
		{"lang=xx", "en", en},
	} {
		r := httptest.NewRequest("GET", "/t/x?"+c.query, nil)
		r.Header.Set("Accept-Language", c.header)
		if got := negotiateLang(r); got != c.want {
			t.Errorf("?%s Accept-Language %q: %s, want %s", c.query, c.header, got, c.want)
		}
	}
}

func TestETagMatch(t *testing.T) {
	for _, c := range []struct {
		header, etag string
		want         bool
	}{
		{"", `"a"`, false},
		{`"a"`, `"a"`, true},
		{`W/"a"`, `"a"`, true},
		{`"b", "a"`, `"a"`, true},
		{`"b"`, `"a"`, false},
		{`*`, `"a"`, true},
		{`"a-gz"`, `"a"`, false},
	} {
		if got := etagMatch(c.header, c.etag); got != c.want {
			t.Errorf("etagMatch(%q, %q) = %v", c.header, c.etag, got)
		}
	}
}

func TestCheckOpaqueCode(t *testing.T) {
	for code, ok := range map[string]bool{
		"YA0PORK0DEMO0001":                 true,
		"abcdefghijklmnopqrst":             true,
		"a-b.c_d~e":                        true,
		"":                                 false,
		strings.Repeat("a", 32):            true,
		strings.Repeat("a", 33):            false,
		"a/b":                              false,
		"a b":                              false,
		"a%20b":                            false,
		"猪肉":                               false,
		"<script>":                         false,
		"01234567890123456789012345678901": true,
	} {
		if err := checkOpaqueCode(code); (err == nil) != ok {
			t.Errorf("checkOpaqueCode(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

// FuzzRoutes feeds arbitrary paths and headers to the parsing this
// package adds on top of gs1.ParseDigitalLink: the opaque-code check, the
// image extension, content and language negotiation. None may panic, and
// an accepted code must be safe in a URL path as it is.
func FuzzRoutes(f *testing.F) {
	f.Add("YA0PORK0DEMO0001.png", "text/html", "en-US,en;q=0.9")
	f.Add("a.b.svg", "application/json;q=0.5, */*;q=", "zh;q=abc")
	f.Add("", ",;,;=", ";q=0.5,")
	f.Add("x%2Fy.svg", "application/linkset+json", "en;q=2")
	f.Fuzz(func(t *testing.T, path, accept, acceptLang string) {
		rest, fmt, ok := splitExt(path)
		if ok && rest+"."+string(fmt) != path {
			t.Fatalf("splitExt(%q) = %q, %q", path, rest, fmt)
		}
		if checkOpaqueCode(rest) == nil {
			if len(rest) == 0 || len(rest) > maxCodeLen {
				t.Fatalf("accepted code %q of length %d", rest, len(rest))
			}
			if strings.ContainsAny(rest, "/?#% ") {
				t.Fatalf("accepted code %q needs escaping", rest)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		r.Header.Set("Accept-Language", acceptLang)
		r.Header.Set("If-None-Match", accept)
		if f := negotiateFormat(r); f < formatHTML || f > formatLinkset {
			t.Fatalf("format %d", f)
		}
		if l := negotiateLang(r); l != zh && l != en {
			t.Fatalf("lang %q", l)
		}
		etagMatch(accept, `"x"`)
		acceptsGzip(r)
	})
}

func TestRenderQR(t *testing.T) {
	const content = "https://suyuan.test/t/YA0PORK0DEMO0001"
	bm, err := qrSymbol(content)
	if err != nil {
		t.Fatal(err)
	}
	n := len(bm)
	// The quiet zone: four light modules on every side.
	for i := 0; i < n; i++ {
		for q := 0; q < 4; q++ {
			if bm[q][i] || bm[n-1-q][i] || bm[i][q] || bm[i][n-1-q] {
				t.Fatalf("module in the quiet zone at %d/%d", q, i)
			}
		}
	}
	for _, size := range []int{MinQRSize, 100, DefaultQRSize, 333, MaxQRSize} {
		data, err := renderPNG(bm, size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("size %d: not a PNG", size)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := size
		if size < n {
			want = n
		}
		if b := img.Bounds(); b.Dx() != want || b.Dy() != want {
			t.Errorf("size %d: image is %v", size, b)
		}
		checkModules(t, img, bm)
	}

	svg := renderSVG(bm, 300)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var root string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			attrs := map[string]string{}
			for _, a := range se.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if attrs["width"] != "300" || attrs["height"] != "300" || attrs["viewBox"] == "" {
				t.Errorf("svg attributes %v", attrs)
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
	// Every dark module is painted, and only those: count the area.
	dark := 0
	for _, row := range bm {
		for _, d := range row {
			if d {
				dark++
			}
		}
	}
	area := 0
	for _, m := range regexp.MustCompile(`h(\d+)v1`).FindAllStringSubmatch(string(svg), -1) {
		n, _ := strconv.Atoi(m[1])
		area += n
	}
	if area != dark {
		t.Errorf("SVG paints %d modules, the symbol has %d", area, dark)
	}
}

// checkModules samples the centre of every module of img and compares it
// with the bitmap.
func checkModules(t *testing.T, img image.Image, bm [][]bool) {
	t.Helper()
	n := len(bm)
	size := img.Bounds().Dx()
	scale := size / n
	off := (size - scale*n) / 2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			r, _, _, _ := img.At(off+x*scale+scale/2, off+y*scale+scale/2).RGBA()
			if dark := r < 0x8000; dark != bm[y][x] {
				t.Fatalf("size %d: module %d,%d dark=%v, want %v", size, x, y, dark, bm[y][x])
			}
		}
	}
}

func TestCacheInvalidationRace(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := newPageCache(time.Minute, 100, func() time.Time { return now })
	ctx := context.Background()
	d := dep{depBatch, 7}
	loads := 0
	load := func(ctx context.Context) (*loaded, []dep, time.Time, error) {
		loads++
		return &loaded{code: "v" + string(rune('0'+loads))}, []dep{d, {depProduct, 1}}, time.Time{}, nil
	}
	p, hit, _ := c.get(ctx, "k", load)
	if hit || p.code != "v1" {
		t.Fatalf("first get: hit=%v code=%s", hit, p.code)
	}
	if p, hit, _ = c.get(ctx, "k", load); !hit || p.code != "v1" {
		t.Fatalf("second get: hit=%v code=%s", hit, p.code)
	}
	c.invalidate("", d)
	if p, hit, _ = c.get(ctx, "k", load); hit || p.code != "v2" {
		t.Fatalf("after invalidation: hit=%v code=%s", hit, p.code)
	}

	// A load that overlaps an invalidation of one of its rows is served
	// but not kept.
	c.invalidate("", d)
	slow := func(ctx context.Context) (*loaded, []dep, time.Time, error) {
		c.invalidate("", d) // the change commits while we read
		return &loaded{code: "stale"}, []dep{d}, time.Time{}, nil
	}
	if p, _, _ = c.get(ctx, "k", slow); p.code != "stale" {
		t.Fatalf("slow load served %s", p.code)
	}
	if c.len() != 0 {
		t.Fatal("a load that raced an invalidation was cached")
	}
	// An invalidation of another row does not stop it.
	other := func(ctx context.Context) (*loaded, []dep, time.Time, error) {
		c.invalidate("", dep{depBatch, 8})
		return &loaded{code: "fresh"}, []dep{d}, time.Time{}, nil
	}
	c.get(ctx, "k", other)
	if c.len() != 1 {
		t.Fatal("an unrelated invalidation kept a page out of the cache")
	}
	c.purge()
	if c.len() != 0 {
		t.Fatal("purge left pages")
	}

	// Expiry: the TTL, or earlier when the batch expires first.
	expiring := func(ctx context.Context) (*loaded, []dep, time.Time, error) {
		return &loaded{code: "e"}, []dep{d}, now.Add(10 * time.Second), nil
	}
	c.get(ctx, "e", expiring)
	now = now.Add(11 * time.Second)
	if _, hit, _ = c.get(ctx, "e", expiring); hit {
		t.Error("page outlived its batch's expiry")
	}
}

func TestCacheBounded(t *testing.T) {
	now := time.Now()
	c := newPageCache(time.Minute, 50, func() time.Time { return now })
	for i := 0; i < 500; i++ {
		id := i
		c.get(context.Background(), "k"+strconv.Itoa(i), func(context.Context) (*loaded, []dep, time.Time, error) {
			return &loaded{}, []dep{{depBatch, id}}, time.Time{}, nil
		})
	}
	if n := c.len(); n > 50 {
		t.Errorf("%d entries, bound 50", n)
	}
	c.mu.Lock()
	for d, keys := range c.byDep {
		for k := range keys {
			if c.entries[k] == nil {
				t.Errorf("index names evicted entry %s for %v", k, d)
			}
		}
	}
	c.mu.Unlock()
}

func TestCacheSharesLoads(t *testing.T) {
	c := newPageCache(time.Minute, 10, time.Now)
	var (
		mu    sync.Mutex
		loads int
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	load := func(context.Context) (*loaded, []dep, time.Time, error) {
		mu.Lock()
		loads++
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		return &loaded{}, nil, time.Time{}, nil
	}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c.get(context.Background(), "k", load)
		}()
	}
	close(start)
	wg.Wait()
	if loads > 2 {
		t.Errorf("%d loads for 20 concurrent requests of one page", loads)
	}
}

func TestRegionNames(t *testing.T) {
	for code, want := range map[string][2]string{
		"511802": {"雅安市雨城区", "Yucheng District, Ya'an"},
		"510104": {"四川省 (510104)", "Sichuan (510104)"},
		"999999": {"999999", "999999"},
	} {
		if got := zh.region(code); got != want[0] {
			t.Errorf("zh %s = %q", code, got)
		}
		if got := en.region(code); got != want[1] {
			t.Errorf("en %s = %q", code, got)
		}
	}
	keys := make([]string, 0, len(regionNames))
	for k := range regionNames {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(k) != 2 && len(k) != 6 {
			t.Errorf("region key %q", k)
		}
	}
}
