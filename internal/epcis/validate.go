package epcis

import (
	"math"
	"strings"
	"time"
)

// Validate checks e against the rules of EPCIS 2.0 and CBV 2.0 that the
// JSON shape alone does not enforce: required fields per event type,
// actions, quantities, GS1 keys (check digits included) and sensor
// reports. A refusal is a *Problem (ValidationException) whose Field is
// the path of the offending member within the event.
func Validate(e *Event) error {
	if err := validate(e); err != nil {
		return validationProblem(err, -1, "")
	}
	return nil
}

func validate(e *Event) error {
	switch e.Type {
	case "":
		return errAt("type", "is required")
	case ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent:
	default:
		return errAt("type", "must be an EPCIS 2.0 event type, not %q", e.Type)
	}
	if e.EventTime.IsZero() {
		return errAt("eventTime", "is required")
	}
	if e.EventTimeZoneOffset == "" {
		return errAt("eventTimeZoneOffset", "is required")
	}
	if !validOffset(e.EventTimeZoneOffset) {
		return errAt("eventTimeZoneOffset", "must be a time zone offset ±hh:mm, not %q", e.EventTimeZoneOffset)
	}
	if e.EventID != "" && !isURI(e.EventID) {
		return errAt("eventID", "must be a URI (ni:///sha-256;… or urn:uuid:…), not %q", e.EventID)
	}
	if e.CertificationInfo != "" && !isURI(e.CertificationInfo) {
		return errAt("certificationInfo", "must be a URI")
	}
	if d := e.ErrorDeclaration; d != nil {
		if d.DeclarationTime.IsZero() {
			return errAt("errorDeclaration.declarationTime", "is required")
		}
		if d.Reason != "" && !errorReasons().has(d.Reason) && !isURI(d.Reason) {
			return errAt("errorDeclaration.reason", "must be a CBV error reason or a URI, not %q", d.Reason)
		}
	}

	if e.Type == TransformationEvent {
		if e.Action != "" {
			return errAt("action", "must be absent on a TransformationEvent")
		}
		if len(e.InputEPCList)+len(e.InputQuantityList)+len(e.OutputEPCList)+len(e.OutputQuantityList) == 0 {
			return errAt("", "a TransformationEvent must have inputs or outputs")
		}
	} else {
		switch e.Action {
		case "":
			return errAt("action", "is required on an %s", e.Type)
		case Add, Observe, Delete:
		default:
			return errAt("action", "must be ADD, OBSERVE or DELETE, not %q", e.Action)
		}
		if n := len(e.InputEPCList) + len(e.InputQuantityList) + len(e.OutputEPCList) + len(e.OutputQuantityList); n > 0 || e.TransformationID != "" {
			return errAt("", "inputs, outputs and transformationID belong to TransformationEvents only")
		}
	}
	switch e.Type {
	case AggregationEvent, AssociationEvent:
		if e.ParentID == "" && (e.Action != Observe || e.Type == AssociationEvent) {
			return errAt("parentID", "is required on an %s with action %s", e.Type, e.Action)
		}
		if len(e.EPCList) > 0 || len(e.QuantityList) > 0 {
			return errAt("", "an %s lists its children in childEPCs and childQuantityList", e.Type)
		}
	case TransactionEvent:
		if len(e.BizTransactionList) == 0 {
			return errAt("bizTransactionList", "is required on a TransactionEvent")
		}
		if len(e.ChildEPCs)+len(e.ChildQuantityList) > 0 {
			return errAt("", "childEPCs and childQuantityList belong to AggregationEvents and AssociationEvents")
		}
	case ObjectEvent, TransformationEvent:
		if e.ParentID != "" || len(e.ChildEPCs)+len(e.ChildQuantityList) > 0 {
			return errAt("", "parentID and children belong to AggregationEvents, TransactionEvents and AssociationEvents")
		}
	}
	if e.ILMD != nil && !(e.Type == TransformationEvent || e.Type == ObjectEvent && e.Action == Add) {
		return errAt("ilmd", "is allowed only on an ObjectEvent with action ADD or a TransformationEvent")
	}

	if e.ParentID != "" {
		if err := checkID(e.ParentID); err != nil {
			return under("parentID", err)
		}
	}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"epcList", e.EPCList}, {"childEPCs", e.ChildEPCs}, {"inputEPCList", e.InputEPCList}, {"outputEPCList", e.OutputEPCList}} {
		for i, id := range l.ids {
			if err := checkID(id); err != nil {
				return under(idx(l.name, i), err)
			}
		}
	}
	for _, l := range []struct {
		name string
		qs   []Quantity
	}{{"quantityList", e.QuantityList}, {"childQuantityList", e.ChildQuantityList}, {"inputQuantityList", e.InputQuantityList}, {"outputQuantityList", e.OutputQuantityList}} {
		for i := range l.qs {
			if err := checkQuantity(&l.qs[i]); err != nil {
				return under(idx(l.name, i), err)
			}
		}
	}
	if e.TransformationID != "" && !isURI(e.TransformationID) {
		return errAt("transformationID", "must be a URI")
	}
	if e.BizStep != "" && !bizSteps().has(e.BizStep) && !isURI(e.BizStep) {
		return errAt("bizStep", "must be a CBV business step or a URI, not %q", e.BizStep)
	}
	if e.Disposition != "" && !dispositions().has(e.Disposition) && !isURI(e.Disposition) {
		return errAt("disposition", "must be a CBV disposition or a URI, not %q", e.Disposition)
	}
	if p := e.PersistentDisposition; p != nil {
		for _, l := range []struct {
			name string
			ds   []string
		}{{"persistentDisposition.set", p.Set}, {"persistentDisposition.unset", p.Unset}} {
			for i, d := range l.ds {
				if !dispositions().has(d) && !isURI(d) {
					return errAt(idx(l.name, i), "must be a CBV disposition or a URI, not %q", d)
				}
			}
		}
	}
	for _, l := range []struct {
		name string
		loc  *Location
	}{{"readPoint", e.ReadPoint}, {"bizLocation", e.BizLocation}} {
		if l.loc == nil {
			continue
		}
		if err := checkID(l.loc.ID); err != nil {
			return under(l.name+".id", err)
		}
	}
	for i, t := range e.BizTransactionList {
		if t.Type != "" && !bizTransactionTypes().has(t.Type) && !isURI(t.Type) {
			return errAt(idx("bizTransactionList", i)+".type", "must be a CBV business transaction type or a URI, not %q", t.Type)
		}
		if !isURI(t.BizTransaction) {
			return errAt(idx("bizTransactionList", i)+".bizTransaction", "must be a URI")
		}
	}
	for i, s := range e.SourceList {
		if err := checkSourceDest(s.Type, s.Source); err != nil {
			return under(idx("sourceList", i), err)
		}
	}
	for i, d := range e.DestinationList {
		if err := checkSourceDest(d.Type, d.Destination); err != nil {
			return under(idx("destinationList", i), err)
		}
	}
	for i := range e.SensorElementList {
		if err := checkSensorElement(&e.SensorElementList[i]); err != nil {
			return under(idx("sensorElementList", i), err)
		}
	}
	return nil
}

// checkID checks an identifier: a URI, and a valid GS1 key when it is
// written as one.
func checkID(id string) error {
	if !isURI(id) {
		return errAt("", "must be a URI (EPC URN or GS1 Digital Link), not %q", id)
	}
	if _, err := ParseKey(id); err != nil && !IsNotAKey(err) {
		return errAt("", "is not a valid GS1 key: %v", err)
	}
	return nil
}

func checkQuantity(q *Quantity) error {
	if q.EPCClass == "" {
		return errAt("epcClass", "is required")
	}
	if err := checkID(q.EPCClass); err != nil {
		return under("epcClass", err)
	}
	if q.Quantity != nil {
		f := *q.Quantity
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return errAt("quantity", "must be a finite, non-negative number")
		}
		if q.UOM == "" && f != math.Trunc(f) {
			return errAt("quantity", "must be a whole number when it counts instances (no uom)")
		}
	}
	if q.UOM != "" {
		if q.Quantity == nil {
			return errAt("uom", "requires a quantity")
		}
		if !validUOM(q.UOM) {
			return errAt("uom", "must be a UN/CEFACT Rec 20 code, not %q", q.UOM)
		}
	}
	return nil
}

func checkSourceDest(typ, id string) error {
	if !sourceDestTypes().has(typ) && !isURI(typ) {
		return errAt("type", "must be a CBV source/destination type or a URI, not %q", typ)
	}
	if !isURI(id) {
		return errAt("", "must be a URI, not %q", id)
	}
	return nil
}

func checkSensorElement(s *SensorElement) error {
	if len(s.SensorReport) == 0 {
		return errAt("sensorReport", "must hold at least one report")
	}
	if m := s.SensorMetadata; m != nil {
		if err := checkSpan(m.StartTime, m.EndTime); err != nil {
			return under("sensorMetadata", err)
		}
	}
	for i := range s.SensorReport {
		r := &s.SensorReport[i]
		path := idx("sensorReport", i)
		if r.Type == "" {
			return errAt(path+".type", "is required")
		}
		if !measurementTypes().has(r.Type) && !isURI(r.Type) {
			return errAt(path+".type", "must be a GS1 measurement type or a URI, not %q", r.Type)
		}
		if r.Exception != "" && !sensorAlertTypes().has(r.Exception) && !isURI(r.Exception) {
			return errAt(path+".exception", "must be ALARM_CONDITION, ERROR_CONDITION or a URI, not %q", r.Exception)
		}
		for _, n := range []struct {
			name string
			v    *float64
		}{{"value", r.Value}, {"minValue", r.MinValue}, {"maxValue", r.MaxValue}, {"meanValue", r.MeanValue}, {"sDev", r.SDev}, {"percRank", r.PercRank}, {"percValue", r.PercValue}} {
			if n.v != nil && (math.IsNaN(*n.v) || math.IsInf(*n.v, 0)) {
				return errAt(path+"."+n.name, "must be a finite number")
			}
		}
		if r.MinValue != nil && r.MaxValue != nil && *r.MinValue > *r.MaxValue {
			return errAt(path+".minValue", "must not exceed maxValue")
		}
		if r.SDev != nil && *r.SDev < 0 {
			return errAt(path+".sDev", "must not be negative")
		}
		if r.PercRank != nil && (*r.PercRank < 0 || *r.PercRank > 100) {
			return errAt(path+".percRank", "must be between 0 and 100")
		}
		if r.UOM != "" && !validUOM(r.UOM) {
			return errAt(path+".uom", "must be a UN/CEFACT Rec 20 code, not %q", r.UOM)
		}
		if r.HexBinaryValue != "" && !isHex(r.HexBinaryValue) {
			return errAt(path+".hexBinaryValue", "must be an even number of hexadecimal digits")
		}
		if r.Component != "" && !components().has(r.Component) && !isURI(r.Component) {
			return errAt(path+".component", "must be a CBV component or a URI, not %q", r.Component)
		}
	}
	return nil
}

func checkSpan(start, end *time.Time) error {
	if start != nil && end != nil && end.Before(*start) {
		return errAt("endTime", "must not be before startTime")
	}
	return nil
}

// isURI reports whether s has a URI scheme followed by something, and no
// spaces: what EPCIS can check of a URI without knowing its scheme.
func isURI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i == len(s)-1 || hasSpace(s) {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// hasSpace reports whether s holds a space, tab or line break, which no
// URI may.
func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			return true
		}
	}
	return false
}

// validUOM reports whether s has the shape of a UN/CEFACT Rec 20 code:
// two or three upper-case letters or digits.
func validUOM(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
