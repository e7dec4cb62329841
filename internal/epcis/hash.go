package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hash returns the canonical event hash of CBV 2.0 §8.9 ("Event Hash
// ID"): ni:///sha-256;<lowercase hex>?ver=CBV2.0. Two events that say the
// same thing hash the same whichever syntax they were written in: the
// pre-hash string takes the fields in the order the standard gives, lists
// sorted, GS1 keys as canonical Digital Link URIs on id.gs1.org, CBV terms
// as their web URIs, times in UTC at millisecond precision, numbers
// without insignificant zeros and extension keys by namespace IRI.
// recordTime, eventID and errorDeclaration do not take part, so a
// declared error or a capture does not change an event's name.
//
// The result matches the GS1 reference implementation
// (RalphTro/epcis-event-hash-generator) on its published vectors; see
// hash_test.go for the few it does not.
func Hash(e *Event) (string, error) {
	pre, err := appendPreHash(make([]byte, 0, 4096), e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(pre)
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=CBV2.0", nil
}

// EnsureEventID gives e its event hash as eventID when it has none; an
// event that has one keeps it, whatever it is.
func EnsureEventID(e *Event) error {
	if e.EventID != "" {
		return nil
	}
	id, err := Hash(e)
	if err != nil {
		return err
	}
	e.EventID = id
	return nil
}

// hasher builds a pre-hash string.
type hasher struct {
	ns map[string]string
}

// preHash returns the pre-hash string of e, the text Hash digests.
func preHash(e *Event) (string, error) {
	b, err := appendPreHash(nil, e)
	return string(b), err
}

// hbuf collects a pre-hash string.
type hbuf struct{ b []byte }

func (h *hbuf) WriteString(s string) { h.b = append(h.b, s...) }

func (h *hbuf) char(c byte) { h.b = append(h.b, c) }

func appendPreHash(buf []byte, e *Event) ([]byte, error) {
	if e.Type == "" || e.EventTime.IsZero() {
		return nil, errors.New("epcis: an event needs a type and an eventTime to be hashed")
	}
	h := hasher{ns: e.Context}
	b := hbuf{b: buf}
	b.WriteString("eventType=")
	b.WriteString(string(e.Type))
	b.WriteString("eventTime=")
	b.WriteString(hashTime(e.EventTime))
	h.field(&b, "eventTimeZoneOffset", e.EventTimeZoneOffset)
	h.value(&b, "certificationInfo", e.CertificationInfo)
	h.value(&b, "parentID", e.ParentID)
	h.epcs(&b, "epcList", e.EPCList)
	h.epcs(&b, "inputEPCList", e.InputEPCList)
	h.epcs(&b, "childEPCs", e.ChildEPCs)
	h.quantities(&b, "quantityList", e.QuantityList)
	h.quantities(&b, "childQuantityList", e.ChildQuantityList)
	h.quantities(&b, "inputQuantityList", e.InputQuantityList)
	h.epcs(&b, "outputEPCList", e.OutputEPCList)
	h.quantities(&b, "outputQuantityList", e.OutputQuantityList)
	h.field(&b, "action", string(e.Action))
	h.value(&b, "transformationID", e.TransformationID)
	h.value(&b, "bizStep", bizSteps().expand(e.BizStep))
	h.value(&b, "disposition", dispositions().expand(e.Disposition))
	if p := e.PersistentDisposition; p != nil && len(p.Set)+len(p.Unset) > 0 {
		b.WriteString("persistentDisposition")
		for _, l := range []struct {
			name string
			ds   []string
		}{{"set", p.Set}, {"unset", p.Unset}} {
			vals := make([]string, 0, len(l.ds))
			for _, d := range l.ds {
				vals = append(vals, l.name+"="+h.canon(dispositions().expand(d)))
			}
			writeSorted(&b, vals)
		}
	}
	h.location(&b, "readPoint", e.ReadPoint)
	h.location(&b, "bizLocation", e.BizLocation)
	if len(e.SensorElementList) > 0 {
		vals := make([]string, 0, len(e.SensorElementList))
		for i := range e.SensorElementList {
			vals = append(vals, h.sensorElement(&e.SensorElementList[i]))
		}
		b.WriteString("sensorElementList")
		writeSorted(&b, vals)
	}

	// The reference implementation writes the business transactions,
	// sources and destinations, ILMD and user extensions after the
	// ordered fields, all sorted together by their text; its published
	// hashes are what partners compare with, so this does the same.
	var rest []string
	if len(e.BizTransactionList) > 0 {
		vals := make([]string, 0, len(e.BizTransactionList))
		for _, t := range e.BizTransactionList {
			vals = append(vals, h.pair("type", bizTransactionTypes().expand(t.Type))+h.pair("bizTransaction", t.BizTransaction))
		}
		rest = append(rest, "bizTransactionList"+sorted(vals))
	}
	if len(e.SourceList) > 0 {
		vals := make([]string, 0, len(e.SourceList))
		for _, s := range e.SourceList {
			vals = append(vals, h.pair("type", sourceDestTypes().expand(s.Type))+h.pair("source", s.Source))
		}
		rest = append(rest, "sourceList"+sorted(vals))
	}
	if len(e.DestinationList) > 0 {
		vals := make([]string, 0, len(e.DestinationList))
		for _, d := range e.DestinationList {
			vals = append(vals, h.pair("type", sourceDestTypes().expand(d.Type))+h.pair("destination", d.Destination))
		}
		rest = append(rest, "destinationList"+sorted(vals))
	}
	if len(e.ILMD) > 0 {
		s, err := h.generic(e.ILMD)
		if err != nil {
			return nil, err
		}
		rest = append(rest, "ilmd"+s)
	}
	for k, v := range e.Extensions {
		if k == "rdfs:comment" || h.key(k) == rdfsComment {
			continue // a comment says nothing about the event
		}
		s, err := h.member(k, v)
		if err != nil {
			return nil, err
		}
		rest = append(rest, s...)
	}
	writeSorted(&b, rest)
	return b.b, nil
}

// field writes name=value for a value that needs no canonicalisation.
func (h hasher) field(b *hbuf, name, v string) {
	if v = strings.TrimSpace(v); v != "" {
		b.WriteString(name)
		b.char('=')
		b.WriteString(v)
	}
}

// value writes name=canon(value).
func (h hasher) value(b *hbuf, name, v string) { b.WriteString(h.pair(name, v)) }

func (h hasher) pair(name, v string) string {
	if v = h.canon(v); v == "" {
		return ""
	}
	return name + "=" + v
}

func (h hasher) epcs(b *hbuf, name string, l []string) {
	if len(l) == 0 {
		return
	}
	vals := make([]string, 0, len(l))
	for _, id := range l {
		if v := h.canon(id); v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return
	}
	// Every entry starts "epc=", so sorting the values sorts the entries.
	slices.Sort(vals)
	b.WriteString(name)
	for _, v := range vals {
		b.WriteString("epc=")
		b.WriteString(v)
	}
}

func (h hasher) quantities(b *hbuf, name string, l []Quantity) {
	if len(l) == 0 {
		return
	}
	vals := make([]string, 0, len(l))
	for _, q := range l {
		s := h.pair("epcClass", q.EPCClass)
		if q.Quantity != nil {
			s += "quantity=" + pyNumber(*q.Quantity)
		}
		s += h.pair("uom", q.UOM)
		vals = append(vals, "quantityElement"+s)
	}
	b.WriteString(name)
	writeSorted(b, vals)
}

func (h hasher) location(b *hbuf, name string, l *Location) {
	if l == nil {
		return
	}
	b.WriteString(name)
	b.WriteString(h.pair("id", l.ID))
	h.extensions(b, l.Extensions)
}

// extensions writes the user extensions of an element after its fields.
func (h hasher) extensions(b *hbuf, m map[string]json.RawMessage) {
	if len(m) == 0 {
		return
	}
	s, _ := h.generic(m) // already valid JSON: read from a document
	b.WriteString(s)
}

func (h hasher) sensorElement(s *SensorElement) string {
	var b hbuf
	b.WriteString("sensorElement")
	if m := s.SensorMetadata; m != nil {
		b.WriteString("sensorMetadata")
		h.timeField(&b, "time", m.Time)
		h.timeField(&b, "startTime", m.StartTime)
		h.timeField(&b, "endTime", m.EndTime)
		h.value(&b, "deviceID", m.DeviceID)
		h.value(&b, "deviceMetadata", m.DeviceMetadata)
		h.value(&b, "rawData", m.RawData)
		h.value(&b, "dataProcessingMethod", m.DataProcessingMethod)
		h.value(&b, "bizRules", m.BizRules)
		h.extensions(&b, m.Extensions)
	}
	reports := make([]string, 0, len(s.SensorReport))
	for i := range s.SensorReport {
		r := &s.SensorReport[i]
		var rb hbuf
		rb.WriteString("sensorReport")
		h.value(&rb, "type", measurementTypes().expand(r.Type))
		h.value(&rb, "exception", sensorAlertTypes().expand(r.Exception))
		h.value(&rb, "deviceID", r.DeviceID)
		h.value(&rb, "deviceMetadata", r.DeviceMetadata)
		h.value(&rb, "rawData", r.RawData)
		h.value(&rb, "dataProcessingMethod", r.DataProcessingMethod)
		h.timeField(&rb, "time", r.Time)
		h.value(&rb, "microorganism", r.Microorganism)
		h.value(&rb, "chemicalSubstance", r.ChemicalSubstance)
		h.number(&rb, "value", r.Value)
		h.value(&rb, "component", components().expand(r.Component))
		h.value(&rb, "stringValue", r.StringVal)
		if r.BoolVal != nil {
			// As the reference implementation spells booleans.
			if *r.BoolVal {
				rb.WriteString("booleanValue=True")
			} else {
				rb.WriteString("booleanValue=False")
			}
		}
		h.value(&rb, "hexBinaryValue", r.HexBinaryValue)
		h.value(&rb, "uriValue", r.URIValue)
		h.number(&rb, "minValue", r.MinValue)
		h.number(&rb, "maxValue", r.MaxValue)
		h.number(&rb, "meanValue", r.MeanValue)
		h.number(&rb, "sDev", r.SDev)
		h.number(&rb, "percRank", r.PercRank)
		h.number(&rb, "percValue", r.PercValue)
		h.value(&rb, "uom", r.UOM)
		h.value(&rb, "coordinateReferenceSystem", r.CoordinateReferenceSystem)
		h.extensions(&rb, r.Extensions)
		reports = append(reports, string(rb.b))
	}
	writeSorted(&b, reports)
	h.extensions(&b, s.Extensions)
	return string(b.b)
}

func (h hasher) timeField(b *hbuf, name string, t *time.Time) {
	if t != nil {
		b.WriteString(name)
		b.char('=')
		b.WriteString(hashTime(*t))
	}
}

func (h hasher) number(b *hbuf, name string, f *float64) {
	if f != nil {
		b.WriteString(name)
		b.char('=')
		b.WriteString(pyNumber(*f))
	}
}

// generic writes the members of an extension object, each as
// key[=value]children, sorted.
func (h hasher) generic(m map[string]json.RawMessage) (string, error) {
	var parts []string
	for k, v := range m {
		s, err := h.member(k, v)
		if err != nil {
			return "", err
		}
		parts = append(parts, s...)
	}
	slices.Sort(parts)
	return strings.Join(parts, ""), nil
}

// member returns the pre-hash strings of one extension member: one per
// value, since an array stands for the member repeated.
func (h hasher) member(k string, v json.RawMessage) ([]string, error) {
	name := h.key(k)
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, err := h.single(name, it)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := h.single(name, v)
	return []string{s}, err
}

func (h hasher) single(name string, v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return name, nil
	}
	switch v[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return "", err
		}
		s, err := h.generic(m)
		return name + s, err
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		if s = h.canon(s); s != "" {
			return name + "=" + s, nil
		}
		return name, nil
	case 't':
		return name + "=True", nil
	case 'f':
		return name + "=False", nil
	case 'n':
		return name + "=None", nil
	}
	return name + "=" + h.canon(string(v)), nil
}

// key names an extension member by its namespace IRI: {iri}local.
func (h hasher) key(k string) string {
	if p, local, ok := strings.Cut(k, ":"); ok {
		if iri, ok := h.prefix(p); ok {
			return "{" + iri + "}" + local
		}
	}
	return k
}

// prefix resolves a namespace prefix from the event's context: the
// prefixes its document (or the event itself) declared. The prefixes the
// EPCIS context defines (cbvmda, gs1, …) are not assumed: the reference
// implementation expands only declared ones, and partners check event IDs
// with it, so an undeclared cbvmda:lotNumber stays as written.
func (h hasher) prefix(p string) (string, bool) {
	iri, ok := h.ns[p]
	return iri, ok
}

// canon canonicalises one value as the pre-hash string needs it.
func (h hasher) canon(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if p, rest, ok := strings.Cut(v, ":"); ok && !strings.HasPrefix(rest, "//") {
		if iri, ok := h.ns[p]; ok {
			v = iri + rest
		}
	}
	for _, voc := range [...]vocab{bizSteps(), dispositions(), bizTransactionTypes(), sourceDestTypes(), errorReasons()} {
		if strings.HasPrefix(v, voc.urn) {
			return voc.web + v[len(voc.urn):]
		}
	}
	if f, ok := numeric(v); ok {
		return pyNumber(f)
	}
	if k, err := ParseKey(v); err == nil {
		return k.DigitalLink(DefaultResolver)
	}
	return v
}

// numeric reports whether v is a decimal number as the reference
// implementation (Python's float) reads one.
func numeric(v string) (float64, bool) {
	c := v[0]
	if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') || strings.ContainsAny(v, "xX_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// pyNumber writes f as the reference implementation does: integers
// without a fraction, other values in Python's shortest repr.
func pyNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e300 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	i := strings.LastIndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[i+1:])
	if exp >= -4 && exp < 16 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

// hashTime writes t in UTC with milliseconds, rounding the microseconds
// half to even as the reference implementation does.
func hashTime(t time.Time) string {
	t = t.UTC()
	us := t.Nanosecond() / 1000
	ms, rem := us/1000, us%1000
	if rem > 500 || rem == 500 && ms%2 == 1 {
		ms++
	}
	t = t.Truncate(time.Second).Add(time.Duration(ms) * time.Millisecond)
	return t.Format("2006-01-02T15:04:05.000Z")
}

// rdfsComment is the expanded key of rdfs:comment.
const rdfsComment = "{http://www.w3.org/2000/01/rdf-schema#}comment"

func sorted(vals []string) string {
	slices.Sort(vals)
	return strings.Join(vals, "")
}

func writeSorted(b *hbuf, vals []string) {
	slices.Sort(vals)
	for _, v := range vals {
		b.WriteString(v)
	}
}
