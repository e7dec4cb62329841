package eventlog

// Logs is what a recording operation writes to the log beside its change.
type Logs int

const (
	// Events: what happened to goods, as EPCIS events — at least one.
	Events Logs = iota + 1
	// ChangeOnly: master data (organisations, facilities, products, the
	// documents attached to them and to lots, inspections and shipments),
	// reviews (an alert's status, a recall's closing) and the screener's
	// alerts, which EPCIS has no event for; their change still tells
	// whatever shows them.
	ChangeOnly
)

// OperationLogs tells what the recording operation op logs; ok is false
// for a name that is no recording operation. Every recording names its
// operation here: Record refuses one that is not, and one that logs no
// event where it must (docs/EPCIS.md, "Adding a kind of recording").
func OperationLogs(op string) (logs Logs, ok bool) {
	switch op {
	case "createBatch", "recordShipment", "departShipment", "recordArrival",
		"addSensorReadings", "shelveBatch", "removeFromShelf",
		"recordInspection", "issueTraceCodes", "initiateRecall", "capture":
		return Events, true
	case "createOrganization", "updateOrganization", "createFacility",
		"updateFacility", "createProduct", "updateProduct",
		"setAlertStatus", "closeRecall", "screen", "uploadDocument":
		return ChangeOnly, true
	case "createWebhook", "updateWebhook", "deleteWebhook", "replayWebhookDeliveries",
		"createEPCISQuery", "deleteEPCISQuery", "subscribeEPCISQuery", "unsubscribeEPCISQuery":
		// Settings of partner systems: their change tells the deliverer,
		// and the path writes their audit entry.
		return ChangeOnly, true
	}
	return 0, false
}
