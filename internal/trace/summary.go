package trace

import (
	"context"
	"database/sql"
	"fmt"
)

// orgColumns and facilityColumns select an organisation or a facility with
// its organisation (unless omitted) under the given table aliases;
// facilityJoin is the join of that organisation.
func orgColumns(o string) string {
	return fmt.Sprintf("%[1]s.id, %[1]s.name, %[1]s.kind, %[1]s.region_code, %[1]s.license_no", o)
}

func facilityColumns(f, o string, omit Omit) string {
	cols := fmt.Sprintf("%[1]s.id, %[1]s.name, %[1]s.kind, %[1]s.public", f)
	if !omit.has(OmitFacilityDetails) {
		cols += fmt.Sprintf(", %[1]s.address, %[1]s.region_code, %[1]s.gln", f)
	}
	if omit.has(OmitFacilityOrganizations) {
		return cols
	}
	return cols + ", " + orgColumns(o)
}

func facilityJoin(f, o string, omit Omit) string {
	if omit.has(OmitFacilityOrganizations) {
		return ""
	}
	return "\nJOIN organizations " + o + " ON " + o + ".id = " + f + ".organization_id"
}

func (o *Organization) dest() []any {
	return []any{&o.ID, &o.Name, &o.Kind, &o.RegionCode, &o.LicenseNo}
}

func (f *Facility) dest(omit Omit) []any {
	d := []any{&f.ID, &f.Name, &f.Kind, &f.Public}
	if !omit.has(OmitFacilityDetails) {
		d = append(d, &f.Address, &f.RegionCode, &f.Gln)
	}
	if omit.has(OmitFacilityOrganizations) {
		return d
	}
	return append(d, f.Organization.dest()...)
}

// batchSelect reads batches with product, producer and facility in one
// statement.
const batchSelect = `b.id, b.lot_code, b.produced_at, b.expires_at, b.status, b.quantity, b.unit,
  p.id, p.name, p.category, p.gtin, p.unit, p.shelf_life_days, p.storage_min_c, p.storage_max_c, `

func batchQuery(where string, omit Omit) string {
	return "SELECT " + batchColumns(omit) + "\nFROM batches b" + batchJoins(omit) + "\nWHERE " + where
}

// batchColumns are the columns scanBatch reads, under the aliases of
// batchJoins, which joins them to batches b.
func batchColumns(omit Omit) string {
	return batchSelect + orgColumns("o") + ", " + facilityColumns("f", "fo", omit)
}

func batchJoins(omit Omit) string {
	return `
JOIN products p ON p.id = b.product_id
JOIN organizations o ON o.id = b.organization_id
JOIN facilities f ON f.id = b.facility_id` + facilityJoin("f", "fo", omit)
}

// scanBatch reads a row of batchColumns, after the row's first columns,
// which go to lead.
func (r *Reader) scanBatch(rows *sql.Rows, omit Omit, lead ...any) (*Batch, error) {
	var (
		b                Batch
		produced, expiry timeValue
	)
	dest := append(lead[:len(lead):len(lead)], &b.ID, &b.LotCode, &produced, &expiry, &b.Status, &b.Quantity, &b.Unit,
		&b.Product.ID, &b.Product.Name, &b.Product.Category, &b.Product.Gtin, &b.Product.Unit,
		&b.Product.ShelfLifeDays, &b.Product.StorageMinC, &b.Product.StorageMaxC)
	dest = append(dest, b.Producer.dest()...)
	dest = append(dest, b.Facility.dest(omit)...)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	b.ProducedAt = produced.T
	b.ExpiresAt = expiry.ptr()
	b.Expired = b.ExpiresAt != nil && b.ExpiresAt.Before(r.now())
	return &b, nil
}

// Batches returns the batches with the given ids, with product, producer
// and facility, keyed by id; ids that do not exist are absent.
func (r *Reader) Batches(ctx context.Context, ids []int) (map[int]*Batch, error) {
	out := make(map[int]*Batch, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, args := in(unique(ids))
	o := omitted(ctx)
	err := r.query(ctx, batchQuery("b.id IN "+list, o), args, func(rows *sql.Rows) error {
		b, err := r.scanBatch(rows, o)
		if err != nil {
			return err
		}
		out[b.ID] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading batches: %w", err)
	}
	return out, nil
}

// Facilities returns facilities with their organisations, keyed by id.
func (r *Reader) Facilities(ctx context.Context, ids []int) (map[int]*Facility, error) {
	out := make(map[int]*Facility, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, args := in(unique(ids))
	q := "SELECT " + facilityColumns("f", "fo", 0) + " FROM facilities f" + facilityJoin("f", "fo", 0) + " WHERE f.id IN " + list
	err := r.query(ctx, q, args, func(rows *sql.Rows) error {
		var f Facility
		if err := rows.Scan(f.dest(0)...); err != nil {
			return err
		}
		out[f.ID] = &f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading facilities: %w", err)
	}
	return out, nil
}
