package server_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestDrainFailsReadinessBeforeClosing stops a server given a drain
// period: until the period ends, /readyz fails — so that a load balancer
// takes the server out — while requests are still answered, each closing
// its connection; then the port closes.
func TestDrainFailsReadinessBeforeClosing(t *testing.T) {
	db := testdb.SQLite(t)
	const drain = 700 * time.Millisecond
	s := server.New(db.DB, server.Config{Logger: discardLogger(), RateLimit: -1, Drain: drain})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- s.Serve(ctx, ln)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) (*http.Response, error) {
		res, err := client.Get(base + path)
		if err == nil {
			res.Body.Close()
		}
		return res, err
	}
	if res, err := get("/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("before stopping, /readyz: %v %v", res, err)
	}

	stopped := time.Now()
	cancel()
	// The first answers after the signal may still come from before it.
	deadline := stopped.Add(drain / 2)
	for {
		res, err := get("/readyz")
		if err != nil {
			t.Fatalf("while draining, /readyz: %v", err)
		}
		if res.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answers %d %s after stopping", res.StatusCode, time.Since(stopped))
		}
		time.Sleep(10 * time.Millisecond)
	}
	res, err := client.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatalf("while draining, a query: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !res.Close {
		t.Errorf("while draining, a query answered %d, closing the connection: %v", res.StatusCode, res.Close)
	}
	if took := time.Since(stopped); took >= drain {
		t.Fatalf("the checks took %s, longer than the drain; the machine is too slow for this test", took)
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(drain + 10*time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if took := time.Since(stopped); took < drain {
		t.Errorf("Serve returned %s after stopping, before the drain of %s ended", took, drain)
	}
	if _, err := get("/healthz"); err == nil {
		t.Error("after the drain, the port still answers")
	}
}
