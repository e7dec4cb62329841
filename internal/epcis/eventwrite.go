package epcis

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// obj appends the members of one JSON object, skipping empty values the
// way the standard omits absent fields.
type obj struct {
	b []byte
	n int
}

func (o *obj) open() { o.b = append(o.b, '{') }

func (o *obj) close() { o.b = append(o.b, '}') }

func (o *obj) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *obj) str(k, v string) {
	if v != "" {
		o.key(k)
		o.b = appendString(o.b, v)
	}
}

// strs writes a list of strings; a nil list is absent, an empty one is
// written empty, since the schema tells "epcList": [] from no epcList.
func (o *obj) strs(k string, vs []string) {
	if vs == nil {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, v)
	}
	o.b = append(o.b, ']')
}

func (o *obj) num(k string, f *float64) {
	if f != nil {
		o.key(k)
		o.b = appendFloat(o.b, *f)
	}
}

func (o *obj) time(k string, t *time.Time) {
	if t != nil {
		o.key(k)
		o.b = appendString(o.b, formatTime(*t))
	}
}

func (o *obj) raw(k string, v json.RawMessage) {
	o.key(k)
	o.b = append(o.b, v...)
}

// ext appends extension members in key order, so output is stable.
func (o *obj) ext(m map[string]json.RawMessage) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o.raw(k, m[k])
	}
}

// list appends a member holding an array of objects written by each.
func list[T any](o *obj, k string, items []T, each func(*T, []byte) []byte) {
	if items == nil {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i := range items {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = each(&items[i], o.b)
	}
	o.b = append(o.b, ']')
}

// MarshalJSON writes the event in the EPCIS 2.0 JSON-LD shape, CBV terms
// in their bare form. The prefixes in the event's Context (those its
// document declared) are written as the event's own @context, so that a
// stored event stays self-describing and hashes the same when read again
// (JSON-LD allows a context on any node; the EPCIS schema allows it on
// events). DocumentWriter leaves that @context out when the document's
// own binds the same prefixes: that is the shape of GS1's examples, and
// the reference hash implementation counts an event's @context as data.
func (e Event) MarshalJSON() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, 512), true), nil
}

// appendJSON appends the event, with its own @context when withContext
// is set and it has prefixes.
func (e *Event) appendJSON(b []byte, withContext bool) []byte {
	o := obj{b: b}
	o.open()
	var own []string
	if withContext {
		for p := range e.Context {
			own = append(own, p)
		}
	}
	if len(own) > 0 {
		slices.Sort(own)
		o.key("@context")
		o.b = append(o.b, '{')
		for i, p := range own {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendString(o.b, p)
			o.b = append(o.b, ':')
			o.b = appendString(o.b, e.Context[p])
		}
		o.b = append(o.b, '}')
	}
	o.str("type", string(e.Type))
	o.str("eventID", e.EventID)
	if !e.EventTime.IsZero() {
		o.time("eventTime", &e.EventTime)
	}
	o.str("eventTimeZoneOffset", e.EventTimeZoneOffset)
	o.time("recordTime", e.RecordTime)
	if d := e.ErrorDeclaration; d != nil {
		o.key("errorDeclaration")
		o.b = d.appendJSON(o.b)
	}
	o.str("certificationInfo", e.CertificationInfo)
	o.str("parentID", e.ParentID)
	o.strs("epcList", e.EPCList)
	o.strs("childEPCs", e.ChildEPCs)
	o.strs("inputEPCList", e.InputEPCList)
	o.strs("outputEPCList", e.OutputEPCList)
	list(&o, "quantityList", e.QuantityList, (*Quantity).appendJSON)
	list(&o, "childQuantityList", e.ChildQuantityList, (*Quantity).appendJSON)
	list(&o, "inputQuantityList", e.InputQuantityList, (*Quantity).appendJSON)
	list(&o, "outputQuantityList", e.OutputQuantityList, (*Quantity).appendJSON)
	o.str("transformationID", e.TransformationID)
	o.str("action", string(e.Action))
	o.str("bizStep", e.BizStep)
	o.str("disposition", e.Disposition)
	if p := e.PersistentDisposition; p != nil {
		o.key("persistentDisposition")
		po := obj{b: o.b}
		po.open()
		po.strs("set", p.Set)
		po.strs("unset", p.Unset)
		po.close()
		o.b = po.b
	}
	if l := e.ReadPoint; l != nil {
		o.key("readPoint")
		o.b = l.appendJSON(o.b)
	}
	if l := e.BizLocation; l != nil {
		o.key("bizLocation")
		o.b = l.appendJSON(o.b)
	}
	list(&o, "bizTransactionList", e.BizTransactionList, func(t *BizTransaction, b []byte) []byte {
		to := obj{b: b}
		to.open()
		to.str("type", t.Type)
		to.str("bizTransaction", t.BizTransaction)
		to.close()
		return to.b
	})
	list(&o, "sourceList", e.SourceList, func(s *Source, b []byte) []byte {
		so := obj{b: b}
		so.open()
		so.str("type", s.Type)
		so.str("source", s.Source)
		so.close()
		return so.b
	})
	list(&o, "destinationList", e.DestinationList, func(d *Destination, b []byte) []byte {
		do := obj{b: b}
		do.open()
		do.str("type", d.Type)
		do.str("destination", d.Destination)
		do.close()
		return do.b
	})
	list(&o, "sensorElementList", e.SensorElementList, (*SensorElement).appendJSON)
	if e.ILMD != nil {
		o.key("ilmd")
		io := obj{b: o.b}
		io.open()
		io.ext(e.ILMD)
		io.close()
		o.b = io.b
	}
	o.ext(e.Extensions)
	o.close()
	return o.b
}

func (q *Quantity) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.open()
	o.str("epcClass", q.EPCClass)
	o.num("quantity", q.Quantity)
	o.str("uom", q.UOM)
	o.close()
	return o.b
}

// MarshalJSON writes a QuantityElement.
func (q Quantity) MarshalJSON() ([]byte, error) { return q.appendJSON(nil), nil }

func (l *Location) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.open()
	o.str("id", l.ID)
	o.ext(l.Extensions)
	o.close()
	return o.b
}

// MarshalJSON writes a readPoint or bizLocation.
func (l Location) MarshalJSON() ([]byte, error) { return l.appendJSON(nil), nil }

func (d *ErrorDeclaration) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.open()
	o.time("declarationTime", &d.DeclarationTime)
	o.str("reason", d.Reason)
	o.strs("correctiveEventIDs", d.CorrectiveEventIDs)
	o.ext(d.Extensions)
	o.close()
	return o.b
}

// MarshalJSON writes an errorDeclaration.
func (d ErrorDeclaration) MarshalJSON() ([]byte, error) { return d.appendJSON(nil), nil }

func (s *SensorElement) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.open()
	o.str("type", s.Type)
	if m := s.SensorMetadata; m != nil {
		o.key("sensorMetadata")
		o.b = m.appendJSON(o.b)
	}
	o.key("sensorReport")
	o.b = append(o.b, '[')
	for i := range s.SensorReport {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = s.SensorReport[i].appendJSON(o.b)
	}
	o.b = append(o.b, ']')
	o.ext(s.Extensions)
	o.close()
	return o.b
}

// MarshalJSON writes a sensorElement.
func (s SensorElement) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

func (m *SensorMetadata) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.open()
	o.time("time", m.Time)
	o.time("startTime", m.StartTime)
	o.time("endTime", m.EndTime)
	o.str("deviceID", m.DeviceID)
	o.str("deviceMetadata", m.DeviceMetadata)
	o.str("rawData", m.RawData)
	o.str("dataProcessingMethod", m.DataProcessingMethod)
	o.str("bizRules", m.BizRules)
	o.ext(m.Extensions)
	o.close()
	return o.b
}

// MarshalJSON writes sensorMetadata.
func (m SensorMetadata) MarshalJSON() ([]byte, error) { return m.appendJSON(nil), nil }

func (r *SensorReport) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.open()
	o.str("type", r.Type)
	o.str("exception", r.Exception)
	o.str("deviceID", r.DeviceID)
	o.str("deviceMetadata", r.DeviceMetadata)
	o.str("rawData", r.RawData)
	o.str("dataProcessingMethod", r.DataProcessingMethod)
	o.time("time", r.Time)
	o.str("microorganism", r.Microorganism)
	o.str("chemicalSubstance", r.ChemicalSubstance)
	o.num("value", r.Value)
	o.str("component", r.Component)
	o.str("stringValue", r.StringVal)
	if r.BoolVal != nil {
		o.key("booleanValue")
		o.b = strconv.AppendBool(o.b, *r.BoolVal)
	}
	o.str("hexBinaryValue", r.HexBinaryValue)
	o.str("uriValue", r.URIValue)
	o.num("minValue", r.MinValue)
	o.num("maxValue", r.MaxValue)
	o.num("meanValue", r.MeanValue)
	o.num("sDev", r.SDev)
	o.num("percRank", r.PercRank)
	o.num("percValue", r.PercValue)
	o.str("uom", r.UOM)
	o.str("bizRules", r.BizRules)
	o.str("coordinateReferenceSystem", r.CoordinateReferenceSystem)
	o.ext(r.Extensions)
	o.close()
	return o.b
}

// MarshalJSON writes a sensorReport.
func (r SensorReport) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// appendFloat writes f as encoding/json does: plain decimal in the usual
// range, exponent form outside it.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// Cannot be read from JSON; written as null rather than as
		// invalid JSON if a caller built such an event.
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// appendString writes s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				if r == utf8.RuneError {
					b = append(b, `\ufffd`...)
				} else {
					b = append(b, `\u202`...)
					b = append(b, hex[r&0xF])
				}
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
