package record

import (
	"context"
	"fmt"
	"time"

	"suyuan/ent"
	"suyuan/ent/document"
	"suyuan/ent/shipment"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/viewer"
)

// DocumentInput is a checked document to attach: its content sniffed and
// hashed by the caller (internal/document), its name sanitised.
type DocumentInput struct {
	// SubjectID is the id of the organisation, batch, inspection or
	// shipment the document is attached to.
	SubjectID   int
	Kind        document.Kind
	Public      bool
	Filename    string
	ContentType string
	SHA256      string
	Content     []byte
}

// ContentKeeper keeps a document's bytes in the recording's transaction
// (document.Store).
type ContentKeeper interface {
	Keep(ctx context.Context, tx *ent.Tx, documentID int, content []byte) error
}

// UploadDocument attaches a document to its subject. Whoever may record
// data for the subject may attach documents to it: its organisation (for
// a batch, its producer; for a shipment, its shipper or carrier), the
// laboratory of an inspection, administrators; read-only keys may not.
// A subject the caller may not write for is FORBIDDEN, as for every
// recording. The change names the subject, whose consumer page shows the
// public certificates on file.
func (r *Recorder) UploadDocument(ctx context.Context, in DocumentInput, keep ContentKeeper) (*ent.Document, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := document.KindValidator(in.Kind); err != nil {
		return nil, errcode.Field(errcode.BadUserInput, "kind", "kind must be QUARANTINE_CERTIFICATE, LAB_REPORT, BUSINESS_LICENCE or OTHER")
	}
	var out *ent.Document
	_, err = r.log.Record(ctx, "uploadDocument", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		node, err := tx.Client().Noder(ctx, in.SubjectID)
		if err != nil {
			return notFound(err, "subject", "organisation, batch, inspection or shipment")
		}
		c := tx.Document.Create().SetKind(in.Kind).SetPublic(in.Public).
			SetFilename(in.Filename).SetContentType(in.ContentType).
			SetSize(int64(len(in.Content))).SetSha256(in.SHA256).
			SetOwnerID(v.OrgID).
			// As stored: times are kept to the millisecond.
			SetUploadedAt(r.now().UTC().Truncate(time.Millisecond))
		if v.UserID != 0 {
			c.SetUploadedByUser(v.UserID)
		}
		if v.KeyID != 0 {
			c.SetUploadedByKey(v.KeyID)
		}
		switch s := node.(type) {
		case *ent.Organization:
			if err := mayWrite(v, "subject", s.ID); err != nil {
				return err
			}
			c.SetOrganizationID(s.ID)
			rec.Changed(ent.TypeOrganization, s.ID)
		case *ent.Batch:
			if err := mayWrite(v, "subject", s.OrganizationID); err != nil {
				return err
			}
			c.SetBatchID(s.ID)
			rec.Changed(ent.TypeBatch, s.ID)
		case *ent.Inspection:
			// As for recording it: the inspecting laboratory (or
			// regulator) itself.
			if v.Role != viewer.Admin && (v.OrgID != s.LabID || v.ReadOnly) {
				return errcode.Field(errcode.Forbidden, "subject", "an inspection's documents are attached by the inspecting organisation")
			}
			c.SetInspectionID(s.ID)
			rec.Changed(ent.TypeInspection, s.ID)
			rec.Changed(ent.TypeBatch, s.BatchID)
		case *ent.Shipment:
			sh, err := tx.Shipment.Query().Where(shipment.ID(s.ID)).WithFromFacility().Only(ctx)
			if err != nil {
				return fmt.Errorf("loading shipment %d: %w", s.ID, err)
			}
			if err := mayWrite(v, "subject", sh.Edges.FromFacility.OrganizationID, sh.CarrierID); err != nil {
				return err
			}
			c.SetShipmentID(s.ID)
			rec.Changed(ent.TypeShipment, s.ID)
		default:
			return errcode.Field(errcode.BadUserInput, "subject", "documents are attached to an organisation, a batch, an inspection or a shipment")
		}
		out, err = c.Save(ctx)
		if err != nil {
			return fmt.Errorf("recording document: %w", err)
		}
		if err := keep.Keep(ctx, tx, out.ID, in.Content); err != nil {
			return err
		}
		rec.Audit("Document", out.ID, []string{"subject", "kind", "public", "filename", "contentType", "size", "sha256"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}
