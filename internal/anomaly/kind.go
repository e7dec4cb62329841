// Package anomaly holds Suyuan's screening rules: small pure functions
// over the rows each rule needs — readings, measurements, quantities,
// scans — that return findings with their evidence. It knows nothing of
// the database, HTTP or GraphQL; package screen loads rows and stores
// findings as alerts. docs/ANOMALIES.md describes every rule.
package anomaly

// Kind names a rule, and so the kind of alert it raises.
type Kind string

// Kinds of finding.
const (
	TemperatureOutOfRange Kind = "TEMPERATURE_OUT_OF_RANGE"
	SustainedExcursion    Kind = "SUSTAINED_EXCURSION"
	CumulativeExcursion   Kind = "CUMULATIVE_EXCURSION"
	LoggingGap            Kind = "LOGGING_GAP"
	InspectionFailed      Kind = "INSPECTION_FAILED"
	OverLegalLimit        Kind = "OVER_LEGAL_LIMIT"
	MeasurementOutlier    Kind = "MEASUREMENT_OUTLIER"
	TransitOutlier        Kind = "TRANSIT_OUTLIER"
	OverShelved           Kind = "OVER_SHELVED"
	OverShipped           Kind = "OVER_SHIPPED"
	ExpiredOnShelf        Kind = "EXPIRED_ON_SHELF"
	ScanBurst             Kind = "SCAN_BURST"
	ScanSpread            Kind = "SCAN_SPREAD"
	// RecallNotice is not a rule: a recall raises it for every
	// organisation the recalled food reached.
	RecallNotice Kind = "RECALL_NOTICE"
	// MissingCustody and MassBalance are not rules either: a partner's
	// captured event that is true but has a hole before it — goods used,
	// received or shelved where they were never recorded as arriving, or
	// more of them than arrived — is stored and raises them.
	MissingCustody Kind = "MISSING_CUSTODY"
	MassBalance    Kind = "MASS_BALANCE"
)

// Kinds lists every kind, rules first.
func Kinds() []Kind {
	return []Kind{
		TemperatureOutOfRange, SustainedExcursion, CumulativeExcursion, LoggingGap,
		InspectionFailed, OverLegalLimit, MeasurementOutlier, TransitOutlier,
		OverShelved, OverShipped, ExpiredOnShelf, ScanBurst, ScanSpread, RecallNotice,
		MissingCustody, MassBalance,
	}
}

// Screened reports whether the background screener raises the kind; the
// others are raised where the fact arrives (a recall, a captured event with
// a hole before it).
func (k Kind) Screened() bool {
	switch k {
	case RecallNotice, MissingCustody, MassBalance:
		return false
	}
	return true
}

// Severity ranks findings.
type Severity string

// Severities, lowest first.
const (
	Low      Severity = "LOW"
	Medium   Severity = "MEDIUM"
	High     Severity = "HIGH"
	Critical Severity = "CRITICAL"
)

// SubjectType is the kind of row a finding is about.
type SubjectType string

// Subject types.
const (
	SubjectBatch     SubjectType = "BATCH"
	SubjectShipment  SubjectType = "SHIPMENT"
	SubjectFacility  SubjectType = "FACILITY"
	SubjectTraceCode SubjectType = "TRACE_CODE"
	SubjectRecall    SubjectType = "RECALL"
)

// Subject is the row a finding is about.
type Subject struct {
	Type SubjectType
	ID   int
}

// DefaultSeverity is the severity docs/ANOMALIES.md gives a kind before
// any escalation (a sustained excursion far outside the range is raised to
// HIGH by the rule itself).
func (k Kind) DefaultSeverity() Severity {
	switch k {
	case LoggingGap, TransitOutlier:
		return Low
	case SustainedExcursion, CumulativeExcursion, MeasurementOutlier, ExpiredOnShelf, ScanBurst:
		return Medium
	case TemperatureOutOfRange, InspectionFailed, OverShelved, OverShipped, ScanSpread, MassBalance:
		return High
	case MissingCustody:
		return Medium
	case OverLegalLimit:
		return Critical
	}
	// RecallNotice and unknown kinds: a recall is urgent for whoever holds the food.
	return High
}
