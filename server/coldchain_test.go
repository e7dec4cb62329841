package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// TestColdChainVerdict: the shopper's verdict on a trip comes from the
// screener's rules. A door opened once (one reading at 6.8 °C, sent as
// 44.24 °F, on a 0–4 °C trip) is no excursion and raises no warning; a
// trip 40 minutes above the range is, and says which rule and how long.
// Temperatures are shown rounded. Through the HTTP handler, as a shopper
// (HTML, JSON) and a GraphQL client see them.
func TestColdChainVerdict(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newConsumerAPI(t, db)
		c := a.newChain()
		readings := func(ship string, start time.Time, temps ...any) {
			var rs []any
			for i, x := range temps {
				r := map[string]any{"recordedAt": start.Add(time.Duration(i) * 10 * time.Minute)}
				if f, ok := x.(fahrenheit); ok {
					r["temperature"], r["temperatureUnit"] = float64(f), "F"
				} else {
					r["temperature"] = x
				}
				rs = append(rs, r)
			}
			a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
				map[string]any{"in": map[string]any{"shipmentID": ship, "readings": rs}})
		}
		codeOf := func(batch string) string {
			var out struct{ IssueTraceCodes []struct{ Code string } }
			a.must(&out, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
				map[string]any{"in": map[string]any{"batchID": batch, "count": 1}})
			return out.IssueTraceCodes[0].Code
		}

		// Recent, so that the batches have not expired.
		base := time.Now().UTC().Truncate(time.Minute).Add(-24 * time.Hour)
		door := a.batch(c.pork, c.plant, "DOOR-1", 100, "KG", base)
		doorTrip := a.ship(c.carrierOrg, c.plant, c.store, base.Add(time.Hour), base.Add(3*time.Hour), item(door, 50, "KG"))
		readings(doorTrip, base.Add(time.Hour), 2.0, 2.5, 3.0, fahrenheit(44.24), 3.1, 2.8, 2.6)
		warm := a.batch(c.pork, c.plant, "WARM-1", 100, "KG", base)
		warmTrip := a.ship(c.carrierOrg, c.plant, c.store, base.Add(time.Hour), base.Add(3*time.Hour), item(warm, 50, "KG"))
		readings(warmTrip, base.Add(time.Hour), 2.0, 6.5, 7.0, 7.2, 6.9, 6.1, 3.0) // 6.5 … 6.1: 40 minutes above 4 °C

		const q = `query($code: String!) { trace(code: $code) { warnings { code message }
		  journey { coldChain { verdict readings minC maxC breaches minutesOutOfRange } } } }`
		type result struct {
			Trace struct {
				Warnings []struct{ Code, Message string }
				Journey  []struct {
					ColdChain struct {
						Verdict           string
						Readings          int
						MinC, MaxC        float64
						Breaches          []string
						MinutesOutOfRange float64
					}
				}
			}
		}

		// The screener's own findings on the same data.
		fs, err := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), eventlog.New(db.Client, nil)).
			Findings(tenancy.System(context.Background()), time.Time{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		found := map[string][]string{}
		for _, f := range fs {
			if f.Subject.Type == anomaly.SubjectShipment {
				k := strconv.Itoa(f.Subject.ID)
				found[k] = append(found[k], string(f.Kind))
			}
		}

		t.Run("door opened once", func(t *testing.T) {
			code := codeOf(door)
			var r result
			a.must(&r, q, map[string]any{"code": code})
			cc := r.Trace.Journey[0].ColdChain
			if cc.Verdict != "OK" || len(cc.Breaches) != 0 || cc.MaxC != 6.8 || cc.MinutesOutOfRange != 0 || len(r.Trace.Warnings) != 0 {
				t.Errorf("trace: %+v, warnings %+v", cc, r.Trace.Warnings)
			}
			page := a.fetch("GET", "/t/"+code, "Accept", browserAccept)
			if page.Status != 200 || strings.Contains(page.Body, `id="alert"`) || !strings.Contains(page.Body, "2 ~ 6.8 °C") ||
				strings.Contains(page.Body, "6.80000") || !strings.Contains(page.Body, "冷链正常") {
				t.Errorf("page %d:\n%s", page.Status, page.Body)
			}
			doc := a.fetch("GET", "/t/"+code, "Accept", "application/json")
			if !strings.Contains(doc.Body, `"verdict":"OK"`) || !strings.Contains(doc.Body, `"maxC":6.8,`) ||
				!strings.Contains(doc.Body, `"breaches":[]`) || !strings.Contains(doc.Body, `"warnings":[]`) {
				t.Errorf("JSON: %s", doc.Body)
			}
			if len(found[doorTrip]) != 0 {
				t.Errorf("the screener found %v on the trip", found[doorTrip])
			}
		})

		t.Run("sustained excursion", func(t *testing.T) {
			code := codeOf(warm)
			var r result
			a.must(&r, q, map[string]any{"code": code})
			cc := r.Trace.Journey[0].ColdChain
			if cc.Verdict != "EXCURSION" || strings.Join(cc.Breaches, ",") != "SUSTAINED_EXCURSION" || cc.MinutesOutOfRange != 40 ||
				cc.MaxC != 7.2 || len(r.Trace.Warnings) != 1 || !strings.Contains(r.Trace.Warnings[0].Message, "40 min") {
				t.Errorf("trace: %+v, warnings %+v", cc, r.Trace.Warnings)
			}
			if got := strings.Join(found[warmTrip], ","); got != "SUSTAINED_EXCURSION" {
				t.Errorf("the screener found %q on the trip; the shopper was told %v", got, cc.Breaches)
			}
			page := a.fetch("GET", "/t/"+code, "Accept", browserAccept)
			for _, want := range []string{`id="alert"`, "持续超标", "超出范围共 40 分钟", "最高 7.2 °C"} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("page lacks %q:\n%s", want, page.Body)
				}
			}
			en := a.fetch("GET", "/t/"+code+"?lang=en", "Accept", browserAccept)
			if !strings.Contains(en.Body, "out of range too long at once") || !strings.Contains(en.Body, "40 min out of range") {
				t.Errorf("English page:\n%s", en.Body)
			}
			doc := a.fetch("GET", "/t/"+code, "Accept", "application/json")
			if !strings.Contains(doc.Body, `"breaches":["SUSTAINED_EXCURSION"],"minutesOutOfRange":40`) {
				t.Errorf("JSON: %s", doc.Body)
			}
		})
	})
}

// fahrenheit is a reading sent in °F.
type fahrenheit float64
