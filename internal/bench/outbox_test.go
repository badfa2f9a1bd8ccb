package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestOutboxCost runs the outbox comparison briefly: both servers answer
// every write scenario without errors, the one with events wrote them
// (one per create and per changing PATCH at least) and the one without
// wrote none, and the reports print. On PostgreSQL too when
// ROSTER_TEST_POSTGRES_URL is set (pgtest skips otherwise).
func TestOutboxCost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	t.Run("sqlite", func(t *testing.T) {
		checkOutbox(t, func(ctx context.Context) (OpenedStore, error) {
			st, err := sqlite.Open(ctx, t.TempDir())
			if err != nil {
				return OpenedStore{}, err
			}
			return OpenedStore{Store: st, Close: func() { st.Close() }}, nil
		})
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("ROSTER_TEST_POSTGRES_URL") == "" {
			t.Skip("ROSTER_TEST_POSTGRES_URL is not set")
		}
		checkOutbox(t, func(ctx context.Context) (OpenedStore, error) {
			st, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
			if err != nil {
				return OpenedStore{}, err
			}
			return OpenedStore{Store: st, Close: func() { st.Close() }}, nil
		})
	})
}

func checkOutbox(t *testing.T, open func(context.Context) (OpenedStore, error)) {
	rep, err := OutboxCost(context.Background(), Options{Users: 100, Clients: 3, Duration: 300 * time.Millisecond, Ops: 30, Open: open}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(OutboxScenarios) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(OutboxScenarios))
	}
	var changing int64
	for _, r := range rep.Results {
		if len(r.With) != 2 || len(r.Without) != 2 || len(r.RoundRatios) != 2 {
			t.Errorf("%s: %d/%d rounds", r.Scenario, len(r.With), len(r.Without))
		}
		if r.Errors != 0 || r.Ratio <= 0 || r.WithOpsPerSec <= 0 || r.WithoutOpsPerSec <= 0 {
			t.Errorf("%s: %+v", r.Scenario, r)
		}
		for _, x := range r.With {
			if r.Scenario != "deactivate" {
				changing += x.Ops
			}
		}
	}
	if rep.EventsWithout != 0 || rep.EventsWith < changing {
		t.Errorf("events: %d with (at least %d writes changed a member), %d without", rep.EventsWith, changing, rep.EventsWithout)
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "patch") {
		t.Errorf("text report: %v\n%s", err, text.String())
	}
	if err := rep.WriteJSON(&js); err != nil || !json.Valid(js.Bytes()) {
		t.Errorf("JSON report: %v", err)
	}
	if _, err := OutboxCost(context.Background(), Options{Scenarios: []string{"lookup"}, Open: open}, 1); err == nil {
		t.Error("a read scenario was accepted")
	}
}
