package graph

import (
	"context"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/facility"
	"suyuan/ent/organization"
	"suyuan/ent/pallet"
	"suyuan/ent/palletitem"
	"suyuan/ent/product"
	"suyuan/internal/cnid"
	"suyuan/internal/errcode"
	"suyuan/internal/gs1"
	"suyuan/internal/tenancy"
)

// Lookups by the keys partners hold: GLNs, GTINs, lot codes, credit codes,
// licence numbers. Each is one query through the tenancy policies, like
// node(id:): a row the caller may not read is absent, so the answer is null
// whether the row does not exist or is another tenant's. The key is
// checked first (check digits, lengths), so a mistyped key is told apart
// from one nobody holds.

// organizationByKey finds the organisation with exactly one of a party
// GLN, a credit code or a licence number.
func (r *Resolver) organizationByKey(ctx context.Context, gln, creditCode, licenseNo *string) (*ent.Organization, error) {
	given := 0
	for _, k := range []*string{gln, creditCode, licenseNo} {
		if k != nil {
			given++
		}
	}
	if given != 1 {
		return nil, errcode.New(errcode.BadUserInput, "give exactly one of gln, creditCode and licenseNo")
	}
	q := r.client.Organization.Query()
	switch {
	case gln != nil:
		v, err := gs1.GLN(*gln)
		if err != nil {
			return nil, errcode.WithField(err, "gln")
		}
		q.Where(organization.Gln(v))
	case creditCode != nil:
		v, err := cnid.CreditCode(*creditCode)
		if err != nil {
			return nil, errcode.WithField(err, "creditCode")
		}
		q.Where(organization.CreditCode(v))
	default:
		v, err := cnid.LicenseNo(*licenseNo)
		if err != nil {
			return nil, errcode.WithField(err, "licenseNo")
		}
		q.Where(organization.LicenseNo(v))
	}
	q, err := q.CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	// GLNs and credit codes are unique; licence numbers are not held
	// unique by the database, so a second match is looked for and, when
	// there is one, the caller is asked for a key that tells them apart
	// (both are rows it reads, so naming the ambiguity reveals nothing).
	orgs, err := q.Limit(2).All(ctx)
	switch {
	case err != nil:
		return nil, err
	case len(orgs) > 1:
		return nil, errcode.Field(errcode.BadUserInput, "licenseNo", "several organisations hold this licence number; look one up by creditCode or gln")
	case len(orgs) == 0:
		return nil, nil
	}
	return orgs[0], nil
}

// facilityByGLN finds the facility with a GLN.
func (r *Resolver) facilityByGLN(ctx context.Context, gln string) (*ent.Facility, error) {
	v, err := gs1.GLN(gln)
	if err != nil {
		return nil, errcode.WithField(err, "gln")
	}
	q, err := r.client.Facility.Query().Where(facility.Gln(v)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return absentAsNil(q.Only(ctx))
}

// productByGTIN finds the product with a GTIN of any length: products keep
// theirs as GTIN-14.
func (r *Resolver) productByGTIN(ctx context.Context, gtin string) (*ent.Product, error) {
	v, err := gs1.GTIN(gtin)
	if err != nil {
		return nil, errcode.WithField(err, "gtin")
	}
	q, err := r.client.Product.Query().Where(product.Gtin(v)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return absentAsNil(q.Only(ctx))
}

// batchByLot finds the lot of a product, as a GS1 Digital Link names it
// (AI 01 with AI 10). Whoever reads a batch reads its product, so the
// product is matched beneath the policies, in the same statement.
func (r *Resolver) batchByLot(ctx context.Context, gtin, lot string) (*ent.Batch, error) {
	v, err := gs1.GTIN(gtin)
	if err != nil {
		return nil, errcode.WithField(err, "gtin")
	}
	if err := gs1.LotCode(lot); err != nil {
		return nil, errcode.WithField(err, "lot")
	}
	q, err := r.client.Batch.Query().
		Where(batch.LotCode(lot), batch.HasProductWith(product.Gtin(v))).
		CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return absentAsNil(q.Only(ctx))
}

// batchesBySSCC lists the lots on a pallet now. Pallets are the capture
// path's own rows: which lots a pallet holds is read with the system's
// privileges, and the lots themselves through the caller's policies, so an
// SSCC tells a caller nothing of lots it may not read.
func (r *Resolver) batchesBySSCC(ctx context.Context, sscc string) ([]*ent.Batch, error) {
	v, err := gs1.SSCC(sscc)
	if err != nil {
		return nil, errcode.WithField(err, "sscc")
	}
	ids, err := r.client.PalletItem.Query().
		Where(palletitem.HasPalletWith(pallet.Sscc(v)), palletitem.RemovedAtIsNil()).
		Select(palletitem.FieldBatchID).Ints(tenancy.System(ctx))
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []*ent.Batch{}, nil
	}
	q, err := r.client.Batch.Query().Where(batch.IDIn(ids...)).Order(ent.Asc(batch.FieldID)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

// absentAsNil answers a lookup that found nothing with null rather than
// NOT_FOUND: asking by a key is a question, and "none that you may see" is
// its answer.
func absentAsNil[T any](row *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return row, err
}

// glnConflict names the GLN, not the credit code, as the cause of a
// CONFLICT the recorder reports when another organisation holds the GLN
// given. It runs only after the recorder has authorised the change and the
// database has refused it, so it tells the caller nothing it could not
// have learnt by asking.
func (r *Resolver) glnConflict(ctx context.Context, err error, gln *string, self int) error {
	if gln == nil || errcode.CodeOf(err) != errcode.Conflict {
		return err
	}
	taken, qerr := r.client.Organization.Query().
		Where(organization.Gln(*gln), organization.IDNEQ(self)).
		Exist(tenancy.System(ctx))
	if qerr != nil || !taken {
		return err
	}
	return errcode.Field(errcode.Conflict, "gln", "another organisation has this GLN")
}
