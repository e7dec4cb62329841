package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"

	"suyuan/ent/batch"
	"suyuan/ent/batchinput"
	"suyuan/ent/facility"
	"suyuan/ent/inspection"
	"suyuan/ent/measurement"
	"suyuan/ent/organization"
	"suyuan/ent/product"
	"suyuan/ent/scanevent"
	"suyuan/ent/sensorreading"
	"suyuan/ent/shelfevent"
	"suyuan/ent/shipment"
	"suyuan/ent/shipmentitem"
	"suyuan/ent/stock"
	"suyuan/ent/tracecode"
)

// tableID names a table Generate writes. The order is foreign-key order:
// a chunk is written table by table in this order, so every row's parents
// are in the database before the row itself and foreign keys can stay on.
type tableID int

const (
	tOrganizations tableID = iota
	tFacilities
	tProducts
	tBatches
	tBatchInputs
	tInspections
	tMeasurements
	tShipments
	tShipmentItems
	tSensorReadings
	tShelfEvents
	tTraceCodes
	tScanEvents
	tStocks
	numTables
)

// tableDef is a table and the columns Generate fills, in the order the
// generator appends values. The names come from the generated Ent packages
// so that a renamed field breaks the build rather than the data.
type tableDef struct {
	name string
	cols []string
}

// tables returns the definitions of the tables Generate writes, indexed by
// tableID.
func tables() [numTables]tableDef {
	return [numTables]tableDef{
		tOrganizations: {organization.Table, []string{
			organization.FieldID, organization.FieldCreatedAt, organization.FieldUpdatedAt,
			organization.FieldName, organization.FieldKind, organization.FieldCreditCode,
			organization.FieldLicenseNo, organization.FieldRegionCode, organization.FieldContactPhone,
			organization.FieldStatus,
		}},
		tFacilities: {facility.Table, []string{
			facility.FieldID, facility.FieldCreatedAt, facility.FieldUpdatedAt,
			facility.FieldKind, facility.FieldName, facility.FieldAddress, facility.FieldRegionCode,
			facility.FieldGln, facility.FieldPublic, facility.FieldLatitude, facility.FieldLongitude,
			facility.FieldOrganizationID,
		}},
		tProducts: {product.Table, []string{
			product.FieldID, product.FieldCreatedAt, product.FieldUpdatedAt,
			product.FieldName, product.FieldCategory, product.FieldGtin, product.FieldUnit,
			product.FieldShelfLifeDays, product.FieldStorageMinC, product.FieldStorageMaxC,
			product.FieldDescription, product.FieldOrganizationID,
		}},
		tBatches: {batch.Table, []string{
			batch.FieldID, batch.FieldCreatedAt, batch.FieldUpdatedAt,
			batch.FieldLotCode, batch.FieldProducedAt, batch.FieldQuantity, batch.FieldUnit,
			batch.FieldExpiresAt, batch.FieldStatus, batch.FieldFacilityID,
			batch.FieldOrganizationID, batch.FieldProductID, batch.FieldScanCount,
		}},
		tBatchInputs: {batchinput.Table, []string{
			batchinput.FieldID, batchinput.FieldQuantity, batchinput.FieldUnit,
			batchinput.FieldCreatedAt, batchinput.FieldOutputID, batchinput.FieldInputID,
		}},
		tInspections: {inspection.Table, []string{
			inspection.FieldID, inspection.FieldCreatedAt, inspection.FieldUpdatedAt,
			inspection.FieldInspectedAt, inspection.FieldResult, inspection.FieldCertificateNo,
			inspection.FieldCertificateFile, inspection.FieldNotes, inspection.FieldBatchID,
			inspection.FieldLabID,
		}},
		tMeasurements: {measurement.Table, []string{
			measurement.FieldID, measurement.FieldName, measurement.FieldValue, measurement.FieldUnit,
			measurement.FieldLimitMin, measurement.FieldLimitMax, measurement.FieldInspectionID,
		}},
		tShipments: {shipment.Table, []string{
			shipment.FieldID, shipment.FieldCreatedAt, shipment.FieldUpdatedAt,
			shipment.FieldVehiclePlate, shipment.FieldDepartedAt, shipment.FieldArrivedAt,
			shipment.FieldStatus, shipment.FieldReferenceDoc, shipment.FieldFromFacilityID,
			shipment.FieldToFacilityID, shipment.FieldCarrierID,
		}},
		tShipmentItems: {shipmentitem.Table, []string{
			shipmentitem.FieldID, shipmentitem.FieldQuantity, shipmentitem.FieldUnit,
			shipmentitem.FieldBatchID, shipmentitem.FieldShipmentID,
		}},
		tSensorReadings: {sensorreading.Table, []string{
			sensorreading.FieldID, sensorreading.FieldRecordedAt, sensorreading.FieldTemperatureC,
			sensorreading.FieldHumidity, sensorreading.FieldLatitude, sensorreading.FieldLongitude,
			sensorreading.FieldFacilityID, sensorreading.FieldShipmentID,
		}},
		tShelfEvents: {shelfevent.Table, []string{
			shelfevent.FieldID, shelfevent.FieldCreatedAt, shelfevent.FieldUpdatedAt,
			shelfevent.FieldQuantity, shelfevent.FieldUnit, shelfevent.FieldShelvedAt,
			shelfevent.FieldRemovedAt, shelfevent.FieldRemovalReason, shelfevent.FieldBatchID,
			shelfevent.FieldFacilityID,
		}},
		tTraceCodes: {tracecode.Table, []string{
			tracecode.FieldID, tracecode.FieldCode, tracecode.FieldSerial, tracecode.FieldScanCount,
			tracecode.FieldCreatedAt, tracecode.FieldBatchID,
		}},
		tScanEvents: {scanevent.Table, []string{
			scanevent.FieldID, scanevent.FieldBatchID, scanevent.FieldTraceCodeID, scanevent.FieldScannedAt,
			scanevent.FieldRegionCode, scanevent.FieldClientHash,
		}},
		tStocks: {stock.Table, []string{
			stock.FieldID, stock.FieldOnHandMilli, stock.FieldUnit, stock.FieldUpdatedAt,
			stock.FieldBatchID, stock.FieldFacilityID,
		}},
	}
}

// maxParams bounds the placeholders of one statement. MySQL allows 65,535
// and SQLite (as built by modernc.org/sqlite) 32,766; staying well below
// both keeps statements a few hundred kilobytes at most.
const maxParams = 8000

// chunk is a set of complete rows for every table, written in one
// transaction. Values are flattened: row i of table t is
// args[t][i*len(cols) : (i+1)*len(cols)].
type chunk struct {
	args [numTables][]any
	rows [numTables]int

	// For progress reports: the phase that produced the chunk, the
	// generator's running totals when it was sent, and whether it is the
	// last one.
	phase  string
	counts [numTables]int
	final  bool
}

func (c *chunk) add(t tableID, vals ...any) {
	c.args[t] = append(c.args[t], vals...)
	c.rows[t]++
}

func (c *chunk) total() int {
	n := 0
	for _, r := range c.rows {
		n += r
	}
	return n
}

func (c *chunk) reset() {
	for t := range c.args {
		clear(c.args[t]) // drop references so the values can be collected
		c.args[t] = c.args[t][:0]
		c.rows[t] = 0
	}
	c.phase, c.final = "", false
}

// writer inserts chunks with multi-row INSERT statements on one connection.
type writer struct {
	conn    *sql.Conn
	defs    [numTables]tableDef
	perStmt [numTables]int
}

func newWriter(conn *sql.Conn) *writer {
	w := &writer{conn: conn, defs: tables()}
	for t, d := range w.defs {
		w.perStmt[t] = min(500, maxParams/len(d.cols))
	}
	return w
}

// insertSQL is "INSERT INTO t (c1, …) VALUES (?, …), …" for n rows.
func insertSQL(d tableDef, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(d.name)
	b.WriteString(" (")
	b.WriteString(strings.Join(d.cols, ", "))
	b.WriteString(") VALUES ")
	row := "(" + strings.Repeat("?, ", len(d.cols)-1) + "?)"
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// write inserts c in one transaction.
func (w *writer) write(ctx context.Context, c *chunk) (err error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	for t := range numTables {
		d := w.defs[t]
		ncols := len(d.cols)
		n := c.rows[t]
		var full *sql.Stmt
		for i := 0; i < n; {
			k := min(w.perStmt[t], n-i)
			args := c.args[t][i*ncols : (i+k)*ncols]
			if k == w.perStmt[t] {
				// Full-size statements are prepared once per transaction;
				// parsing a statement with thousands of placeholders costs
				// more than executing it.
				if full == nil {
					if full, err = tx.PrepareContext(ctx, insertSQL(d, k)); err != nil {
						return fmt.Errorf("preparing insert into %s: %w", d.name, err)
					}
					defer full.Close()
				}
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertSQL(d, k), args...)
			}
			if err != nil {
				return fmt.Errorf("inserting into %s: %w", d.name, err)
			}
			i += k
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// autoIncrementRE finds the counter in MySQL's SHOW CREATE TABLE output.
var autoIncrementRE = regexp.MustCompile(`AUTO_INCREMENT=(\d+)`)

// nextID returns the first ID that is free in table's range: past both
// the table's auto-increment counter and its largest ID. Ent's
// sql/globalid feature gives each table its own range of 1<<32 IDs by
// starting the counter at the range's base when the table is created;
// continuing from the counter keeps our rows in range whatever the order
// of the ranges.
func nextID(ctx context.Context, conn *sql.Conn, dialectName, table string) (int64, error) {
	next, err := counter(ctx, conn, dialectName, table)
	if err != nil {
		return 0, err
	}
	var maxID sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(id) FROM "+table).Scan(&maxID); err != nil {
		return 0, fmt.Errorf("reading largest id of %s: %w", table, err)
	}
	if maxID.Valid && maxID.Int64 >= next {
		next = maxID.Int64 + 1
	}
	return next, nil
}

// counter returns the ID the table's auto-increment counter would give
// next.
func counter(ctx context.Context, conn *sql.Conn, dialectName, table string) (int64, error) {
	switch dialectName {
	case dialect.SQLite:
		var seq sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT seq FROM sqlite_sequence WHERE name = ?", table).Scan(&seq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("reading sequence of %s: %w", table, err)
		}
		if seq.Valid {
			return seq.Int64 + 1, nil
		}
		return 1, nil
	case dialect.MySQL:
		var name, ddl string
		if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+table).Scan(&name, &ddl); err != nil {
			return 0, fmt.Errorf("reading definition of %s: %w", table, err)
		}
		// SHOW CREATE TABLE, unlike information_schema, is never served
		// from MySQL 8's statistics cache.
		if m := autoIncrementRE.FindStringSubmatch(ddl); m != nil {
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing auto-increment of %s: %w", table, err)
			}
			return v, nil
		}
		return 1, nil
	}
	return 0, fmt.Errorf("unsupported dialect %q", dialectName)
}

// bumpSequence makes sure the table's auto-increment counter is past
// lastID, so rows created later through Ent do not collide with ours. Both
// engines already advance the counter when an explicit ID above it is
// inserted; this states the requirement rather than relying on it.
func bumpSequence(ctx context.Context, conn *sql.Conn, dialectName, table string, lastID int64) error {
	next, err := counter(ctx, conn, dialectName, table)
	if err != nil {
		return err
	}
	if next > lastID {
		return nil
	}
	switch dialectName {
	case dialect.SQLite:
		res, err := conn.ExecContext(ctx, "UPDATE sqlite_sequence SET seq = ? WHERE name = ?", lastID, table)
		if err != nil {
			return fmt.Errorf("advancing sequence of %s: %w", table, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := conn.ExecContext(ctx, "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", table, lastID); err != nil {
				return fmt.Errorf("advancing sequence of %s: %w", table, err)
			}
		}
	case dialect.MySQL:
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", table, lastID+1)); err != nil {
			return fmt.Errorf("advancing auto-increment of %s: %w", table, err)
		}
	}
	return nil
}
