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
	"suyuan/internal/dashboard"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestDashboardInBrowser logs a regulator in to the dashboard page in
// headless Chromium: the counters match the API, the charts are drawn, the
// alert list fills and takes a new alert from the subscription, the open
// recall shows, and a trace code search draws the lot's lineage. It saves
// screenshots at a desktop's size and a phone's.
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
	shot("overview")

	// A new alert arrives over the subscription.
	run("connecting live", chromedp.WaitVisible(`#live-status[data-state="live"]`))
	time.Sleep(500 * time.Millisecond) // the server registers the subscription after the ack
	other := a.batch(strconv.Itoa(loin.ProductID), strconv.Itoa(loin.FacilityID), "LJ-LIVE-1", 5, "KG", time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC))
	a.spoilAt(other, strconv.Itoa(lab), 33, inspected)
	var live string
	for _, al := range a.alerts() {
		if al.Kind == "OVER_LEGAL_LIMIT" && al.Batch != nil && al.Batch.ID == other {
			live = al.ID
		}
	}
	if live == "" {
		t.Fatal("the new failed inspection raised no alert")
	}
	ctxWait, cancelWait := context.WithTimeout(tab, 10*time.Second)
	err := chromedp.Do(ctxWait, chromedp.WaitVisible(fmt.Sprintf(`#alert-list li[data-alert-id="%s"]`, live)))
	cancelWait()
	if err != nil {
		shot("failed")
		t.Fatalf("the new alert did not appear in the list: %v", err)
	}
	shot("live-alert")

	// Searching a trace code opens the lot and its lineage graph.
	run("searching",
		chromedp.SetValue("#search", seed.DemoTraceCode),
		chromedp.Click(`#search-form button[type="submit"]`),
		chromedp.WaitVisible(`#lineage-graph [data-batch-id]`),
	)
	text, err := chromedp.Run(tab, chromedp.Text("#trace-view"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, seed.DemoLoinLot) {
		t.Errorf("trace view lacks the lot %s:\n%s", seed.DemoLoinLot, text)
	}
	if n := count("#lineage-graph [data-batch-id]"); n < 3 {
		t.Errorf("lineage graph has %d lots, want the loin, the carcasses and the pigs", n)
	}
	shot("lineage")

	run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(a.srv.URL+"/dashboard"),
		chromedp.WaitVisible(`body[data-ready="1"]`))
	over, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if over {
		t.Error("the dashboard is wider than a 390 px screen")
	}
	shot("phone")
}
