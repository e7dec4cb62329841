// Package tenancy enforces who may read which rows, in the data layer: Ent
// privacy policies that add a filter to every query — root queries,
// node(id:) lookups, connections, eager-loaded edges alike — so no path
// returns another tenant's rows. A row the viewer may not see is simply
// absent: node(id:) answers NOT_FOUND exactly as for a row that does not
// exist. The related rows inside a has…With filter run in a subquery
// beneath the policies; Filter gives the GraphQL layer the predicate to
// add there.
//
// Administrators see everything; regulators everything in their region;
// other users (and partner keys) their organisation's rows, and the rows of
// others that their organisation is a party to: the shipper, carrier and
// receiver of a shipment see it, both its facilities, the organisations
// involved and the batches on it; a laboratory the batches it inspected;
// a producer the lots one step up and down the chain from its own. The
// table "Who sees what" in docs/SECURITY.md states the rules; the
// predicates below are the only place they are enforced. Anonymous
// callers see nothing here; the consumer's public trace is answered by
// internal/trace with public fields only. Internal work (data
// generation, migrations, background jobs) runs with System(ctx).
package tenancy

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"entgo.io/ent/dialect/sql"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/ent/apikey"
	"suyuan/ent/auditentry"
	"suyuan/ent/batch"
	"suyuan/ent/batchinput"
	"suyuan/ent/dailycount"
	"suyuan/ent/document"
	"suyuan/ent/epcisquery"
	"suyuan/ent/event"
	"suyuan/ent/eventkey"
	"suyuan/ent/facility"
	"suyuan/ent/inspection"
	"suyuan/ent/measurement"
	"suyuan/ent/organization"
	"suyuan/ent/predicate"
	"suyuan/ent/privacy"
	"suyuan/ent/product"
	"suyuan/ent/recall"
	"suyuan/ent/recallplace"
	"suyuan/ent/scanevent"
	"suyuan/ent/sensorreading"
	"suyuan/ent/shelfevent"
	"suyuan/ent/shipment"
	"suyuan/ent/shipmentitem"
	"suyuan/ent/stock"
	"suyuan/ent/tracecode"
	"suyuan/ent/user"
	"suyuan/ent/webhook"
	"suyuan/ent/webhookdelivery"
	"suyuan/internal/viewer"
)

// System returns a context in which every policy allows: for the server's
// own work, never for a request's.
func System(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// scope is how a viewer's reads are limited.
type scope struct {
	org    int    // organisation users: their organisation
	region string // regulators: region code prefix
}

// scopeOf returns the viewer's scope, or a decision (allow for admins,
// deny for anonymous callers) when no filter is needed.
func scopeOf(ctx context.Context) (scope, error) {
	v := viewer.FromContext(ctx)
	switch {
	case v == nil:
		return scope{}, privacy.Denyf("anonymous callers cannot read this")
	case v.Role == viewer.Admin:
		return scope{}, privacy.Allow
	case v.Role == viewer.Regulator:
		return scope{region: v.RegionPrefix()}, nil
	}
	return scope{org: v.OrgID}, nil
}

// rule builds a query rule that adds the viewer's filter to q.
func rule[Q interface{ Where(...P) Q }, P any](pred func(scope) P) func(context.Context, Q) error {
	return func(ctx context.Context, q Q) error {
		s, err := scopeOf(ctx)
		if err != nil {
			return err
		}
		q.Where(pred(s))
		return privacy.Allow
	}
}

// Predicates of what a scope may see, composed for related entities. The
// table in docs/SECURITY.md ("Who sees what") is this rule set in words;
// the two must say the same.
//
// The viewer's own rows come first: its organisation, its facilities and
// the lots it produced (for a regulator, those of its region). Its
// relations to other rows are built from them: it is a party to a
// shipment (shipper, carrier or receiver), holds a lot, inspected it as a
// laboratory, or produced a lot one step up or down the chain from it.
// Whoever may read a row may read the rows it names — a shipment's carrier
// and facilities, a batch's product, producer and facility, an
// inspection's batch and laboratory, a shelf event's or stock balance's
// facility — with their own fields only: what hangs beneath those (their
// batches, shipments, stock, shelves, users…) follows its own rule.

// among is the predicate "the row's column is among the values of
// selected in the rows of table that pred matches", as an uncorrelated
// subquery: the database computes each set once, outward from the
// viewer's own rows, instead of testing every row of the outer table with
// a correlated EXISTS (as Ent's Has…With predicates do).
func among[P ~func(*sql.Selector), Q ~func(*sql.Selector)](column, table, selected string, pred Q) P {
	return P(func(s *sql.Selector) {
		b := sql.Dialect(s.Dialect())
		t := b.Table(table)
		sub := b.Select(t.C(selected)).From(t)
		pred(sub)
		s.Where(sql.In(s.C(column), sub))
	})
}

// ownOrgs is the viewer's organisation; a regulator's, those of its region.
func ownOrgs(s scope) predicate.Organization {
	if s.region != "" {
		return organization.RegionCodeHasPrefix(s.region)
	}
	return organization.ID(s.org)
}

// ownFacilities is the organisation's facilities, or the region's.
func ownFacilities(s scope) predicate.Facility {
	if s.region != "" {
		return facility.RegionCodeHasPrefix(s.region)
	}
	return facility.OrganizationID(s.org)
}

// atOwn is the predicate "column names one of the viewer's facilities".
func atOwn[P ~func(*sql.Selector)](s scope, column string) P {
	return among[P](column, facility.Table, facility.FieldID, ownFacilities(s))
}

// ofProduced is the predicate "column names a lot the viewer produced".
func ofProduced[P ~func(*sql.Selector)](s scope, column string) P {
	return among[P](column, batch.Table, batch.FieldID, produced(s))
}

// produced is the batches an organisation produced, or those made in the
// region.
func produced(s scope) predicate.Batch {
	if s.region != "" {
		return atOwn[predicate.Batch](s, batch.FieldFacilityID)
	}
	return batch.OrganizationID(s.org)
}

// inspectedBy is the inspections the viewer performed as a laboratory (a
// regulator: the region's laboratories).
func inspectedBy(s scope) predicate.Inspection {
	if s.region != "" {
		return among[predicate.Inspection](inspection.FieldLabID, organization.Table, organization.FieldID, ownOrgs(s))
	}
	return inspection.LabID(s.org)
}

// shipments: those the viewer is a party to — it carries them, or they
// leave (shipper) or reach (receiver) its facilities; for a regulator,
// those leaving or reaching its region.
func shipments(s scope) predicate.Shipment {
	p := shipment.Or(atOwn[predicate.Shipment](s, shipment.FieldFromFacilityID), atOwn[predicate.Shipment](s, shipment.FieldToFacilityID))
	if s.region != "" {
		return p
	}
	return shipment.Or(shipment.CarrierID(s.org), p)
}

// batches: those produced by the organisation (in the region); those it
// holds in stock or on a shelf; those on shipments it is a party to; those
// it inspected as a laboratory; and one step along the chain from its
// own: the lots made directly from them, and the lots used directly in
// them.
func batches(s scope) predicate.Batch {
	return batch.Or(
		produced(s),
		among[predicate.Batch](batch.FieldID, stock.Table, stock.FieldBatchID, atOwn[predicate.Stock](s, stock.FieldFacilityID)),
		among[predicate.Batch](batch.FieldID, shelfevent.Table, shelfevent.FieldBatchID, atOwn[predicate.ShelfEvent](s, shelfevent.FieldFacilityID)),
		among[predicate.Batch](batch.FieldID, shipmentitem.Table, shipmentitem.FieldBatchID, shipmentItemFilter(s)),
		among[predicate.Batch](batch.FieldID, inspection.Table, inspection.FieldBatchID, inspectedBy(s)),
		among[predicate.Batch](batch.FieldID, batchinput.Table, batchinput.FieldOutputID, ofProduced[predicate.BatchInput](s, batchinput.FieldInputID)),
		among[predicate.Batch](batch.FieldID, batchinput.Table, batchinput.FieldInputID, ofProduced[predicate.BatchInput](s, batchinput.FieldOutputID)),
	)
}

// facilities: its own, and those named by rows it reads: both ends of its
// shipments, where a lot it sees was made, and where the stock and shelf
// events it sees (of its own lots, at others' facilities) are.
func facilities(s scope) predicate.Facility {
	return facility.Or(
		ownFacilities(s),
		among[predicate.Facility](facility.FieldID, shipment.Table, shipment.FieldFromFacilityID, shipments(s)),
		among[predicate.Facility](facility.FieldID, shipment.Table, shipment.FieldToFacilityID, shipments(s)),
		among[predicate.Facility](facility.FieldID, batch.Table, batch.FieldFacilityID, batches(s)),
		among[predicate.Facility](facility.FieldID, stock.Table, stock.FieldFacilityID, stockFilter(s)),
		among[predicate.Facility](facility.FieldID, shelfevent.Table, shelfevent.FieldFacilityID, shelfEventFilter(s)),
	)
}

// orgs: its own, and those named by rows it reads: the carriers of its
// shipments, the organisations of the facilities it sees (the other
// parties of its shipments, the producers of the lots it sees — a
// product, a batch and its facility belong to one organisation) and the
// laboratories of the inspections it sees.
func orgs(s scope) predicate.Organization {
	return organization.Or(
		ownOrgs(s),
		among[predicate.Organization](organization.FieldID, shipment.Table, shipment.FieldCarrierID, shipments(s)),
		among[predicate.Organization](organization.FieldID, facility.Table, facility.FieldOrganizationID, facilities(s)),
		among[predicate.Organization](organization.FieldID, inspection.Table, inspection.FieldLabID, inspections(s)),
	)
}

// products: its own, and those of the lots it sees.
func products(s scope) predicate.Product {
	own := product.OrganizationID(s.org)
	if s.region != "" {
		own = among[predicate.Product](product.FieldOrganizationID, organization.Table, organization.FieldID, ownOrgs(s))
	}
	return product.Or(own, among[predicate.Product](product.FieldID, batch.Table, batch.FieldProductID, batches(s)))
}

// inspections: of batches it sees, or performed by it.
func inspections(s scope) predicate.Inspection {
	return inspection.Or(among[predicate.Inspection](inspection.FieldBatchID, batch.Table, batch.FieldID, batches(s)), inspectedBy(s))
}

// documents: those attached to a row the viewer reads — an organisation,
// a batch, an inspection or a shipment. A document is read with its
// subject, by the same rules: nothing of its own widens or narrows them.
func documents(s scope) predicate.Document {
	return document.Or(
		among[predicate.Document](document.FieldOrganizationID, organization.Table, organization.FieldID, orgs(s)),
		among[predicate.Document](document.FieldBatchID, batch.Table, batch.FieldID, batches(s)),
		among[predicate.Document](document.FieldInspectionID, inspection.Table, inspection.FieldID, inspections(s)),
		among[predicate.Document](document.FieldShipmentID, shipment.Table, shipment.FieldID, shipments(s)),
	)
}

// DocumentRule filters documents: those of the rows the viewer reads.
func DocumentRule() privacy.DocumentQueryRuleFunc { return rule[*ent.DocumentQuery](documents) }

// events: of the log, those the organisation is party to — it recorded
// the event, or the event happened at its facility, moved its goods, was
// about its lots, or named it as a carrier (eventlog.Keys lists the
// parties); for a regulator, those that happened in its region.
func events(s scope) predicate.Event {
	keys := eventkey.And(eventkey.Kind(EventPartyKey), eventkey.Value(strconv.Itoa(s.org)))
	if s.region != "" {
		keys = eventkey.And(eventkey.Kind(EventRegionKey), eventkey.ValueHasPrefix(s.region))
	}
	return among[predicate.Event](event.FieldID, eventkey.Table, eventkey.FieldEventID, keys)
}

// The kinds of the event index's keys that say who may read an event:
// the id of an organisation party to it, the code of the region it
// happened in. The log (internal/eventlog) writes them.
const (
	EventPartyKey  = "party"
	EventRegionKey = "region"
)

// EventRule filters the event log.
func EventRule() privacy.EventQueryRuleFunc { return rule[*ent.EventQuery](events) }

// OrganizationRule and the rules below are the query policies of each
// entity, referred to from its Ent schema.
func OrganizationRule() privacy.OrganizationQueryRuleFunc {
	return rule[*ent.OrganizationQuery](orgs)
}

// FacilityRule filters facilities.
func FacilityRule() privacy.FacilityQueryRuleFunc { return rule[*ent.FacilityQuery](facilities) }

// ProductRule filters products.
func ProductRule() privacy.ProductQueryRuleFunc { return rule[*ent.ProductQuery](products) }

// BatchRule filters batches.
func BatchRule() privacy.BatchQueryRuleFunc { return rule[*ent.BatchQuery](batches) }

// BatchInputRule filters lineage edges: either end visible.
func BatchInputRule() privacy.BatchInputQueryRuleFunc {
	return rule[*ent.BatchInputQuery](batchInputFilter)
}

// StockRule filters stock balances.
func StockRule() privacy.StockQueryRuleFunc {
	return rule[*ent.StockQuery](stockFilter)
}

// ShipmentRule filters shipments.
func ShipmentRule() privacy.ShipmentQueryRuleFunc { return rule[*ent.ShipmentQuery](shipments) }

// ShipmentItemRule filters shipment items.
func ShipmentItemRule() privacy.ShipmentItemQueryRuleFunc {
	return rule[*ent.ShipmentItemQuery](shipmentItemFilter)
}

// SensorReadingRule filters readings.
func SensorReadingRule() privacy.SensorReadingQueryRuleFunc {
	return rule[*ent.SensorReadingQuery](sensorReadingFilter)
}

// ShelfEventRule filters shelf events.
func ShelfEventRule() privacy.ShelfEventQueryRuleFunc {
	return rule[*ent.ShelfEventQuery](shelfEventFilter)
}

// InspectionRule filters inspections.
func InspectionRule() privacy.InspectionQueryRuleFunc {
	return rule[*ent.InspectionQuery](inspections)
}

// MeasurementRule filters measurements.
func MeasurementRule() privacy.MeasurementQueryRuleFunc {
	return rule[*ent.MeasurementQuery](measurementFilter)
}

// TraceCodeRule filters trace codes: the batch's producer's (or the
// region's).
func TraceCodeRule() privacy.TraceCodeQueryRuleFunc {
	return rule[*ent.TraceCodeQuery](traceCodeFilter)
}

// ScanEventRule filters scans: the batch's producer's (or the region's).
func ScanEventRule() privacy.ScanEventQueryRuleFunc {
	return rule[*ent.ScanEventQuery](scanEventFilter)
}

// UserRule filters users: the organisation's own (or the region's).
func UserRule() privacy.UserQueryRuleFunc {
	return rule[*ent.UserQuery](userFilter)
}

// APIKeyRule filters API keys: the organisation's own.
func APIKeyRule() privacy.APIKeyQueryRuleFunc {
	return rule[*ent.APIKeyQuery](apiKeyFilter)
}

// AuditEntryRule lets administrators and regulators (their region's
// organisations) read the audit trail, and nobody else.
func AuditEntryRule() privacy.AuditEntryQueryRuleFunc {
	return regulatorsOnly[*ent.AuditEntryQuery]("the audit trail", auditEntryFilter)
}

func auditEntryFilter(s scope) predicate.AuditEntry {
	return auditentry.HasOrganizationWith(ownOrgs(s))
}

// regulatorsOnly builds a query rule for rows that only administrators
// and regulators read, regulators those pred selects.
func regulatorsOnly[Q interface{ Where(...P) Q }, P any](what string, pred func(scope) P) func(context.Context, Q) error {
	return func(ctx context.Context, q Q) error {
		s, err := scopeOf(ctx)
		if err != nil {
			return err
		}
		if s.region == "" {
			return privacy.Denyf("only regulators and administrators read %s", what)
		}
		q.Where(pred(s))
		return privacy.Allow
	}
}

// AlertRule filters alerts: those raised for the organisation, or in the
// regulator's region.
func AlertRule() privacy.AlertQueryRuleFunc {
	return rule[*ent.AlertQuery](alerts)
}

func alerts(s scope) predicate.Alert {
	if s.region != "" {
		return alert.RegionCodeHasPrefix(s.region)
	}
	return alert.OrganizationID(s.org)
}

// recalls: those the organisation initiated or was notified of; for a
// regulator, those begun in the region or reaching its shelves.
func recalls(s scope) predicate.Recall {
	if s.region != "" {
		return recall.Or(recall.RegionCodeHasPrefix(s.region),
			recall.HasPlacesWith(recallplace.HasFacilityWith(ownFacilities(s))))
	}
	return recall.Or(recall.OrganizationID(s.org), recall.HasAlertsWith(alert.OrganizationID(s.org)))
}

// RecallRule filters recalls.
func RecallRule() privacy.RecallQueryRuleFunc { return rule[*ent.RecallQuery](recalls) }

// RecallPlaceRule shows a recall's places to whoever began it (or the
// region's regulators), and to each store its own places: one store does
// not learn where else the food went.
func RecallPlaceRule() privacy.RecallPlaceQueryRuleFunc {
	return rule[*ent.RecallPlaceQuery](recallPlaceFilter)
}

// DailyCountRule lets regulators read their region's dashboard counters and
// administrators all of them.
func DailyCountRule() privacy.DailyCountQueryRuleFunc {
	return regulatorsOnly[*ent.DailyCountQuery]("dashboard counters", func(s scope) predicate.DailyCount {
		return dailycount.RegionCodeHasPrefix(s.region)
	})
}

// RefreshTokenRule keeps refresh tokens to the server's own work.
func RefreshTokenRule() privacy.RefreshTokenQueryRuleFunc {
	return func(ctx context.Context, q *ent.RefreshTokenQuery) error {
		return privacy.Denyf("refresh tokens are read by the server only")
	}
}

func batchInputFilter(s scope) predicate.BatchInput {
	return batchinput.Or(
		among[predicate.BatchInput](batchinput.FieldOutputID, batch.Table, batch.FieldID, batches(s)),
		among[predicate.BatchInput](batchinput.FieldInputID, batch.Table, batch.FieldID, batches(s)))
}

func stockFilter(s scope) predicate.Stock {
	if s.region != "" {
		return atOwn[predicate.Stock](s, stock.FieldFacilityID)
	}
	return stock.Or(atOwn[predicate.Stock](s, stock.FieldFacilityID), ofProduced[predicate.Stock](s, stock.FieldBatchID))
}

func shipmentItemFilter(s scope) predicate.ShipmentItem {
	return among[predicate.ShipmentItem](shipmentitem.FieldShipmentID, shipment.Table, shipment.FieldID, shipments(s))
}

func sensorReadingFilter(s scope) predicate.SensorReading {
	return sensorreading.Or(
		among[predicate.SensorReading](sensorreading.FieldShipmentID, shipment.Table, shipment.FieldID, shipments(s)),
		atOwn[predicate.SensorReading](s, sensorreading.FieldFacilityID))
}

func shelfEventFilter(s scope) predicate.ShelfEvent {
	if s.region != "" {
		return atOwn[predicate.ShelfEvent](s, shelfevent.FieldFacilityID)
	}
	return shelfevent.Or(atOwn[predicate.ShelfEvent](s, shelfevent.FieldFacilityID), ofProduced[predicate.ShelfEvent](s, shelfevent.FieldBatchID))
}

func measurementFilter(s scope) predicate.Measurement {
	return among[predicate.Measurement](measurement.FieldInspectionID, inspection.Table, inspection.FieldID, inspections(s))
}

func traceCodeFilter(s scope) predicate.TraceCode {
	return ofProduced[predicate.TraceCode](s, tracecode.FieldBatchID)
}

func scanEventFilter(s scope) predicate.ScanEvent {
	return ofProduced[predicate.ScanEvent](s, scanevent.FieldBatchID)
}

func recallPlaceFilter(s scope) predicate.RecallPlace {
	own := recall.OrganizationID(s.org)
	if s.region != "" {
		own = recall.RegionCodeHasPrefix(s.region)
	}
	return recallplace.Or(recallplace.HasFacilityWith(ownFacilities(s)), recallplace.HasRecallWith(own))
}

func userFilter(s scope) predicate.User {
	return user.HasOrganizationWith(ownOrgs(s))
}

func apiKeyFilter(s scope) predicate.APIKey {
	return apikey.HasOrganizationWith(ownOrgs(s))
}

// Filter returns the predicate (a predicate.X of package ent/predicate)
// that limits the reads of the viewer in ctx of the entity type named (an
// ent.Type… constant). Privacy rules filter the rows a query returns; the
// related rows inside a has…With filter are matched by a subquery beneath
// them, so the GraphQL layer adds this predicate there. ok is false when
// nothing limits the viewer (administrators); err refuses the read.
func Filter(ctx context.Context, entity string) (pred any, ok bool, err error) {
	s, err := scopeOf(ctx)
	if errors.Is(err, privacy.Allow) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	switch entity {
	case ent.TypeOrganization:
		return orgs(s), true, nil
	case ent.TypeFacility:
		return facilities(s), true, nil
	case ent.TypeProduct:
		return products(s), true, nil
	case ent.TypeBatch:
		return batches(s), true, nil
	case ent.TypeBatchInput:
		return batchInputFilter(s), true, nil
	case ent.TypeStock:
		return stockFilter(s), true, nil
	case ent.TypeShipment:
		return shipments(s), true, nil
	case ent.TypeShipmentItem:
		return shipmentItemFilter(s), true, nil
	case ent.TypeSensorReading:
		return sensorReadingFilter(s), true, nil
	case ent.TypeShelfEvent:
		return shelfEventFilter(s), true, nil
	case ent.TypeInspection:
		return inspections(s), true, nil
	case ent.TypeMeasurement:
		return measurementFilter(s), true, nil
	case ent.TypeTraceCode:
		return traceCodeFilter(s), true, nil
	case ent.TypeScanEvent:
		return scanEventFilter(s), true, nil
	case ent.TypeUser:
		return userFilter(s), true, nil
	case ent.TypeAPIKey:
		return apiKeyFilter(s), true, nil
	case ent.TypeAlert:
		return alerts(s), true, nil
	case ent.TypeDocument:
		return documents(s), true, nil
	case ent.TypeRecall:
		return recalls(s), true, nil
	case ent.TypeRecallPlace:
		return recallPlaceFilter(s), true, nil
	case ent.TypeAuditEntry:
		if s.region != "" {
			return auditEntryFilter(s), true, nil
		}
	}
	return nil, false, privacy.Denyf("filtering on %s is not allowed", entity)
}

// WriteRule refuses changes by anonymous callers. Which organisation's
// rows a user may change is decided by the recording operations, which
// answer FORBIDDEN; this rule is the floor beneath them.
func WriteRule() privacy.MutationRuleFunc {
	return func(ctx context.Context, m ent.Mutation) error {
		if viewer.FromContext(ctx) == nil {
			return privacy.Denyf("anonymous callers cannot change data")
		}
		return privacy.Allow
	}
}

// AnswersFor reports whether the viewer answers for a batch it reads (the
// batch rule let it through) whose producer is producerID, as
// ProducerOrRegulator decides — administrators, regulators, the producer —
// without a statement, for views (a lineage) that already hold the batch.
func AnswersFor(ctx context.Context, producerID int) bool {
	v := viewer.FromContext(ctx)
	switch {
	case v == nil:
		return false
	case v.Role == viewer.Admin || v.Role == viewer.Regulator:
		return true
	}
	return v.OrgID == producerID
}

// ProducerOrRegulator reports whether the viewer may act on a batch as its
// producer would — see its recall impact, print its codes: administrators,
// the regulators who see the batch, and the batch's producer.
func ProducerOrRegulator(ctx context.Context, client *ent.Client, batchID int) (bool, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return false, nil
	}
	if v.Role == viewer.Admin {
		return true, nil
	}
	q := client.Batch.Query().Where(batch.ID(batchID))
	if v.Role != viewer.Regulator {
		q.Where(batch.OrganizationID(v.OrgID))
	}
	ok, err := q.Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("checking access to batch %d: %w", batchID, err)
	}
	return ok, nil
}

// ownOrganisation is the rule of an organisation's settings — its
// webhooks, named EPCIS queries and their deliveries: administrators read
// every organisation's, everyone else (regulators too: these are no
// region's data) only their own organisation's.
func ownOrganisation[Q interface{ Where(...P) Q }, P any](pred func(orgID int) P) func(context.Context, Q) error {
	return func(ctx context.Context, q Q) error {
		v := viewer.FromContext(ctx)
		switch {
		case v == nil:
			return privacy.Denyf("anonymous callers cannot read this")
		case v.Role == viewer.Admin:
			return privacy.Allow
		}
		q.Where(pred(v.OrgID))
		return privacy.Allow
	}
}

// WebhookRule filters webhooks: the organisation's own.
func WebhookRule() privacy.WebhookQueryRuleFunc {
	return ownOrganisation[*ent.WebhookQuery](func(org int) predicate.Webhook { return webhook.OrganizationID(org) })
}

// WebhookDeliveryRule filters deliveries: those of the organisation's
// webhooks.
func WebhookDeliveryRule() privacy.WebhookDeliveryQueryRuleFunc {
	return ownOrganisation[*ent.WebhookDeliveryQuery](func(org int) predicate.WebhookDelivery {
		return webhookdelivery.HasWebhookWith(webhook.OrganizationID(org))
	})
}

// EPCISQueryRule filters named EPCIS queries: the organisation's own.
func EPCISQueryRule() privacy.EPCISQueryQueryRuleFunc {
	return ownOrganisation[*ent.EPCISQueryQuery](func(org int) predicate.EPCISQuery { return epcisquery.OrganizationID(org) })
}
