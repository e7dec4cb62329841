package errcode_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"testing"

	"suyuan/internal/errcode"
)

// TestAllHasEveryConstant holds All to the constants of type Code declared
// in errcode.go, so a new code cannot be left out of the registry's list
// (and so of the documentation test below).
func TestAllHasEveryConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errcode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[errcode.Code]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, val := range v.Values {
				s, err := strconv.Unquote(val.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				declared[errcode.Code(s)] = true
			}
		}
	}
	listed := map[errcode.Code]bool{}
	for _, c := range errcode.All() {
		if listed[c] {
			t.Errorf("All lists %s twice", c)
		}
		listed[c] = true
		if !declared[c] {
			t.Errorf("All lists %s, which errcode.go does not declare", c)
		}
	}
	for c := range declared {
		if !listed[c] {
			t.Errorf("errcode.go declares %s, which All leaves out", c)
		}
	}
	if len(declared) < 20 {
		t.Fatalf("found only %d declared codes: the parser missed the registry", len(declared))
	}
}

// TestErrorsDocumented holds docs/ERRORS.md to the registry: every code has
// a row with the HTTP status the server answers it with, and every row is a
// code.
func TestErrorsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ERRORS.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| (\\d{3}) \\|")
	rows := map[errcode.Code]int{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		status, _ := strconv.Atoi(m[2])
		rows[errcode.Code(m[1])] = status
	}
	for _, c := range errcode.All() {
		status, ok := rows[c]
		switch {
		case !ok:
			t.Errorf("docs/ERRORS.md has no row for %s", c)
		case status != c.HTTPStatus():
			t.Errorf("docs/ERRORS.md gives %s the status %d; the server answers %d", c, status, c.HTTPStatus())
		}
		delete(rows, c)
	}
	for c := range rows {
		t.Errorf("docs/ERRORS.md documents %s, which is not in the registry", c)
	}
}
