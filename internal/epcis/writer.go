package epcis

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// ContextURL is the JSON-LD context of EPCIS 2.0 documents this package
// writes.
const ContextURL = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"

// DocumentWriter streams an EPCISDocument or EPCISQueryDocument to an
// io.Writer one event at a time, so a large query result is never held
// whole. Call Write for each event, then Close, which ends the document
// (it does not close the underlying writer). After an error every call
// returns it.
type DocumentWriter struct {
	w       *bufio.Writer
	hdr     DocumentHeader
	started bool
	n       int
	buf     []byte
	err     error
}

// NewDocumentWriter returns a writer of an EPCISDocument with hdr's
// members; an empty Type means EPCISDocument, an empty SchemaVersion "2.0"
// and a zero CreationDate the current time. A nil RawContext writes the
// EPCIS 2.0 context URL, followed by an object of hdr.Context's prefixes
// when there are any.
func NewDocumentWriter(w io.Writer, hdr DocumentHeader) *DocumentWriter {
	if hdr.Type == "" {
		hdr.Type = "EPCISDocument"
	}
	return &DocumentWriter{w: bufio.NewWriterSize(w, 32<<10), hdr: hdr}
}

// NewQueryDocumentWriter returns a writer of the EPCISQueryDocument that
// answers the named query (SimpleEventQuery when empty), created at
// creationDate (now when zero), with the plain EPCIS context. To declare
// the extension prefixes of the events once for the document, use
// NewDocumentWriter with Type "EPCISQueryDocument" and a Context.
func NewQueryDocumentWriter(w io.Writer, queryName string, creationDate time.Time) *DocumentWriter {
	if queryName == "" {
		queryName = "SimpleEventQuery"
	}
	return NewDocumentWriter(w, DocumentHeader{Type: "EPCISQueryDocument", QueryName: queryName, CreationDate: creationDate})
}

func (d *DocumentWriter) start() {
	h := &d.hdr
	if h.SchemaVersion == "" {
		h.SchemaVersion = "2.0"
	}
	if h.CreationDate.IsZero() {
		h.CreationDate = time.Now().UTC().Truncate(time.Millisecond)
	}
	o := obj{b: d.buf[:0]}
	o.open()
	if h.RawContext != nil {
		o.raw("@context", h.RawContext)
	} else {
		o.key("@context")
		o.b = append(o.b, '[')
		o.b = appendString(o.b, ContextURL)
		prefixes := make([]string, 0, len(h.Context))
		for p := range h.Context {
			prefixes = append(prefixes, p)
		}
		slices.Sort(prefixes)
		for _, p := range prefixes {
			o.b = append(o.b, ",{"...)
			o.b = appendString(o.b, p)
			o.b = append(o.b, ':')
			o.b = appendString(o.b, h.Context[p])
			o.b = append(o.b, '}')
		}
		o.b = append(o.b, ']')
	}
	o.str("id", h.ID)
	o.str("type", h.Type)
	o.str("schemaVersion", h.SchemaVersion)
	o.time("creationDate", &h.CreationDate)
	o.str("instanceIdentifier", h.InstanceIdentifier)
	o.str("sender", h.Sender)
	o.str("receiver", h.Receiver)
	if h.EPCISHeader != nil {
		o.raw("epcisHeader", h.EPCISHeader)
	}
	o.ext(h.Extensions)
	o.key("epcisBody")
	if h.Type == "EPCISQueryDocument" {
		o.b = append(o.b, `{"queryResults":{`...)
		if h.SubscriptionID != "" {
			o.b = append(o.b, `"subscriptionID":`...)
			o.b = appendString(o.b, h.SubscriptionID)
			o.b = append(o.b, ',')
		}
		o.b = append(o.b, `"queryName":`...)
		o.b = appendString(o.b, h.QueryName)
		o.b = append(o.b, `,"resultsBody":{"eventList":[`...)
	} else {
		o.b = append(o.b, `{"eventList":[`...)
	}
	d.buf = o.b
	d.write(d.buf)
	d.started = true
}

func (d *DocumentWriter) write(b []byte) {
	if d.err == nil {
		if _, err := d.w.Write(b); err != nil {
			d.err = fmt.Errorf("epcis: writing document: %w", err)
		}
	}
}

// Write appends one event to the document. The event carries its own
// @context only when it uses a prefix the document's context does not
// bind the same way; pass the prefixes the events use in the header's
// Context to avoid that.
func (d *DocumentWriter) Write(e *Event) error {
	if d.err != nil {
		return d.err
	}
	if !d.started {
		d.start()
	}
	b := d.buf[:0]
	if d.n > 0 {
		b = append(b, ',')
	}
	d.n++
	d.buf = e.appendJSON(b, !d.declares(e.Context))
	d.write(d.buf)
	return d.err
}

// declares reports whether the document's context binds every prefix of
// ctx to the same IRI, so that an event with that context needs none of
// its own.
func (d *DocumentWriter) declares(ctx map[string]string) bool {
	for p, iri := range ctx {
		if d.hdr.Context[p] != iri {
			return false
		}
	}
	return true
}

// Close ends the document and flushes it. Closing twice is an error.
func (d *DocumentWriter) Close() error {
	if d.err != nil {
		return d.err
	}
	if !d.started {
		d.start()
	}
	if d.hdr.Type == "EPCISQueryDocument" {
		d.write([]byte("]}}}}"))
	} else {
		d.write([]byte("]}}"))
	}
	if d.err == nil {
		if err := d.w.Flush(); err != nil {
			d.err = fmt.Errorf("epcis: writing document: %w", err)
			return d.err
		}
	}
	err := d.err
	d.err = errors.New("epcis: document already closed")
	return err
}

// Encode writes one event as EPCIS 2.0 JSON-LD: the same as MarshalJSON.
func Encode(w io.Writer, e *Event) error {
	if _, err := w.Write(e.appendJSON(nil, true)); err != nil {
		return fmt.Errorf("epcis: writing event: %w", err)
	}
	return nil
}

// Both writers produce what json.Marshal would.
var _ json.Marshaler = Event{}
