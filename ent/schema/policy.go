package schema

import (
	"entgo.io/ent"

	"suyuan/ent/privacy"
	"suyuan/internal/tenancy"
)

// policy is an entity's privacy policy: its read filter from package
// tenancy, and the floor for writes.
func policy(read privacy.QueryRule) ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{read},
		Mutation: privacy.MutationPolicy{tenancy.WriteRule()},
	}
}

// Policy of the Organization.
func (Organization) Policy() ent.Policy { return policy(tenancy.OrganizationRule()) }

// Policy of the Facility.
func (Facility) Policy() ent.Policy { return policy(tenancy.FacilityRule()) }

// Policy of the Product.
func (Product) Policy() ent.Policy { return policy(tenancy.ProductRule()) }

// Policy of the Batch.
func (Batch) Policy() ent.Policy { return policy(tenancy.BatchRule()) }

// Policy of the BatchInput.
func (BatchInput) Policy() ent.Policy { return policy(tenancy.BatchInputRule()) }

// Policy of the Stock.
func (Stock) Policy() ent.Policy { return policy(tenancy.StockRule()) }

// Policy of the Shipment.
func (Shipment) Policy() ent.Policy { return policy(tenancy.ShipmentRule()) }

// Policy of the ShipmentItem.
func (ShipmentItem) Policy() ent.Policy { return policy(tenancy.ShipmentItemRule()) }

// Policy of the SensorReading.
func (SensorReading) Policy() ent.Policy { return policy(tenancy.SensorReadingRule()) }

// Policy of the ShelfEvent.
func (ShelfEvent) Policy() ent.Policy { return policy(tenancy.ShelfEventRule()) }

// Policy of the Inspection.
func (Inspection) Policy() ent.Policy { return policy(tenancy.InspectionRule()) }

// Policy of the Measurement.
func (Measurement) Policy() ent.Policy { return policy(tenancy.MeasurementRule()) }

// Policy of the TraceCode.
func (TraceCode) Policy() ent.Policy { return policy(tenancy.TraceCodeRule()) }

// Policy of the ScanEvent.
func (ScanEvent) Policy() ent.Policy { return policy(tenancy.ScanEventRule()) }

// Policy of the User.
func (User) Policy() ent.Policy { return policy(tenancy.UserRule()) }

// Policy of the RefreshToken.
func (RefreshToken) Policy() ent.Policy { return policy(tenancy.RefreshTokenRule()) }

// Policy of the APIKey.
func (APIKey) Policy() ent.Policy { return policy(tenancy.APIKeyRule()) }

// Policy of the AuditEntry.
func (AuditEntry) Policy() ent.Policy { return policy(tenancy.AuditEntryRule()) }

// Policy of the Alert.
func (Alert) Policy() ent.Policy { return policy(tenancy.AlertRule()) }

// Policy of the Recall.
func (Recall) Policy() ent.Policy { return policy(tenancy.RecallRule()) }

// Policy of the RecallPlace.
func (RecallPlace) Policy() ent.Policy { return policy(tenancy.RecallPlaceRule()) }

// Policy of the DailyCount.
func (DailyCount) Policy() ent.Policy { return policy(tenancy.DailyCountRule()) }

// Policy of the Document.
func (Document) Policy() ent.Policy { return policy(tenancy.DocumentRule()) }

// Policy of the DocumentContent: the server reads it, once the document
// was read through its own policy.
func (DocumentContent) Policy() ent.Policy { return systemOnly() }
