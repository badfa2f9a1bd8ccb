package settings

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// open is a settings service on a fresh embedded store.
func open(t testing.TB) (*Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(StoreOf(st), domain.Env{Now: time.Now, Log: slog.Default}), st
}

// testService is a settings service with one team, Acme (slug acme); it
// returns the team's id.
func testService(t *testing.T) (*Service, string) {
	t.Helper()
	svc, _ := open(t)
	team, err := svc.CreateTeam(context.Background(), "Acme", "admin@acme.example", domain.Actor{Kind: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, team.ID
}
