// Package archtest checks the direction of imports that
// docs/architecture.md promises, so the layering can't erode unnoticed.
package archtest

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/rosterhq/roster"

// packages reads the module's packages (non-test files) and their imports.
func packages(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, path)
		out[module+"/"+filepath.ToSlash(rel)] = pkg.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages under %s", len(out), root)
	}
	return out
}

// deps is every package p depends on, transitively (standard library
// included, not looked into).
func deps(pkgs map[string][]string, p string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(q string) {
		for _, d := range pkgs[q] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(p)
	return seen
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// The rules live in the service and the SCIM core, which know nothing of
// HTTP: no net/http anywhere below them.
func TestServiceAndSCIMKnowNoHTTP(t *testing.T) {
	pkgs := packages(t)
	for p := range pkgs {
		if !under(p, module+"/internal/service") && !under(p, module+"/internal/scim") {
			continue
		}
		if d := deps(pkgs, p); d["net/http"] {
			t.Errorf("%s depends on net/http", p)
		}
	}
}

// Only cmd/roster (wiring) and the store packages import a storage
// backend; everything else sees the storage contract (internal/store).
func TestOnlyWiringImportsBackends(t *testing.T) {
	backends := []string{module + "/internal/store/sqlite", module + "/internal/store/postgres", module + "/internal/store/sqlstore"}
	for p, imports := range packages(t) {
		if p == module+"/cmd/roster" || under(p, module+"/internal/store") {
			continue
		}
		for _, i := range imports {
			if slices.Contains(backends, i) {
				t.Errorf("%s imports the backend %s", p, i)
			}
		}
	}
}

// cmd/roster imports no HTTP edge except the composition it starts.
func TestCLIImportsNoHTTPEdge(t *testing.T) {
	edges := []string{"scimapi", "adminapi", "websession", "console", "httpx", "ssoapi"}
	for _, i := range packages(t)[module+"/cmd/roster"] {
		for _, e := range edges {
			if i == module+"/internal/"+e {
				t.Errorf("cmd/roster imports %s; build the server through internal/server", i)
			}
		}
	}
}

// The edges don't reach into each other: each is mounted by the server.
func TestEdgesDontImportEachOther(t *testing.T) {
	edges := []string{"scimapi", "adminapi", "console", "ssoapi"}
	pkgs := packages(t)
	for _, a := range edges {
		for _, i := range pkgs[module+"/internal/"+a] {
			for _, b := range edges {
				if a != b && i == module+"/internal/"+b {
					t.Errorf("internal/%s imports internal/%s", a, b)
				}
			}
		}
	}
}
