// Package deploy_test checks the packaging without building or installing
// anything: the Dockerfile, parsed by BuildKit's own parser, keeps the
// rules below; the systemd units pass systemd-analyze verify where it
// exists.
package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type stage struct {
	from  string
	instr []*parser.Node
}

func dockerfile(t *testing.T) []stage {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parsing the Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s (line %d)", w.Short, w.Location.Start.Line)
	}
	var stages []stage
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			stages = append(stages, stage{from: n.Next.Value})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("line %d: %s before FROM", n.StartLine, n.Value)
		}
		stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, n)
	}
	return stages
}

func (s stage) find(cmd string) []*parser.Node {
	var out []*parser.Node
	for _, n := range s.instr {
		if strings.EqualFold(n.Value, cmd) {
			out = append(out, n)
		}
	}
	return out
}

func args(n *parser.Node) []string {
	var out []string
	for a := n.Next; a != nil; a = a.Next {
		out = append(out, a.Value)
	}
	return out
}

// TestDockerfile: a multi-stage build of a static binary; the final
// stage runs it as an unprivileged user from a base with nothing else,
// with a health check that needs no shell, and writes nowhere but its
// volume (so it runs with a read-only root file system).
func TestDockerfile(t *testing.T) {
	stages := dockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a build stage and a final one", len(stages))
	}
	for _, s := range stages {
		if !strings.Contains(s.from, ":") || strings.HasSuffix(s.from, ":latest") {
			t.Errorf("FROM %s: pin a tag, not latest", s.from)
		}
	}
	build, final := stages[0], stages[len(stages)-1]
	static := false
	for _, n := range build.find("run") {
		if strings.Contains(strings.Join(args(n), " "), "CGO_ENABLED=0") {
			static = true
		}
	}
	if !static {
		t.Error("the build stage does not build with CGO_ENABLED=0 (a static binary)")
	}
	if strings.Contains(final.from, "golang") {
		t.Errorf("the final stage is FROM %s: the toolchain would ship", final.from)
	}
	if runs := final.find("run"); len(runs) > 0 {
		t.Errorf("the final stage RUNs (line %d): its base has no shell, and needs none", runs[0].StartLine)
	}
	for _, n := range append(final.find("add"), build.find("add")...) {
		t.Errorf("line %d: ADD; COPY is explicit and fetches nothing", n.StartLine)
	}
	users := final.find("user")
	if len(users) == 0 {
		t.Fatal("the final stage has no USER: it would run as root")
	}
	if u := args(users[len(users)-1])[0]; u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
		t.Errorf("USER %s: run as an unprivileged user", u)
	}
	hc := final.find("healthcheck")
	if len(hc) != 1 {
		t.Fatalf("want one HEALTHCHECK in the final stage, found %d", len(hc))
	}
	if !strings.Contains(hc[0].Original, "CMD [") || !strings.Contains(hc[0].Original, "healthcheck") {
		t.Errorf("HEALTHCHECK %q: exec form, asking the binary itself (the image has no shell)", hc[0].Original)
	}
	for _, cmd := range []string{"entrypoint", "cmd"} {
		ns := final.find(cmd)
		if len(ns) == 0 || ns[len(ns)-1].Attributes["json"] != true {
			t.Errorf("%s must be in exec (JSON) form, so that SIGTERM reaches the server", strings.ToUpper(cmd))
		}
	}
	if vols := final.find("volume"); len(vols) == 0 || !strings.Contains(strings.Join(args(vols[0]), " "), "/var/lib/suyuan") {
		t.Error("no VOLUME /var/lib/suyuan: with a read-only root file system the SQLite file needs one")
	}
	copied := false
	for _, n := range final.find("copy") {
		if strings.Contains(n.Original, "--from=build") && strings.Contains(n.Original, "/usr/local/bin/suyuan") {
			copied = true
		}
	}
	if !copied {
		t.Error("the final stage does not COPY the binary from the build stage")
	}
}

// TestSystemdUnits runs systemd-analyze verify on the service and the
// backup units and timers, with their ExecStart programs replaced by a
// stub (verify checks that they exist and are executable); any complaint
// fails the test.
func TestSystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	units, err := filepath.Glob("../backup/systemd/*")
	if err != nil {
		t.Fatal(err)
	}
	units = append(units, "suyuan.service")
	dir := t.TempDir()
	stub := filepath.Join(dir, "stub")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "/usr/local/bin/suyuan", stub)
		s = strings.ReplaceAll(s, "/usr/local/lib/suyuan/mariadb-backup.sh", stub)
		if strings.Contains(s, "/usr/local/") {
			t.Errorf("%s names a program the test does not stub", u)
		}
		name := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if len(names) < 9 {
		t.Fatalf("found %d units", len(names))
	}
	cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, names...)...)
	out, err := cmd.CombinedOutput()
	// Units that name dependencies absent here (mariadb.service) are fine:
	// verify reports only what it can check.
	var complaints []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(line, "mariadb.service") {
			complaints = append(complaints, line)
		}
	}
	if len(complaints) > 0 || (err != nil && len(complaints) > 0) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, strings.Join(complaints, "\n"))
	}
}
