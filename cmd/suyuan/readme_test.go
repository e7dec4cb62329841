package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"suyuan/internal/cnid"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeConfigurationTable holds the README's table of serve's
// settings to the flags and environment variables serve really has, and
// to their defaults.
func TestReadmeConfigurationTable(t *testing.T) {
	doc := readme(t)
	start := strings.Index(doc, "## Configuration")
	if start < 0 {
		t.Fatal("README has no Configuration section")
	}
	section := doc[start+1:]
	section = section[:strings.Index(section, "\n## ")]
	var c serveConfig
	fs := serveFlags(&c, io.Discard, env(nil))
	envFlag := map[string]string{}
	for _, e := range serveEnv {
		envFlag[e.name] = e.flag
	}
	code := regexp.MustCompile("^`([^`]*)`$")
	docFlags, docEnv := map[string]bool{}, map[string]bool{}
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| flag ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Errorf("row with %d cells: %s", len(cells), line)
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows++
		name, envName, def := strings.Trim(cells[0], "`-"), strings.Trim(cells[1], "`"), cells[2]
		if envName != "" {
			docEnv[envName] = true
			want, ok := envFlag[envName]
			if !ok {
				t.Errorf("README lists %s, which serve does not read", envName)
			} else if want != name {
				t.Errorf("README pairs %s with flag %q; serve with %q", envName, name, want)
			}
		}
		if name == "" {
			continue
		}
		docFlags[name] = true
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("README lists --%s, which serve does not have", name)
			continue
		}
		m := code.FindStringSubmatch(def)
		if m == nil {
			if f.DefValue != "" {
				t.Errorf("--%s: README gives the default %s, the flag %q", name, def, f.DefValue)
			}
			continue
		}
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok {
			if got, err := time.ParseDuration(m[1]); err != nil || got != d {
				t.Errorf("--%s: README gives the default %s, the flag %s", name, m[1], d)
			}
		} else if m[1] != f.DefValue {
			t.Errorf("--%s: README gives the default %s, the flag %s", name, m[1], f.DefValue)
		}
	}
	if rows == 0 {
		t.Fatal("no table rows found")
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !docFlags[f.Name] {
			t.Errorf("README's table lacks --%s", f.Name)
		}
	})
	for _, e := range serveEnv {
		if !docEnv[e.name] {
			t.Errorf("README's table lacks %s", e.name)
		}
	}
}

// TestReadmeAdminExample: the README's admin example is valid shell (its
// quotes pair up) with a valid credit code and flags admin has.
func TestReadmeAdminExample(t *testing.T) {
	doc := readme(t)
	i := strings.Index(doc, "cmd/suyuan admin")
	if i < 0 {
		t.Fatal("README has no admin example")
	}
	start := strings.LastIndex(doc[:i], "```sh\n")
	end := strings.Index(doc[i:], "```")
	block := doc[start+len("```sh\n") : i+end]
	if strings.Count(block, "'")%2 != 0 || strings.Count(block, `"`)%2 != 0 {
		t.Errorf("unbalanced quotes in the admin example:\n%s", block)
	}
	fields := strings.Fields(strings.ReplaceAll(block, "\\\n", " "))
	var credit string
	for j, f := range fields {
		if f == "--credit-code" && j+1 < len(fields) {
			credit = fields[j+1]
		}
	}
	if _, err := cnid.CreditCode(credit); err != nil {
		t.Errorf("the admin example's credit code %q: %v", credit, err)
	}
}
