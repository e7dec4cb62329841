// Package document checks and keeps the files attached to organisations,
// batches, inspections and shipments: it tells a file's type from its
// content (never from its name or the type a client claims), sanitises the
// name it is offered under, and stores the bytes — in the database, or in
// a directory where each file is named by its SHA-256.
package document

import (
	"bytes"
	"image"
	_ "image/jpeg" // registers JPEG with image.DecodeConfig
	_ "image/png"  // registers PNG with image.DecodeConfig
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"suyuan/internal/errcode"
)

// The content types a document may have.
const (
	PDF  = "application/pdf"
	PNG  = "image/png"
	JPEG = "image/jpeg"
)

// eofWindow is how far from the end a PDF's %%EOF marker may lie: writers
// append a line break or a few bytes of padding after it.
const eofWindow = 1024

// Sniff tells the type of a document from its content: a PDF (it starts
// with %PDF- and ends with %%EOF), a PNG or a JPEG (their signature, and a
// header the image decoder reads). Anything else — an executable renamed,
// an HTML page called .pdf, an empty file — is refused with
// DOCUMENT_EMPTY or DOCUMENT_TYPE_REFUSED.
func Sniff(data []byte) (string, error) {
	if len(data) == 0 {
		return "", errcode.Field(errcode.DocumentEmpty, "file", "the file is empty")
	}
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		tail := data[max(0, len(data)-eofWindow):]
		if !bytes.Contains(tail, []byte("%%EOF")) {
			return "", errcode.Field(errcode.DocumentTypeRefused, "file", "the PDF is incomplete: it does not end with %%%%EOF")
		}
		return PDF, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return checkImage(data, "png", PNG)
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return checkImage(data, "jpeg", JPEG)
	}
	return "", errcode.Field(errcode.DocumentTypeRefused, "file", "only PDF, PNG and JPEG files are accepted, told by their content")
}

// checkImage checks that an image's header decodes as the format its signature
// claims.
func checkImage(data []byte, format, contentType string) (string, error) {
	_, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || got != format {
		return "", errcode.Field(errcode.DocumentTypeRefused, "file", "the file starts like a %s image but is not one", strings.ToUpper(format))
	}
	return contentType, nil
}

// maxNameLen bounds a sanitised file name, in characters.
const maxNameLen = 120

// CleanName returns the name a document is offered under: the last
// element of the name the client gave, without control, format or path
// characters, at most maxNameLen characters, with the extension of its
// sniffed type. It is only ever sent back in Content-Disposition; files
// are stored by their hash.
func CleanName(name, contentType string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '/', r == '"', r == ';':
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.Trim(name, ". "))
	base := strings.TrimSuffix(name, path.Ext(name))
	if base == "" {
		base = "document"
	}
	if r := []rune(base); len(r) > maxNameLen {
		base = string(r[:maxNameLen])
	}
	return base + Extension(contentType)
}

// Extension is the file extension of a sniffed content type.
func Extension(contentType string) string {
	switch contentType {
	case PDF:
		return ".pdf"
	case PNG:
		return ".png"
	case JPEG:
		return ".jpg"
	}
	return ""
}

// Path is where the server serves a document's content.
func Path(id int) string { return "/documents/" + strconv.Itoa(id) }
