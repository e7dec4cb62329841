package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"suyuan/ent/batch"
	"suyuan/ent/privacy"
	"suyuan/ent/tracecode"
	"suyuan/internal/seed"
	"suyuan/internal/testdb"
)

// chromium finds a Chromium or Chrome binary: Debian's first, as CI
// installs it.
func chromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifacts returns the directory for screenshots: $SUYUAN_ARTIFACTS, or a
// temporary one.
func artifacts(t *testing.T) string {
	dir := os.Getenv("SUYUAN_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts headless Chromium with a window of width×height and
// returns its context, which the test's end closes.
func startBrowser(t *testing.T, bin string, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(width, height),
	}, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	browser, cancelTimeout := context.WithTimeout(browser, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil { // start the browser
		t.Fatalf("starting %s: %v", bin, err)
	}
	return browser
}

// TestConsumerPagesInBrowser loads consumer pages in headless Chromium at a
// phone's size (360×740 CSS pixels), checks what a shopper sees, and saves
// a screenshot of each.
func TestConsumerPagesInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium binary (/usr/bin/chromium or chromium, chromium-browser, google-chrome on PATH); .ci/run installs Debian's chromium")
	}
	out := artifacts(t)
	db := testdb.SQLite(t)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	if err := seed.Demo(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	a := newConsumerAPI(t, db)

	// The demo tea, recalled.
	tea := db.Client.TraceCode.Query().Where(tracecode.Code(seed.DemoTeaTraceCode)).QueryBatch().OnlyX(ctx)
	db.Client.Batch.UpdateOneID(tea.ID).SetStatus(batch.StatusRECALLED).ExecX(ctx)
	// An expired lot of the demo's pork loin.
	loin := db.Client.TraceCode.Query().Where(tracecode.Code(seed.DemoTraceCode)).QueryBatch().OnlyX(ctx)
	old := db.Client.Batch.Create().SetProductID(loin.ProductID).SetOrganizationID(loin.OrganizationID).
		SetFacilityID(loin.FacilityID).SetLotCode("LJ20261001-01").SetUnit(loin.Unit).SetQuantity(120).
		SetProducedAt(time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)).
		SetExpiresAt(time.Date(2026, 10, 8, 0, 0, 0, 0, time.UTC)).SaveX(ctx)
	db.Client.TraceCode.Create().SetBatchID(old.ID).SetCode("YA0PORK0OLD00001").ExecX(ctx)

	// A shopper's phone in Sichuan: Chinese first.
	browser := startBrowser(t, bin, 360, 740, chromedp.Flag("accept-lang", "zh-CN,zh,en"))

	for _, c := range []struct {
		name, path string
		status     int64
		banner     bool
		want       []string
	}{
		{"normal", "/t/" + seed.DemoTraceCode, 200, false,
			[]string{seed.DemoLoinLot, "雅安", "冷鲜猪里脊", "食品生产许可证", "检验检测", "合格", "流通轨迹", "冷链正常", "主要原料及产地"}},
		{"recalled", "/t/" + seed.DemoTeaTraceCode, 200, true,
			[]string{"该批次已召回 · 请勿食用", seed.DemoTeaLot, "雅安蒙顶山茶业有限公司", "12315"}},
		{"expired", "/t/YA0PORK0OLD00001", 200, true,
			[]string{"已过期", "LJ20261001-01", "2026-10-08", "已超过保质期"}},
		{"english", "/t/" + seed.DemoTraceCode + "?lang=en", 200, false,
			[]string{seed.DemoLoinLot, "Producer", "Food production licence", "Journey", "Cold chain kept"}},
		{"not-found", "/t/YA0NOSUCHCODE001", 404, false, []string{"未找到该产品", "12315"}},
		{"bad-link", "/01/06901234567890/10/LOT-1", 400, false, []string{"链接格式不正确", "check digit"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tab, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(tab, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
				t.Fatal(err)
			}
			res, err := chromedp.Run(tab, chromedp.NavigateResponse(a.srv.URL+c.path))
			if err != nil {
				t.Fatalf("loading %s: %v", c.path, err)
			}
			if res.Status != c.status {
				t.Errorf("status %d, want %d", res.Status, c.status)
			}
			text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("visible text lacks %q:\n%s", w, text)
				}
			}
			if c.status == 200 {
				// The producer's name is on the page.
				producer, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("producer")))
				if err != nil || strings.TrimSpace(producer) == "" {
					t.Errorf("producer: %q, %v", producer, err)
				}
			}
			// The banner: at the top, on screen, red — or absent.
			type box struct {
				Present   bool    `json:"present"`
				Top       float64 `json:"top"`
				Height    float64 `json:"height"`
				Visible   bool    `json:"visible"`
				Color     string  `json:"color"`
				Overflows bool    `json:"overflows"`
			}
			b, err := chromedp.Run(tab, chromedp.Evaluate[box](`(() => {
				const el = document.getElementById("alert");
				const over = document.documentElement.scrollWidth > window.innerWidth;
				if (!el) return {present: false, overflows: over};
				const r = el.getBoundingClientRect(), s = getComputedStyle(el);
				return {present: true, top: r.top, height: r.height, overflows: over,
					visible: s.visibility !== "hidden" && s.display !== "none" && r.height > 0,
					color: s.backgroundColor};
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			if b.Overflows {
				t.Error("the page is wider than a 360 px screen")
			}
			if b.Present != c.banner {
				t.Errorf("banner present = %v, want %v", b.Present, c.banner)
			}
			if c.banner && (!b.Visible || b.Top < 0 || b.Top > 100 || b.Height < 40 || b.Color != "rgb(198, 40, 40)") {
				t.Errorf("banner is not impossible to miss: %+v", b)
			}
			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(out, "consumer-"+c.name+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
		})
	}
}
