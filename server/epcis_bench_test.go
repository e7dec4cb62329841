package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"suyuan/internal/epcis"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// captureDoc is a farm's document of n events: lots commissioned and,
// for every second one, shipped to the plant on a despatch advice.
func captureDoc(c epcisChain, prefix string, n int) []byte {
	events := make([]map[string]any, 0, n)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600))
	for i := 0; len(events) < n; i++ {
		lot := epcis.LGTIN(c.pigsGTIN, fmt.Sprintf("%s-%d", prefix, i))
		when := at.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		events = append(events, objectEvent("ADD", "commissioning", sgln(c.farmGLN), when, qty(lot, 10, "HEA")))
		if len(events) < n {
			sent := objectEvent("OBSERVE", "shipping", sgln(c.farmGLN), at.Add(time.Duration(i)*time.Minute+30*time.Second).Format(time.RFC3339), qty(lot, 10, "HEA"))
			sent["destinationList"] = []any{map[string]any{"type": "location", "destination": sgln(c.plantGLN)}}
			sent["bizTransactionList"] = []any{map[string]any{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:" + c.farmGLN + ":" + prefix + "-" + fmt.Sprint(i)}}
			events = append(events, sent)
		}
	}
	b, _ := json.Marshal(epcisDoc(events...))
	return b
}

// BenchmarkCapture measures events captured per second over HTTP: one
// document of 10,000 events, and 100 documents of 10 events sent at once.
// docs/BENCHMARKS.md has the figures and the command.
func BenchmarkCapture(b *testing.B) {
	for _, db := range benchDatabases(b) {
		b.Run(db.Name, func(b *testing.B) { benchmarkCapture(b, db) })
	}
}

// benchDatabases are SQLite and, when SUYUAN_TEST_MYSQL_DSN names one,
// MariaDB.
func benchDatabases(b *testing.B) []*testdb.DB {
	dbs := []*testdb.DB{testdb.SQLite(b)}
	if os.Getenv("SUYUAN_TEST_MYSQL_DSN") != "" {
		dbs = append(dbs, testdb.MySQL(b))
	}
	return dbs
}

func benchmarkCapture(b *testing.B, db *testdb.DB) {
	a := newAPI(b, db, server.Config{})
	c := a.epcisChain(5)
	run := 0 // numbers the documents' lots apart
	b.Run("one document of 10000 events", func(b *testing.B) {
		docs := make([][]byte, b.N)
		for i := range docs {
			run++
			docs[i] = captureDoc(c, fmt.Sprintf("B%d", run), 10000)
		}
		cpu := processCPU()
		b.ResetTimer()
		for _, doc := range docs {
			res := c.asFarm.forTest(b).epcisDo("POST", "/epcis/capture", doc, nil)
			if res.status != http.StatusAccepted || num(res.body["captured"]) != 10000 {
				b.Fatalf("%d %.300s", res.status, res.raw)
			}
		}
		report(b, 10000*b.N, cpu)
	})
	b.Run("100 documents of 10 events at once", func(b *testing.B) {
		rounds := make([][][]byte, b.N)
		for r := range rounds {
			rounds[r] = make([][]byte, 100)
			for i := range rounds[r] {
				run++
				rounds[r][i] = captureDoc(c, fmt.Sprintf("S%d", run), 10)
			}
		}
		cpu := processCPU()
		b.ResetTimer()
		for _, docs := range rounds {
			var wg sync.WaitGroup
			errs := make(chan string, len(docs))
			for _, doc := range docs {
				wg.Go(func() {
					res := c.asFarm.forTest(b).epcisDo("POST", "/epcis/capture", doc, nil)
					if res.status != http.StatusAccepted {
						errs <- fmt.Sprintf("%d %.300s", res.status, res.raw)
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				b.Fatal(e)
			}
		}
		report(b, 1000*b.N, cpu)
	})
}

// processCPU is the CPU time the process has used, user and system: on a
// shared machine a steadier measure than the wall clock. The load tool
// (this test's client) is in the process too, but sends prepared bytes.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report gives events per second of wall clock and CPU microseconds per
// event since cpu.
func report(b *testing.B, events int, cpu time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(events), "cpu-µs/event")
}
