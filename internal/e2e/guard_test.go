package e2e

// The guard against mass deprovisioning, end to end over SCIM: with the
// defaults (more than 20% of the members, and at least 10, deactivated or
// deleted within 10 minutes) it trips, answers 429 with Retry-After and a
// SCIM error, emits team.deprovisioning_paused, holds the changes (the
// members stay active); an admin confirms (applied, with their events) or
// rejects (dropped); its window slides; it can be switched off; Bulk
// counts too.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// guardAdmin speaks the admin API with a personal API token.
type guardAdmin struct {
	t     *testing.T
	url   string
	token string
	slug  string
}

func (a guardAdmin) do(method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.url+"/api/v1/teams/"+a.slug+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			a.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, m
}

func (a guardAdmin) must(method, path string, body any, want int) map[string]any {
	a.t.Helper()
	st, m := a.do(method, path, body)
	if st != want {
		a.t.Fatalf("%s %s: %d %v, want %d", method, path, st, m, want)
	}
	return m
}

// events returns the types (and data) of the team's events after cursor,
// and the new cursor.
func (a guardAdmin) events(cursor string) ([]string, []map[string]any, string) {
	a.t.Helper()
	m := a.must("GET", "/events?limit=1000&after="+cursor, nil, 200)
	var types []string
	var data []map[string]any
	for _, x := range m["data"].([]any) {
		ev := x.(map[string]any)
		types = append(types, ev["type"].(string))
		data = append(data, ev["data"].(map[string]any))
	}
	return types, data, m["next_cursor"].(string)
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// guardMembers creates n active members over SCIM and returns their ids.
func guardMembers(t *testing.T, idp *client, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		r := idp.do("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("%s%02d@acme.example", prefix, i), "active": true}).must(t, 201)
		ids = append(ids, r.Body["id"].(string))
	}
	return ids
}

func deactivate(idp *client, id string) response {
	return idp.do("PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}})
}

func TestDeprovisioningGuardOverSCIM(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	s := startServerClock(t, clock)
	team, key, token := evtTeamOn(t, s.Svc, s.st, "Acme")
	idp := &client{t: t, base: s.Base, auth: "Bearer " + key.Token, hc: &http.Client{Timeout: 10 * time.Second}}
	admin := guardAdmin{t: t, url: s.URL, token: token, slug: team.Slug}
	ids := guardMembers(t, idp, "m", 49) // 50 members with the admin
	_, _, cursor := admin.events("0")

	// 10 of 50 is 20%: allowed. The 11th is more: held, and so is every
	// deprovisioning after it, a delete and a Bulk operation included.
	for _, id := range ids[:10] {
		deactivate(idp, id).must(t, 200)
	}
	r := deactivate(idp, ids[10]).scimError(t, 429, "")
	if r.Header.Get("Retry-After") != "600" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	detail := r.Body["detail"].(string)
	for _, want := range []string{"paused deprovisioning", "11 of its 50 members", "POST /api/v1/teams/" + team.Slug + "/deprovisioning/confirm", "/reject"} {
		if !strings.Contains(detail, want) {
			t.Fatalf("detail %q lacks %q", detail, want)
		}
	}
	idp.do("DELETE", "/Users/"+ids[11], nil).scimError(t, 429, "")
	bulk := idp.do("POST", "/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{map[string]any{"method": "PATCH", "path": "/Users/" + ids[12], "data": map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}}}}).must(t, 200)
	if ops := bulk.Body["Operations"].([]any); ops[0].(map[string]any)["status"] != "429" {
		t.Fatalf("Bulk while paused: %s", bulk.Raw)
	}
	// A change that deprovisions nobody still goes through.
	idp.do("PATCH", "/Users/"+ids[13], map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Renamed"}}}).must(t, 200)
	for _, id := range ids[10:13] {
		if u := idp.do("GET", "/Users/"+id, nil).must(t, 200); u.Body["active"] != true {
			t.Fatalf("held member %s is not active: %s", id, u.Raw)
		}
	}
	types, data, next := admin.events(cursor)
	want := append(slices.Repeat([]string{"member.deactivated"}, 10), "team.deprovisioning_paused", "member.updated")
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if p := data[10]; p["deprovisioned"] != float64(11) || p["members"] != float64(50) || p["percent"] != float64(20) || p["min_count"] != float64(10) {
		t.Fatalf("team.deprovisioning_paused %v", p)
	}
	cursor = next
	g := admin.must("GET", "/deprovisioning", nil, 200)
	held := g["held"].([]any)
	if g["paused"] != true || len(held) != 3 {
		t.Fatalf("guard %v", g)
	}

	// Confirm: the three held changes are applied, with their events.
	d := admin.must("POST", "/deprovisioning/confirm", nil, 200)
	if len(d["applied"].([]any)) != 3 || len(d["skipped"].([]any)) != 0 {
		t.Fatalf("confirm %v", d)
	}
	idp.do("GET", "/Users/"+ids[11], nil).must(t, 404)
	for _, id := range []string{ids[10], ids[12]} {
		if u := idp.do("GET", "/Users/"+id, nil).must(t, 200); u.Body["active"] != false {
			t.Fatalf("confirmed member %s is active", id)
		}
	}
	types, data, cursor = admin.events(cursor)
	if len(types) != 4 || count(types, "member.deactivated") != 2 || count(types, "member.deleted") != 1 || types[3] != "team.deprovisioning_resumed" {
		t.Fatalf("confirm's events %v", types)
	}
	for _, x := range data[:3] {
		if x["held_from"] == nil {
			t.Fatalf("an applied hold's event does not say so: %v", x)
		}
	}
	if data[3]["decision"] != "confirmed" || data[3]["applied"] != float64(3) {
		t.Fatalf("resumed %v", data[3])
	}

	// The window slides: 7 now and 9 eleven minutes later (16 in all, far
	// more than 20% of the 37 active) never trip it.
	for _, id := range ids[13:20] {
		deactivate(idp, id).must(t, 200)
	}
	clock.Add(11 * time.Minute)
	for _, id := range ids[20:29] {
		deactivate(idp, id).must(t, 200)
	}
	// The 10th within the window does: reject drops it.
	deactivate(idp, ids[29]).scimError(t, 429, "")
	d = admin.must("POST", "/deprovisioning/reject", nil, 200)
	if dropped := d["dropped"].([]any); len(dropped) != 1 || dropped[0].(map[string]any)["member_id"] != ids[29] {
		t.Fatalf("reject %v", d)
	}
	if u := idp.do("GET", "/Users/"+ids[29], nil).must(t, 200); u.Body["active"] != true {
		t.Fatal("a rejected deactivation was applied")
	}
	types, data, cursor = admin.events(cursor)
	want = append(slices.Repeat([]string{"member.deactivated"}, 16), "team.deprovisioning_paused", "team.deprovisioning_resumed")
	if !slices.Equal(types, want) || data[17]["decision"] != "rejected" || data[17]["dropped"] != float64(1) {
		t.Fatalf("events %v (%v), want %v", types, data[len(data)-1], want)
	}

	// Off: every deprovisioning goes through.
	admin.must("PATCH", "/deprovisioning", map[string]any{"enabled": false}, 200)
	for _, id := range ids[29:45] {
		deactivate(idp, id).must(t, 200)
	}
	idp.do("DELETE", "/Users/"+ids[45], nil).must(t, 204)
	types, _, _ = admin.events(cursor)
	if count(types, "member.deactivated") != 16 || count(types, "member.deleted") != 1 || len(types) != 17 {
		t.Fatalf("with the guard off: %v", types)
	}
	if g := admin.must("GET", "/deprovisioning", nil, 200); g["paused"] != false || g["enabled"] != false {
		t.Fatalf("guard %v", g)
	}
}

// TestDeprovisioningGuardCountsBulk: deactivations sent in one Bulk
// request count one by one; the one that passes the share is held, and
// the rest of the request with it.
func TestDeprovisioningGuardCountsBulk(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	team, key, token := evtTeamOn(t, s.Svc, s.st, "Acme")
	idp := &client{t: t, base: s.Base, auth: "Bearer " + key.Token, hc: &http.Client{Timeout: 10 * time.Second}}
	admin := guardAdmin{t: t, url: s.URL, token: token, slug: team.Slug}
	ids := guardMembers(t, idp, "b", 19) // 20 members with the admin
	var ops []any
	for _, id := range ids[:12] {
		ops = append(ops, map[string]any{"method": "PATCH", "path": "/Users/" + id, "data": map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}})
	}
	r := idp.do("POST", "/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops}).must(t, 200)
	var statuses []string
	for _, op := range r.Body["Operations"].([]any) {
		statuses = append(statuses, op.(map[string]any)["status"].(string))
	}
	want := append(slices.Repeat([]string{"200"}, 9), "429", "429", "429")
	if !slices.Equal(statuses, want) {
		t.Fatalf("Bulk statuses %v, want %v", statuses, want)
	}
	g := admin.must("GET", "/deprovisioning", nil, 200)
	if g["paused"] != true || len(g["held"].([]any)) != 3 {
		t.Fatalf("guard %v", g)
	}
	u, err := s.st.User(context.Background(), team.ID, ids[9])
	if err != nil || !u.Active {
		t.Fatalf("the held member: %+v %v", u, err)
	}
}
