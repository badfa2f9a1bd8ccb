package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestSmoke runs every scenario briefly on both targets: the harness
// works end to end and Roster answers every scenario without errors.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	rep, err := Run(context.Background(), Options{
		Users: 200, Clients: 4, Duration: 300 * time.Millisecond, Ops: 60, GroupSize: 120,
		Baseline: true, Open: func(ctx context.Context) (OpenedStore, error) {
			dir := t.TempDir()
			st, err := sqlite.Open(ctx, dir)
			size := func() int64 {
				fi, err := os.Stat(filepath.Join(dir, sqlite.FileName))
				if err != nil {
					return 0
				}
				return fi.Size()
			}
			return OpenedStore{Store: st, Size: size, Close: func() { st.Close() }}, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*TargetReport{&rep.Roster, rep.Baseline} {
		if len(tr.Results) != len(Scenarios) {
			t.Fatalf("%s: %d results, want %d", tr.Name, len(tr.Results), len(Scenarios))
		}
		for _, r := range tr.Results {
			if r.Ops == 0 || r.Errors != 0 {
				t.Errorf("%s %s: %d ops, %d errors (%s)", tr.Name, r.Scenario, r.Ops, r.Errors, r.FirstError)
			}
			if r.Scenario == "group-grow" && (r.GroupSize != 120 || r.GroupFirstP50ms <= 0 || r.GroupLastP50ms <= 0) {
				t.Errorf("%s group-grow: %+v", tr.Name, r)
			}
			if r.Scenario == "import" && r.Ops < 200 {
				t.Errorf("%s import read %d users, want the whole team", tr.Name, r.Ops)
			}
		}
	}
	if rep.Roster.StoreBytes == 0 || rep.Roster.PeakRSSMiB == 0 {
		t.Errorf("store %d bytes, peak RSS %.0f MiB", rep.Roster.StoreBytes, rep.Roster.PeakRSSMiB)
	}
	if len(rep.Ratios) != len(Scenarios) {
		t.Errorf("ratios: %v", rep.Ratios)
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "okta-create") {
		t.Errorf("text report: %v\n%s", err, text.String())
	}
	if err := rep.WriteJSON(&js); err != nil || !json.Valid(js.Bytes()) {
		t.Errorf("JSON report: %v", err)
	}
}

func TestUnknownScenario(t *testing.T) {
	if _, err := Run(context.Background(), Options{Scenarios: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseUserNameEq(t *testing.T) {
	for in, want := range map[string]string{`userName eq "a@b.c"`: "a@b.c", `USERNAME EQ "X"`: "X"} {
		if got, ok := parseUserNameEq(in); !ok || got != want {
			t.Errorf("%s: %q %v", in, got, ok)
		}
	}
	if _, ok := parseUserNameEq(`emails eq "x"`); ok {
		t.Error("accepted another attribute")
	}
}
