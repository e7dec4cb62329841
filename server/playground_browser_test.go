package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/privacy"
	"github.com/chromedp/chromedp"

	"suyuan/internal/seed"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestPlaygroundInBrowser loads the playground in headless Chromium, runs
// its default query (the demo's trace) and checks the answer, that every
// resource came from the server, and that the Content-Security-Policy
// refused nothing.
func TestPlaygroundInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium binary; .ci/run installs Debian's chromium")
	}
	db := testdb.SQLite(t)
	if err := seed.Demo(privacy.DecisionContext(context.Background(), privacy.Allow), db.Client); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(db.DB, server.Config{Development: true, Logger: discardLogger(), RateLimit: -1, PageRateLimit: -1}).Handler())
	defer srv.Close()

	tab := startBrowser(t, bin, 1280, 800)
	var (
		mu       sync.Mutex
		messages []chromedp.ConsoleMessage
	)
	listen, stopListening := context.WithCancel(tab)
	defer stopListening()
	console := chromedp.Console(listen)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			mu.Lock()
			messages = append(messages, m)
			mu.Unlock()
		}
	}()

	step, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		t.Helper()
		body, _ := chromedp.Run(tab, chromedp.Text("body"))
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: %v\npage: %s\nconsole: %v", what, err, body, messages)
	}
	if err := chromedp.Do(step,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(".graphiql-execute-button"),
		chromedp.Click(".graphiql-execute-button"),
	); err != nil {
		fail("loading the playground", err)
	}
	if _, err := chromedp.Run(step, chromedp.Poll[bool](
		`(document.querySelector('.result-window') || {innerText: ''}).innerText.includes(`+"`"+seed.DemoLoinLot+"`"+`)`)); err != nil {
		fail("running the default query", err)
	}
	foreign, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin + '/'))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(foreign) > 0 {
		t.Errorf("the playground loaded from elsewhere: %q", foreign)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range messages {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			t.Errorf("console: %s", m.Text)
		}
	}
}
