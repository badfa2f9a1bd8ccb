package adminapitest

// The deprovisioning guard's admin API: its settings and their bounds,
// confirm and reject, and who may use them. The guard tripping over real
// SCIM traffic is tested end to end in internal/e2e/guard_test.go.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// pauseGuard makes the team's guard pause at the first deprovisioning,
// then has the IdP delete u over SCIM (through the service), which is
// held: the guard is paused, holding u's delete.
func (e *env) pauseGuard(u store.User) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.St.Tx(ctx, func(tx store.Tx) error {
		g, err := tx.LockDeprovisionGuard(ctx, e.Team.ID, time.Now())
		if err != nil {
			return err
		}
		g.Enabled, g.Percent, g.MinCount = true, 1, 1
		return tx.SetDeprovisionGuard(ctx, g)
	}); err != nil {
		e.t.Fatal(err)
	}
	err := e.Svc.DeleteUser(ctx, service.Principal{Team: e.Team}, service.Actor{Kind: "scim-key", Name: "okta"}, u.ID, "")
	if se, ok := service.AsError(err); !ok || se.Kind != service.KindRateLimited {
		e.t.Fatalf("the delete was not held: %v", err)
	}
}

// restoreGuard puts the guard's defaults back.
func (e *env) restoreGuard(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := e.St.Tx(ctx, func(tx store.Tx) error {
		d := store.DefaultDeprovisionGuard(e.Team.ID)
		g, err := tx.LockDeprovisionGuard(ctx, e.Team.ID, time.Now())
		if err != nil {
			return err
		}
		g.Enabled, g.Percent, g.MinCount, g.Window = d.Enabled, d.Percent, d.MinCount, d.Window
		return tx.SetDeprovisionGuard(ctx, g)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestDeprovisioningGuardAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(e.Admin, e.AdminPassword)
	path := e.teamPath("/deprovisioning")

	// The defaults of issue 15: 20% and at least 10 people in 10 minutes.
	r := admin.do("GET", path, nil).must(t, 200)
	if r.Body["enabled"] != true || r.Body["percent"] != float64(20) || r.Body["min_count"] != float64(10) ||
		r.Body["window_seconds"] != float64(600) || r.Body["paused"] != false || r.Body["paused_at"] != nil {
		t.Fatalf("defaults %s", r.Raw)
	}
	if held, ok := r.Body["held"].([]any); !ok || len(held) != 0 {
		t.Fatalf("held %s", r.Raw)
	}

	// Bad settings: 400 naming the field, nothing changed.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"percent": 0}, "percent"},
		{map[string]any{"percent": 101}, "percent"},
		{map[string]any{"min_count": 0}, "min_count"},
		{map[string]any{"min_count": 2000000}, "min_count"},
		{map[string]any{"window_seconds": 59}, "window_seconds"},
		{map[string]any{"window_seconds": 8 * 24 * 3600}, "window_seconds"},
		{map[string]any{"window_seconds": 1 << 62}, "window_seconds"},
		{map[string]any{"window_seconds": -1}, "window_seconds"},
		{map[string]any{"percent": "20"}, "percent"},
		{map[string]any{"enabled": "no"}, "enabled"},
		{map[string]any{"window": "10m"}, "window"},
		{map[string]any{}, ""},
	} {
		admin.do("PATCH", path, c.body).apiError(t, 400, c.field)
	}
	if got := admin.do("GET", path, nil).must(t, 200); string(got.Raw) != string(r.Raw) {
		t.Fatalf("a refused change changed the guard: %s", got.Raw)
	}

	// A change, and the off switch.
	r = admin.do("PATCH", path, map[string]any{"percent": 50, "min_count": 3, "window_seconds": 3600}).must(t, 200)
	if r.Body["percent"] != float64(50) || r.Body["min_count"] != float64(3) || r.Body["window_seconds"] != float64(3600) || r.Body["enabled"] != true {
		t.Fatalf("changed %s", r.Raw)
	}
	if r = admin.do("PATCH", path, map[string]any{"enabled": false}).must(t, 200); r.Body["enabled"] != false || r.Body["percent"] != float64(50) {
		t.Fatalf("switched off %s", r.Raw)
	}
	admin.do("PATCH", path, map[string]any{"enabled": true}).must(t, 200)

	// Nothing to confirm or reject: 409.
	admin.do("POST", path+"/confirm", nil).apiError(t, 409, "")
	admin.do("POST", path+"/reject", nil).apiError(t, 409, "")

	// Paused: it shows what it holds, can't be switched off, and a
	// Developer may neither see nor decide.
	victim := e.addMember(uniq("held"), []string{service.RoleDeveloper}, store.SourceSCIM, true)
	e.pauseGuard(victim)
	r = admin.do("GET", path, nil).must(t, 200)
	held, _ := r.Body["held"].([]any)
	if r.Body["paused"] != true || r.Body["paused_at"] == nil || !strings.Contains(r.Body["paused_reason"].(string), "1 of its") || len(held) != 1 {
		t.Fatalf("paused %s", r.Raw)
	}
	if h := held[0].(map[string]any); h["member_id"] != victim.ID || h["userName"] != victim.UserName || h["operation"] != "delete" || h["by"] == "" {
		t.Fatalf("held %v", h)
	}
	msg := admin.do("PATCH", path, map[string]any{"enabled": false}).apiError(t, 409, "enabled")
	if !strings.Contains(msg, "confirm or reject") {
		t.Fatalf("409 %q", msg)
	}
	dev := e.addMember(uniq("dev"), []string{service.RoleDeveloper}, store.SourceManual, true)
	devC := e.token(dev.UserName, testPassword, "dev")
	for _, m := range []string{"GET", "PATCH"} {
		devC.do(m, path, map[string]any{"enabled": false}).apiError(t, 403, "")
	}
	devC.do("POST", path+"/confirm", nil).apiError(t, 403, "")
	devC.do("POST", path+"/reject", nil).apiError(t, 403, "")
	if u, err := e.member(victim.ID); err != nil || !u.Active {
		t.Fatalf("the held member: %+v, %v", u, err)
	}

	// Reject drops the held delete: the member stays.
	r = admin.do("POST", path+"/reject", nil).must(t, 200)
	if dropped, _ := r.Body["dropped"].([]any); r.Body["decision"] != "rejected" || len(dropped) != 1 {
		t.Fatalf("reject %s", r.Raw)
	}
	if u, err := e.member(victim.ID); err != nil || !u.Active {
		t.Fatalf("after reject: %+v, %v", u, err)
	}
	if r = admin.do("GET", path, nil).must(t, 200); r.Body["paused"] != false || len(r.Body["held"].([]any)) != 0 {
		t.Fatalf("after reject %s", r.Raw)
	}

	// Confirm applies it.
	e.pauseGuard(victim)
	r = admin.do("POST", path+"/confirm", nil).must(t, 200)
	if applied, _ := r.Body["applied"].([]any); r.Body["decision"] != "confirmed" || len(applied) != 1 {
		t.Fatalf("confirm %s", r.Raw)
	}
	if _, err := e.member(victim.ID); err == nil {
		t.Fatal("the confirmed delete was not applied")
	}
}
