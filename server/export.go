package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"suyuan/ent/batch"
	"suyuan/ent/product"
	"suyuan/internal/errcode"
	"suyuan/internal/fsma"
	"suyuan/internal/reqlog"
	"suyuan/internal/viewer"
)

// fsmaExport serves the FSMA 204 sortable spreadsheet as CSV, for a lot's
// whole trace (?lot=BATCH_ID) or for a product's batches produced in a date
// range (?product=ID&from=YYYY-MM-DD&to=YYYY-MM-DD, to exclusive).
// Administrators and regulators get every event; a firm's users and keys
// get the events their organisation took part in (fsma.Own), of the lots
// and products it may see, so that each firm can produce its own records.
func (s *Server) fsmaExport(w http.ResponseWriter, r *http.Request) {
	if !requireRole(w, r, viewer.Admin, viewer.Regulator, viewer.OrgAdmin, viewer.Staff, viewer.Partner) {
		return
	}
	ctx := r.Context()
	v := viewer.FromContext(ctx)
	q := r.URL.Query()
	var (
		rows []fsma.Row
		name string
		err  error
	)
	switch {
	case q.Has("lot"):
		var id int
		if id, err = intParam(q.Get("lot"), "lot"); err != nil {
			break
		}
		if err = s.visibleBatch(ctx, id); err != nil {
			break
		}
		rows, err = fsma.Lot(ctx, s.reader, id)
		name = "lot-" + q.Get("lot")
	case q.Has("product"):
		var (
			id       int
			from, to time.Time
		)
		if id, err = intParam(q.Get("product"), "product"); err != nil {
			break
		}
		if err = s.visibleProduct(ctx, id); err != nil {
			break
		}
		if from, err = dateParam(q.Get("from"), "from"); err != nil {
			break
		}
		if to, err = dateParam(q.Get("to"), "to"); err != nil {
			break
		}
		rows, err = fsma.Product(ctx, s.reader, id, from, to)
		name = fmt.Sprintf("product-%d-%s-%s", id, q.Get("from"), q.Get("to"))
	default:
		err = errcode.Field(errcode.BadUserInput, "lot", "give lot=BATCH_ID, or product=ID with from and to dates")
	}
	if err != nil {
		writeCodedError(w, r, err)
		return
	}
	if v.Role != viewer.Admin && v.Role != viewer.Regulator {
		rows = fsma.Own(rows, v.OrgID)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="fsma204-`+name+`.csv"`)
	if err := fsma.Write(w, rows); err != nil {
		reqlog.Logger(ctx).Error("writing FSMA export", "error", err.Error())
	}
}

func intParam(v, field string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errcode.Field(errcode.BadUserInput, field, "%s must be a positive id", field)
	}
	return n, nil
}

// dateParam reads a date of the places of events (fsma.Zone): a product's
// batches "from 2026-11-20" include one made at 04:00 that day in Ya'an.
func dateParam(v, field string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, v, fsma.Zone)
	if err != nil {
		return time.Time{}, errcode.Field(errcode.BadUserInput, field, "%s must be a date, YYYY-MM-DD", field)
	}
	return t, nil
}

// writeCodedError answers a plain HTTP request with a coded error: the
// client's own mistakes with their code and status, anything else as
// INTERNAL, logged.
func writeCodedError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errcode.Error
	if !errors.As(err, &e) {
		ctx := r.Context()
		reqlog.Logger(ctx).Error("internal error", "error", err.Error())
		writeError(w, http.StatusInternalServerError, errcode.Internal, "internal error; reference "+reqlog.ID(ctx))
		return
	}
	writeFieldError(w, e.Code.HTTPStatus(), e)
}

func writeFieldError(w http.ResponseWriter, status int, e *errcode.Error) {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		ext["retryAfter"] = secs
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": e.Message, "extensions": ext}}})
}

// visibleBatch refuses, as not found, a batch the viewer may not see (a
// regulator's is in its region).
func (s *Server) visibleBatch(ctx context.Context, id int) error {
	ok, err := s.db.Client.Batch.Query().Where(batch.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("checking the batch: %w", err)
	}
	if !ok {
		return errcode.Field(errcode.NotFound, "lot", "batch not found")
	}
	return nil
}

// visibleProduct refuses, as not found, a product the viewer may not see.
func (s *Server) visibleProduct(ctx context.Context, id int) error {
	ok, err := s.db.Client.Product.Query().Where(product.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("checking the product: %w", err)
	}
	if !ok {
		return errcode.Field(errcode.NotFound, "product", "product not found")
	}
	return nil
}
