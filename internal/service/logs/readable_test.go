package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

func TestChangesOf(t *testing.T) {
	show := func(cs []Change, fs []Field) string {
		var parts []string
		for _, c := range cs {
			if c.Hidden {
				parts = append(parts, c.Field+": changed")
			} else {
				parts = append(parts, c.Field+": "+c.Before+" → "+c.After)
			}
		}
		for _, f := range fs {
			parts = append(parts, f.Name+"="+f.Value)
		}
		return strings.Join(parts, "; ")
	}
	cases := []struct{ action, detail, want string }{
		// SCIM's update: the summaries' differences, then what else changed.
		{"user.deactivate", `{"before":{"userName":"ada@x","externalId":"1","active":true},"after":{"userName":"ada@x","externalId":"1","active":false},"changed":["active","name"]}`,
			"active: yes → no; name: changed"},
		// The admin API's member update.
		{"member.update", `{"userName":"ada@x","fields":["roles"],"before":{"roles":["Developer"],"displayName":"Ada"},"after":{"roles":["Admin","Developer"],"displayName":"Ada"}}`,
			"roles: Developer → Admin, Developer; userName=ada@x"},
		// Plain before and after: the action names the field.
		{"group.roles", `{"before":[],"after":["Billing"]}`, "roles: none → Billing"},
		{"account.email_change", `{"before":"a@x","after":"b@x","teams":["acme"]}`, "email: a@x → b@x; teams=acme"},
		// A group's rename keeps the new name under its own key.
		{"group.update", `{"before":"Eng","displayName":"Engineering"}`, "displayName: Eng → Engineering"},
		{"team.policy", `{"before":{"seatLimit":0,"groupDeleteDeactivates":false},"after":{"seatLimit":5,"groupDeleteDeactivates":false}}`,
			"seatLimit: 0 → 5"},
		// No change, only facts.
		{"scim_key.create", `{"name":"okta","prefix":"rsk_ab","privileged":true}`, "name=okta; prefix=rsk_ab; privileged=yes"},
		{"user.create", `{"userName":"ada@x","externalId":"","active":true}`, "active=yes; externalId=—; userName=ada@x"},
		{"scim_key.revoke", `null`, ""},
		{"x.y", `{"long":"` + strings.Repeat("é", 300) + `"}`, "long=" + strings.Repeat("é", 100) + "…"},
	}
	for _, c := range cases {
		var d map[string]any
		_ = json.Unmarshal([]byte(c.detail), &d)
		if got := show(changesOf(c.action, d)); got != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.action, c.detail, got, c.want)
		}
	}
}

func TestHint(t *testing.T) {
	entry := func(status int, scimType, detail string) store.ProvisioningEntry {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","scimType":%q,"detail":%q}`, status, scimType, detail)
		return store.ProvisioningEntry{Method: "POST", Path: "/scim/v2/Users", Status: status, ErrorDetail: detail, ErrorBody: body, RequestID: "req-1"}
	}
	withPath := func(e store.ProvisioningEntry, typ, id string) store.ProvisioningEntry {
		e.ResourceType, e.ResourceID = typ, id
		return e
	}
	cases := []struct {
		e    store.ProvisioningEntry
		want string // a substring; "" for no hint
	}{
		{store.ProvisioningEntry{Status: 200}, ""},
		{store.ProvisioningEntry{Status: 201}, ""},
		{entry(401, "", `the Authorization header says "Bearer" twice ("Bearer Bearer rsk_…"): …`), `remove "Bearer " from the API token field`},
		{entry(401, "", `missing credentials: send …`), "HTTP header"},
		{entry(401, "", `SCIM API key "okta" (rsk_abc…) was revoked; create a new key`), "Generate a new key"},
		{entry(401, "", `SCIM API key "okta" (rsk_abc…) expired; create a new key`), "Generate a new key"},
		{entry(403, "", `SCIM provisioning is disabled for team "Acme"; …`), "Turn SCIM provisioning on"},
		{entry(403, "", `seat limit reached: team "Acme" uses all 5 of its seats`), "raise the seat limit"},
		{entry(409, "uniqueness", `a user with userName "ada@x" already exists in this team`), "map a unique value to userName"},
		{entry(409, "uniqueness", `a group with displayName "Eng" already exists in this team`), "unique name"},
		{entry(409, "", `can't deactivate ada@x: only a Super Admin grants, takes or removes the Super Admin role, and SCIM key "okta" was made by someone who isn't a Super Admin of team acme`), "a Super Admin generates a new key"},
		{entry(409, "", `the team must keep one active Super Admin: can't delete ada@x`), "make another member a Super Admin"},
		{withPath(entry(404, "", `user "u-1" not found`), "Users", "u-1"), "unassign and reassign"},
		{withPath(entry(404, "", `group "g-1" not found`), "Groups", "g-1"), "push the group again"},
		{entry(404, "", `no SCIM endpoint at /scim/v2/Userz`), "SCIM base URL"},
		{entry(400, "invalidValue", `userName is required`), "Map an IdP attribute to userName"},
		{entry(400, "invalidValue", `displayName is required`), "Give the IdP's group a name"},
		{entry(400, "invalidValue", `member "u-9" is not a user of this team`), "assign that person"},
		{entry(400, "invalidFilter", `can't filter on "employeeId": Users have no such attribute`), `(employeeId): set its matching attribute to userName`},
		{entry(400, "invalidFilter", `invalid filter: at position 3: …`), "check the IdP's matching attribute"},
		{entry(400, "mutability", `attribute "id" is readOnly`), "(id): remove it from the attribute mapping"},
		{entry(400, "invalidPath", `operation 1 (replace): unknown attribute "favouriteColour"`), `(favouriteColour): fix the mapping`},
		{entry(400, "invalidValue", `attribute "emails" is given 1200 values; at most 1000 may be sent`), "lower its batch size"},
		{entry(400, "invalidValue", `"emails[2].value" is not valid UTF-8; send text as UTF-8`), "isn't valid UTF-8"},
		{entry(400, "invalidValue", `attribute "active" must be a boolean`), "mapping for active"},
		{entry(400, "invalidSyntax", `request body is not valid JSON: …`), "isn't a valid SCIM request"},
		{entry(400, "", `something new`), ""},
		{entry(412, "", `version mismatch`), "re-reads and retries"},
		{entry(413, "", `request body is larger than the limit`), "batch size"},
		{entry(415, "", `Content-Type "text/plain" is not supported`), "application/scim+json"},
		{entry(429, "", `rate limit: …`), "rate limit"},
		{entry(500, "", `internal error`), "request id req-1"},
	}
	for _, c := range cases {
		got := Hint(c.e)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%d %q: hint %q, want %q", c.e.Status, c.e.ErrorDetail, got, c.want)
		}
		if got != "" && (strings.Count(got, ". ") > 0 || !strings.HasSuffix(got, ".")) {
			t.Errorf("%d %q: hint %q is not one sentence", c.e.Status, c.e.ErrorDetail, got)
		}
	}
}

func TestSubjectOf(t *testing.T) {
	cases := []struct {
		e    store.ProvisioningEntry
		want string
	}{
		{store.ProvisioningEntry{Method: "POST", RequestBody: `{"userName":"ada@x","name":{"givenName":"Ada"}}`}, "ada@x"},
		{store.ProvisioningEntry{Method: "POST", RequestBody: `{"displayName":"Engineering","members":[]}`}, "Engineering"},
		{store.ProvisioningEntry{Method: "PUT", RequestBody: `{"userName":"grace@x"}`}, "grace@x"},
		{store.ProvisioningEntry{Method: "PATCH", RequestBody: `{"userName":"grace@x"}`}, ""}, // a PATCH names no one by its body
		{store.ProvisioningEntry{Method: "GET", Query: `filter=userName+eq+%22ada%40x%22&startIndex=1&count=1`}, "ada@x"},
		{store.ProvisioningEntry{Method: "GET", Query: `filter=externalId%20eq%20%2200u1%22`}, "00u1"},
		{store.ProvisioningEntry{Method: "GET", Query: `filter=emails%5Btype+eq+%22work%22+and+value+eq+%22z%40x%22%5D`}, "z@x"},
		{store.ProvisioningEntry{Method: "GET", Query: `filter=title+eq+%22x%22+and+userName+eq+%22b%40x%22`}, "b@x"},
		{store.ProvisioningEntry{Method: "GET", Query: `filter=userName+sw+%22a%22`}, ""},
		{store.ProvisioningEntry{Method: "GET", Query: `filter=userName+eq`}, ""}, // not a filter
		{store.ProvisioningEntry{Method: "GET", Query: `filter=%zz`}, ""},         // not URL encoding
		{store.ProvisioningEntry{Method: "POST", Path: "/scim/v2/Users/.search", RequestBody: `{"filter":"userName eq \"q@x\""}`}, "q@x"},
		{store.ProvisioningEntry{Method: "POST", RequestBody: `not json`}, ""},
	}
	for _, c := range cases {
		if got := SubjectOf(c.e); got != c.want {
			t.Errorf("%s %s %s: subject %q, want %q", c.e.Method, c.e.Query, c.e.RequestBody, got, c.want)
		}
	}
	if got := DecodeQuery(`filter=userName+eq+%22ada%40x%22&startIndex=1&bad=%zz`); got != `filter=userName eq "ada@x"&startIndex=1&bad=%zz` {
		t.Errorf("DecodeQuery = %q", got)
	}
}

// TestViews: names come from the events, else from the team's records
// (one read per target), and never from another team's.
func TestViews(t *testing.T) {
	svc, teamID := testService(t)
	ctx := context.Background()
	st := svc.st.(store.Store)
	now := time.Now()
	u := store.User{TeamID: teamID, ID: "u-1", UserName: "ada@acme.example", Active: true, Source: "scim", Role: "Developer", Attrs: []byte(`{"userName":"ada@acme.example"}`), Created: now, Modified: now, Version: 1}
	g := store.Group{TeamID: teamID, ID: "g-1", DisplayName: "Engineering", Attrs: []byte(`{"displayName":"Engineering"}`), Created: now, Modified: now, Version: 1}
	other := store.Team{ID: "team-other", Slug: "other", Name: "Other", DefaultRole: "Developer", Created: now}
	ou := store.User{TeamID: other.ID, ID: "u-other", UserName: "spy@other.example", Active: true, Source: "scim", Role: "Developer", Attrs: []byte(`{}`), Created: now, Modified: now, Version: 1}
	if err := st.Tx(ctx, func(tx store.Tx) error {
		return errors.Join(tx.CreateUser(ctx, u), tx.CreateGroup(ctx, g), tx.CreateTeam(ctx, other), tx.CreateUser(ctx, ou),
			tx.CreateKey(ctx, store.SCIMKey{TeamID: teamID, ID: "k-1", Name: "okta", Prefix: "rsk_ab", Hash: []byte("h"), Created: now}))
	}); err != nil {
		t.Fatal(err)
	}
	events := []store.AuditEvent{
		{ID: "1", Action: "user.delete", TargetType: "user", TargetID: "gone", Detail: `{"userName":"gone@acme.example"}`},
		{ID: "2", Action: "member.remove", TargetType: "user", TargetID: "u-1", Detail: `null`},
		{ID: "3", Action: "group.roles", TargetType: "group", TargetID: "g-1", Detail: `{"before":[],"after":["Admin"]}`},
		{ID: "4", Action: "scim_key.revoke", TargetType: "scim_key", TargetID: "k-1"},
		{ID: "5", Action: "team.scim_on", TargetType: "team", TargetID: teamID},
		{ID: "6", Action: "user.update", TargetType: "user", TargetID: "u-other"}, // another team's id: no name
		{ID: "7", Action: "user.update", TargetType: "user", TargetID: "nobody"},
	}
	views, err := svc.AuditViews(ctx, teamID, events)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gone@acme.example", "ada@acme.example", "Engineering", "okta", "Acme", "", ""}
	for i, v := range views {
		if v.TargetName != want[i] {
			t.Errorf("event %s: name %q, want %q", v.ID, v.TargetName, want[i])
		}
	}
	entries := []store.ProvisioningEntry{
		{ID: "p1", Method: "PATCH", Path: "/scim/v2/Users/u-1", ResourceType: "Users", ResourceID: "u-1", Status: 200},
		{ID: "p2", Method: "GET", Path: "/scim/v2/Groups/g-1", ResourceType: "Groups", ResourceID: "g-1", Status: 200},
		{ID: "p3", Method: "GET", Path: "/scim/v2/Users/u-other", ResourceType: "Users", ResourceID: "u-other", Status: 404,
			ErrorDetail: `user "u-other" not found`},
		{ID: "p4", Method: "GET", Path: "/scim/v2/Users", Query: "filter=userName+eq+%22new%40acme.example%22", Status: 200},
	}
	pv, err := svc.ProvisioningViews(ctx, teamID, entries)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{pv[0].Subject + "|" + pv[0].SubjectID, pv[1].Subject + "|" + pv[1].SubjectID, pv[2].Subject + "|" + pv[2].SubjectID, pv[3].Subject + "|" + pv[3].SubjectID}
	if fmt.Sprint(got) != "[ada@acme.example|u-1 Engineering|g-1 | new@acme.example|]" {
		t.Errorf("subjects %q", got)
	}
	if pv[2].Hint == "" || pv[3].QueryText != `filter=userName eq "new@acme.example"` {
		t.Errorf("hint %q, query %q", pv[2].Hint, pv[3].QueryText)
	}
}

// TestOverview: counts, the SCIM state and the hourly chart, each by
// permission; the chart has every hour of the week, the current one
// last, with the rollup's numbers in place.
func TestOverview(t *testing.T) {
	svc, teamID := testService(t)
	ctx := context.Background()
	st := svc.st.(store.Store)
	now := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	svc.env.Now = func() time.Time { return now }
	used := now.Add(-10 * time.Minute)
	older := now.Add(-time.Hour)
	revokedAt := now.Add(-time.Minute)
	var entries []store.ProvisioningEntry
	for i, at := range []time.Time{now, now.Add(-5 * time.Minute), now.Add(-23 * time.Hour), now.Add(-30 * time.Hour), now.Add(-8 * 24 * time.Hour)} {
		status := 200
		if i%2 == 1 || i == 4 {
			status = 409
		}
		entries = append(entries, store.ProvisioningEntry{TeamID: teamID, ID: fmt.Sprint("p", i), At: at, Method: "GET", Path: "/scim/v2/Users", Status: status})
	}
	if err := st.Tx(ctx, func(tx store.Tx) error {
		errs := []error{tx.AppendProvisioningLog(ctx, entries), tx.SetSCIMEnabled(ctx, teamID, true)}
		for i, k := range []store.SCIMKey{
			{Name: "old", LastUsedAt: &older},
			{Name: "okta", LastUsedAt: &used, LastUsedIP: "10.0.0.1"},
			{Name: "revoked", LastUsedAt: &now, RevokedAt: &revokedAt},
			{Name: "unused"},
		} {
			k.TeamID, k.ID, k.Prefix, k.Hash, k.Created = teamID, fmt.Sprint("k", i), "rsk_"+k.Name, []byte(k.Name), now.Add(-48*time.Hour)
			errs = append(errs, tx.CreateKey(ctx, k))
		}
		for i, active := range []bool{true, true, false} {
			errs = append(errs, tx.CreateUser(ctx, store.User{TeamID: teamID, ID: fmt.Sprint("u", i), UserName: fmt.Sprint("u", i, "@x"), Active: active,
				Source: "scim", Role: "Developer", Attrs: []byte(`{}`), Created: now, Modified: now, Version: 1}))
		}
		return errors.Join(errs...)
	}); err != nil {
		t.Fatal(err)
	}
	team, _ := st.Team(ctx, teamID)
	admin := domain.Caller{Team: team, Roles: []string{domain.RoleAdmin}}
	o, err := svc.Overview(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if o.ActiveMembers != 2 || o.DeactivatedMembers != 1 || o.SeatsUsed != 2 || o.Groups != 0 {
		t.Errorf("counts %+v", o)
	}
	if o.SCIM == nil || !o.SCIM.Enabled || o.SCIM.ActiveKeys != 3 || o.SCIM.KeyInUse == nil || o.SCIM.KeyInUse.Name != "okta" {
		t.Errorf("SCIM %+v", o.SCIM)
	}
	a := o.Activity
	if a == nil || len(a.Hours) != 7*24 || !a.Hours[len(a.Hours)-1].Hour.Equal(now.Truncate(time.Hour)) {
		t.Fatalf("activity %+v", a)
	}
	if a.Requests != 4 || a.Errors != 2 || a.Errors24h != 1 || !a.Since24h.Equal(now.Truncate(time.Hour).Add(-23*time.Hour)) {
		t.Errorf("totals: %d requests, %d errors, %d in 24 h since %v", a.Requests, a.Errors, a.Errors24h, a.Since24h)
	}
	if last := a.Hours[len(a.Hours)-1]; last.Requests != 2 || last.Errors != 1 {
		t.Errorf("current hour %+v", last)
	}
	if a.Last == nil || a.Last.ID != "p0" {
		t.Errorf("last request %+v", a.Last)
	}
	dev, err := svc.Overview(ctx, domain.Caller{Team: team, Roles: []string{domain.RoleDeveloper}})
	if err != nil || dev.SCIM != nil || dev.Activity != nil || dev.ActiveMembers != 2 {
		t.Errorf("a Developer's overview: %+v, %v", dev, err)
	}
}
