package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"suyuan/ent"
	entdocument "suyuan/ent/document"
	"suyuan/ent/privacy"
	"suyuan/internal/document"
	"suyuan/internal/errcode"
	"suyuan/internal/record"
	"suyuan/internal/viewer"
)

// multipartAllowance is what an upload's body may hold beyond the file
// itself: the parts' headers, the subject, kind and public fields, the
// boundaries.
const multipartAllowance = 64 << 10

// maxFieldLen bounds the value of an upload's subject, kind and public
// fields.
const maxFieldLen = 64

// uploadDocument attaches a document to an organisation, batch,
// inspection or shipment: POST /documents, multipart/form-data with the
// parts subject (its id), kind, public (optional, true or false) and
// file. The file is hashed as it is read, its type is told from its
// content (internal/document), and a refused file stores nothing. It
// answers 201 with the document's metadata and its address in Location.
func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Credentials come in headers only, never in cookies, so a form
	// posted from another site cannot upload as anyone.
	if viewer.FromContext(ctx) == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="suyuan"`)
		writeError(w, http.StatusUnauthorized, errcode.Unauthenticated, "log in, or send an API key")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		writeError(w, http.StatusUnsupportedMediaType, errcode.UnsupportedMediaType, "send the document as multipart/form-data")
		return
	}
	in, err := s.readUpload(r)
	if err != nil {
		writeCodedError(w, r, err)
		return
	}
	done, err := s.documents.Stage(ctx, in.SHA256, in.Content)
	if err != nil {
		writeCodedError(w, r, err)
		return
	}
	d, err := s.recorder.UploadDocument(ctx, in, s.documents)
	done(err == nil)
	if err != nil {
		writeCodedError(w, r, err)
		return
	}
	w.Header().Set("Location", document.Path(d.ID))
	writeJSON(w, http.StatusCreated, documentJSON(d))
}

// readUpload reads an upload's parts: the fields, and the file, bounded
// by the document size limit and hashed as it is read, then sniffed.
func (s *Server) readUpload(r *http.Request) (record.DocumentInput, error) {
	var in record.DocumentInput
	mr, err := r.MultipartReader()
	if err != nil {
		return in, errcode.New(errcode.InvalidRequest, "the body is not multipart/form-data")
	}
	var subject, kind, public, name string
	var file *bytes.Buffer
	hash := sha256.New()
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, errcode.New(errcode.InvalidRequest, "the multipart body is malformed")
		}
		field := p.FormName()
		switch field {
		case "file":
			if file != nil {
				return in, errcode.Field(errcode.BadUserInput, "file", "send one file per upload")
			}
			file = &bytes.Buffer{}
			name = p.FileName()
			n, err := io.Copy(io.MultiWriter(file, hash), io.LimitReader(p, s.cfg.MaxDocumentSize+1))
			if err != nil {
				return in, errcode.New(errcode.InvalidRequest, "could not read the file")
			}
			if n > s.cfg.MaxDocumentSize {
				return in, errcode.Field(errcode.DocumentTooLarge, "file", "the document exceeds %d bytes", s.cfg.MaxDocumentSize)
			}
		case "subject", "kind", "public":
			b, err := io.ReadAll(io.LimitReader(p, maxFieldLen+1))
			if err != nil || len(b) > maxFieldLen {
				return in, errcode.Field(errcode.BadUserInput, field, "%s is at most %d characters", field, maxFieldLen)
			}
			v := strings.TrimSpace(string(b))
			switch field {
			case "subject":
				subject = v
			case "kind":
				kind = v
			default:
				public = v
			}
		default:
			return in, errcode.Field(errcode.BadUserInput, field, "an upload has the parts subject, kind, public and file only")
		}
	}
	if subject == "" {
		return in, errcode.Field(errcode.BadUserInput, "subject", "give subject: the id of an organisation, batch, inspection or shipment")
	}
	if in.SubjectID, err = strconv.Atoi(subject); err != nil || in.SubjectID <= 0 {
		return in, errcode.Field(errcode.BadUserInput, "subject", "subject must be an id")
	}
	in.Kind = entdocument.Kind(kind)
	if entdocument.KindValidator(in.Kind) != nil {
		return in, errcode.Field(errcode.BadUserInput, "kind", "kind must be QUARANTINE_CERTIFICATE, LAB_REPORT, BUSINESS_LICENCE or OTHER")
	}
	if public != "" {
		if in.Public, err = strconv.ParseBool(public); err != nil {
			return in, errcode.Field(errcode.BadUserInput, "public", "public must be true or false")
		}
	}
	if file == nil {
		return in, errcode.Field(errcode.BadUserInput, "file", "give the document in the part named file")
	}
	if in.ContentType, err = document.Sniff(file.Bytes()); err != nil {
		return in, err
	}
	in.Content = file.Bytes()
	in.SHA256 = hex.EncodeToString(hash.Sum(nil))
	in.Filename = document.CleanName(name, in.ContentType)
	return in, nil
}

// documentJSON is an uploaded document's metadata, named as in GraphQL.
func documentJSON(d *ent.Document) map[string]any {
	return map[string]any{
		"id": strconv.Itoa(d.ID), "kind": d.Kind, "filename": d.Filename,
		"contentType": d.ContentType, "size": d.Size, "sha256": d.Sha256,
		"public": d.Public, "uploadedAt": d.UploadedAt.UTC().Format(time.RFC3339Nano),
		"url": document.Path(d.ID),
	}
}

// serveDocument serves GET /documents/{id} to whoever may read the row
// the document is attached to; to anyone else — an anonymous caller
// included — it answers 404 NOT_FOUND, as for an id that does not exist.
// The content goes out with the type sniffed on upload, never sniffed by
// the browser, as a download, in a sandbox should it be opened.
func (s *Server) serveDocument(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	notFound := func() { writeError(w, http.StatusNotFound, errcode.NotFound, "no such document") }
	id, err := strconv.Atoi(chi.URLParam(r, "id"))
	if err != nil || id <= 0 {
		notFound()
		return
	}
	d, err := s.db.Client.Document.Get(ctx, id)
	switch {
	case ent.IsNotFound(err) || errors.Is(err, privacy.Deny):
		notFound()
		return
	case err != nil:
		writeCodedError(w, r, err)
		return
	}
	content, err := s.documents.Open(ctx, d)
	if err != nil {
		writeCodedError(w, r, err)
		return
	}
	defer content.Close()
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", contentDisposition(d.Filename))
	h.Set("Content-Security-Policy", "sandbox")
	// Access is checked on every request: caches keep the bytes for the
	// caller alone, and ask again before reusing them.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+d.Sha256+`"`)
	http.ServeContent(w, r, "", d.UploadedAt, content)
}

// contentDisposition offers a download under name: an ASCII fallback in
// filename, and the name itself in filename* (RFC 6266, RFC 8187).
func contentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, r := range name {
		if r < 0x80 && r >= 0x20 && r != '"' && r != '\\' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar reports whether b may stand unencoded in an RFC 8187 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
