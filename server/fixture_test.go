package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"suyuan/internal/cnid"
	"suyuan/internal/gs1"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// creditCode returns a valid unified social credit code numbered n.
func creditCode(t testing.TB, n int) string {
	t.Helper()
	first := fmt.Sprintf("91511800MA%07d", n)
	c, err := cnid.CreditCodeCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// gtin returns a valid GTIN-13 numbered n.
func gtin(t testing.TB, n int) string {
	t.Helper()
	body := fmt.Sprintf("690%09d", n)
	c, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// chain is a small supply chain built through the API: a farm, a
// slaughterhouse, a carrier, a store and a laboratory.
type chain struct {
	farmOrg, plantOrg, carrierOrg, shopOrg, labOrg string
	farm, plant, store                             string
	pigs, pork                                     string // products
}

const createOrg = `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id } }`
const createFacility = `mutation($in: CreateFacilityInput!) { createFacility(input: $in) { id } }`
const createProduct = `mutation($in: CreateProductInput!) { createProduct(input: $in) { id } }`
const createBatch = `mutation($in: CreateBatchInput!) { createBatch(input: $in) { id lotCode quantity unit expiresAt } }`
const recordShipment = `mutation($in: RecordShipmentInput!) { recordShipment(input: $in) { id status } }`
const recordArrival = `mutation($id: ID!, $at: Time!, $ok: Boolean!) { recordArrival(id: $id, arrivedAt: $at, accepted: $ok) { id status arrivedAt } }`
const shelveBatch = `mutation($in: ShelveBatchInput!) { shelveBatch(input: $in) { id quantity } }`

func (a *api) org(kind string) string {
	a.t.Helper()
	*a.seq++
	in := map[string]any{
		"name": kind + " " + strconv.Itoa(*a.seq), "kind": kind,
		"creditCode": creditCode(a.t, *a.seq), "regionCode": "511802",
		"contactPhone": "138 0000 " + fmt.Sprintf("%04d", *a.seq),
	}
	if kind == "PRODUCER" || kind == "PROCESSOR" {
		in["licenseNo"] = fmt.Sprintf("SC1%013d", *a.seq)
	}
	var out struct{ CreateOrganization struct{ ID string } }
	a.must(&out, createOrg, map[string]any{"in": in})
	return out.CreateOrganization.ID
}

func (a *api) facility(org, kind string) string {
	a.t.Helper()
	var out struct{ CreateFacility struct{ ID string } }
	a.must(&out, createFacility, map[string]any{"in": map[string]any{
		"organizationID": org, "kind": kind, "name": kind + " of " + org,
		"address": "雨城区 1号", "regionCode": "511802",
	}})
	return out.CreateFacility.ID
}

func (a *api) product(org, name, unit string) string {
	a.t.Helper()
	*a.seq++
	var out struct{ CreateProduct struct{ ID string } }
	a.must(&out, createProduct, map[string]any{"in": map[string]any{
		"organizationID": org, "name": name, "category": "MEAT", "unit": unit,
		"gtin": gtin(a.t, *a.seq), "shelfLifeDays": 7, "storageMinC": 0.0, "storageMaxC": 4.0,
	}})
	return out.CreateProduct.ID
}

func (a *api) batch(product, facility, lot string, qty float64, unit string, produced time.Time, inputs ...map[string]any) string {
	a.t.Helper()
	in := map[string]any{
		"productID": product, "facilityID": facility, "lotCode": lot,
		"producedAt": produced, "quantity": qty, "unit": unit,
	}
	if len(inputs) > 0 {
		in["inputs"] = inputs
	}
	var out struct{ CreateBatch struct{ ID string } }
	a.must(&out, createBatch, map[string]any{"in": in})
	return out.CreateBatch.ID
}

func (a *api) newChain() chain {
	a.t.Helper()
	var c chain
	c.farmOrg = a.org("PRODUCER")
	c.plantOrg = a.org("PROCESSOR")
	c.carrierOrg = a.org("CARRIER")
	c.shopOrg = a.org("RETAILER")
	c.labOrg = a.org("LAB")
	c.farm = a.facility(c.farmOrg, "FARM")
	c.plant = a.facility(c.plantOrg, "SLAUGHTERHOUSE")
	c.store = a.facility(c.shopOrg, "STORE")
	c.pigs = a.product(c.farmOrg, "生猪 Live pigs", "HEAD")
	c.pork = a.product(c.plantOrg, "冷鲜猪里脊 Chilled pork loin", "KG")
	return c
}

// ship records a shipment departing at dep and, when arr is not zero,
// arriving at arr; it returns the shipment's id.
func (a *api) ship(carrier, from, to string, dep, arr time.Time, items ...map[string]any) string {
	a.t.Helper()
	var out struct{ RecordShipment struct{ ID string } }
	a.must(&out, recordShipment, map[string]any{"in": map[string]any{
		"carrierID": carrier, "fromFacilityID": from, "toFacilityID": to,
		"vehiclePlate": "川T12345", "referenceDoc": "WB-1", "departedAt": dep, "items": items,
	}})
	id := out.RecordShipment.ID
	if !arr.IsZero() {
		a.must(nil, recordArrival, map[string]any{"id": id, "at": arr, "ok": true})
	}
	return id
}

func item(batch string, qty float64, unit string) map[string]any {
	return map[string]any{"batchID": batch, "quantity": qty, "unit": unit}
}

// day returns a fixed time d days after a fixed origin, so tests are
// repeatable and never in the future.
func day(d float64) time.Time {
	return time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(d * float64(24*time.Hour)))
}
