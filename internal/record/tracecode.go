package record

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strconv"

	"suyuan/ent"
	"suyuan/ent/tracecode"
	"suyuan/internal/audit"
	"suyuan/internal/errcode"
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
	err = r.withTx(ctx, func(tx *ent.Tx) error {
		b, err := tx.Batch.Get(ctx, in.BatchID)
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
		return audit.Write(ctx, tx, "issueTraceCodes", "Batch", b.ID, []string{"traceCodes"})
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
