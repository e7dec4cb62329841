// Package postgraphile holds the questions of the side-by-side benchmark
// against PostGraphile (tools/bench/postgraphile/run.sh): the same two
// questions asked of the service and of PostGraphile v4 serving a copy of
// the same data on PostgreSQL, in each one's own GraphQL. The load tool
// (tools/loadtest) sends them; check_test.go compares the answers.
package postgraphile

import (
	"fmt"
	"strings"
)

// OursTrace is the service's answer to a scan, as the load tool's trace
// scenario asks it: the batch, its inspections, its legs with their
// cold-chain verdicts, its shelf placements, its ingredients three levels
// up, whether it or an ingredient is recalled, and the warnings.
const OursTrace = `query($code: String!) { trace(code: $code) {
  batch { lotCode producedAt expiresAt expired status product { name gtin storageMinC storageMaxC } producer { name licenseNo regionCode } facility { name } }
  inspections { result inspectedAt lab { name } measurements { name value unit limitMax withinLimits } }
  journey { status departedAt arrivedAt carrier { name } from { name address } to { name address } coldChain { verdict readings minC maxC } }
  shelf { store { name address } shelvedAt quantity unit }
  ingredients { depth batch { lotCode product { name } producer { name regionCode } } }
  recalled warnings { code message } } }`

// PGTrace is the nearest PostGraphile can come to OursTrace: the same rows,
// raw. What the service derives the client must derive itself: each leg's
// temperatures come as the trip's readings (for the verdict, its minimum,
// maximum and count), the measurements with their limits (for
// withinLimits), the statuses and expiry of the batch and its ingredients
// (for recalled, expired and the warnings). Ingredients are nested three
// levels, as the service's trace reads them.
var PGTrace = `query($code: String!) { traceCodeByCode(code: $code) { code serial batchByBatchId {
  id lotCode producedAt expiresAt status
  productByProductId { name gtin category storageMinC storageMaxC }
  organizationByOrganizationId { name licenseNo regionCode }
  facilityByFacilityId { name }
  inspectionsByBatchIdList { id result inspectedAt organizationByLabId { name }
    measurementsByInspectionIdList { name value unit limitMin limitMax } }
  shipmentItemsByBatchIdList { quantity unit shipmentByShipmentId { id status departedAt arrivedAt
    organizationByCarrierId { name } facilityByFromFacilityId { name address } facilityByToFacilityId { name address }
    sensorReadingsByShipmentIdList(orderBy: RECORDED_AT_ASC) { recordedAt temperatureC } } }
  shelfEventsByBatchIdList { quantity unit shelvedAt removedAt facilityByFacilityId { name address } }
  ` + nest("batchInputRecordsByOutputIdList { batchByInputId { id lotCode status expiresAt productByProductId { name } organizationByOrganizationId { name regionCode } %s } }", 3) + `
} } }`

// OursDownstream is the downstream walk of a lot to maxDepth, selecting
// only each shipment leg's id, batch, destination and quantity.
const OursDownstream = `query($id: ID!, $depth: Int!) { lineage(batchId: $id, direction: DOWNSTREAM, maxDepth: $depth) {
  shipments { shipmentID batchID to { name } quantity unit } } }`

// PGDownstream is the same walk as PostGraphile can express it: a nested
// query, a fixed number of levels deep (each level the batches made from
// the one above, with their shipment items). A batch reached along two
// paths appears twice.
func PGDownstream(depth int) string {
	return `query($id: BigInt!) { batchById(id: $id) { id ` + legs + " " +
		nest("batchInputRecordsByInputIdList { batchByOutputId { id "+legs+" %s } }", depth) + ` } }`
}

const legs = `shipmentItemsByBatchIdList { quantity unit shipmentByShipmentId { id facilityByToFacilityId { name } } }`

// nest puts level inside itself depth times, at its %s.
func nest(level string, depth int) string {
	s := ""
	for range depth {
		s = fmt.Sprintf(level, s)
	}
	return strings.TrimSpace(s)
}
