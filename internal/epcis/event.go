// Package epcis speaks GS1 EPCIS 2.0 with CBV 2.0: the event model every
// recording is written in, the JSON/JSON-LD binding partners send and
// receive, the canonical event hash that names an event, and the GS1 keys
// (EPC URNs and Digital Link URIs) events refer to goods and places by.
//
// It knows nothing of the database or of HTTP: the event log stores the
// events this package describes, and the /epcis binding reads and writes
// them.
package epcis

import (
	"encoding/json"
	"time"
)

// Type is an EPCIS event type.
type Type string

// The five event types of EPCIS 2.0.
const (
	ObjectEvent         Type = "ObjectEvent"
	AggregationEvent    Type = "AggregationEvent"
	TransformationEvent Type = "TransformationEvent"
	TransactionEvent    Type = "TransactionEvent"
	AssociationEvent    Type = "AssociationEvent"
)

// Types lists the event types in the order /epcis/eventTypes gives them.
func Types() []Type {
	return []Type{ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent}
}

// Action is what an event did to the objects it names.
type Action string

// The actions of EPCIS 2.0. A TransformationEvent has none.
const (
	Add     Action = "ADD"
	Observe Action = "OBSERVE"
	Delete  Action = "DELETE"
)

// Event is one EPCIS 2.0 event of any type; which fields apply depends on
// Type, as in the standard. Times keep the offset they were given in:
// EventTimeZoneOffset is the offset the event happened at, and EventTime
// is in that offset.
type Event struct {
	Type    Type   `json:"type"`
	EventID string `json:"eventID,omitempty"`

	EventTime           time.Time         `json:"eventTime"`
	EventTimeZoneOffset string            `json:"eventTimeZoneOffset"`
	RecordTime          *time.Time        `json:"recordTime,omitempty"`
	ErrorDeclaration    *ErrorDeclaration `json:"errorDeclaration,omitempty"`
	CertificationInfo   string            `json:"certificationInfo,omitempty"`

	// What.
	ParentID           string     `json:"parentID,omitempty"`
	EPCList            []string   `json:"epcList,omitempty"`
	QuantityList       []Quantity `json:"quantityList,omitempty"`
	ChildEPCs          []string   `json:"childEPCs,omitempty"`
	ChildQuantityList  []Quantity `json:"childQuantityList,omitempty"`
	InputEPCList       []string   `json:"inputEPCList,omitempty"`
	InputQuantityList  []Quantity `json:"inputQuantityList,omitempty"`
	OutputEPCList      []string   `json:"outputEPCList,omitempty"`
	OutputQuantityList []Quantity `json:"outputQuantityList,omitempty"`
	TransformationID   string     `json:"transformationID,omitempty"`

	Action      Action `json:"action,omitempty"`
	BizStep     string `json:"bizStep,omitempty"`
	Disposition string `json:"disposition,omitempty"`

	PersistentDisposition *PersistentDisposition `json:"persistentDisposition,omitempty"`

	// Where.
	ReadPoint   *Location `json:"readPoint,omitempty"`
	BizLocation *Location `json:"bizLocation,omitempty"`

	// Why.
	BizTransactionList []BizTransaction `json:"bizTransactionList,omitempty"`
	SourceList         []Source         `json:"sourceList,omitempty"`
	DestinationList    []Destination    `json:"destinationList,omitempty"`

	// How.
	SensorElementList []SensorElement `json:"sensorElementList,omitempty"`

	// ILMD is the instance/lot master data of an ADD ObjectEvent or of a
	// TransformationEvent's outputs, by its JSON-LD keys
	// (cbvmda:lotNumber, cbvmda:bestBeforeDate, …).
	ILMD map[string]json.RawMessage `json:"ilmd,omitempty"`

	// Extensions holds the event's user extension fields (namespaced keys
	// the standard does not define), kept as they came.
	Extensions map[string]json.RawMessage `json:"-"`

	// Context maps the namespace prefixes in scope for the event's
	// extension and ILMD keys (such as "example") to their IRIs, from the
	// document's @context and the event's own. The event hash needs them:
	// it names extension fields by IRI, not by prefix. The Decoder shares
	// one map between the events of a document; treat it as read-only.
	Context map[string]string `json:"-"`
}

// Quantity is an amount of a class of objects (a lot): QuantityElement.
// UOM is a UN/CEFACT Rec 20 code; empty means a count of instances.
type Quantity struct {
	EPCClass string   `json:"epcClass"`
	Quantity *float64 `json:"quantity,omitempty"`
	UOM      string   `json:"uom,omitempty"`
}

// Location is a read point or business location, named by an SGLN URN or
// a Digital Link URI.
type Location struct {
	ID         string                     `json:"id"`
	Extensions map[string]json.RawMessage `json:"-"`
}

// BizTransaction is a business transaction an event took part in.
type BizTransaction struct {
	Type           string `json:"type,omitempty"`
	BizTransaction string `json:"bizTransaction"`
}

// Source is where goods came from in a business transfer.
type Source struct {
	Type   string `json:"type"`
	Source string `json:"source"`
}

// Destination is where goods go in a business transfer.
type Destination struct {
	Type        string `json:"type"`
	Destination string `json:"destination"`
}

// PersistentDisposition sets and unsets dispositions that last beyond the
// event.
type PersistentDisposition struct {
	Set   []string `json:"set,omitempty"`
	Unset []string `json:"unset,omitempty"`
}

// ErrorDeclaration marks an event as erroneous. The event it is on is the
// erroneous event, captured again with this added; corrections are new
// events naming it.
type ErrorDeclaration struct {
	DeclarationTime    time.Time `json:"declarationTime"`
	Reason             string    `json:"reason,omitempty"`
	CorrectiveEventIDs []string  `json:"correctiveEventIDs,omitempty"`

	Extensions map[string]json.RawMessage `json:"-"`
}

// SensorElement is what one sensor reported, with the metadata shared by
// its reports.
type SensorElement struct {
	// Type is the optional JSON-LD type, "epcis:SensorElement" when given.
	Type           string          `json:"type,omitempty"`
	SensorMetadata *SensorMetadata `json:"sensorMetadata,omitempty"`
	SensorReport   []SensorReport  `json:"sensorReport"`

	Extensions map[string]json.RawMessage `json:"-"`
}

// SensorMetadata describes the device and time of a sensor element.
type SensorMetadata struct {
	Time      *time.Time `json:"time,omitempty"`
	StartTime *time.Time `json:"startTime,omitempty"`
	EndTime   *time.Time `json:"endTime,omitempty"`
	DeviceID  string     `json:"deviceID,omitempty"`
	BizRules  string     `json:"bizRules,omitempty"`

	DeviceMetadata       string `json:"deviceMetadata,omitempty"`
	RawData              string `json:"rawData,omitempty"`
	DataProcessingMethod string `json:"dataProcessingMethod,omitempty"`

	Extensions map[string]json.RawMessage `json:"-"`
}

// SensorReport is one measured value: Type is a gs1: measurement type such
// as Temperature, UOM a UN/CEFACT code such as CEL.
type SensorReport struct {
	Type      string     `json:"type,omitempty"`
	DeviceID  string     `json:"deviceID,omitempty"`
	Time      *time.Time `json:"time,omitempty"`
	Value     *float64   `json:"value,omitempty"`
	MinValue  *float64   `json:"minValue,omitempty"`
	MaxValue  *float64   `json:"maxValue,omitempty"`
	MeanValue *float64   `json:"meanValue,omitempty"`
	UOM       string     `json:"uom,omitempty"`
	StringVal string     `json:"stringValue,omitempty"`
	BoolVal   *bool      `json:"booleanValue,omitempty"`
	Component string     `json:"component,omitempty"`

	BizRules string `json:"bizRules,omitempty"`
	// Exception is a sensor alert type (ALARM_CONDITION, ERROR_CONDITION).
	Exception                 string   `json:"exception,omitempty"`
	DeviceMetadata            string   `json:"deviceMetadata,omitempty"`
	RawData                   string   `json:"rawData,omitempty"`
	DataProcessingMethod      string   `json:"dataProcessingMethod,omitempty"`
	Microorganism             string   `json:"microorganism,omitempty"`
	ChemicalSubstance         string   `json:"chemicalSubstance,omitempty"`
	HexBinaryValue            string   `json:"hexBinaryValue,omitempty"`
	URIValue                  string   `json:"uriValue,omitempty"`
	SDev                      *float64 `json:"sDev,omitempty"`
	PercRank                  *float64 `json:"percRank,omitempty"`
	PercValue                 *float64 `json:"percValue,omitempty"`
	CoordinateReferenceSystem string   `json:"coordinateReferenceSystem,omitempty"`

	Extensions map[string]json.RawMessage `json:"-"`
}
