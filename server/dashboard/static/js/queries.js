// Every GraphQL document the dashboard sends. Kept in one place so that the
// fields can be checked against the schema.

const AUTH_FIELDS = `accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt`;

export const LOGIN = `mutation Login($phone: String!, $password: String!) {
  login(phone: $phone, password: $password) {
    ${AUTH_FIELDS}
    user { id name role organization { id name regionCode } }
  }
}`;

export const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    ${AUTH_FIELDS}
    user { id name role }
  }
}`;

export const LOGOUT = `mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;

export const DASHBOARD = `query Dashboard($from: Time, $to: Time) {
  dashboard(from: $from, to: $to) {
    region from to
    totals { batches shipments shelfEvents inspections inspectionsFailed passRate alerts openAlerts openRecalls }
    days { day batches shipments shelfEvents inspections inspectionsFailed alerts }
    alertsByKind { kind severity count }
    topProducers { organization { id name } alerts }
    carrierCompliance { organization { id name } shipments breached compliance }
  }
}`;

const ALERT_FIELDS = `id kind severity status subjectType detectedAt lastDetectedAt regionCode
  organization { id name }
  batch { id lotCode product { name } }
  shipment { id referenceDoc }
  evidence { summary observed threshold unit from to values { name value unit } regions }`;

export const ALERTS = `query Alerts {
  alerts(first: 50, orderBy: {field: DETECTED_AT, direction: DESC}, where: {statusIn: [OPEN, ACKNOWLEDGED]}) {
    totalCount
    edges { node { ${ALERT_FIELDS} } }
  }
}`;

export const ALERT_RAISED = `subscription AlertRaised { alertRaised { ${ALERT_FIELDS} } }`;

// The mutations below are written with literal arguments, as in the API's
// contract, so that they do not depend on the names of its input and enum
// types. Strings are JSON-encoded (a JSON string is a GraphQL string) and
// enum values are checked against fixed lists.

/** A GraphQL string literal. */
export const str = (v) => JSON.stringify(String(v));

function enumValue(v, allowed) {
  if (!allowed.includes(v)) throw new Error(`unexpected value ${v}`);
  return v;
}

export const ALERT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'DISMISSED'];
export const RECALL_CLASSES = ['I', 'II', 'III'];
export const RECALL_DEPTHS = ['WHOLESALE', 'RETAIL', 'CONSUMER'];

export function setAlertStatus(id, status, note) {
  const n = note ? `, note: ${str(note)}` : '';
  return `mutation SetAlertStatus {
  setAlertStatus(id: ${str(id)}, status: ${enumValue(status, ALERT_STATUSES)}${n}) { id status statusNote statusChangedAt }
}`;
}

export function initiateRecall(batchIDs, reason, cls, depth) {
  return `mutation InitiateRecall {
  initiateRecall(input: {batchIDs: [${batchIDs.map(str).join(', ')}], reason: ${str(reason)}, class: ${enumValue(cls, RECALL_CLASSES)}, depth: ${enumValue(depth, RECALL_DEPTHS)}}) { id }
}`;
}

const RECALL_FIELDS = (totals) => `id reason class depth status initiatedAt
      batches { id lotCode product { name } }
      progress {
        ${totals}
        places { facility { id name regionCode } batch { id lotCode } unit onShelfAtStart removed outstanding }
      }`;

// The schema gives the progress totals per unit (lists of Amount) and the
// number of stores cleared; the first contract gave plain numbers. The page
// asks for the former and falls back to the latter if the server refuses it
// as invalid, and shows either.
export const RECALLS = `query Recalls {
  recalls(first: 20, where: {status: OPEN}, orderBy: {field: INITIATED_AT, direction: DESC}) {
    edges { node { ${RECALL_FIELDS('stores cleared effectiveness onShelfAtStart { quantity unit } removed { quantity unit } outstanding { quantity unit }')} } }
  }
}`;

export const RECALLS_FLAT = `query Recalls {
  recalls(first: 20, where: {status: OPEN}, orderBy: {field: INITIATED_AT, direction: DESC}) {
    edges { node { ${RECALL_FIELDS('stores onShelfAtStart removed outstanding effectiveness')} } }
  }
}`;

export function closeRecall(id, note) {
  const n = note ? `, note: ${str(note)}` : '';
  return `mutation CloseRecall {
  closeRecall(id: ${str(id)}${n}) { id status }
}`;
}

const TRACE_BATCH = `id lotCode status producedAt expiresAt product { name category } producer { name } facility { name regionCode }`;
const LEG = `shipmentID batchID from { name } to { name } departedAt arrivedAt coldChain { verdict minC maxC } carrier { name }`;
const SHELF = `batchID store { name } quantity unit shelvedAt removedAt removalReason`;

export const TRACE = `query Trace($code: String!) {
  trace(code: $code) {
    code
    batch { ${TRACE_BATCH} }
    journey { ${LEG} }
    shelf { ${SHELF} }
    inspections { inspectedAt result measurements { name value unit limitMax withinLimits } }
    warnings { code message }
    recalled
  }
}`;

export const BATCHES_BY_LOT = `query BatchesByLot($lot: String!) {
  batches(first: 10, where: {lotCode: $lot}) {
    edges { node { id lotCode product { name } } }
  }
}`;

// Both directions in one request. The root's own fields, its journey and
// shelf placements (DOWNSTREAM lists the root's too) fill the trace view
// when the lot was opened by id rather than by a trace code.
export const LINEAGE = `query Lineage($id: ID!) {
  down: lineage(batchId: $id, direction: DOWNSTREAM, maxDepth: 10) {
    root { ${TRACE_BATCH} }
    truncated
    nodes { depth batch { id lotCode status product { name } } }
    edges { outputID inputID quantity unit depth }
    shelfEvents { ${SHELF} }
    shipments { ${LEG} }
  }
  up: lineage(batchId: $id, direction: UPSTREAM, maxDepth: 10) {
    truncated
    nodes { depth batch { id lotCode status product { name } } }
    edges { outputID inputID quantity unit depth }
  }
}`;
