package adminapitest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// TestKeyNamesOverAPI: two active SCIM keys of a team can't share a name
// (the logs name keys): the admin API answers 409 with field "name" and
// writes nothing; rotation keeps the name; a revoked key frees it.
// expires_in takes days.
func TestKeyNamesOverAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addMember("keys@acme.example", []string{service.RoleAdmin}, store.SourceManual, true)
	c := e.token("keys@acme.example", testPassword, "keys")
	keys := func() []any {
		t.Helper()
		list, _ := c.do("GET", e.teamPath("/scim/keys"), nil).must(t, 200).Body["keys"].([]any)
		return list
	}

	first := c.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta", "expires_in": "90d"}).must(t, 201)
	created, _ := time.Parse(time.RFC3339, first.Body["created_at"].(string))
	expires, _ := time.Parse(time.RFC3339, first.Body["expires_at"].(string))
	if d := expires.Sub(created); d < 90*24*time.Hour-time.Second || d > 90*24*time.Hour+time.Second {
		t.Fatalf("expires_in 90d: %v (%s)", d, first.Raw)
	}

	audit := len(e.auditEvents())
	for _, name := range []string{"okta", " OKTA "} {
		msg := c.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": name}).apiError(t, 409, "name")
		if !strings.Contains(msg, `already has an active key named "okta"`) {
			t.Fatalf("%q: %s", name, msg)
		}
	}
	if n := len(keys()); n != 1 {
		t.Fatalf("a refused key was stored: %d keys", n)
	}
	if n := len(e.auditEvents()); n != audit {
		t.Fatalf("a refused key was audited: %d events, want %d", n, audit)
	}

	// Rotation keeps the name: both keys work through the grace period.
	rotated := c.do("POST", e.teamPath("/scim/keys/"+first.Body["id"].(string)+"/rotate"), map[string]any{"grace": "1d"}).must(t, 201)
	if rotated.Body["name"] != "okta" {
		t.Fatalf("rotate: %s", rotated.Raw)
	}
	c.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).apiError(t, 409, "name")

	// Revoked, both: the name is free.
	c.do("DELETE", e.teamPath("/scim/keys/"+first.Body["id"].(string)), nil).must(t, 204)
	c.do("DELETE", e.teamPath("/scim/keys/"+rotated.Body["id"].(string)), nil).must(t, 204)
	c.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201)
}

// TestKeyNamesUnderConcurrency: requests at once can't get around the
// name rule or rotate one key twice (on PostgreSQL, where writers run
// side by side, the team's row makes them take turns): of 8 creations of
// one name exactly one is 201, the rest 409; of 8 rotations of one key
// exactly one makes a successor; and a key already rotated, in its grace
// period, is not rotated again.
func TestKeyNamesUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addMember("keys@acme.example", []string{service.RoleAdmin}, store.SourceManual, true)
	c := e.token("keys@acme.example", testPassword, "keys")
	const n = 8
	at := func(do func() response) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				r := do()
				mu.Lock()
				codes[r.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return codes
	}
	if codes := at(func() response {
		return c.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "entra"})
	}); codes[201] != 1 || codes[409] != n-1 {
		t.Fatalf("%d creations of one name at once: %v, want one 201 and %d 409", n, codes, n-1)
	}
	list, _ := c.do("GET", e.teamPath("/scim/keys"), nil).must(t, 200).Body["keys"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d keys stored", len(list))
	}
	id := list[0].(map[string]any)["id"].(string)
	if codes := at(func() response {
		return c.do("POST", e.teamPath("/scim/keys/"+id+"/rotate"), map[string]any{"grace": "1h"})
	}); codes[201] != 1 || codes[409] != n-1 {
		t.Fatalf("%d rotations of one key at once: %v, want one 201 and %d 409", n, codes, n-1)
	}
	list, _ = c.do("GET", e.teamPath("/scim/keys"), nil).must(t, 200).Body["keys"].([]any)
	if len(list) != 2 {
		t.Fatalf("%d keys after the rotations, want the key and one successor", len(list))
	}
	msg := c.do("POST", e.teamPath("/scim/keys/"+id+"/rotate"), map[string]any{}).apiError(t, 409, "id")
	if !strings.Contains(msg, "already rotated") {
		t.Fatalf("rotating a rotated key: %s", msg)
	}
}
