package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/wscope/wscope"

// TestArchitectureMatchesImports holds ARCHITECTURE.md's table of packages
// and what each may import against the code, as `go list` sees it: a new
// package, a new import across packages, or a stale row fails here.
func TestArchitectureMatchesImports(t *testing.T) {
	doc, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string][]string{} // package → what it may import; nil slice with key "internal/…" means anything
	row := regexp.MustCompile("^\\| `([^`]+)` \\|[^|]*\\| ([^|]*) \\|$")
	for _, line := range strings.Split(string(doc), "\n") {
		m := row.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		var deps []string
		for _, d := range strings.Split(m[2], ",") {
			if d = strings.TrimSpace(d); d != "" && d != "—" {
				deps = append(deps, d)
			}
		}
		allowed[m[1]] = deps
	}
	if len(allowed) < 10 {
		t.Fatalf("ARCHITECTURE.md's package table has %d rows; is it still there?", len(allowed))
	}

	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := map[string]bool{}
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if name == "" {
			name = "main"
		}
		internal := strings.HasPrefix(name, "internal/")
		if !internal {
			seen[name] = true
		}
		may, listed := allowed[name]
		if !listed && !internal {
			t.Errorf("package %s is not in ARCHITECTURE.md's table", name)
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "charm.land/bubbletea") && name != "ui" && name != "cli" {
				t.Errorf("%s imports Bubble Tea: only ui (and cli, which runs the program) may", name)
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			switch {
			case internal:
			case strings.HasPrefix(dep, "internal/"):
				t.Errorf("%s imports %s: internal packages are for tests only", name, dep)
			case !slices.Contains(may, dep):
				t.Errorf("%s imports %s, which ARCHITECTURE.md does not allow (add it to the table if the design changed)", name, dep)
			}
		}
	}
	for name := range allowed {
		if !strings.HasPrefix(name, "internal/") && !seen[name] {
			t.Errorf("ARCHITECTURE.md lists %s, which no longer exists", name)
		}
	}
}
