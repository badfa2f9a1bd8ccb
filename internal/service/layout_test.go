package service

import (
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layers says which packages of the service each may import: the
// features depend on domain only, domain on none of them, and nothing
// below imports this package. A new package must take its place here.
var layers = map[string][]string{
	"domain":       nil,
	"provisioning": {"domain"},
	"accounts":     {"domain"},
	"members":      {"domain"},
	"settings":     {"domain"},
	"logs":         {"domain"},
	"sso":          {"domain"},
	"events":       {"domain"},
}

const self = "github.com/rosterhq/roster/internal/service"

// TestLayout reads the imports of every file under internal/service (its
// tests included) and holds them to layers, and checks that each package
// has a doc comment saying what it decides. (That none of them speaks
// HTTP is internal/archtest's rule, for the whole module.)
func TestLayout(t *testing.T) {
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "testdata" {
			continue
		}
		pkg := d.Name()
		seen[pkg] = true
		allowed, ok := layers[pkg]
		if !ok {
			t.Errorf("package service/%s has no place in the layout: add it to layers (and to the package comment of service)", pkg)
			continue
		}
		checkPackage(t, pkg, pkg, allowed)
	}
	for pkg := range layers {
		if !seen[pkg] {
			t.Errorf("layers names %s, which is gone", pkg)
		}
	}
	checkPackage(t, ".", "service", slices.Collect(maps.Keys(layers)))
}

func checkPackage(t *testing.T, dir, name string, allowed []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no Go files (%v)", dir, err)
	}
	docs := 0
	for _, path := range files {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		test := strings.HasSuffix(path, "_test.go")
		if !test && f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+name+" ") {
			docs++
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rest, ok := strings.CutPrefix(p, self)
			if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
				continue
			}
			dep := strings.TrimPrefix(rest, "/")
			if dep == "" {
				t.Errorf("%s imports package service: the features are below it, and it puts them together", path)
			} else if !slices.Contains(allowed, dep) {
				t.Errorf("%s imports service/%s; package %s may import only %v of the service", path, dep, name, allowed)
			}
		}
	}
	if docs != 1 {
		t.Errorf("package %s has %d doc comments starting \"Package %s\", want 1: say what it decides", name, docs, name)
	}
}
