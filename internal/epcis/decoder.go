package epcis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits bounds what a Decoder accepts from one document.
type Limits struct {
	// MaxEvents is the most events a document may hold; one more is a
	// CaptureLimitExceededException. Zero means no limit.
	MaxEvents int
}

// DocumentHeader is everything in an EPCISDocument (or EPCISQueryDocument)
// but its events.
type DocumentHeader struct {
	// Type is "EPCISDocument" or "EPCISQueryDocument".
	Type          string
	SchemaVersion string
	CreationDate  time.Time
	// ID and InstanceIdentifier are the optional document identifiers.
	ID                 string
	InstanceIdentifier string
	Sender, Receiver   string
	// RawContext is the document's @context as given; Context the prefix
	// definitions found in it (remote contexts are not fetched).
	RawContext json.RawMessage
	Context    map[string]string
	// EPCISHeader is the epcisHeader member as given (it may hold
	// master data), nil when absent.
	EPCISHeader json.RawMessage
	// SubscriptionID and QueryName come from a query document's
	// queryResults.
	SubscriptionID, QueryName string
	// Extensions holds namespaced top-level members.
	Extensions map[string]json.RawMessage
}

// level is where in the document's nesting the decoder is.
type level int

// frame is one open object or array.
type frame struct {
	lvl   level
	first bool // nothing read in it yet
}

const (
	levelTop level = iota
	levelBody
	levelQueryResults
	levelResultsBody
)

// Decoder reads an EPCIS document token by token, holding one event at a
// time: Header, then Next until io.EOF. Each event Next returns has been
// decoded and validated; a refusal is a *Problem naming the event's index
// and the offending field, after which the Decoder is spent.
//
// The members of the document may come in any order. When epcisBody comes
// before one of @context, type, schemaVersion or creationDate, the events
// cannot be interpreted yet, so the Decoder keeps their raw JSON (at most
// Limits.MaxEvents of them) until the end of the document; documents that
// put the header first, as GS1's examples mostly do, are streamed.
//
// When streaming, the end of the document is read only after the last
// event: a malformed or refused tail makes the call after the last event
// return a *Problem instead of io.EOF. A capture must therefore keep
// nothing unless Next ends with io.EOF.
type Decoder struct {
	s      *stream
	limits Limits

	hdr       DocumentHeader
	hdrDone   bool
	seen      map[string]bool // header members read
	stack     []frame
	inList    bool // positioned inside an eventList array
	listFirst bool // no event of the list read yet
	lists     int  // eventLists met
	query     bool // the eventList was under queryResults
	listAt    string

	buffered []json.RawMessage // events read before the header was complete
	raw      []byte            // the current event's text, reused
	count    int               // events read so far
	returned int               // events returned by Next
	err      error             // sticky
}

// NewDecoder returns a Decoder reading one document from r.
func NewDecoder(r io.Reader, limits Limits) *Decoder {
	return &Decoder{s: newStream(r), limits: limits, seen: map[string]bool{}}
}

// Header reads up to the first event and returns the document header.
func (d *Decoder) Header() (DocumentHeader, error) {
	if d.hdrDone || d.err != nil {
		return d.hdr, d.err
	}
	if err := d.readHeader(); err != nil {
		d.err = err
		return d.hdr, err
	}
	d.hdrDone = true
	return d.hdr, nil
}

func (d *Decoder) readHeader() error {
	c, err := d.s.peek()
	if err != nil {
		return d.syntax(unexpectedEOF(err), -1)
	}
	if c != '{' {
		return d.refuse(-1, "", "an EPCIS document must be a JSON object")
	}
	d.s.next()
	d.stack = append(d.stack, frame{levelTop, true})
	if err := d.advance(); err != nil {
		return err
	}
	if d.inList && !d.headerComplete() {
		// The header is not all read: keep the events' raw JSON until it
		// is.
		for d.inList {
			raw, err := d.nextRaw()
			if err != nil {
				return err
			}
			if raw == nil {
				break
			}
			d.buffered = append(d.buffered, append(json.RawMessage(nil), raw...))
		}
	}
	return d.finishHeader()
}

// headerComplete reports whether the members events depend on, and the
// required ones, have all been read.
func (d *Decoder) headerComplete() bool {
	return d.seen["@context"] && d.seen["type"] && d.seen["schemaVersion"] && d.seen["creationDate"]
}

func (d *Decoder) finishHeader() error {
	h := &d.hdr
	switch {
	case !d.seen["type"]:
		return d.refuse(-1, "type", "is required (EPCISDocument)")
	case h.Type != "EPCISDocument" && h.Type != "EPCISQueryDocument":
		return d.refuse(-1, "type", "must be EPCISDocument or EPCISQueryDocument, not %q", h.Type)
	case !d.seen["schemaVersion"]:
		return d.refuse(-1, "schemaVersion", "is required")
	case h.SchemaVersion != "2.0" && !strings.HasPrefix(h.SchemaVersion, "2.0."):
		return d.refuse(-1, "schemaVersion", "must be 2.0, not %q", h.SchemaVersion)
	case !d.seen["creationDate"]:
		return d.refuse(-1, "creationDate", "is required")
	case !d.seen["epcisBody"]:
		return d.refuse(-1, "epcisBody", "is required")
	case d.lists == 0:
		return d.refuse(-1, "epcisBody", "must hold an eventList")
	case d.query != (h.Type == "EPCISQueryDocument"):
		if d.query {
			return d.refuse(-1, "epcisBody.queryResults", "belongs in an EPCISQueryDocument, not an %s", h.Type)
		}
		return d.refuse(-1, "epcisBody.eventList", "belongs in an EPCISDocument; a query document has queryResults.resultsBody.eventList")
	}
	if h.Context == nil {
		h.Context = map[string]string{}
	}
	return nil
}

// advance reads members of the open objects until it is positioned at
// the start of an eventList (inList) or the document has ended.
func (d *Decoder) advance() error {
	for len(d.stack) > 0 {
		top := &d.stack[len(d.stack)-1]
		lvl := top.lvl
		c, err := d.s.peek()
		if err != nil {
			return d.syntax(unexpectedEOF(err), -1)
		}
		if c == '}' {
			d.s.next()
			d.stack = d.stack[:len(d.stack)-1]
			continue
		}
		if !top.first {
			if c != ',' {
				return d.syntax(d.s.syntaxErr(), -1)
			}
			d.s.next()
		}
		top.first = false
		key, err := d.s.key()
		if err != nil {
			return d.syntax(err, -1)
		}
		path := d.path(key)
		switch {
		case lvl == levelTop && key == "epcisBody":
			d.seen[key] = true
			if err := d.open('{', path); err != nil {
				return err
			}
			d.stack = append(d.stack, frame{levelBody, true})
		case lvl == levelBody && key == "queryResults":
			if err := d.open('{', path); err != nil {
				return err
			}
			d.query = true
			d.stack = append(d.stack, frame{levelQueryResults, true})
		case lvl == levelQueryResults && key == "resultsBody":
			if err := d.open('{', path); err != nil {
				return err
			}
			d.stack = append(d.stack, frame{levelResultsBody, true})
		case (lvl == levelBody || lvl == levelResultsBody) && key == "eventList":
			if d.lists > 0 {
				return d.refuse(-1, path, "appears twice")
			}
			if err := d.open('[', path); err != nil {
				return err
			}
			d.lists++
			d.listAt = path
			d.inList = true
			d.listFirst = true
			return nil
		default:
			raw, err := d.s.value(nil)
			if err != nil {
				return d.syntax(err, -1)
			}
			if !json.Valid(raw) {
				return d.syntax(d.s.syntaxErr(), -1)
			}
			if err := d.member(lvl, key, raw); err != nil {
				return err
			}
		}
	}
	// The document has ended: nothing may follow it.
	if _, err := d.s.peek(); err != io.EOF {
		if err != nil {
			return d.syntax(err, -1)
		}
		return d.refuse(-1, "", "the document must be a single JSON object with nothing after it")
	}
	return nil
}

// path returns the document path of key in the innermost open object.
func (d *Decoder) path(key string) string {
	p := ""
	for _, f := range d.stack {
		switch f.lvl {
		case levelBody:
			p = "epcisBody"
		case levelQueryResults:
			p = "epcisBody.queryResults"
		case levelResultsBody:
			p = "epcisBody.queryResults.resultsBody"
		}
	}
	return join(p, key)
}

// open reads the delimiter that must start the value of the member at path.
func (d *Decoder) open(want json.Delim, path string) error {
	c, err := d.s.peek()
	if err != nil {
		return d.syntax(unexpectedEOF(err), -1)
	}
	if c != byte(want) {
		kind := "an object"
		if want == '[' {
			kind = "an array"
		}
		return d.refuse(-1, path, "must be %s", kind)
	}
	d.s.next()
	return nil
}

// member stores a header member other than the body.
func (d *Decoder) member(lvl level, key string, raw json.RawMessage) error {
	h := &d.hdr
	path := d.path(key)
	str := func(into *string) error {
		s, err := readString(raw)
		if err != nil {
			return d.refuse(-1, path, "must be a string")
		}
		*into = s
		return nil
	}
	if lvl == levelQueryResults {
		switch key {
		case "queryName":
			return str(&h.QueryName)
		case "subscriptionID":
			return str(&h.SubscriptionID)
		}
	}
	if lvl != levelTop {
		if isExtensionKey(key) {
			return nil // extensions of the body carry nothing we keep
		}
		return d.refuse(-1, path, "is not a member of this EPCIS object; extension members must be namespaced (prefix:name)")
	}
	if d.seen[key] {
		return d.refuse(-1, path, "appears twice")
	}
	d.seen[key] = true
	switch key {
	case "@context":
		h.RawContext = raw
		h.Context = map[string]string{}
		if err := readContext(raw, h.Context); err != nil {
			return validationProblem(under(key, err), -1, "")
		}
	case "type":
		return str(&h.Type)
	case "schemaVersion":
		// Some writers send the version as a number.
		if s := strings.TrimSpace(string(raw)); len(s) > 0 && s[0] != '"' {
			h.SchemaVersion = s
			return nil
		}
		return str(&h.SchemaVersion)
	case "creationDate":
		t, err := readTime(raw)
		if err != nil {
			return validationProblem(under(key, err), -1, "")
		}
		h.CreationDate = t
	case "id":
		return str(&h.ID)
	case "instanceIdentifier":
		return str(&h.InstanceIdentifier)
	case "sender":
		return str(&h.Sender)
	case "receiver":
		return str(&h.Receiver)
	case "epcisHeader":
		h.EPCISHeader = raw
	default:
		if err := unknown(&h.Extensions, key, raw); err != nil {
			return validationProblem(under(key, err), -1, "")
		}
	}
	return nil
}

// nextRaw returns the raw JSON of the next event of the list, or nil
// after the last, having read the rest of the document. The text is in a
// buffer the next call reuses.
func (d *Decoder) nextRaw() ([]byte, error) {
	if !d.inList {
		return nil, nil
	}
	c, err := d.s.peek()
	if err != nil {
		return nil, d.syntax(unexpectedEOF(err), d.count)
	}
	if c == ']' {
		d.s.next()
		d.inList = false
		return nil, d.advance()
	}
	if !d.listFirst {
		if c != ',' {
			return nil, d.syntax(d.s.syntaxErr(), d.count)
		}
		d.s.next()
	}
	d.listFirst = false
	i := d.count
	if d.limits.MaxEvents > 0 && i >= d.limits.MaxEvents {
		p := NewProblem(CaptureLimitExceededException,
			fmt.Sprintf("the document holds more than %d events", d.limits.MaxEvents))
		p.EventIndex = i
		p.Field = idx(d.listAt, i)
		return nil, p
	}
	raw, err := d.s.value(d.raw[:0])
	if err != nil {
		return nil, d.syntax(err, i)
	}
	d.raw = raw
	d.count++
	return raw, nil
}

// Next returns the next event, decoded and validated, or io.EOF after
// the last one. A refused event is a *Problem with its index and field.
func (d *Decoder) Next() (*Event, error) {
	if _, err := d.Header(); err != nil {
		return nil, err
	}
	if d.err != nil {
		return nil, d.err
	}
	var raw []byte
	i := d.returned
	if len(d.buffered) > 0 {
		raw = d.buffered[0]
		d.buffered[0] = nil
		d.buffered = d.buffered[1:]
	} else {
		var err error
		if raw, err = d.nextRaw(); err != nil {
			d.err = err
			return nil, err
		}
		if raw == nil {
			d.err = io.EOF
			return nil, io.EOF
		}
	}
	d.returned++
	base := idx(d.listAt, i)
	e := new(Event)
	if err := e.read(raw, d.hdr.Context); err != nil {
		d.err = validationProblem(err, i, base)
		return nil, d.err
	}
	if err := validate(e); err != nil {
		d.err = validationProblem(err, i, base)
		return nil, d.err
	}
	return e, nil
}

// refuse returns a ValidationException at path.
func (d *Decoder) refuse(i int, path, format string, args ...any) *Problem {
	p := NewProblem(ValidationException, fmt.Sprintf(format, args...))
	p.EventIndex = i
	p.Field = path
	return p
}

// syntax turns a JSON or reader error into a Problem: malformed JSON is
// the sender's fault, a failing reader is not.
func (d *Decoder) syntax(err error, i int) error {
	var p *Problem
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, errSyntax):
		p = d.refuse(i, "", "the document is not valid JSON (%v)", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		p = d.refuse(i, "", "the document ends before it is complete")
	default:
		return fmt.Errorf("epcis: reading document: %w", err)
	}
	p.Err = err
	return p
}
