package document_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"suyuan/internal/document"
	"suyuan/internal/errcode"
)

// MinimalPDF is a one-page PDF with nothing on it.
const minimalPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

func encoded(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	pngData := encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	jpegData := encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	for _, c := range []struct {
		name string
		data []byte
		want string
		code errcode.Code
	}{
		{"pdf", []byte(minimalPDF), document.PDF, ""},
		{"png", pngData, document.PNG, ""},
		{"jpeg", jpegData, document.JPEG, ""},
		{"empty", nil, "", errcode.DocumentEmpty},
		{"ELF executable", []byte("\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 64)), "", errcode.DocumentTypeRefused},
		{"MZ executable", []byte("MZ\x90\x00\x03\x00\x00\x00" + strings.Repeat("\x00", 64)), "", errcode.DocumentTypeRefused},
		{"HTML", []byte("<!DOCTYPE html><script>alert(1)</script>"), "", errcode.DocumentTypeRefused},
		{"HTML after a PDF header", []byte("%PDF-1.4\n<html><script>alert(1)</script></html>"), "", errcode.DocumentTypeRefused},
		{"PNG signature only", []byte("\x89PNG\r\n\x1a\n<html></html>"), "", errcode.DocumentTypeRefused},
		{"JPEG signature only", []byte{0xFF, 0xD8, 0xFF, 0xE0, '<', 'h'}, "", errcode.DocumentTypeRefused},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := document.Sniff(c.data)
			if errcode.CodeOf(err) != c.code && !(err == nil && c.code == "") {
				t.Fatalf("Sniff: error %v, want code %s", err, c.code)
			}
			if got != c.want {
				t.Errorf("Sniff = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	for _, c := range []struct{ in, typ, want string }{
		{"检疫证明.pdf", document.PDF, "检疫证明.pdf"},
		{`C:\Users\farm\scan.PDF`, document.PDF, "scan.pdf"},
		{"../../etc/passwd", document.PNG, "passwd.png"},
		{"report.exe", document.PDF, "report.pdf"},
		{"a\x00b\u202ec\".jpeg", document.JPEG, "abc.jpg"},
		{"", document.PDF, "document.pdf"},
		{"...", document.PNG, "document.png"},
	} {
		if got := document.CleanName(c.in, c.typ); got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
