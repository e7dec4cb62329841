package record

import (
	"context"
	"strings"

	"suyuan/ent"
	"suyuan/ent/organization"
	"suyuan/internal/cnid"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/gs1"
	"suyuan/internal/viewer"
)

// normalize replaces *p by its canonical form, or names field on error.
func normalize(p *string, parse func(string) (string, error), field string) error {
	if p == nil {
		return nil
	}
	v, err := parse(*p)
	if err != nil {
		return errcode.WithField(err, field)
	}
	*p = v
	return nil
}

// name trims a display name and refuses empty or over-long ones.
func name(p *string, field string) error {
	if p == nil {
		return nil
	}
	*p = strings.TrimSpace(*p)
	if *p == "" {
		return errcode.Field(errcode.BadUserInput, field, "must not be empty")
	}
	return checkText(*p, field, 200)
}

// conflictOn maps a uniqueness violation to CONFLICT on field.
func conflictOn(err error, field, format string, args ...any) error {
	if ent.IsConstraintError(err) {
		return errcode.Field(errcode.Conflict, field, format, args...)
	}
	return err
}

// needsLicense reports whether an organisation of kind k must hold a food
// production licence.
func needsLicense(k organization.Kind) bool {
	return k == organization.KindPRODUCER || k == organization.KindPROCESSOR
}

// CreateOrganization validates and stores an organisation.
func (r *Recorder) CreateOrganization(ctx context.Context, in ent.CreateOrganizationInput) (*ent.Organization, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if v.Role != viewer.Admin {
		return nil, errcode.New(errcode.Forbidden, "only administrators register organisations")
	}
	if err := name(&in.Name, "name"); err != nil {
		return nil, err
	}
	if err := organization.KindValidator(in.Kind); err != nil {
		return nil, errcode.Field(errcode.BadUserInput, "kind", "unknown organisation kind")
	}
	for _, n := range []struct {
		p     *string
		parse func(string) (string, error)
		field string
	}{
		{&in.CreditCode, cnid.CreditCode, "creditCode"},
		{in.Gln, gs1.GLN, "gln"},
		{in.LicenseNo, cnid.LicenseNo, "licenseNo"},
		{&in.RegionCode, cnid.RegionCode, "regionCode"},
		{in.ContactPhone, cnid.Phone, "contactPhone"},
	} {
		if err := normalize(n.p, n.parse, n.field); err != nil {
			return nil, err
		}
	}
	if needsLicense(in.Kind) && in.LicenseNo == nil {
		return nil, errcode.Field(errcode.InvalidLicenseNo, "licenseNo", "producers and processors must give their food production licence number")
	}
	var out *ent.Organization
	_, err = r.log.Record(ctx, "createOrganization", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		c := tx.Organization.Create().SetInput(in)
		o, err := c.Save(ctx)
		if err != nil {
			return conflictOn(err, "creditCode", "an organisation with credit code %s exists", in.CreditCode)
		}
		out = o
		rec.Changed(ent.TypeOrganization, o.ID)
		rec.Audit("Organization", o.ID, c.Mutation().Fields())
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// UpdateOrganization validates and applies changes to an organisation.
func (r *Recorder) UpdateOrganization(ctx context.Context, id int, in ent.UpdateOrganizationInput) (*ent.Organization, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if v.Role != viewer.Admin {
		// An organisation's own administrator keeps its details up to
		// date; what it is and whether it may operate are the platform's.
		if v.Role != viewer.OrgAdmin || v.OrgID != id {
			return nil, errcode.Field(errcode.Forbidden, "id", "only administrators and the organisation's own administrators change it")
		}
		if in.Kind != nil || in.Status != nil || in.CreditCode != nil {
			return nil, errcode.Field(errcode.Forbidden, "kind", "kind, status and credit code are changed by administrators")
		}
	}
	if err := name(in.Name, "name"); err != nil {
		return nil, err
	}
	for _, n := range []struct {
		p     *string
		parse func(string) (string, error)
		field string
	}{
		{in.CreditCode, cnid.CreditCode, "creditCode"},
		{in.Gln, gs1.GLN, "gln"},
		{in.LicenseNo, cnid.LicenseNo, "licenseNo"},
		{in.RegionCode, cnid.RegionCode, "regionCode"},
		{in.ContactPhone, cnid.Phone, "contactPhone"},
	} {
		if err := normalize(n.p, n.parse, n.field); err != nil {
			return nil, err
		}
	}
	var out *ent.Organization
	_, err = r.log.Record(ctx, "updateOrganization", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		cur, err := tx.Organization.Get(ctx, id)
		if err != nil {
			return notFound(err, "id", "organisation")
		}
		kind := cur.Kind
		if in.Kind != nil {
			kind = *in.Kind
		}
		hasLicense := (cur.LicenseNo != nil && !in.ClearLicenseNo) || in.LicenseNo != nil
		if needsLicense(kind) && !hasLicense {
			return errcode.Field(errcode.InvalidLicenseNo, "licenseNo", "producers and processors must give their food production licence number")
		}
		u := tx.Organization.UpdateOneID(id).SetInput(in)
		out, err = u.Save(ctx)
		if err != nil {
			return conflictOn(err, "creditCode", "another organisation has this credit code")
		}
		rec.Changed(ent.TypeOrganization, id)
		rec.Audit("Organization", id, changed(u.Mutation()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// CreateFacility validates and stores a facility.
func (r *Recorder) CreateFacility(ctx context.Context, in ent.CreateFacilityInput) (*ent.Facility, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := name(&in.Name, "name"); err != nil {
		return nil, err
	}
	if err := facilityFields(&in.RegionCode, in.Gln, in.Address, in.Latitude, in.Longitude); err != nil {
		return nil, err
	}
	var out *ent.Facility
	_, err = r.log.Record(ctx, "createFacility", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		if _, err := tx.Organization.Get(ctx, in.OrganizationID); err != nil {
			return notFound(err, "organizationID", "organisation")
		}
		if err := mayWrite(v, "organizationID", in.OrganizationID); err != nil {
			return err
		}
		c := tx.Facility.Create().SetInput(in)
		var err error
		if out, err = c.Save(ctx); err != nil {
			return conflictOn(err, "gln", "another facility has this GLN")
		}
		rec.Changed(ent.TypeFacility, out.ID)
		rec.Audit("Facility", out.ID, c.Mutation().Fields())
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// UpdateFacility validates and applies changes to a facility.
func (r *Recorder) UpdateFacility(ctx context.Context, id int, in ent.UpdateFacilityInput) (*ent.Facility, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := name(in.Name, "name"); err != nil {
		return nil, err
	}
	if err := facilityFields(in.RegionCode, in.Gln, in.Address, in.Latitude, in.Longitude); err != nil {
		return nil, err
	}
	var out *ent.Facility
	_, err = r.log.Record(ctx, "updateFacility", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		cur, err := tx.Facility.Get(ctx, id)
		if err != nil {
			return notFound(err, "id", "facility")
		}
		if err := mayWrite(v, "id", cur.OrganizationID); err != nil {
			return err
		}
		u := tx.Facility.UpdateOneID(id).SetInput(in)
		if out, err = u.Save(ctx); err != nil {
			return conflictOn(err, "gln", "another facility has this GLN")
		}
		rec.Changed(ent.TypeFacility, id)
		rec.Audit("Facility", id, changed(u.Mutation()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

func facilityFields(region, gln, address *string, lat, lng *float64) error {
	if err := normalize(region, cnid.RegionCode, "regionCode"); err != nil {
		return err
	}
	if err := normalize(gln, gs1.GLN, "gln"); err != nil {
		return err
	}
	if address != nil {
		if err := checkText(*address, "address", 500); err != nil {
			return err
		}
	}
	if err := inRange(lat, -90, 90, "latitude"); err != nil {
		return err
	}
	return inRange(lng, -180, 180, "longitude")
}

// CreateProduct validates and stores a product.
func (r *Recorder) CreateProduct(ctx context.Context, in ent.CreateProductInput) (*ent.Product, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := name(&in.Name, "name"); err != nil {
		return nil, err
	}
	if !in.Unit.Valid() {
		return nil, errcode.Field(errcode.InvalidUnit, "unit", "unknown unit")
	}
	if err := productFields(in.Gtin, in.ShelfLifeDays, in.StorageMinC, in.StorageMaxC, in.Description); err != nil {
		return nil, err
	}
	var out *ent.Product
	_, err = r.log.Record(ctx, "createProduct", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		if _, err := tx.Organization.Get(ctx, in.OrganizationID); err != nil {
			return notFound(err, "organizationID", "organisation")
		}
		if err := mayWrite(v, "organizationID", in.OrganizationID); err != nil {
			return err
		}
		c := tx.Product.Create().SetInput(in)
		var err error
		if out, err = c.Save(ctx); err != nil {
			return conflictOn(err, "gtin", "another product has this GTIN")
		}
		rec.Changed(ent.TypeProduct, out.ID)
		rec.Audit("Product", out.ID, c.Mutation().Fields())
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// UpdateProduct validates and applies changes to a product.
func (r *Recorder) UpdateProduct(ctx context.Context, id int, in ent.UpdateProductInput) (*ent.Product, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := name(in.Name, "name"); err != nil {
		return nil, err
	}
	if in.Unit != nil && !in.Unit.Valid() {
		return nil, errcode.Field(errcode.InvalidUnit, "unit", "unknown unit")
	}
	if err := productFields(in.Gtin, in.ShelfLifeDays, in.StorageMinC, in.StorageMaxC, in.Description); err != nil {
		return nil, err
	}
	var out *ent.Product
	_, err = r.log.Record(ctx, "updateProduct", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		cur, err := tx.Product.Get(ctx, id)
		if err != nil {
			return notFound(err, "id", "product")
		}
		if err := mayWrite(v, "id", cur.OrganizationID); err != nil {
			return err
		}
		lo, hi := cur.StorageMinC, cur.StorageMaxC
		if in.ClearStorageMinC {
			lo = nil
		}
		if in.StorageMinC != nil {
			lo = in.StorageMinC
		}
		if in.ClearStorageMaxC {
			hi = nil
		}
		if in.StorageMaxC != nil {
			hi = in.StorageMaxC
		}
		if lo != nil && hi != nil && *lo > *hi {
			return errcode.Field(errcode.BadUserInput, "storageMinC", "lowest storage temperature exceeds the highest")
		}
		u := tx.Product.UpdateOneID(id).SetInput(in)
		if out, err = u.Save(ctx); err != nil {
			return conflictOn(err, "gtin", "another product has this GTIN")
		}
		rec.Changed(ent.TypeProduct, id)
		rec.Audit("Product", id, changed(u.Mutation()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

func productFields(gtin *string, shelfLife *int, lo, hi *float64, desc *string) error {
	if err := normalize(gtin, gs1.GTIN, "gtin"); err != nil {
		return err
	}
	if shelfLife != nil && (*shelfLife < 1 || *shelfLife > 3650) {
		return errcode.Field(errcode.BadUserInput, "shelfLifeDays", "shelf life must be 1–3650 days")
	}
	if err := inRange(lo, -80, 60, "storageMinC"); err != nil {
		return err
	}
	if err := inRange(hi, -80, 60, "storageMaxC"); err != nil {
		return err
	}
	if lo != nil && hi != nil && *lo > *hi {
		return errcode.Field(errcode.BadUserInput, "storageMinC", "lowest storage temperature exceeds the highest")
	}
	if desc != nil {
		return checkText(*desc, "description", 2000)
	}
	return nil
}

// changed lists the fields an update sets or clears.
func changed(m ent.Mutation) []string {
	return append(m.Fields(), m.ClearedFields()...)
}
