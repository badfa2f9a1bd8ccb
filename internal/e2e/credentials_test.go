package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// TestBearerTwice: "Authorization: Bearer Bearer rsk_…" (an IdP's token
// field given "Bearer rsk_…") is a 401 that says what to fix, for a key
// of the team (which then lands in the team's provisioning log, with the
// same advice) and for a token that is no key (which only the server
// log, at warn, with the client address, can show).
func TestBearerTwice(t *testing.T) {
	srv := startServer(t)
	idp, team := srv.newTeam("Acme")
	key := strings.TrimPrefix(idp.auth, "Bearer ")

	r := idp.withAuth("Bearer Bearer "+key).do("GET", "/Users?startIndex=1&count=2", nil).must(t, 401)
	detail, _ := r.Body["detail"].(string)
	if !strings.Contains(detail, `says "Bearer" twice`) || !strings.Contains(detail, "rsk_…") || strings.Contains(detail, key) {
		t.Fatalf("detail %q: want the mistake named, and never the key", detail)
	}
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate: %v", r.Header)
	}
	// The key itself still works, as sent properly.
	idp.do("GET", "/Users?startIndex=1&count=2", nil).must(t, 200)

	if err := srv.api.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := srv.Svc.ProvisioningLog(context.Background(), team.ID, store.ProvisioningQuery{MinStatus: 401, MaxStatus: 401})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("the team's log: %+v, %v", page.Entries, err)
	}
	views, err := srv.Svc.ProvisioningViews(context.Background(), team.ID, page.Entries)
	if err != nil || !strings.Contains(views[0].Hint, `remove "Bearer " from the API token field`) {
		t.Fatalf("hint %q, %v", views[0].Hint, err)
	}
	if strings.Contains(srv.Logs(), "unknown credentials refused") {
		t.Fatalf("a team's key is logged as unknown:\n%s", srv.Logs())
	}

	// A token that is no key, doubled: the same 401, and a warning in the
	// server log naming the client address (never the token).
	r = idp.withAuth("Bearer Bearer rsk_"+strings.Repeat("x", 43)).do("GET", "/Users", nil).must(t, 401)
	if d, _ := r.Body["detail"].(string); !strings.Contains(d, `says "Bearer" twice`) {
		t.Fatalf("detail %q", d)
	}
	logs := srv.Logs()
	if !strings.Contains(logs, `"level":"WARN","msg":"unknown credentials refused"`) || !strings.Contains(logs, `"client_ip":"127.0.0.1"`) ||
		strings.Contains(logs, strings.Repeat("x", 43)) {
		t.Fatalf("server log:\n%s", logs)
	}
}

// TestUnknownKeysLoggedPerAddress: unknown keys are logged at warn with
// the client address, at most once a minute per address; the next line
// says how many were left out meanwhile.
func TestUnknownKeysLoggedPerAddress(t *testing.T) {
	clk := newTestClock()
	srv := startServerClock(t, clk)
	idp, _ := srv.newTeam("Acme")
	stranger := idp.withAuth("Bearer rsk_" + strings.Repeat("z", 43))
	for range 20 {
		stranger.do("GET", "/Users", nil).must(t, 401)
	}
	if n := strings.Count(srv.Logs(), "unknown credentials refused"); n != 1 {
		t.Fatalf("20 unknown keys in a minute: %d log lines, want 1:\n%s", n, srv.Logs())
	}
	clk.Add(61 * time.Second)
	stranger.do("GET", "/Users", nil).must(t, 401)
	logs := srv.Logs()
	if n := strings.Count(logs, "unknown credentials refused"); n != 2 || !strings.Contains(logs, `"suppressed":19`) {
		t.Fatalf("a minute later: %d lines, want 2 with suppressed 19:\n%s", n, logs)
	}
	// A known key's refusals aren't there: its team's log has them.
	if strings.Count(logs, `"what":"SCIM API key"`) != 2 {
		t.Fatalf("lines:\n%s", logs)
	}
}
