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
	*e = Event{Context: ctx}
	l := &lexer{s: string(b)}
	if err := l.object(func(k string) error {
		if err := e.set(l, k); err != nil {
			return under(k, err)
		}
		return nil
	}); err != nil {
		return err
	}
	return l.end()
}

// unmarshalWith is UnmarshalJSON for the parts of an event.
func unmarshalWith(b []byte, read func(*lexer) error) error {
	l := &lexer{s: string(b)}
	if err := read(l); err != nil {
		return err
	}
	return l.end()
}

// list reads an array of objects with read.
func readList[T any](l *lexer, read func(*T, *lexer) error) ([]T, error) {
	out := []T{}
	err := l.array(func(i int) error {
		var zero T
		out = append(out, zero)
		if err := read(&out[i], l); err != nil {
			return under(itoa(i), err)
		}
		return nil
	})
	return out, err
}

func (e *Event) set(l *lexer, k string) error {
	var err error
	switch k {
	case "@context":
		var raw json.RawMessage
		if raw, err = l.raw(); err != nil {
			return err
		}
		own := maps.Clone(e.Context)
		if own == nil {
			own = map[string]string{}
		}
		err = readContext(raw, own)
		e.Context = own
	case "type":
		var s string
		if s, err = l.str(); err == nil {
			switch t := Type(s); t {
			case ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent:
				e.Type = t
			default:
				err = errAt("", "must be one of ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent, not %q", s)
			}
		}
	case "eventID":
		e.EventID, err = l.uri()
	case "eventTime":
		e.EventTime, err = l.time()
	case "eventTimeZoneOffset":
		e.EventTimeZoneOffset, err = l.str()
		if err == nil && !validOffset(e.EventTimeZoneOffset) {
			err = errAt("", "must be a time zone offset ±hh:mm, not %q", e.EventTimeZoneOffset)
		}
	case "recordTime":
		e.RecordTime, err = l.timePtr()
	case "errorDeclaration":
		e.ErrorDeclaration = new(ErrorDeclaration)
		err = e.ErrorDeclaration.readFrom(l)
	case "certificationInfo":
		e.CertificationInfo, err = readCertificationInfo(l)
	case "parentID":
		e.ParentID, err = l.uri()
	case "epcList":
		e.EPCList, err = l.uris()
	case "childEPCs":
		e.ChildEPCs, err = l.uris()
	case "inputEPCList":
		e.InputEPCList, err = l.uris()
	case "outputEPCList":
		e.OutputEPCList, err = l.uris()
	case "quantityList":
		e.QuantityList, err = readList(l, (*Quantity).readFrom)
	case "childQuantityList":
		e.ChildQuantityList, err = readList(l, (*Quantity).readFrom)
	case "inputQuantityList":
		e.InputQuantityList, err = readList(l, (*Quantity).readFrom)
	case "outputQuantityList":
		e.OutputQuantityList, err = readList(l, (*Quantity).readFrom)
	case "transformationID":
		e.TransformationID, err = l.uri()
	case "action":
		var s string
		if s, err = l.str(); err == nil {
			switch a := Action(s); a {
			case Add, Observe, Delete:
				e.Action = a
			default:
				err = errAt("", "must be ADD, OBSERVE or DELETE, not %q", s)
			}
		}
	case "bizStep":
		e.BizStep, err = l.uri()
		e.BizStep = NormBizStep(e.BizStep)
	case "disposition":
		e.Disposition, err = l.uri()
		e.Disposition = dispositions().norm(e.Disposition)
	case "persistentDisposition":
		e.PersistentDisposition = new(PersistentDisposition)
		err = e.PersistentDisposition.readFrom(l)
	case "readPoint":
		e.ReadPoint = new(Location)
		err = e.ReadPoint.readFrom(l)
	case "bizLocation":
		e.BizLocation = new(Location)
		err = e.BizLocation.readFrom(l)
	case "bizTransactionList":
		e.BizTransactionList, err = readList(l, (*BizTransaction).readFrom)
	case "sourceList":
		e.SourceList, err = readList(l, (*Source).readFrom)
	case "destinationList":
		e.DestinationList, err = readList(l, (*Destination).readFrom)
	case "sensorElementList":
		e.SensorElementList, err = readList(l, (*SensorElement).readFrom)
	case "ilmd":
		m := map[string]json.RawMessage{}
		err = l.object(func(k string) error {
			v, err := l.raw()
			if err != nil {
				return under(k, err)
			}
			m[k] = v
			return nil
		})
		e.ILMD = m
	default:
		return l.ext(&e.Extensions, k)
	}
	return err
}

// readCertificationInfo reads certificationInfo, which JSON-LD lets be a
// URI or a set of URIs. The model holds one: a set of one is accepted,
// larger sets are refused rather than silently cut.
func readCertificationInfo(l *lexer) (string, error) {
	if l.peek() == '[' {
		list, err := l.uris()
		if err != nil {
			return "", err
		}
		if len(list) != 1 {
			return "", errAt("", "must be a single URI; this service keeps one certificationInfo per event")
		}
		return list[0], nil
	}
	return l.uri()
}

// UnmarshalJSON reads a QuantityElement.
func (q *Quantity) UnmarshalJSON(b []byte) error { return unmarshalWith(b, q.readFrom) }

func (q *Quantity) readFrom(l *lexer) error {
	*q = Quantity{}
	return l.object(func(k string) error {
		var err error
		switch k {
		case "epcClass":
			q.EPCClass, err = l.uri()
		case "quantity":
			q.Quantity, err = l.num()
		case "uom":
			q.UOM, err = l.str()
		default:
			// QuantityElement has no extension point in EPCIS 2.0.
			err = errAt("", "is not a member of a quantity element")
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
}

// UnmarshalJSON reads a readPoint or bizLocation.
func (loc *Location) UnmarshalJSON(b []byte) error { return unmarshalWith(b, loc.readFrom) }

func (loc *Location) readFrom(l *lexer) error {
	*loc = Location{}
	err := l.object(func(k string) error {
		var err error
		if k == "id" {
			loc.ID, err = l.uri()
		} else {
			err = l.ext(&loc.Extensions, k)
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
	if err == nil && loc.ID == "" {
		err = errAt("id", "is required")
	}
	return err
}

// UnmarshalJSON reads a bizTransaction, normalising a CBV type.
func (t *BizTransaction) UnmarshalJSON(b []byte) error { return unmarshalWith(b, t.readFrom) }

func (t *BizTransaction) readFrom(l *lexer) error {
	*t = BizTransaction{}
	err := l.object(func(k string) error {
		var err error
		switch k {
		case "type":
			t.Type, err = l.uri()
			t.Type = bizTransactionTypes().norm(t.Type)
		case "bizTransaction":
			t.BizTransaction, err = l.uri()
		default:
			err = errAt("", "is not a member of a business transaction")
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
	if err == nil && t.BizTransaction == "" {
		err = errAt("bizTransaction", "is required")
	}
	return err
}

// UnmarshalJSON reads a source, normalising a CBV type.
func (s *Source) UnmarshalJSON(b []byte) error { return unmarshalWith(b, s.readFrom) }

func (s *Source) readFrom(l *lexer) error {
	var err error
	s.Type, s.Source, err = readSourceDest(l, "source")
	return err
}

// UnmarshalJSON reads a destination, normalising a CBV type.
func (d *Destination) UnmarshalJSON(b []byte) error { return unmarshalWith(b, d.readFrom) }

func (d *Destination) readFrom(l *lexer) error {
	var err error
	d.Type, d.Destination, err = readSourceDest(l, "destination")
	return err
}

func readSourceDest(l *lexer, name string) (typ, id string, err error) {
	err = l.object(func(k string) error {
		var err error
		switch k {
		case "type":
			typ, err = l.uri()
			typ = sourceDestTypes().norm(typ)
		case name:
			id, err = l.uri()
		default:
			err = errAt("", "is not a member of a %s", name)
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
	switch {
	case err != nil:
		return "", "", err
	case typ == "":
		return "", "", errAt("type", "is required")
	case id == "":
		return "", "", errAt(name, "is required")
	}
	return typ, id, nil
}

// UnmarshalJSON reads persistentDisposition, normalising CBV terms.
func (p *PersistentDisposition) UnmarshalJSON(b []byte) error { return unmarshalWith(b, p.readFrom) }

func (p *PersistentDisposition) readFrom(l *lexer) error {
	*p = PersistentDisposition{}
	return l.object(func(k string) error {
		var (
			list []string
			err  error
		)
		switch k {
		case "set", "unset":
			if list, err = l.uris(); err == nil {
				for i, d := range list {
					list[i] = dispositions().norm(d)
				}
			}
			if k == "set" {
				p.Set = list
			} else {
				p.Unset = list
			}
		default:
			err = errAt("", "is not a member of persistentDisposition")
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
}

// UnmarshalJSON reads an errorDeclaration, normalising a CBV reason.
func (d *ErrorDeclaration) UnmarshalJSON(b []byte) error { return unmarshalWith(b, d.readFrom) }

func (d *ErrorDeclaration) readFrom(l *lexer) error {
	*d = ErrorDeclaration{}
	return l.object(func(k string) error {
		var err error
		switch k {
		case "declarationTime":
			d.DeclarationTime, err = l.time()
		case "reason":
			d.Reason, err = l.uri()
			d.Reason = errorReasons().norm(d.Reason)
		case "correctiveEventIDs":
			d.CorrectiveEventIDs, err = l.uris()
		default:
			err = l.ext(&d.Extensions, k)
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
}

// UnmarshalJSON reads a sensorElement.
func (s *SensorElement) UnmarshalJSON(b []byte) error { return unmarshalWith(b, s.readFrom) }

func (s *SensorElement) readFrom(l *lexer) error {
	*s = SensorElement{}
	return l.object(func(k string) error {
		var err error
		switch k {
		case "type":
			s.Type, err = l.str()
		case "sensorMetadata":
			s.SensorMetadata = new(SensorMetadata)
			err = s.SensorMetadata.readFrom(l)
		case "sensorReport":
			s.SensorReport, err = readList(l, (*SensorReport).readFrom)
		default:
			err = l.ext(&s.Extensions, k)
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
}

// UnmarshalJSON reads sensorMetadata.
func (m *SensorMetadata) UnmarshalJSON(b []byte) error { return unmarshalWith(b, m.readFrom) }

func (m *SensorMetadata) readFrom(l *lexer) error {
	*m = SensorMetadata{}
	return l.object(func(k string) error {
		var err error
		switch k {
		case "time":
			m.Time, err = l.timePtr()
		case "startTime":
			m.StartTime, err = l.timePtr()
		case "endTime":
			m.EndTime, err = l.timePtr()
		case "deviceID":
			m.DeviceID, err = l.uri()
		case "bizRules":
			m.BizRules, err = l.uri()
		case "deviceMetadata":
			m.DeviceMetadata, err = l.uri()
		case "rawData":
			m.RawData, err = l.uri()
		case "dataProcessingMethod":
			m.DataProcessingMethod, err = l.uri()
		default:
			err = l.ext(&m.Extensions, k)
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
}

// UnmarshalJSON reads a sensorReport, normalising the measurement type
// (gs1:Temperature, Temperature, https://gs1.org/voc/Temperature →
// Temperature), the alert type and a CBV component.
func (r *SensorReport) UnmarshalJSON(b []byte) error { return unmarshalWith(b, r.readFrom) }

func (r *SensorReport) readFrom(l *lexer) error {
	*r = SensorReport{}
	return l.object(func(k string) error {
		var err error
		switch k {
		case "type":
			r.Type, err = l.uri()
			r.Type = measurementTypes().norm(r.Type)
		case "exception":
			r.Exception, err = l.uri()
			r.Exception = sensorAlertTypes().norm(r.Exception)
		case "deviceID":
			r.DeviceID, err = l.uri()
		case "time":
			r.Time, err = l.timePtr()
		case "value":
			r.Value, err = l.num()
		case "minValue":
			r.MinValue, err = l.num()
		case "maxValue":
			r.MaxValue, err = l.num()
		case "meanValue":
			r.MeanValue, err = l.num()
		case "sDev":
			r.SDev, err = l.num()
		case "percRank":
			r.PercRank, err = l.num()
		case "percValue":
			r.PercValue, err = l.num()
		case "uom":
			r.UOM, err = l.str()
		case "stringValue":
			r.StringVal, err = l.str()
		case "booleanValue":
			r.BoolVal, err = l.boolean()
		case "hexBinaryValue":
			r.HexBinaryValue, err = l.str()
		case "uriValue":
			r.URIValue, err = l.uri()
		case "component":
			r.Component, err = l.uri()
			r.Component = components().norm(r.Component)
		case "deviceMetadata":
			r.DeviceMetadata, err = l.uri()
		case "rawData":
			r.RawData, err = l.uri()
		case "dataProcessingMethod":
			r.DataProcessingMethod, err = l.uri()
		case "microorganism":
			r.Microorganism, err = l.uri()
		case "chemicalSubstance":
			r.ChemicalSubstance, err = l.uri()
		case "bizRules":
			r.BizRules, err = l.uri()
		case "coordinateReferenceSystem":
			r.CoordinateReferenceSystem, err = l.uri()
		default:
			err = l.ext(&r.Extensions, k)
		}
		if err != nil {
			return under(k, err)
		}
		return nil
	})
}
