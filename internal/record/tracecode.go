package record

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/tracecode"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/store"
)

// IssueTraceCodesInput asks for new codes for a batch.
type IssueTraceCodesInput struct {
	BatchID    int   `json:"batchID"`
	Count      int   `json:"count"`
	Serialized *bool `json:"serialized"`
}

// MaxTraceCodes bounds one request for codes.
const MaxTraceCodes = 1000

// codeEncoding is lower-case base32 without padding: URL-safe, free of
// characters that look alike in print (no 0/1/8/9), and case-insensitive
// when typed.
var codeEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewTraceCode returns an opaque code of 100 random bits (20 characters), so
// codes cannot be guessed from one another.
func NewTraceCode() string {
	var b [13]byte
	rand.Read(b[:]) // never fails: crypto/rand panics rather than return an error
	return codeEncoding.EncodeToString(b[:])[:20]
}

// IssueTraceCodes creates count new codes for a batch. Serialised codes get
// consecutive serial numbers after the batch's highest.
func (r *Recorder) IssueTraceCodes(ctx context.Context, in IssueTraceCodesInput) ([]*ent.TraceCode, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if in.Count < 1 || in.Count > MaxTraceCodes {
		return nil, errcode.Field(errcode.BadUserInput, "count", "count must be between 1 and %d", MaxTraceCodes)
	}
	serialized := in.Serialized != nil && *in.Serialized
	var out []*ent.TraceCode
	_, err = r.log.Record(ctx, "issueTraceCodes", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		b, err := tx.Batch.Query().Where(batch.ID(in.BatchID)).WithProduct().WithFacility().Only(ctx)
		if err != nil {
			return notFound(err, "batchID", "batch")
		}
		if err := mayWrite(v, "batchID", b.OrganizationID); err != nil {
			return err
		}
		next := 1
		if serialized {
			n, err := tx.TraceCode.Query().Where(tracecode.BatchID(b.ID), tracecode.SerialNotNil()).Count(ctx)
			if err != nil {
				return fmt.Errorf("counting serials: %w", err)
			}
			next = n + 1
		}
		bulk := make([]*ent.TraceCodeCreate, in.Count)
		for i := range bulk {
			c := tx.TraceCode.Create().SetBatchID(b.ID).SetCode(NewTraceCode())
			if serialized {
				c.SetSerial(strconv.Itoa(next + i))
			}
			bulk[i] = c
		}
		out, err = tx.TraceCode.CreateBulk(bulk...).Save(ctx)
		if ent.IsConstraintError(err) {
			return errcode.Field(errcode.Conflict, "batchID", "codes for this batch were issued concurrently; try again")
		}
		if err != nil {
			return fmt.Errorf("issuing trace codes: %w", err)
		}
		store.BulkIDs(tx.IDStep, out, func(c *ent.TraceCode) *int { return &c.ID })
		rec.Event(labelled(b, out, r.now()), []int{b.OrganizationID}, b.Edges.Facility.RegionCode)
		rec.Changed(ent.TypeBatch, b.ID)
		rec.Audit("Batch", b.ID, []string{"traceCodes"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, they load their edges outside the finished transaction.
	for i := range out {
		out[i] = out[i].Unwrap()
	}
	return out, nil
}

// labelled is the event of issuing codes: the packages they label are
// commissioned as instances of the lot (its lot number in their ILMD). A
// serialised code of a product with a GTIN is its SGTIN; other codes are
// named by the service's own URN.
func labelled(b *ent.Batch, codes []*ent.TraceCode, now time.Time) epcis.Event {
	e := newEvent(epcis.ObjectEvent, now, epcis.Add, "commissioning", "active")
	gtin := b.Edges.Product.Gtin
	for _, c := range codes {
		if gtin != nil && c.Serial != nil {
			e.EPCList = append(e.EPCList, eventlog.SGTIN(*gtin, *c.Serial))
			continue
		}
		e.EPCList = append(e.EPCList, "urn:suyuan:code:"+c.Code)
	}
	e.ReadPoint, e.BizLocation = placeOf(b.Edges.Facility), placeOf(b.Edges.Facility)
	lot, _ := json.Marshal(b.LotCode)
	e.ILMD = map[string]json.RawMessage{"cbvmda:lotNumber": lot}
	return e
}
