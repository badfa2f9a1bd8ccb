package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// provLog flushes the provisioning log (the writer batches off the
// request path) and returns the team's entries, newest first, failing
// unless there are at least n.
func provLog(t *testing.T, srv *server, teamID string, n int) []store.ProvisioningEntry {
	t.Helper()
	// The log is written in batches from its own goroutine: Flush waits
	// for everything the finished requests queued to be stored.
	if err := srv.api.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	p, err := srv.Svc.ProvisioningLog(context.Background(), teamID, store.ProvisioningQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) < n {
		t.Fatalf("team %s's provisioning log holds %d entries, want at least %d", teamID, len(p.Entries), n)
	}
	return p.Entries
}

// TestProvisioningLogOktaFlow replays an Okta create, deactivate and a bad
// request, and finds each in the team's provisioning log with its status,
// error detail and a redacted body; a revoked key's refusal is logged for
// its team, and another team sees none of it.
func TestProvisioningLogOktaFlow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	otherClient, other := srv.newTeam("Other")
	ctx := context.Background()

	const userName = "log.user@okta.local"
	c.do("GET", "/Users?filter=userName%20eq%20%22log.user%40okta.local%22&startIndex=1&count=100", nil).must(t, 200)
	created := c.do("POST", "/Users", oktaUser(userName), "User-Agent", "Okta SCIM Client 1.0.0").must(t, 201)
	id := str(created.Body, "id")
	c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"active": false}))).must(t, 200)
	c.do("PATCH", "/Users/"+id, patch(op("replace", "password", "pathSecret99"))).must(t, 200)
	c.do("POST", "/Users", oktaUser(userName)).scimError(t, 409, "uniqueness")
	bad := c.do("PATCH", "/Users/"+id, `{"schemas":["`+patchURN+`"],"Operations":[{"op":"jump","path":"active","value":true}]}`)
	if bad.Status != http.StatusBadRequest {
		t.Fatalf("bad PATCH: %d %s", bad.Status, bad.Raw)
	}
	otherClient.do("GET", "/Users", nil).must(t, 200)

	entries := provLog(t, srv, team.ID, 6)
	if len(entries) != 6 {
		t.Fatalf("%d entries, want 6: %+v", len(entries), entries)
	}
	// Newest first: bad PATCH, 409, password PATCH, deactivate, create, lookup.
	want := []struct {
		method string
		status int
		path   string
	}{
		{"PATCH", 400, "/scim/v2/Users/" + id}, {"POST", 409, "/scim/v2/Users"}, {"PATCH", 200, "/scim/v2/Users/" + id},
		{"PATCH", 200, "/scim/v2/Users/" + id}, {"POST", 201, "/scim/v2/Users"}, {"GET", 200, "/scim/v2/Users"},
	}
	for i, w := range want {
		e := entries[i]
		if e.Method != w.method || e.Status != w.status || e.Path != w.path || e.TeamID != team.ID || e.KeyName != "okta" ||
			e.KeyID == "" || e.RequestID == "" || e.IP != "127.0.0.1" || e.Latency <= 0 {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
	}
	for _, e := range entries {
		for _, secret := range []string{"1mz050nq", "pathSecret99", "Bearer", "rsk_"} {
			if strings.Contains(e.RequestBody+e.ErrorBody+e.Query+e.ErrorDetail+e.UserAgent, secret) {
				t.Errorf("entry %s %s keeps %q: %+v", e.Method, e.Path, secret, e)
			}
		}
	}
	lookup, create, deact, badPatch, dup := entries[5], entries[4], entries[3], entries[0], entries[1]
	if !strings.Contains(lookup.Query, "filter=userName%20eq%20%22log.user%40okta.local%22") || lookup.RequestBody != "" {
		t.Errorf("lookup entry: %+v", lookup)
	}
	if !strings.Contains(create.RequestBody, `"userName":"log.user@okta.local"`) || !strings.Contains(create.RequestBody, `"password":"[REDACTED]"`) ||
		create.UserAgent != "Okta SCIM Client 1.0.0" || create.ErrorDetail != "" || create.ErrorBody != "" || create.BodyBytes == 0 {
		t.Errorf("create entry: %+v", create)
	}
	if deact.ResourceType != "Users" || deact.ResourceID != id || !strings.Contains(deact.RequestBody, `"active":false`) {
		t.Errorf("deactivate entry: %+v", deact)
	}
	if badPatch.ErrorDetail == "" || !strings.Contains(badPatch.ErrorBody, badPatch.ErrorDetail[:10]) || !strings.Contains(badPatch.ErrorBody, `"status":"400"`) ||
		!strings.Contains(badPatch.RequestBody, `"op":"jump"`) {
		t.Errorf("bad request entry: %+v", badPatch)
	}
	if !strings.Contains(dup.ErrorDetail, userName) && dup.ErrorDetail == "" {
		t.Errorf("409 entry: %+v", dup)
	}

	// Queries an admin makes: errors only, and everything about one user.
	errs, err := srv.Svc.ProvisioningLog(ctx, team.ID, store.ProvisioningQuery{MinStatus: 400})
	if err != nil || len(errs.Entries) != 2 || errs.Entries[0].Status != 400 || errs.Entries[1].Status != 409 {
		t.Fatalf("errors only: %+v, %v", errs.Entries, err)
	}
	about, err := srv.Svc.ProvisioningLog(ctx, team.ID, store.ProvisioningQuery{ResourceID: id, Limit: 2})
	if err != nil || len(about.Entries) != 2 || about.Next == "" {
		t.Fatalf("by user, page 1: %+v, %v", about, err)
	}
	after, _ := service.DecodeCursor(about.Next)
	rest, err := srv.Svc.ProvisioningLog(ctx, team.ID, store.ProvisioningQuery{ResourceID: id, Limit: 2, After: after})
	if err != nil || len(rest.Entries) != 1 || rest.Next != "" || rest.Entries[0].ID == about.Entries[1].ID {
		t.Fatalf("by user, page 2: %+v, %v", rest, err)
	}

	// A revoked key is refused, and its team sees why; an unknown key
	// names no team and is not logged anywhere.
	keys, err := srv.Svc.ListKeys(ctx, team.Slug)
	if err != nil || len(keys) != 1 {
		t.Fatal(keys, err)
	}
	if err := srv.Svc.RevokeKey(ctx, team.Slug, keys[0].ID, testActor); err != nil {
		t.Fatal(err)
	}
	c.do("GET", "/Users", nil).scimError(t, 401, "")
	c.withAuth("Bearer rsk_unknown").do("GET", "/Users", nil).scimError(t, 401, "")
	entries = provLog(t, srv, team.ID, 7)
	if len(entries) != 7 || entries[0].Status != 401 || !strings.Contains(entries[0].ErrorDetail, "revoked") || entries[0].KeyID != keys[0].ID {
		t.Fatalf("revoked key entry: %+v", entries[0])
	}

	// The other team's log holds only its own request.
	o := provLog(t, srv, other.ID, 1)
	if len(o) != 1 || o[0].KeyName != "okta" || o[0].Status != 200 {
		t.Fatalf("other team's log: %+v", o)
	}
	if err := srv.api.ProvisioningLog().Flush(ctx); err != nil { // nothing more arrives
		t.Fatal(err)
	}
	if p, err := srv.Svc.ProvisioningLog(ctx, other.ID, store.ProvisioningQuery{}); err != nil || len(p.Entries) != 1 {
		t.Fatalf("other team's log grew: %+v, %v", p.Entries, err)
	}
}
