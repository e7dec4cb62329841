package consumer

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	qrcode "github.com/skip2/go-qrcode"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/privacy"
	"suyuan/ent/product"
	"suyuan/ent/tracecode"
	"suyuan/internal/errcode"
	"suyuan/internal/gs1"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// QR image sizes, in pixels (PNG) or CSS pixels (SVG).
const (
	MinQRSize     = 64
	MaxQRSize     = 1024
	DefaultQRSize = 256
	// MaxPrintCodes bounds one print sheet.
	MaxPrintCodes     = 200
	defaultPrintCodes = 20
)

// qrLevel is the error correction of printed codes: M recovers 15% of the
// symbol, which survives a crease or a smudge on a label without making
// the symbol much denser than L.
const qrLevel = qrcode.Medium

// qrFormat is an image format of a QR code.
type qrFormat string

const (
	qrPNG qrFormat = "png"
	qrSVG qrFormat = "svg"
)

// splitExt cuts ".png" or ".svg" off the end of a path; ok is false for
// anything else.
func splitExt(p string) (rest string, f qrFormat, ok bool) {
	if r, found := strings.CutSuffix(p, ".png"); found {
		return r, qrPNG, true
	}
	if r, found := strings.CutSuffix(p, ".svg"); found {
		return r, qrSVG, true
	}
	return p, "", false
}

// qrSymbol encodes content; the bitmap includes the 4-module quiet zone
// that the QR standard requires around the symbol.
func qrSymbol(content string) ([][]bool, error) {
	q, err := qrcode.New(content, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	return q.Bitmap(), nil
}

// renderPNG draws the symbol at size×size pixels. Modules are a whole
// number of pixels each (go-qrcode's own PNG scales by nearest neighbour,
// which makes modules of uneven width at most sizes); the spare pixels
// widen the quiet zone evenly. A size smaller than the symbol gives one
// pixel per module.
func renderPNG(bm [][]bool, size int) ([]byte, error) {
	n := len(bm)
	scale := size / n
	if scale < 1 {
		scale, size = 1, n
	}
	off := (size - scale*n) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				i := img.PixOffset(off+x*scale, off+y*scale+dy)
				for dx := 0; dx < scale; dx++ {
					img.Pix[i+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// renderSVG draws the symbol as one path of horizontal runs on a white
// square, in module units scaled to size. crispEdges keeps printers and
// screens from blurring module edges.
func renderSVG(bm [][]bool, size int) []byte {
	n := len(bm)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, size, size, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < n && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

// qrSize reads ?size=, DefaultQRSize when absent.
func qrSize(r *http.Request) (int, error) {
	v := r.URL.Query().Get("size")
	if v == "" {
		return DefaultQRSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < MinQRSize || n > MaxQRSize {
		return 0, errcode.Field(errcode.BadUserInput, "size", "size must be a whole number of pixels from %d to %d", MinQRSize, MaxQRSize)
	}
	return n, nil
}

// qrOpaque serves /qr/{code}.png|svg: the QR code of an opaque trace
// code's page.
func (h *Handler) qrOpaque(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) {
		return
	}
	code, f, ok := splitExt(chi.URLParam(r, "file"))
	if !ok {
		h.fail(w, r, h.errorFormat(r), negotiateLang(r), errcode.Field(errcode.NotFound, "format", "QR images are .png or .svg"))
		return
	}
	if err := checkOpaqueCode(code); err != nil {
		h.fail(w, r, h.errorFormat(r), negotiateLang(r), err)
		return
	}
	ctx := privacy.DecisionContext(r.Context(), privacy.Allow)
	found, err := h.client.TraceCode.Query().Where(tracecode.Code(code)).Exist(ctx)
	if err == nil && !found {
		err = errcode.Field(errcode.NotFound, "code", "no product is known by this code")
	}
	if err != nil {
		h.fail(w, r, h.errorFormat(r), negotiateLang(r), err)
		return
	}
	h.serveQR(w, r, h.base+"/t/"+url.PathEscape(code), f)
}

// qrDigitalLink serves /qr/01/{gtin}/10/{lot}[/21/{serial}].png|svg: the
// QR code of a batch's or an item's Digital Link. A ?17=YYMMDD expiry date
// is carried into the link.
func (h *Handler) qrDigitalLink(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) {
		return
	}
	lg := negotiateLang(r)
	p, f, ok := splitExt(strings.TrimPrefix(r.URL.EscapedPath(), "/qr"))
	if !ok {
		h.fail(w, r, h.errorFormat(r), lg, errcode.Field(errcode.NotFound, "format", "QR images are .png or .svg"))
		return
	}
	if q := r.URL.Query().Get("17"); q != "" {
		p += "?17=" + url.QueryEscape(q)
	}
	dl, err := gs1.ParseDigitalLink(p)
	if err != nil {
		h.fail(w, r, h.errorFormat(r), lg, err)
		return
	}
	ctx := privacy.DecisionContext(r.Context(), privacy.Allow)
	q := h.client.Batch.Query().Where(batch.LotCode(dl.Lot), batch.HasProductWith(product.Gtin(dl.GTIN)))
	if dl.Serial != "" {
		q = q.Where(batch.HasTraceCodesWith(tracecode.Serial(dl.Serial)))
	}
	found, err := q.Exist(ctx)
	if err == nil && !found {
		err = errcode.Field(errcode.NotFound, "code", "no product is known by this code")
	}
	if err != nil {
		h.fail(w, r, h.errorFormat(r), lg, err)
		return
	}
	h.serveQR(w, r, dl.URI(h.base), f)
}

func (h *Handler) serveQR(w http.ResponseWriter, r *http.Request, content string, f qrFormat) {
	lg := negotiateLang(r)
	size, err := qrSize(r)
	if err != nil {
		h.fail(w, r, h.errorFormat(r), lg, err)
		return
	}
	bm, err := qrSymbol(content)
	if err != nil {
		h.fail(w, r, h.errorFormat(r), lg, err)
		return
	}
	var b *body
	if f == qrPNG {
		data, err := renderPNG(bm, size)
		if err != nil {
			h.fail(w, r, h.errorFormat(r), lg, err)
			return
		}
		b = newBody(data, "image/png")
	} else {
		b = newBody(renderSVG(bm, size), "image/svg+xml")
	}
	// The image depends only on the URL and the configured base, so it
	// may be kept for a day.
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	h.write(w, r, b)
}

// printLabel is one code on a print sheet.
type printLabel struct {
	Code, Serial string
	SVG          template.HTML
}

// printSheet serves /batches/{id}/codes/print?n=N&offset=M: an HTML page of
// N of the batch's trace codes (in the order they were issued, from the
// M-th) with their QR codes, laid out for printing on labels.
//
// Only the batch's producer (and administrators and the regulators who see
// the batch) may print its codes: an issued code is what makes a package
// traceable, and printed elsewhere it would make a counterfeit look real.
func (h *Handler) printSheet(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) {
		return
	}
	lg := negotiateLang(r)
	ctx := privacy.DecisionContext(r.Context(), privacy.Allow)
	id, err := strconv.Atoi(chi.URLParam(r, "id"))
	if err != nil || id <= 0 {
		h.fail(w, r, formatHTML, lg, errcode.Field(errcode.BadUserInput, "id", "batch id must be a positive number"))
		return
	}
	n, offset := defaultPrintCodes, 0
	if v := r.URL.Query().Get("n"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > MaxPrintCodes {
			h.fail(w, r, formatHTML, lg, errcode.Field(errcode.BadUserInput, "n", "n must be from 1 to %d", MaxPrintCodes))
			return
		}
	}
	if v := r.URL.Query().Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			h.fail(w, r, formatHTML, lg, errcode.Field(errcode.BadUserInput, "offset", "offset must be a whole number, 0 or more"))
			return
		}
	}
	if err := mayPrint(r.Context(), h.client, id); err != nil {
		h.fail(w, r, formatHTML, lg, err)
		return
	}
	b, err := h.client.Batch.Query().Where(batch.ID(id)).WithProduct().Only(ctx)
	if ent.IsNotFound(err) {
		err = errcode.Field(errcode.NotFound, "id", "no batch has this id")
	}
	if err != nil {
		h.fail(w, r, formatHTML, lg, err)
		return
	}
	codes, err := h.client.TraceCode.Query().Where(tracecode.BatchID(id)).
		Order(ent.Asc(tracecode.FieldID)).Offset(offset).Limit(n).All(ctx)
	if err != nil {
		h.fail(w, r, formatHTML, lg, fmt.Errorf("listing trace codes: %w", err))
		return
	}
	view := struct {
		Lang         string
		M            map[string]string
		Product, Lot string
		Labels       []printLabel
	}{Lang: lg.htmlLang(), M: catalogue[lg], Product: b.Edges.Product.Name, Lot: b.LotCode}
	for _, c := range codes {
		bm, err := qrSymbol(h.base + "/t/" + url.PathEscape(c.Code))
		if err != nil {
			h.fail(w, r, formatHTML, lg, err)
			return
		}
		l := printLabel{Code: c.Code, SVG: template.HTML(renderSVG(bm, DefaultQRSize))} // our own markup
		if c.Serial != nil {
			l.Serial = *c.Serial
		}
		view.Labels = append(view.Labels, l)
	}
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, "print", view); err != nil {
		h.fail(w, r, formatHTML, lg, fmt.Errorf("rendering print sheet: %w", err))
		return
	}
	// A batch owner's document: not for shared caches.
	w.Header().Set("Cache-Control", "private, no-store")
	h.securityHeaders(w)
	h.write(w, r, newBody(buf.Bytes(), typeHTML))
}

// errorFormat is the error representation for non-page resources: a page
// for a person who opened the URL, JSON for everything else.
func (h *Handler) errorFormat(r *http.Request) format {
	if quality(r.Header.Get("Accept"), "text", "html") > quality(r.Header.Get("Accept"), "application", "json") {
		return formatHTML
	}
	return formatJSON
}

// checkOpaqueCode refuses what cannot be a trace code before any query:
// 1 to 32 characters, URL-unreserved (letters, digits, - . _ ~).
func checkOpaqueCode(code string) error {
	if code == "" || len(code) > maxCodeLen {
		return errcode.Field(errcode.BadUserInput, "code", "a trace code has 1 to %d characters", maxCodeLen)
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return errcode.Field(errcode.BadUserInput, "code", "a trace code has only letters, digits, '-', '.', '_' and '~'")
		}
	}
	return nil
}

// maxCodeLen is the longest trace code the schema stores.
const maxCodeLen = 32

// mayPrint refuses anonymous callers, and answers NOT_FOUND for a batch
// the caller may not print codes of, as for one that does not exist.
func mayPrint(ctx context.Context, client *ent.Client, batchID int) error {
	if viewer.FromContext(ctx) == nil {
		return errcode.New(errcode.Unauthenticated, "log in to print a batch's codes")
	}
	ok, err := tenancy.ProducerOrRegulator(ctx, client, batchID)
	if err != nil {
		return err
	}
	if !ok {
		return errcode.Field(errcode.NotFound, "id", "no batch has this id")
	}
	return nil
}
