package epcis

import (
	"encoding/json"
	"maps"
)

// UnmarshalJSON reads one event of the EPCIS 2.0 JSON/JSON-LD binding.
// Namespaced keys the standard does not define go to Extensions; any
// other unknown key is refused. CBV vocabulary in any spelling (bare
// term, urn:epcglobal:cbv:…, https://ref.gs1.org/cbv/…, cbv:…) is
// normalised to the bare term; other URIs are kept as given. It checks
// the shape of each member but not the rules between them: see Validate.
func (e *Event) UnmarshalJSON(b []byte) error {
	return e.read(b, nil)
}

// read is UnmarshalJSON with the namespace prefixes of the enclosing
// document, which the event shares unless it has its own @context.
func (e *Event) read(b []byte, ctx map[string]string) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*e = Event{Context: ctx}
	for _, k := range keys {
		if err := e.set(k, m[k]); err != nil {
			return under(k, err)
		}
	}
	return nil
}

func (e *Event) set(k string, v json.RawMessage) error {
	var err error
	switch k {
	case "@context":
		own := maps.Clone(e.Context)
		if own == nil {
			own = map[string]string{}
		}
		err = readContext(v, own)
		e.Context = own
	case "type":
		var s string
		if s, err = readString(v); err == nil {
			switch t := Type(s); t {
			case ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent:
				e.Type = t
			default:
				err = errAt("", "must be one of ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent, not %q", s)
			}
		}
	case "eventID":
		e.EventID, err = readURI(v)
	case "eventTime":
		e.EventTime, err = readTime(v)
	case "eventTimeZoneOffset":
		e.EventTimeZoneOffset, err = readString(v)
		if err == nil && !validOffset(e.EventTimeZoneOffset) {
			err = errAt("", "must be a time zone offset ±hh:mm, not %q", e.EventTimeZoneOffset)
		}
	case "recordTime":
		e.RecordTime, err = readTimePtr(v)
	case "errorDeclaration":
		e.ErrorDeclaration = new(ErrorDeclaration)
		err = e.ErrorDeclaration.UnmarshalJSON(v)
	case "certificationInfo":
		e.CertificationInfo, err = readCertificationInfo(v)
	case "parentID":
		e.ParentID, err = readURI(v)
	case "epcList":
		e.EPCList, err = readStrings(v, readURI)
	case "childEPCs":
		e.ChildEPCs, err = readStrings(v, readURI)
	case "inputEPCList":
		e.InputEPCList, err = readStrings(v, readURI)
	case "outputEPCList":
		e.OutputEPCList, err = readStrings(v, readURI)
	case "quantityList":
		e.QuantityList, err = readList(v, (*Quantity).read)
	case "childQuantityList":
		e.ChildQuantityList, err = readList(v, (*Quantity).read)
	case "inputQuantityList":
		e.InputQuantityList, err = readList(v, (*Quantity).read)
	case "outputQuantityList":
		e.OutputQuantityList, err = readList(v, (*Quantity).read)
	case "transformationID":
		e.TransformationID, err = readURI(v)
	case "action":
		var s string
		if s, err = readString(v); err == nil {
			switch a := Action(s); a {
			case Add, Observe, Delete:
				e.Action = a
			default:
				err = errAt("", "must be ADD, OBSERVE or DELETE, not %q", s)
			}
		}
	case "bizStep":
		e.BizStep, err = readURI(v)
		e.BizStep = bizSteps().norm(e.BizStep)
	case "disposition":
		e.Disposition, err = readURI(v)
		e.Disposition = dispositions().norm(e.Disposition)
	case "persistentDisposition":
		e.PersistentDisposition = new(PersistentDisposition)
		err = e.PersistentDisposition.UnmarshalJSON(v)
	case "readPoint":
		e.ReadPoint = new(Location)
		err = e.ReadPoint.UnmarshalJSON(v)
	case "bizLocation":
		e.BizLocation = new(Location)
		err = e.BizLocation.UnmarshalJSON(v)
	case "bizTransactionList":
		e.BizTransactionList, err = readList(v, func(t *BizTransaction, b json.RawMessage) error { return t.UnmarshalJSON(b) })
	case "sourceList":
		e.SourceList, err = readList(v, func(t *Source, b json.RawMessage) error { return t.UnmarshalJSON(b) })
	case "destinationList":
		e.DestinationList, err = readList(v, func(t *Destination, b json.RawMessage) error { return t.UnmarshalJSON(b) })
	case "sensorElementList":
		e.SensorElementList, err = readList(v, func(t *SensorElement, b json.RawMessage) error { return t.UnmarshalJSON(b) })
	case "ilmd":
		var m map[string]json.RawMessage
		if m, _, err = members(v); err == nil {
			e.ILMD = m
		}
	default:
		return unknown(&e.Extensions, k, v)
	}
	return err
}

// read is the UnmarshalJSON of a QuantityElement.
func (q *Quantity) read(b json.RawMessage) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*q = Quantity{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "epcClass":
			q.EPCClass, err = readURI(v)
		case "quantity":
			q.Quantity, err = readNumber(v)
		case "uom":
			q.UOM, err = readString(v)
		default:
			// QuantityElement has no extension point in EPCIS 2.0.
			err = errAt("", "is not a member of a quantity element")
		}
		if err != nil {
			return under(k, err)
		}
	}
	return nil
}

// UnmarshalJSON reads a QuantityElement.
func (q *Quantity) UnmarshalJSON(b []byte) error { return q.read(b) }

// UnmarshalJSON reads a readPoint or bizLocation.
func (l *Location) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*l = Location{}
	for _, k := range keys {
		if k == "id" {
			l.ID, err = readURI(m[k])
		} else {
			err = unknown(&l.Extensions, k, m[k])
		}
		if err != nil {
			return under(k, err)
		}
	}
	if l.ID == "" {
		return errAt("id", "is required")
	}
	return nil
}

// UnmarshalJSON reads a bizTransaction, normalising a CBV type.
func (t *BizTransaction) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*t = BizTransaction{}
	for _, k := range keys {
		switch k {
		case "type":
			t.Type, err = readURI(m[k])
			t.Type = bizTransactionTypes().norm(t.Type)
		case "bizTransaction":
			t.BizTransaction, err = readURI(m[k])
		default:
			err = errAt("", "is not a member of a business transaction")
		}
		if err != nil {
			return under(k, err)
		}
	}
	if t.BizTransaction == "" {
		return errAt("bizTransaction", "is required")
	}
	return nil
}

// UnmarshalJSON reads a source, normalising a CBV type.
func (s *Source) UnmarshalJSON(b []byte) error {
	typ, id, err := readSourceDest(b, "source")
	*s = Source{Type: typ, Source: id}
	return err
}

// UnmarshalJSON reads a destination, normalising a CBV type.
func (d *Destination) UnmarshalJSON(b []byte) error {
	typ, id, err := readSourceDest(b, "destination")
	*d = Destination{Type: typ, Destination: id}
	return err
}

func readSourceDest(b []byte, name string) (typ, id string, err error) {
	m, keys, err := members(b)
	if err != nil {
		return "", "", err
	}
	for _, k := range keys {
		switch k {
		case "type":
			typ, err = readURI(m[k])
			typ = sourceDestTypes().norm(typ)
		case name:
			id, err = readURI(m[k])
		default:
			err = errAt("", "is not a member of a %s", name)
		}
		if err != nil {
			return "", "", under(k, err)
		}
	}
	if typ == "" {
		return "", "", errAt("type", "is required")
	}
	if id == "" {
		return "", "", errAt(name, "is required")
	}
	return typ, id, nil
}

// UnmarshalJSON reads persistentDisposition, normalising CBV terms.
func (p *PersistentDisposition) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*p = PersistentDisposition{}
	for _, k := range keys {
		switch k {
		case "set":
			p.Set, err = readStrings(m[k], readDisposition)
		case "unset":
			p.Unset, err = readStrings(m[k], readDisposition)
		default:
			err = errAt("", "is not a member of persistentDisposition")
		}
		if err != nil {
			return under(k, err)
		}
	}
	return nil
}

func readDisposition(v json.RawMessage) (string, error) {
	s, err := readURI(v)
	return dispositions().norm(s), err
}

// UnmarshalJSON reads an errorDeclaration, normalising a CBV reason.
func (d *ErrorDeclaration) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*d = ErrorDeclaration{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "declarationTime":
			d.DeclarationTime, err = readTime(v)
		case "reason":
			d.Reason, err = readURI(v)
			d.Reason = errorReasons().norm(d.Reason)
		case "correctiveEventIDs":
			d.CorrectiveEventIDs, err = readStrings(v, readURI)
		default:
			err = unknown(&d.Extensions, k, v)
		}
		if err != nil {
			return under(k, err)
		}
	}
	return nil
}

// UnmarshalJSON reads a sensorElement.
func (s *SensorElement) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*s = SensorElement{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "type":
			s.Type, err = readString(v)
		case "sensorMetadata":
			s.SensorMetadata = new(SensorMetadata)
			err = s.SensorMetadata.UnmarshalJSON(v)
		case "sensorReport":
			s.SensorReport, err = readList(v, func(r *SensorReport, b json.RawMessage) error { return r.UnmarshalJSON(b) })
		default:
			err = unknown(&s.Extensions, k, v)
		}
		if err != nil {
			return under(k, err)
		}
	}
	return nil
}

// UnmarshalJSON reads sensorMetadata.
func (s *SensorMetadata) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*s = SensorMetadata{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "time":
			s.Time, err = readTimePtr(v)
		case "startTime":
			s.StartTime, err = readTimePtr(v)
		case "endTime":
			s.EndTime, err = readTimePtr(v)
		case "deviceID":
			s.DeviceID, err = readURI(v)
		case "bizRules":
			s.BizRules, err = readURI(v)
		case "deviceMetadata":
			s.DeviceMetadata, err = readURI(v)
		case "rawData":
			s.RawData, err = readURI(v)
		case "dataProcessingMethod":
			s.DataProcessingMethod, err = readURI(v)
		default:
			err = unknown(&s.Extensions, k, v)
		}
		if err != nil {
			return under(k, err)
		}
	}
	return nil
}

// UnmarshalJSON reads a sensorReport, normalising the measurement type
// (gs1:Temperature, Temperature, https://gs1.org/voc/Temperature →
// Temperature), the alert type and a CBV component.
func (r *SensorReport) UnmarshalJSON(b []byte) error {
	m, keys, err := members(b)
	if err != nil {
		return err
	}
	*r = SensorReport{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "type":
			r.Type, err = readURI(v)
			r.Type = measurementTypes().norm(r.Type)
		case "exception":
			r.Exception, err = readURI(v)
			r.Exception = sensorAlertTypes().norm(r.Exception)
		case "deviceID":
			r.DeviceID, err = readURI(v)
		case "time":
			r.Time, err = readTimePtr(v)
		case "value":
			r.Value, err = readNumber(v)
		case "minValue":
			r.MinValue, err = readNumber(v)
		case "maxValue":
			r.MaxValue, err = readNumber(v)
		case "meanValue":
			r.MeanValue, err = readNumber(v)
		case "sDev":
			r.SDev, err = readNumber(v)
		case "percRank":
			r.PercRank, err = readNumber(v)
		case "percValue":
			r.PercValue, err = readNumber(v)
		case "uom":
			r.UOM, err = readString(v)
		case "stringValue":
			r.StringVal, err = readString(v)
		case "booleanValue":
			r.BoolVal, err = readBool(v)
		case "hexBinaryValue":
			r.HexBinaryValue, err = readString(v)
		case "uriValue":
			r.URIValue, err = readURI(v)
		case "component":
			r.Component, err = readURI(v)
			r.Component = components().norm(r.Component)
		case "deviceMetadata":
			r.DeviceMetadata, err = readURI(v)
		case "rawData":
			r.RawData, err = readURI(v)
		case "dataProcessingMethod":
			r.DataProcessingMethod, err = readURI(v)
		case "microorganism":
			r.Microorganism, err = readURI(v)
		case "chemicalSubstance":
			r.ChemicalSubstance, err = readURI(v)
		case "bizRules":
			r.BizRules, err = readURI(v)
		case "coordinateReferenceSystem":
			r.CoordinateReferenceSystem, err = readURI(v)
		default:
			err = unknown(&r.Extensions, k, v)
		}
		if err != nil {
			return under(k, err)
		}
	}
	return nil
}

// readCertificationInfo reads certificationInfo, which JSON-LD lets be a
// URI or a set of URIs. The model holds one: a set of one is accepted,
// larger sets are refused rather than silently cut.
func readCertificationInfo(v json.RawMessage) (string, error) {
	if len(v) > 0 && v[0] == '[' {
		l, err := readStrings(v, readURI)
		if err != nil {
			return "", err
		}
		if len(l) != 1 {
			return "", errAt("", "must be a single URI; this service keeps one certificationInfo per event")
		}
		return l[0], nil
	}
	return readURI(v)
}
