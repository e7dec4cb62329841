package epcis

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far: on a machine
// shared with other work, events per CPU-second is the steadier measure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bigDocument returns an EPCISDocument of n varied events of about 2 kB
// each (20 MB at n = 10,000): 20 EPCs, two quantities, business
// transactions, sources, a destination, a sensor element and extensions.
func bigDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",{"ex":"https://ns.example.com/"}],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T00:00:00Z","epcisBody":{"eventList":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2024-05-01T08:%02d:%02d.%03d+08:00","eventTimeZoneOffset":"+08:00",
"epcList":[`, i/60%60, i%60, i%1000)
		for j := 0; j < 20; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"urn:epc:id:sgtin:4012345.011111.%d"`, i*20+j)
		}
		fmt.Fprintf(&b, `],"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L%d","quantity":%d.5,"uom":"KGM"},{"epcClass":"https://id.gs1.org/01/04012345111118/10/B%d","quantity":12,"uom":"XBX"}],
"bizStep":"urn:epcglobal:cbv:bizstep:shipping","disposition":"in_transit","readPoint":{"id":"urn:epc:id:sgln:4012345.00011.%d"},"bizLocation":{"id":"https://id.gs1.org/414/4012345000115"},
"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:4012345000009:PO%d"},{"type":"desadv","bizTransaction":"urn:epcglobal:cbv:bt:4012345000009:D%d"}],
"sourceList":[{"type":"owning_party","source":"urn:epc:id:pgln:4012345.00000"},{"type":"location","source":"urn:epc:id:sgln:4012345.00011.0"}],
"destinationList":[{"type":"owning_party","destination":"https://id.gs1.org/417/4012345000009"}],
"sensorElementList":[{"sensorMetadata":{"time":"2024-05-01T08:00:00Z","deviceID":"urn:epc:id:giai:4000001.111"},"sensorReport":[{"type":"gs1:Temperature","value":%d.25,"uom":"CEL"},{"type":"RelativeHumidity","value":55,"uom":"P1"}]}],
"ex:shift":"night","ex:crew":{"ex:lead":"Wang","ex:size":%d}}`, i, i%100, i, i%50+1, i, i, i%30, i%7)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// TestDecoderHoldsOneEventAtATime feeds a 20 MB document through a pipe
// and checks that the live heap stays far below the document's size.
func TestDecoderHoldsOneEventAtATime(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20 MB")
	}
	doc := bigDocument(10000)
	pr, pw := io.Pipe()
	go func(b []byte) {
		// Write in small pieces, as a network would deliver it.
		for len(b) > 0 {
			n := min(len(b), 32<<10)
			if _, err := pw.Write(b[:n]); err != nil {
				return
			}
			b = b[n:]
		}
		pw.Close()
	}(doc)
	size := len(doc)
	// The document itself is live throughout (the writer holds it), so it
	// is in the baseline; what the decoder holds comes on top.
	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	d := NewDecoder(pr, Limits{MaxEvents: 10000})
	peak := uint64(0)
	for i := 0; ; i++ {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Hash(e); err != nil {
			t.Fatal(err)
		}
		if i%2500 == 0 {
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base.HeapAlloc {
				peak = max(peak, m.HeapAlloc-base.HeapAlloc)
			}
		}
	}
	if peak > uint64(size)/10 {
		t.Errorf("live heap grew by %d bytes decoding a %d-byte document", peak, size)
	}
	t.Logf("live heap grew by at most %d bytes for a %d-byte document", peak, size)
}

func TestBigDocumentStreams(t *testing.T) {
	doc := bigDocument(500)
	d := NewDecoder(bytes.NewReader(doc), Limits{MaxEvents: 500})
	n := 0
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Hash(e); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 500 {
		t.Fatalf("%d events", n)
	}
}

// BenchmarkDecodeValidateHash decodes, validates and hashes a 10,000-event
// document; the events/s metric is the capture path's ceiling.
func BenchmarkDecodeValidateHash(b *testing.B) {
	doc := bigDocument(10000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(doc), Limits{MaxEvents: 10000})
		for {
			e, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Hash(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(10000*b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

// BenchmarkWriteQueryDocument writes 10,000 events.
func BenchmarkWriteQueryDocument(b *testing.B) {
	d := NewDecoder(bytes.NewReader(bigDocument(10000)), Limits{})
	var events []*Event
	for {
		e, err := d.Next()
		if err != nil {
			break
		}
		events = append(events, e)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := NewQueryDocumentWriter(io.Discard, "", events[0].EventTime)
		for _, e := range events {
			if err := w.Write(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(events)*b.N)/b.Elapsed().Seconds(), "events/s")
}
