package main

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestStaticBuildAsTheDockerfileDoes builds roster with the Dockerfile's
// own build command (no Docker engine needed) and checks that the result
// is what a distroless/static image can run: a static ELF, no interpreter,
// no shared libraries; that it runs (version); and that its healthcheck
// command, the image's HEALTHCHECK, tells a ready server from none.
func TestStaticBuildAsTheDockerfileDoes(t *testing.T) {
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 GOOS=linux go build .*-o )/out/roster( ./cmd/roster)$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("the Dockerfile has no `RUN CGO_ENABLED=0 GOOS=linux go build … -o /out/roster ./cmd/roster` line")
	}
	out := filepath.Join(t.TempDir(), "roster")
	cmd := exec.Command("sh", "-c", string(m[1])+out+string(m[2]))
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd.Args, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("not static: program header %v", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("links %v", libs)
	}
	var v map[string]any
	b, err := exec.Command(out, "version", "--json").Output()
	if err != nil || json.Unmarshal(b, &v) != nil || v["go_version"] == "" {
		t.Fatalf("version: %v %s", err, b)
	}

	// The HEALTHCHECK's command against a server, and against nothing.
	addr := freeAddr(t)
	startProc(t, nil, "--data-dir", t.TempDir(), "--addr", addr, "--metrics-addr", "off")
	b, err = exec.Command(out, "healthcheck", "--url", "http://"+addr+"/healthz/ready").CombinedOutput()
	if err != nil || !strings.Contains(string(b), `"status":"ready"`) {
		t.Fatalf("healthcheck of a ready server: %v %s", err, b)
	}
	if b, err := exec.Command(out, "healthcheck", "--url", "http://"+freeAddr(t)+"/healthz/ready").CombinedOutput(); err == nil {
		t.Fatalf("healthcheck of nothing succeeded: %s", b)
	}
	if !strings.Contains(string(df), `HEALTHCHECK`) || !strings.Contains(string(df), `"healthcheck", "--url", "http://127.0.0.1:8080/healthz/ready"`) {
		t.Error("the Dockerfile's HEALTHCHECK is not roster healthcheck on /healthz/ready")
	}
}
