package epcis

import "strings"

// CBV 2.0 business steps. Values are the bare terms, the form this package
// normalises every spelling of a CBV term to.
const (
	BizStepAccepting     = "accepting"
	BizStepArriving      = "arriving"
	BizStepCommissioning = "commissioning"
	BizStepDeparting     = "departing"
	BizStepDestroying    = "destroying"
	BizStepHolding       = "holding"
	BizStepInspecting    = "inspecting"
	BizStepLoading       = "loading"
	BizStepPacking       = "packing"
	BizStepReceiving     = "receiving"
	BizStepRetailSelling = "retail_selling"
	BizStepShipping      = "shipping"
	BizStepStocking      = "stocking"
	BizStepStoring       = "storing"
	// BizStepTransforming is not a CBV 2.0 term (GS1's EPCIS 2.0 context
	// has none for transformations); the service writes it as the URN many
	// systems use, which the event hash maps to
	// https://ref.gs1.org/cbv/BizStep-transforming.
	BizStepTransforming = "urn:epcglobal:cbv:bizstep:transforming"
	BizStepTransporting = "transporting"
	BizStepUnloading    = "unloading"
	BizStepUnpacking    = "unpacking"
)

// CBV 2.0 dispositions, as bare terms.
const (
	DispActive             = "active"
	DispConformant         = "conformant"
	DispDestroyed          = "destroyed"
	DispExpired            = "expired"
	DispInProgress         = "in_progress"
	DispInTransit          = "in_transit"
	DispNonConformant      = "non_conformant"
	DispRecalled           = "recalled"
	DispRetailSold         = "retail_sold"
	DispSellableAccessible = "sellable_accessible"
	DispDamaged            = "damaged"
	DispDisposed           = "disposed"
	DispReturned           = "returned"
)

// CBV 2.0 business transaction types, source/destination types and error
// reasons used by this service, as bare terms.
const (
	BTTPurchaseOrder   = "po"
	BTTDespatchAdvice  = "desadv"
	BTTInvoice         = "inv"
	BTTProductionOrder = "prodorder"

	SDTOwningParty     = "owning_party"
	SDTPossessingParty = "possessing_party"
	SDTLocation        = "location"

	ErrorReasonDidNotOccur   = "did_not_occur"
	ErrorReasonIncorrectData = "incorrect_data"
)

// Temperature is the GS1 measurement type of temperature sensor reports.
const Temperature = "Temperature"

// vocab is one CBV (or GS1 Web Vocabulary) code list: its terms and the
// prefixes that spell a term as a URI. The first web prefix is the one the
// event hash uses.
type vocab struct {
	isTerm func(string) bool
	web    string // https://ref.gs1.org/cbv/BizStep- or https://gs1.org/voc/
	curie  string // cbv:BizStep- or gs1:
	urn    string // urn:epcglobal:cbv:bizstep: (empty for GS1 voc)
}

func (v vocab) has(term string) bool { return v.isTerm(term) }

// norm returns the bare term when s spells a term of v in any of the
// accepted forms, and s unchanged otherwise (a private vocabulary URI).
func (v vocab) norm(s string) string {
	if v.has(s) {
		return s
	}
	for _, p := range [...]string{v.web, v.curie, v.urn} {
		if p != "" && strings.HasPrefix(s, p) && v.has(s[len(p):]) {
			return s[len(p):]
		}
	}
	return s
}

// expand returns the web URI of a bare term, as the event hash needs it;
// other values come back unchanged.
func (v vocab) expand(s string) string {
	if v.has(s) {
		return v.web + s
	}
	if v.urn != "" && strings.HasPrefix(s, v.urn) {
		// The hash maps old URNs onto the web vocabulary even for terms
		// the code list does not know, as the reference implementation
		// does.
		return v.web + s[len(v.urn):]
	}
	return s
}

// The code lists of CBV 2.0 and the GS1 Web Vocabulary, from the JSON-LD
// context GS1 publishes for EPCIS 2.0. Functions rather than variables,
// so that no package state can be changed.
func bizSteps() vocab {
	return vocab{
		isTerm: isBizStepTerm,
		web:    "https://ref.gs1.org/cbv/BizStep-", curie: "cbv:BizStep-", urn: "urn:epcglobal:cbv:bizstep:",
	}
}

func dispositions() vocab {
	return vocab{
		isTerm: isDispositionTerm,
		web:    "https://ref.gs1.org/cbv/Disp-", curie: "cbv:Disp-", urn: "urn:epcglobal:cbv:disp:",
	}
}

func bizTransactionTypes() vocab {
	return vocab{
		isTerm: isBizTransactionTypeTerm,
		web:    "https://ref.gs1.org/cbv/BTT-", curie: "cbv:BTT-", urn: "urn:epcglobal:cbv:btt:",
	}
}

func sourceDestTypes() vocab {
	return vocab{
		isTerm: isSourceDestTypeTerm,
		web:    "https://ref.gs1.org/cbv/SDT-", curie: "cbv:SDT-", urn: "urn:epcglobal:cbv:sdt:",
	}
}

func errorReasons() vocab {
	return vocab{
		isTerm: isErrorReasonTerm,
		web:    "https://ref.gs1.org/cbv/ER-", curie: "cbv:ER-", urn: "urn:epcglobal:cbv:er:",
	}
}

func components() vocab {
	return vocab{
		isTerm: isComponentTerm,
		web:    "https://ref.gs1.org/cbv/Comp-", curie: "cbv:Comp-",
	}
}

func measurementTypes() vocab {
	return vocab{
		isTerm: isMeasurementTypeTerm,
		web:    "https://gs1.org/voc/", curie: "gs1:",
	}
}

func sensorAlertTypes() vocab {
	return vocab{
		isTerm: isSensorAlertTypeTerm,
		web:    "https://gs1.org/voc/", curie: "gs1:",
	}
}

// IsCBVBizStep reports whether s is a CBV 2.0 business step in any of its
// spellings (bare term, urn:epcglobal:cbv:bizstep:…, https://ref.gs1.org/cbv/BizStep-…).
func IsCBVBizStep(s string) bool { v := bizSteps(); return v.has(v.norm(s)) }

// IsCBVDisposition reports whether s is a CBV 2.0 disposition in any of
// its spellings.
func IsCBVDisposition(s string) bool { v := dispositions(); return v.has(v.norm(s)) }

// NormBizStep returns the bare CBV term for any spelling of a CBV business
// step, and s unchanged otherwise — except that the spellings of
// "transforming", which is not a CBV 2.0 term and so has no meaning bare
// in JSON-LD, become BizStepTransforming.
func NormBizStep(s string) string {
	switch s {
	case "transforming", "cbv:BizStep-transforming", "https://ref.gs1.org/cbv/BizStep-transforming":
		return BizStepTransforming
	}
	return bizSteps().norm(s)
}

// NormDisposition is NormBizStep for dispositions.
func NormDisposition(s string) string { return dispositions().norm(s) }

func isBizStepTerm(s string) bool {
	switch s {
	case "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning", "creating_class_instance",
		"cycle_counting", "decommissioning", "departing", "destroying", "disassembling", "dispensing",
		"encoding", "entering_exiting", "holding", "inspecting", "installing", "killing", "loading",
		"other", "packing", "picking", "receiving", "removing", "repackaging", "repairing", "replacing",
		"reserving", "retail_selling", "sampling", "sensor_reporting", "shipping", "staging_outbound",
		"stock_taking", "stocking", "storing", "transporting", "unloading", "unpacking",
		"void_shipping":
		return true
	}
	return false
}

func isDispositionTerm(s string) bool {
	switch s {
	case "active", "available", "completeness_verified", "completeness_inferred", "conformant", "container_closed",
		"container_open", "damaged", "destroyed", "dispensed", "disposed", "encoded", "expired", "in_progress",
		"in_transit", "inactive", "mismatch_instance", "mismatch_class", "mismatch_quantity", "needs_replacement",
		"no_pedigree_match", "non_conformant", "non_sellable_other", "partially_dispensed", "recalled",
		"reserved", "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
		"unavailable", "unknown":
		return true
	}
	return false
}

func isBizTransactionTypeTerm(s string) bool {
	switch s {
	case "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma", "testprd",
		"testres", "upevt":
		return true
	}
	return false
}

func isSourceDestTypeTerm(s string) bool {
	switch s {
	case "owning_party", "possessing_party", "location":
		return true
	}
	return false
}

func isErrorReasonTerm(s string) bool {
	switch s {
	case "did_not_occur", "incorrect_data":
		return true
	}
	return false
}

func isComponentTerm(s string) bool {
	switch s {
	case "x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius", "polar_angle", "elevation_angle",
		"easting", "northing", "latitude", "longitude", "altitude":
		return true
	}
	return false
}

func isMeasurementTypeTerm(s string) bool {
	switch s {
	case "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Radioactivity", "Altitude",
		"AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration", "AngularMomentum",
		"AngularVelocity", "Area", "Capacitance", "Conductance", "Conductivity", "Count", "Density",
		"Dimensionless", "DoseEquivalent", "DoseEquivalentRate", "DynamicViscosity", "ElectricCharge",
		"ElectricCurrent", "ElectricCurrentDensity", "ElectricFieldStrength", "Energy", "Exposure", "Force",
		"Frequency", "Illuminance", "Inductance", "Irradiance", "KinematicViscosity", "Length", "LinearMomentum",
		"Luminance", "LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity", "MagneticVectorPotential",
		"Mass", "MassConcentration", "MassFlowRate", "MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute",
		"MolarEnergy", "MolarMass", "MolarVolume", "Power", "Pressure", "RadiantFlux", "RadiantIntensity",
		"RelativeHumidity", "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity",
		"SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate", "VolumeFraction",
		"VolumetricFlux", "Wavenumber":
		return true
	}
	return false
}

func isSensorAlertTypeTerm(s string) bool {
	switch s {
	case "ALARM_CONDITION", "ERROR_CONDITION":
		return true
	}
	return false
}
