// Package docs_test holds the documents that list things to the things they
// list, so that they cannot drift: every direct module of go.mod has its
// row in DEPENDENCIES.md. (The error codes are held to ERRORS.md by
// internal/errcode's tests.)
package docs_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// directModules returns the module paths that go.mod requires without an
// "// indirect" comment.
func directModules(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mods []string
	inRequire := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "require (":
			inRequire = true
			continue
		case line == ")":
			inRequire = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inRequire:
			continue
		}
		if line == "" || strings.HasSuffix(line, "// indirect") {
			continue
		}
		mods = append(mods, strings.Fields(line)[0])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return mods
}

func TestEveryDirectModuleDocumented(t *testing.T) {
	doc, err := os.ReadFile("DEPENDENCIES.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		// "entgo.io/contrib (entgql)": the module is the first word.
		if first := strings.Fields(cells[1]); len(first) > 0 {
			documented[first[0]] = true
		}
	}
	mods := directModules(t)
	if len(mods) < 10 {
		t.Fatalf("found %d direct modules in go.mod: the parser missed them", len(mods))
	}
	for _, m := range mods {
		if !documented[m] {
			t.Errorf("docs/DEPENDENCIES.md has no row for %s, a direct dependency in go.mod", m)
		}
	}
}
