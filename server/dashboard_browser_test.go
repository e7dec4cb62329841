package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"suyuan/ent/batch"
	"suyuan/internal/cnid"
	"suyuan/internal/dashboard"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestDashboardInBrowser logs a regulator in to the dashboard page in
// headless Chromium: the counters match the API, the charts are drawn, the
// alert list fills and takes a new alert from the subscription, the open
// recall shows, and a trace code search draws the lot's lineage. Alerts
// carry Chinese titles and evidence, regions show by name, and at 1280 and
// 390 CSS pixels neither the page nor any table is wider than the screen.
// It saves screenshots at both sizes.
func TestDashboardInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium binary; .ci/run installs Debian's chromium")
	}
	out := artifacts(t)
	db := testdb.SQLite(t)
	a := newAPI(t, db, server.Config{})
	regulator := demo(t, a, "13900000001")
	ctx := tenancy.System(context.Background())
	// The demo is written past the recording operations, as serve does;
	// serve then rebuilds the counters, and so does the test.
	if err := dashboard.Rebuild(ctx, db.Client, db.SQL); err != nil {
		t.Fatal(err)
	}
	loin := db.Client.Batch.Query().Where(batch.LotCode(seed.DemoLoinLot)).OnlyX(ctx)
	carcass := db.Client.Batch.Query().Where(batch.LotCode(seed.DemoCarcassLot)).OnlyX(ctx)
	lab := db.Client.Organization.Query().QueryInspections().QueryLab().FirstIDX(ctx)
	inspected := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a.spoilAt(strconv.Itoa(carcass.ID), strconv.Itoa(lab), 19.5, inspected)
	regulator.must(nil, initiateRecall, map[string]any{"in": map[string]any{
		"batchIDs": []string{strconv.Itoa(carcass.ID)}, "reason": "TVB-N 19.5 mg/100g", "class": "II", "depth": "RETAIL"}})
	var want dashboardData
	regulator.must(&want, dashboardQuery, nil)

	tab := startBrowser(t, bin, 1280, 800)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(out, "dashboard-"+name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			body, _ := chromedp.Run(tab, chromedp.Text("body"))
			shot("failed")
			t.Fatalf("%s: %v\npage: %s", what, err, body)
		}
	}
	// layout lists what does not fit the window: the page scrolling
	// sideways, a table wider than its box or scrolling inside it.
	layout := func(when string) {
		t.Helper()
		problems, err := chromedp.Run(tab, chromedp.Evaluate[[]string](layoutCheck))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", when, p)
		}
	}
	text := func(selector string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(`+strconv.Quote(selector)+`), (e) => e.textContent).join(' | ')`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// regions checks that the region codes shown are named.
	regions := func(when string) {
		t.Helper()
		if got := text("#region"); !strings.Contains(got, "雅安市") || !strings.Contains(got, "Ya'an") {
			t.Errorf("%s: the dashboard's region shows as %q, want 雅安市 Ya'an", when, got)
		}
		if got := text("#user-region"); !strings.HasSuffix(got, "· 雅安市") {
			t.Errorf("%s: the user's organisation and region show as %q, want it to end in · 雅安市", when, got)
		}
		for _, r := range cnid.YaanRegionNames() {
			got := text(`[data-region="` + r.Code + `"]`)
			if got != "" && (!strings.Contains(got, r.Chinese) || !strings.Contains(got, r.English)) {
				t.Errorf("%s: region %s shows as %q, want %s %s", when, r.Code, got, r.Chinese, r.English)
			}
		}
	}
	count := func(selector string) int {
		t.Helper()
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(selector)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	run("logging in",
		chromedp.Navigate(a.srv.URL+"/dashboard"),
		chromedp.WaitVisible("#login-form"),
		chromedp.SendKeys("#phone", "13900000001"),
		chromedp.SendKeys("#password", seed.DemoPassword),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible(`body[data-ready="1"]`),
		chromedp.WaitVisible("#dashboard"),
	)
	totals := want.Dashboard.Totals
	for counter, n := range map[string]int{
		"batches": totals.Batches, "shipments": totals.Shipments, "shelfEvents": totals.ShelfEvents,
		"inspections": totals.Inspections, "openAlerts": totals.OpenAlerts, "openRecalls": totals.OpenRecalls,
	} {
		text, err := chromedp.Run(tab, chromedp.Text(`[data-counter="`+counter+`"]`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(text) != strconv.Itoa(n) {
			t.Errorf("counter %s shows %q, the API says %d", counter, text, n)
		}
	}
	if totals.Batches == 0 || totals.OpenAlerts == 0 || totals.OpenRecalls != 1 {
		t.Fatalf("the demo dashboard should have batches, open alerts and a recall: %+v", totals)
	}
	for _, chart := range []string{"#chart-activity", "#chart-inspections", "#chart-alerts"} {
		if count(chart+" canvas") == 0 {
			t.Errorf("%s has no chart drawn", chart)
		}
	}
	if n := count("#alert-list li[data-alert-id]"); n != totals.OpenAlerts {
		t.Errorf("alert list has %d alerts, want %d", n, totals.OpenAlerts)
	}
	if count("#recall-list [data-recall-id]") != 1 {
		t.Error("the open recall is not listed")
	}
	// Every alert has a Chinese title for its kind and its evidence in
	// Chinese, with the server's English summary beneath.
	untitled, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#alert-list li[data-alert-id]'))
		.filter((li) => !/\p{Script=Han}/u.test(li.querySelector('.kind').textContent) || !/\p{Script=Han}/u.test((li.querySelector('.a-evidence .zh') || {}).textContent || '') || !li.querySelector('.a-evidence .en'))
		.map((li) => li.dataset.kind + ': ' + li.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range untitled {
		t.Errorf("alert without a Chinese title, Chinese evidence and the English summary: %s", u)
	}
	// The recall's places, opened, fit the side column.
	run("opening the recall's places", chromedp.Click("#recall-list details.places summary"), chromedp.WaitVisible("#recall-list details.places[open] td"))
	regions("1280 px")
	layout("1280 px")
	shot("overview")

	// A new alert arrives over the subscription.
	// showing reports whether the alert with id appears in the list
	// within a few seconds.
	showing := func(id string) bool {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		defer cancel()
		return chromedp.Do(ctx, chromedp.WaitVisible(fmt.Sprintf(`#alert-list li[data-alert-id="%s"]`, id))) == nil
	}
	run("connecting live", chromedp.WaitVisible(`#live-status[data-state="live"]`))
	// The server registers the subscription a moment after it
	// acknowledges the socket, later still on a busy machine: until one
	// appears, raise alerts on fresh lots.
	var live string
	deadline := time.Now().Add(60 * time.Second)
	for i := 1; live == "" || !showing(live); i++ {
		if time.Now().After(deadline) {
			shot("failed")
			t.Fatalf("no new alert appeared in the list within a minute (the last: %q)", live)
		}
		other := a.batch(strconv.Itoa(loin.ProductID), strconv.Itoa(loin.FacilityID), fmt.Sprintf("LJ-LIVE-%d", i), 5, "KG", time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC))
		a.spoilAt(other, strconv.Itoa(lab), 33, inspected)
		live = ""
		for _, al := range a.alerts() {
			if al.Kind == "OVER_LEGAL_LIMIT" && al.Batch != nil && al.Batch.ID == other {
				live = al.ID
			}
		}
		if live == "" {
			t.Fatal("the new failed inspection raised no alert")
		}
	}
	li := fmt.Sprintf(`#alert-list li[data-alert-id="%s"]`, live)
	if got := text(li + " .kind"); !strings.Contains(got, "超出法定限量") {
		t.Errorf("the new alert's title is %q, want 超出法定限量 (over legal limit)", got)
	}
	if got := text(li + " .a-evidence .zh"); !strings.Contains(got, "超过限量") || !strings.Contains(got, "33") {
		t.Errorf("the new alert's evidence reads %q, want it over the limit at 33 in Chinese", got)
	}
	if got := text(li + " .a-evidence .en"); !strings.Contains(got, "Inspection") {
		t.Errorf("the new alert's English summary reads %q", got)
	}
	shot("live-alert")

	// Searching a trace code opens the lot and its lineage graph.
	run("searching",
		chromedp.SetValue("#search", seed.DemoTraceCode),
		chromedp.Click(`#search-form button[type="submit"]`),
		chromedp.WaitVisible(`#lineage-graph [data-batch-id]`),
	)
	trace, err := chromedp.Run(tab, chromedp.Text("#trace-view"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trace, seed.DemoLoinLot) {
		t.Errorf("trace view lacks the lot %s:\n%s", seed.DemoLoinLot, trace)
	}
	if n := count("#lineage-graph [data-batch-id]"); n < 3 {
		t.Errorf("lineage graph has %d lots, want the loin, the carcasses and the pigs", n)
	}
	if count("#trace-view table.journey") == 0 || count("#trace-view table.shelf") == 0 {
		t.Error("the trace view lacks its journey or shelves table")
	}
	if n := count("#trace-view [data-region]"); n == 0 {
		t.Error("the trace view shows no region")
	}
	regions("1280 px, lot")
	layout("1280 px, lot")
	shot("lineage")

	run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(a.srv.URL+"/dashboard"),
		chromedp.WaitVisible(`body[data-ready="1"]`))
	run("opening the recall's places on a phone", chromedp.Click("#recall-list details.places summary"), chromedp.WaitVisible("#recall-list details.places[open] td"))
	regions("390 px")
	layout("390 px")
	shot("phone")
	run("searching on a phone",
		chromedp.SetValue("#search", seed.DemoTraceCode),
		chromedp.Click(`#search-form button[type="submit"]`),
		chromedp.WaitVisible(`#lineage-graph [data-batch-id]`),
	)
	// The rows of the lot's tables are stacked as cards, each cell labelled.
	if count("#trace-view table.shelf td[data-label]") == 0 || count("#trace-view table.journey td[data-label]") == 0 {
		t.Error("the lot's tables have no labelled cells to stack")
	}
	regions("390 px, lot")
	layout("390 px, lot")
	shot("phone-lineage")
}

// layoutCheck lists, in the page, what is wider than the window: the page
// itself, or a table shown that is wider than its box or scrolls inside it.
const layoutCheck = `(() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) out.push('the page is ' + doc.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  for (const t of document.querySelectorAll('table')) {
    if (!t.getClientRects().length) continue; // not shown
    const name = 'table ' + (t.id || t.className || 'in ' + (t.closest('[id]') || {}).id);
    if (t.scrollWidth > t.clientWidth) out.push(name + ' scrolls: ' + t.scrollWidth + ' px in ' + t.clientWidth);
    const box = t.parentElement;
    if (box.scrollWidth > box.clientWidth) out.push(name + ' is wider than its box: ' + box.scrollWidth + ' px in ' + box.clientWidth);
    if (t.getBoundingClientRect().right > window.innerWidth) out.push(name + ' reaches past the window: ' + t.getBoundingClientRect().right + ' px');
  }
  return out;
})()`
