package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/rfc7643"
)

// Interoperability as independent test suites and strict clients found it
// (issue 13, items 11-13): Unicode-exact case-insensitive matching,
// endpoint names in any case, discovery documents that follow RFC 7643,
// POST /.search at the root, a remove that can't reactivate anyone, and
// OneLogin's pre-RFC schema URNs.

func filterIDs(t *testing.T, c *client, f string) []string {
	t.Helper()
	var ids []string
	for _, r := range c.do("GET", "/Users?count=1000&filter="+url.QueryEscape(f), nil).list(t) {
		ids = append(ids, str(r, "id"))
	}
	sort.Strings(ids)
	return ids
}

// Case-insensitive matching folds every letter the same way whether the
// attribute has a folded column (userName, displayName, emails) or is read
// from the stored JSON (name.*, title, a team's attributes), with every
// operator and in sorts, on SQLite and on PostgreSQL (whatever its locale:
// the test database's is C.UTF-8, under which lower() folded ASCII only).
func TestUnicodeCaseInsensitiveFilters(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	if err := srv.Svc.AddCustomAttribute(t.Context(), team.Slug, scim.CustomAttribute{Name: "city", Type: "string"}, testActor); err != nil {
		t.Fatal(err)
	}
	mk := func(userName, given, family, title, city string) string {
		u := oktaUser(userName)
		u["name"] = map[string]any{"givenName": given, "familyName": family}
		u["title"] = title
		u["displayName"] = given + " " + family
		u[customURN] = map[string]any{"city": city}
		return str(c.do("POST", "/Users", u).must(t, http.StatusCreated).Body, "id")
	}
	zoe := mk("zoe@acme.example", "Zoë", "李-Ωmega", "Ärztin", "İstanbul")
	elo := mk("elodie@acme.example", "Élodie", "Öztürk", "ΣΟΦΟΣ", "Zürich")
	ivan := mk("ivan@acme.example", "Иван", "Ёлкин", "Kelvin", "Москва")
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`name.givenName ew "ZOË"`, []string{zoe}},
		{`name.givenName eq "zoë"`, []string{zoe}},
		{`name.familyName eq "李-ωMEGA"`, []string{zoe}},
		{`name.familyName sw "öZ"`, []string{elo}},
		{`name.familyName co "ЁЛК"`, []string{ivan}},
		{`name.givenName eq "ИВАН" and title eq "kelvin"`, []string{ivan}},
		{`title eq "σοφοσ"`, []string{elo}},
		{`title sw "äRZT"`, []string{zoe}},
		{`name.givenName ne "ÉLODIE"`, []string{zoe, ivan}},
		{`displayName eq "ÉLODIE ÖZTÜRK"`, []string{elo}},
		{customURN + `:city eq "istanbul"`, []string{zoe}},
		{customURN + `:city eq "МОСКВА"`, []string{ivan}},
		{customURN + `:city gt "zürich"`, []string{ivan}}, // "м" (0xD0…) sorts after "z" by byte
		{`name.familyName lt "öz"`, []string{}},
		{`name.familyName ge "ÖZTÜRK"`, []string{zoe, elo, ivan}},
	} {
		want := slices.Clone(tc.want)
		sort.Strings(want)
		// The team's first admin (named after its email) is left out.
		f := "(" + tc.filter + `) and userName ne "admin@acme.example"`
		if got := filterIDs(t, c, f); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s: %v, want %v", tc.filter, got, want)
		}
	}
	// Sorted by the folded text, byte by byte: "zoë" < "élodie" < "иван".
	var order []string
	for _, r := range c.do("GET", "/Users?sortBy=name.givenName&filter="+url.QueryEscape(`userName ne "admin@acme.example"`), nil).list(t) {
		order = append(order, str(r, "id"))
	}
	if want := []string{zoe, elo, ivan}; !slices.Equal(order, want) {
		t.Errorf("sortBy name.givenName: %v, want %v", order, want)
	}
}

// Endpoint names match in any letter case (/users, /GROUPS/{id}, /bulk),
// /serviceConfiguration answers as /ServiceProviderConfig, and what
// doesn't exist is still a SCIM 404 or 405.
func TestEndpointNamesAnyCase(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	r := c.do("POST", "/users", oktaUser("case@acme.example")).must(t, http.StatusCreated)
	id := str(r.Body, "id")
	if loc := r.Header.Get("Location"); loc != c.base+"/Users/"+id {
		t.Errorf("Location %q: answers name the canonical endpoint", loc)
	}
	if res := c.do("GET", "/USERS?filter="+url.QueryEscape(`userName eq "case@acme.example"`), nil).list(t); len(res) != 1 {
		t.Errorf("/USERS filter: %v", res)
	}
	c.do("GET", "/uSeRs/"+id, nil).must(t, http.StatusOK)
	c.do("PATCH", "/users/"+id, patch(op("replace", "title", "Boss"))).must(t, http.StatusOK)
	g := c.do("POST", "/groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Eng"}).must(t, http.StatusCreated)
	gid := str(g.Body, "id")
	c.do("PATCH", "/GROUPS/"+gid, patch(op("add", "members", []any{map[string]any{"value": id}}))).must(t, http.StatusOK)
	if got := c.do("GET", "/Groups/"+gid, nil).must(t, 200); str(got.Body, "members", 0, "value") != id {
		t.Errorf("member not added through /GROUPS: %s", got.Raw)
	}
	c.do("POST", "/users/.search", map[string]any{"filter": `title eq "boss"`}).list(t)
	bulk := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{map[string]any{"method": "DELETE", "path": "/groups/" + gid}}}
	if br := c.do("POST", "/bulk", bulk).must(t, http.StatusOK); str(br.Body, "Operations", 0, "status") != "204" {
		t.Errorf("/bulk: %s", br.Raw)
	}
	c.do("DELETE", "/USERS/"+id, nil).must(t, http.StatusNoContent)

	spc := c.do("GET", "/ServiceProviderConfig", nil).must(t, http.StatusOK)
	for _, p := range []string{"/serviceConfiguration", "/serviceproviderconfig", "/SERVICEPROVIDERCONFIG"} {
		if got := c.do("GET", p, nil).must(t, http.StatusOK); !bytes.Equal(got.Raw, spc.Raw) {
			t.Errorf("%s answers %s, not the configuration", p, got.Raw)
		}
	}
	if res := c.do("GET", "/resourcetypes", nil).list(t); len(res) != 2 {
		t.Errorf("/resourcetypes: %v", res)
	}
	if got := c.do("GET", "/schemas/"+userURN, nil).must(t, 200); str(got.Body, "id") != userURN {
		t.Errorf("/schemas/{id}: %s", got.Raw)
	}
	// Ids are not folded: a user's id in capitals is another id.
	other := c.createUser("other@acme.example")
	c.do("GET", "/Users/"+strings.ToUpper(other), nil).scimError(t, http.StatusNotFound, "")
	// Still SCIM-shaped refusals.
	c.do("GET", "/userz", nil).scimError(t, http.StatusNotFound, "")
	if r := c.do("DELETE", "/users", nil).scimError(t, http.StatusMethodNotAllowed, ""); r.Header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	c.do("POST", "/serviceConfiguration", map[string]any{}).scimError(t, http.StatusMethodNotAllowed, "")
	c.do("GET", "/bulk", nil).scimError(t, http.StatusMethodNotAllowed, "")
	c.do("GET", "/me", nil).scimError(t, http.StatusNotImplemented, "")
	// The Kelvin sign is not a "k": Unicode folding makes no aliases.
	c.do("POST", "/bul\u212a", bulk).scimError(t, http.StatusNotFound, "")
	// Without a key, a resource endpoint in any case is still a 401.
	c.withAuth("").do("GET", "/users", nil).scimError(t, http.StatusUnauthorized, "")
	// The provisioning log names the endpoint as the routes spell it, so
	// its entries still say which user a request was about.
	found := false
	for _, e := range provLog(t, srv, team.ID, 10) {
		if e.Method == "PATCH" && e.ResourceID == id {
			found = true
			if e.Path != "/scim/v2/Users/"+id || e.ResourceType != "Users" {
				t.Errorf("PATCH /users/{id} logged as %s (%s %s)", e.Path, e.ResourceType, e.ResourceID)
			}
		}
	}
	if !found {
		t.Error("the PATCH through /users/{id} is not in the provisioning log")
	}
}

// decodeNumbers decodes a body keeping numbers as json.Number, as strict
// clients read them.
func decodeNumbers(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every discovery document, as served, passes a check against RFC 7643's
// schemas for it (rfc7643.Check): without a key, and with the key of a
// team that has its own attributes. documentationUri is left out rather
// than "" (not a URI, which made a strict client refuse the server).
func TestDiscoveryFollowsRFC7643(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	if err := srv.Svc.AddCustomAttribute(t.Context(), team.Slug, scim.CustomAttribute{Name: "homepage", Type: "reference"}, testActor); err != nil {
		t.Fatal(err)
	}
	if err := srv.Svc.AddCustomAttribute(t.Context(), team.Slug, scim.CustomAttribute{Name: "level", Type: "integer", MultiValued: true}, testActor); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{c.withAuth(""), c} {
		spc := cl.do("GET", "/ServiceProviderConfig", nil).must(t, 200)
		if _, ok := spc.Body["documentationUri"]; ok {
			t.Errorf("documentationUri present: %s", spc.Raw)
		}
		for _, p := range rfc7643.Check(decodeNumbers(t, spc.Raw)) {
			t.Errorf("/ServiceProviderConfig: %s", p)
		}
		rts := cl.do("GET", "/ResourceTypes", nil).must(t, 200)
		for _, p := range rfc7643.CheckList(decodeNumbers(t, rts.Raw), rfc7643.ResourceTypeURN) {
			t.Errorf("/ResourceTypes: %s", p)
		}
		for _, id := range []string{"User", "Group"} {
			for _, p := range rfc7643.Check(decodeNumbers(t, cl.do("GET", "/ResourceTypes/"+id, nil).must(t, 200).Raw)) {
				t.Errorf("/ResourceTypes/%s: %s", id, p)
			}
		}
		schemas := cl.do("GET", "/Schemas", nil).must(t, 200)
		for _, p := range rfc7643.CheckList(decodeNumbers(t, schemas.Raw), rfc7643.SchemaURN) {
			t.Errorf("/Schemas: %s", p)
		}
		ids := 0
		for _, s := range schemas.list(t) {
			id := str(s, "id")
			ids++
			for _, p := range rfc7643.Check(decodeNumbers(t, cl.do("GET", "/Schemas/"+id, nil).must(t, 200).Raw)) {
				t.Errorf("/Schemas/%s: %s", id, p)
			}
		}
		if want := map[bool]int{true: 3, false: 4}[cl.auth == ""]; ids != want {
			t.Errorf("auth %v: %d schemas, want %d", cl.auth != "", ids, want)
		}
	}
}

// POST /.search at the base URL searches Users and Groups at once (RFC 7644
// §3.4.3): one ListResponse, the same filter, paging and projection rules
// as each endpoint's own search, only the key's team.
func TestRootSearch(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	other, _ := srv.newTeam("Other")
	other.createUser("stranger@other.example")
	other.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Eng"}).must(t, 201)
	var users, groups []string
	for i := range 3 {
		u := oktaUser(fmt.Sprintf("u%d@acme.example", i))
		u["displayName"] = "Eng"
		users = append(users, str(c.do("POST", "/Users", u).must(t, 201).Body, "id"))
	}
	for _, n := range []string{"Eng", "Ops"} {
		g := map[string]any{"schemas": []string{groupURN}, "displayName": n, "members": []any{map[string]any{"value": users[0]}}}
		groups = append(groups, str(c.do("POST", "/Groups", g).must(t, 201).Body, "id"))
	}
	search := func(body map[string]any) response {
		body["schemas"] = []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}
		return c.do("POST", "/.search", body)
	}
	ids := func(r response) []string {
		var out []string
		for _, x := range r.list(t) {
			out = append(out, str(x, "id"))
		}
		return out
	}
	// No filter: the admin and 3 users, then 2 groups.
	all := search(map[string]any{"count": 100})
	got := ids(all)
	if num(all.Body, "totalResults") != 6 || len(got) != 6 || !slices.Equal(got[1:4], users) || !slices.Equal(got[4:], groups) {
		t.Fatalf("all: %s", all.Raw)
	}
	for i, x := range all.list(t) {
		want := map[bool]string{true: userURN, false: groupURN}[i < 4]
		if !hasString(get(x, "schemas"), want) || str(x, "meta", "resourceType") != map[bool]string{true: "User", false: "Group"}[i < 4] {
			t.Errorf("resource %d is not a %s: %v", i, want, x)
		}
	}
	// Paging runs over the two lists as one, across the boundary.
	for _, p := range []struct{ start, count int }{{1, 2}, {3, 2}, {4, 2}, {5, 5}, {6, 1}, {7, 3}, {1, 0}} {
		r := search(map[string]any{"startIndex": p.start, "count": p.count})
		want := got[min(p.start-1, len(got)):min(p.start-1+p.count, len(got))]
		if g := ids(r); !slices.Equal(g, want) || num(r.Body, "totalResults") != 6 || num(r.Body, "startIndex") != p.start {
			t.Errorf("startIndex %d count %d: %v (total %d), want %v", p.start, p.count, g, num(r.Body, "totalResults"), want)
		}
	}
	// A filter on what both types have finds both; on what one has, that one.
	if g := ids(search(map[string]any{"filter": `displayName eq "eng"`})); !slices.Equal(g, append(slices.Clone(users), groups[0])) {
		t.Errorf("displayName eq eng: %v", g)
	}
	if g := ids(search(map[string]any{"filter": `userName sw "U1"`})); !slices.Equal(g, users[1:2]) {
		t.Errorf("userName sw: %v", g)
	}
	if g := ids(search(map[string]any{"filter": `members[value eq "` + users[0] + `"]`})); !slices.Equal(g, groups) {
		t.Errorf("members: %v", g)
	}
	if g := ids(search(map[string]any{"filter": `meta.resourceType eq "Group"`})); !slices.Equal(g, groups) {
		t.Errorf("meta.resourceType: %v", g)
	}
	// Projection applies to each resource by its own type.
	p := search(map[string]any{"filter": `displayName eq "Eng"`, "attributes": []string{"displayName"}})
	for _, x := range p.list(t) {
		m := x.(map[string]any)
		if _, ok := m["userName"]; ok {
			t.Errorf("attributes=displayName returned userName: %v", m)
		}
		if _, ok := m["members"]; ok {
			t.Errorf("attributes=displayName returned members: %v", m)
		}
		if str(m, "displayName") != "Eng" || str(m, "id") == "" {
			t.Errorf("projected resource: %v", m)
		}
	}
	if x := search(map[string]any{"filter": `displayName eq "Ops"`, "excludedAttributes": "members"}).list(t); len(x) != 1 || get(x[0], "members") != nil {
		t.Errorf("excludedAttributes=members: %v", x)
	}
	// Refusals: a filter no type can take, a sort, a malformed request.
	search(map[string]any{"filter": `nope eq "x"`}).scimError(t, http.StatusBadRequest, "invalidFilter")
	search(map[string]any{"filter": `userName eq "x" and members pr`}).scimError(t, http.StatusBadRequest, "invalidFilter")
	search(map[string]any{"sortBy": "displayName"}).scimError(t, http.StatusBadRequest, "invalidValue")
	search(map[string]any{"filter": 5}).scimError(t, http.StatusBadRequest, "invalidFilter")
	c.do("GET", "/.search", nil).scimError(t, http.StatusMethodNotAllowed, "")
	c.withAuth("").do("POST", "/.search", map[string]any{}).scimError(t, http.StatusUnauthorized, "")
}

// A remove can't bring a deprovisioned member back: `active` changes only
// by a value, and a remove (or null, or "") keeps the current state, on a
// deactivated member and on an active one, as a PUT without `active`
// does. roles and emails' primary have no default a remove could restore.
func TestRemoveActiveKeepsState(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	id := c.createUser("gone@acme.example")
	c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"active": false}))).must(t, 200)
	for _, body := range []map[string]any{
		patch(op("remove", "active", nil)),
		patch(op("Remove", "ACTIVE", nil)),
		patch(op("replace", "active", nil)),
		patch(op("replace", "active", "")),
		patch(op("replace", "", map[string]any{"active": nil})),
		patch(op("remove", userURN+":active", nil)),
		patch(op("remove", "active", nil), op("replace", "title", "Still gone")),
	} {
		r := c.do("PATCH", "/Users/"+id, body).must(t, http.StatusOK)
		if get(r.Body, "active") != false {
			t.Errorf("%v reactivated the member: %s", body["Operations"], r.Raw)
		}
		if got := c.do("GET", "/Users/"+id, nil).must(t, 200); get(got.Body, "active") != false {
			t.Errorf("%v: stored active = %v", body["Operations"], get(got.Body, "active"))
		}
	}
	u := oktaUser("gone@acme.example")
	delete(u, "active")
	if r := c.do("PUT", "/Users/"+id, u).must(t, 200); get(r.Body, "active") != false {
		t.Errorf("PUT without active reactivated: %s", r.Raw)
	}
	// An active member stays active.
	on := c.createUser("here@acme.example")
	if r := c.do("PATCH", "/Users/"+on, patch(op("remove", "active", nil))).must(t, 200); get(r.Body, "active") != true {
		t.Errorf("remove active deactivated an active member: %s", r.Raw)
	}
	// A value still changes it.
	if r := c.do("PATCH", "/Users/"+id, patch(op("replace", "active", true))).must(t, 200); get(r.Body, "active") != true {
		t.Errorf("replace active true: %s", r.Raw)
	}
	// roles and emails' primary: removing them removes the IdP's data
	// and nothing else: the member's Roster role is unchanged, and no
	// email becomes primary again.
	r := c.do("PATCH", "/Users/"+on, patch(op("add", "roles", []any{map[string]any{"value": "admin", "primary": true}}))).must(t, 200)
	if str(r.Body, "roles", 0, "value") != "admin" {
		t.Fatalf("roles not set: %s", r.Raw)
	}
	before, err := srv.Store().User(t.Context(), team.ID, on)
	if err != nil {
		t.Fatal(err)
	}
	r = c.do("PATCH", "/Users/"+on, patch(op("remove", "roles", nil), op("remove", `emails[type eq "work"].primary`, nil))).must(t, 200)
	if get(r.Body, "roles") != nil || get(r.Body, "emails", 0, "primary") != nil || str(r.Body, "emails", 0, "value") != "here@acme.example" || get(r.Body, "active") != true {
		t.Errorf("after removing roles and primary: %s", r.Raw)
	}
	after, err := srv.Store().User(t.Context(), team.ID, on)
	if err != nil {
		t.Fatal(err)
	}
	if after.Role != before.Role || !after.Active || len(after.Emails) != 1 || after.Emails[0].Primary {
		t.Errorf("stored member: role %q (was %q), active %v, emails %+v", after.Role, before.Role, after.Active, after.Emails)
	}
}

// OneLogin's SCIM connector sends the SCIM 2.0 drafts' URNs: the core
// schema as urn:scim:schemas:core:2.0 and the enterprise attributes under
// urn:scim:schemas:extension:enterprise:2.0. They are read as the RFC 7643
// URNs (with or without ":User", in bodies, PATCH paths, filters and
// attribute lists); answers only ever use the RFC URNs.
func TestOneLoginLegacyURNs(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	const legacyCore, legacyEnt = "urn:scim:schemas:core:2.0", "urn:scim:schemas:extension:enterprise:2.0"
	body := map[string]any{
		"schemas":  []string{legacyCore, legacyEnt},
		"userName": "ada@acme.example",
		"name":     map[string]any{"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
		"emails":   []any{map[string]any{"value": "ada@acme.example", "type": "work", "primary": true}},
		legacyEnt:  map[string]any{"department": "Engineering", "employeeNumber": "1815", "organization": "Acme"},
	}
	r := c.do("POST", "/Users", body).must(t, http.StatusCreated)
	id := str(r.Body, "id")
	check := func(r response, dept string) {
		t.Helper()
		if str(r.Body, entURN, "department") != dept || str(r.Body, entURN, "employeeNumber") != "1815" {
			t.Errorf("enterprise attributes not stored under %s: %s", entURN, r.Raw)
		}
		if bytes.Contains(r.Raw, []byte("urn:scim:schemas")) {
			t.Errorf("an answer names a pre-RFC URN: %s", r.Raw)
		}
		if !hasString(r.Body["schemas"], entURN) || !hasString(r.Body["schemas"], userURN) {
			t.Errorf("schemas %v", r.Body["schemas"])
		}
	}
	check(r, "Engineering")
	check(c.do("GET", "/Users/"+id, nil).must(t, 200), "Engineering")
	// The forms with ":User", and core attributes nested under the core URN.
	r = c.do("POST", "/Users", map[string]any{
		"schemas":           []string{legacyCore + ":User"},
		legacyCore:          map[string]any{"userName": "grace@acme.example", "title": "Rear Admiral"},
		legacyEnt + ":User": map[string]any{"department": "Navy", "employeeNumber": "1815"},
	}).must(t, http.StatusCreated)
	check(r, "Navy")
	if str(r.Body, "userName") != "grace@acme.example" || str(r.Body, "title") != "Rear Admiral" {
		t.Errorf("core attributes under %s: %s", legacyCore, r.Raw)
	}
	// PATCH: a legacy path, a path-less value keyed by the legacy URN, a
	// whole legacy extension.
	check(c.do("PATCH", "/Users/"+id, patch(op("replace", legacyEnt+":department", "Research"))).must(t, 200), "Research")
	check(c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{legacyEnt: map[string]any{"department": "Maths"}}))).must(t, 200), "Maths")
	check(c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{legacyEnt + ":User:department": "Logic"}))).must(t, 200), "Logic")
	check(c.do("PATCH", "/Users/"+id, patch(op("replace", legacyCore+":title", "Countess"))).must(t, 200), "Logic")
	if got := c.do("GET", "/Users/"+id, nil).must(t, 200); str(got.Body, "title") != "Countess" {
		t.Errorf("title by %s:title: %s", legacyCore, got.Raw)
	}
	// PUT, as OneLogin updates.
	body[legacyEnt] = map[string]any{"department": "Analytical Engines", "employeeNumber": "1815"}
	check(c.do("PUT", "/Users/"+id, body).must(t, 200), "Analytical Engines")
	// Filters and attribute lists.
	if ids := filterIDs(t, c, legacyEnt+`:department eq "analytical engines"`); !slices.Equal(ids, []string{id}) {
		t.Errorf("filter on the legacy URN: %v", ids)
	}
	if ids := filterIDs(t, c, legacyCore+`:userName eq "ADA@acme.example"`); !slices.Equal(ids, []string{id}) {
		t.Errorf("filter on the legacy core URN: %v", ids)
	}
	p := c.do("GET", "/Users/"+id+"?attributes="+url.QueryEscape(legacyEnt+":department"), nil).must(t, 200)
	if str(p.Body, entURN, "department") != "Analytical Engines" || p.Body["userName"] != nil {
		t.Errorf("attributes=%s:department: %s", legacyEnt, p.Raw)
	}
	// Removing the whole legacy extension removes the enterprise data.
	r = c.do("PATCH", "/Users/"+id, patch(op("remove", legacyEnt, nil))).must(t, 200)
	if r.Body[entURN] != nil || hasString(r.Body["schemas"], entURN) {
		t.Errorf("remove %s: %s", legacyEnt, r.Raw)
	}
	// Groups take the legacy core URN too.
	g := c.do("POST", "/Groups", map[string]any{"schemas": []string{legacyCore}, legacyCore + ":Group": map[string]any{"displayName": "Analysts"}}).must(t, 201)
	if str(g.Body, "displayName") != "Analysts" || !hasString(g.Body["schemas"], groupURN) {
		t.Errorf("group: %s", g.Raw)
	}
}

// JumpCloud's custom SCIM connector (its support article "Identity
// Management using a Custom SCIM Integration", and a third-party note on
// its group PATCH): Test Connection creates a test user (the admin's "Test
// User Email") and a test group, then deletes both; users are looked up
// before they are created; deprovisioning sets active false; group
// members are removed with an Entra-style value list; groups are renamed
// and deleted.
func TestJumpCloudFlow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	// Test Connection.
	tu := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "jc-test@acme.example",
		"name": map[string]any{"givenName": "JumpCloud", "familyName": "Test"}, "emails": []any{map[string]any{"value": "jc-test@acme.example", "primary": true}}}).must(t, 201)
	tg := c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "JumpCloud Test Group"}).must(t, 201)
	c.do("DELETE", "/Users/"+str(tu.Body, "id"), nil).must(t, http.StatusNoContent)
	c.do("DELETE", "/Groups/"+str(tg.Body, "id"), nil).must(t, http.StatusNoContent)
	if n := len(c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "jc-test@acme.example"`), nil).list(t)); n != 0 {
		t.Fatalf("the test user is still there")
	}
	// Lookup, then create with JumpCloud's mapping.
	lookup := func(userName string) []any {
		return c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), nil).list(t)
	}
	if len(lookup("Grace@Acme.example")) != 0 {
		t.Fatal("lookup of a new user found one")
	}
	u := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "grace@acme.example", "active": true,
		"name": map[string]any{"givenName": "Grace", "familyName": "Hopper"}, "displayName": "Grace Hopper",
		"emails": []any{map[string]any{"value": "grace@acme.example", "type": "work", "primary": true}}}).must(t, 201)
	uid := str(u.Body, "id")
	if res := lookup("GRACE@acme.example"); len(res) != 1 || str(res[0], "id") != uid {
		t.Fatalf("lookup after create: %v", res)
	}
	peer := c.createUser("alan@acme.example")
	// A group with members (empty groups are not pushed), renamed, a
	// member removed by value list.
	g := c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Engineering",
		"members": []any{map[string]any{"value": uid}, map[string]any{"value": peer}}}).must(t, 201)
	gid := str(g.Body, "id")
	c.do("PATCH", "/Groups/"+gid, patch(op("replace", "displayName", "R&D"))).must(t, 200)
	r := c.do("PATCH", "/Groups/"+gid, patch(op("remove", "members", []any{map[string]any{"value": peer}}))).must(t, 200)
	if str(r.Body, "displayName") != "R&D" || len(get(r.Body, "members").([]any)) != 1 || str(r.Body, "members", 0, "value") != uid {
		t.Fatalf("group after rename and removal: %s", r.Raw)
	}
	// Deprovisioning: the member stays, inactive, with their groups.
	r = c.do("PATCH", "/Users/"+uid, patch(op("replace", "active", false))).must(t, 200)
	if get(r.Body, "active") != false || str(r.Body, "groups", 0, "value") != gid {
		t.Fatalf("deprovisioned: %s", r.Raw)
	}
	if stored, err := srv.Store().User(t.Context(), team.ID, uid); err != nil || stored.Active {
		t.Fatalf("stored: %+v %v", stored, err)
	}
	c.do("DELETE", "/Groups/"+gid, nil).must(t, http.StatusNoContent)
	c.do("GET", "/Users/"+uid, nil).must(t, 200)
}
