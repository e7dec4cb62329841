package trace

import (
	"context"
	"database/sql"
	"fmt"
)

// orgColumns and facilityColumns select an organisation or a facility with
// its organisation under the given table aliases.
func orgColumns(o string) string {
	return fmt.Sprintf("%[1]s.id, %[1]s.name, %[1]s.kind, %[1]s.region_code, %[1]s.license_no", o)
}

func facilityColumns(f, o string) string {
	return fmt.Sprintf("%[1]s.id, %[1]s.name, %[1]s.kind, %[1]s.address, %[1]s.region_code, %[1]s.gln, %[1]s.public, ", f) + orgColumns(o)
}

func (o *Organization) dest() []any {
	return []any{&o.ID, &o.Name, &o.Kind, &o.RegionCode, &o.LicenseNo}
}

func (f *Facility) dest() []any {
	return append([]any{&f.ID, &f.Name, &f.Kind, &f.Address, &f.RegionCode, &f.Gln, &f.Public}, f.Organization.dest()...)
}

// batchSelect reads batches with product, producer and facility in one
// statement.
const batchSelect = `SELECT b.id, b.lot_code, b.produced_at, b.expires_at, b.status, b.quantity, b.unit,
  p.id, p.name, p.category, p.gtin, p.unit, p.shelf_life_days, p.storage_min_c, p.storage_max_c, `

func batchQuery(where string) string {
	return batchSelect + orgColumns("o") + ", " + facilityColumns("f", "fo") + `
FROM batches b
JOIN products p ON p.id = b.product_id
JOIN organizations o ON o.id = b.organization_id
JOIN facilities f ON f.id = b.facility_id
JOIN organizations fo ON fo.id = f.organization_id
WHERE ` + where
}

func (r *Reader) scanBatch(rows *sql.Rows) (*Batch, error) {
	var (
		b                Batch
		produced, expiry timeValue
	)
	dest := []any{&b.ID, &b.LotCode, &produced, &expiry, &b.Status, &b.Quantity, &b.Unit,
		&b.Product.ID, &b.Product.Name, &b.Product.Category, &b.Product.Gtin, &b.Product.Unit,
		&b.Product.ShelfLifeDays, &b.Product.StorageMinC, &b.Product.StorageMaxC}
	dest = append(dest, b.Producer.dest()...)
	dest = append(dest, b.Facility.dest()...)
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
	err := r.query(ctx, batchQuery("b.id IN "+list), args, func(rows *sql.Rows) error {
		b, err := r.scanBatch(rows)
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
	q := "SELECT " + facilityColumns("f", "fo") + " FROM facilities f JOIN organizations fo ON fo.id = f.organization_id WHERE f.id IN " + list
	err := r.query(ctx, q, args, func(rows *sql.Rows) error {
		var f Facility
		if err := rows.Scan(f.dest()...); err != nil {
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
