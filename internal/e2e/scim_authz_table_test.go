package e2e

// TestSCIMAuthorizationTable tries every SCIM route (every resource type
// the server's /ResourceTypes lists, the RFC 7644 §3.2 endpoints, and for
// each the methods the server's own 405 Allow header names) with every
// caller who must be refused: team B's key on team A's ids, A's revoked
// key, A's expired key, A's key while A has SCIM off, no key and malformed
// Authorization headers. After each request team A's state is compared
// with a snapshot taken before it. Last, A's key makes the same request
// and must succeed, so no row passes by being broken.

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// scimRow is one SCIM request of the table.
type scimRow struct {
	method, route string // route as the table names it: "/Users/{id}"
	note          string // tells two rows of one route apart
	// open routes need no key (discovery, /Me): every caller without a
	// valid key gets anyone.
	open   bool
	anyone int
	ok     int // team A's key
	other  int // team B's key
	req    func(f *scimAuthzFixture, tg scimTarget) scimReq
}

// scimTarget is team A's user and group made for one row.
type scimTarget struct{ user, userName, group, groupName string }

type scimReq struct {
	id    string // fills {id}
	query string
	body  any
	// otherBody replaces body for team B's key.
	otherBody any
	// echo lists what of A team B's request itself names, so its answer
	// may repeat it.
	echo       []string
	okCheck    func(t *testing.T, r response)
	otherCheck func(t *testing.T, r response)
}

type scimAuthzFixture struct {
	srv          *server
	a, b         *client // the IdPs of team A and team B
	teamA, teamB store.Team
	keyA         string
	revoked      *client // A's revoked key
	expired      *client // A's expired key
	attrA        string  // A's custom User attribute
}

const rosterExtURN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"

var scimAuthzSeq atomic.Int64

func alphaName(kind string) string {
	return fmt.Sprintf("alpha-%s-%d@alpha.example", kind, scimAuthzSeq.Add(1))
}

func TestSCIMAuthorizationTable(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	f := newSCIMAuthzFixture(t, srv)
	rows := scimAuthzRows()

	routes := scimRoutes(t, f)
	covered := map[string]bool{}
	for _, row := range rows {
		key := row.method + " " + row.route
		if !routes[key] {
			t.Errorf("row %s is not a route the server serves (served: %v)", key, sortedKeys(routes))
		}
		covered[key] = true
	}
	for _, key := range sortedKeys(routes) {
		if !covered[key] {
			t.Errorf("route %s has no row in the SCIM authorization table (scimAuthzRows)", key)
		}
	}
	if t.Failed() {
		return
	}
	for _, row := range rows {
		name := row.method + " " + row.route
		if row.note != "" {
			name += " " + row.note
		}
		t.Run(name, func(t *testing.T) { f.run(t, row) })
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newSCIMAuthzFixture(t *testing.T, srv *server) *scimAuthzFixture {
	t.Helper()
	ctx := context.Background()
	f := &scimAuthzFixture{srv: srv, attrA: "alphaSecretAttr"}
	f.a, f.teamA = srv.newTeam("Alpha")
	f.b, f.teamB = srv.newTeam("Beta")
	f.keyA = strings.TrimPrefix(f.a.auth, "Bearer ")
	// Both teams have custom attributes: B sees its own, never A's. (The
	// snapshot must see that audited change: it reads the newest events.)
	seen := f.snapshot(t)
	defer func() {
		if now := f.snapshot(t); now.Audit == seen.Audit {
			t.Fatalf("the snapshot misses an audited change")
		}
	}()
	for team, name := range map[string]string{f.teamA.Slug: f.attrA, f.teamB.Slug: "betaAttr"} {
		if _, err := srv.Svc.ApplyCustomAttributes(ctx, team, []scim.CustomAttribute{{Name: name, Type: "string"}}, false, testActor); err != nil {
			t.Fatal(err)
		}
	}
	k, err := srv.Svc.CreateKey(ctx, f.teamA.Slug, "revoked", nil, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Svc.RevokeKey(ctx, f.teamA.Slug, k.Key.ID, testActor); err != nil {
		t.Fatal(err)
	}
	f.revoked = f.a.withAuth("Bearer " + k.Token)
	past := time.Now().Add(-time.Minute)
	k, err = srv.Svc.CreateKey(ctx, f.teamA.Slug, "expired", &past, testActor)
	if err != nil {
		t.Fatal(err)
	}
	f.expired = f.a.withAuth("Bearer " + k.Token)
	return f
}

// scimRoutes asks the server which SCIM routes it serves: the resource
// endpoints its /ResourceTypes lists and the RFC 7644 §3.2 endpoints, each
// as a collection, a resource ({id}), a trailing-slash list and a .search;
// the methods of each are those its 405 answer to OPTIONS allows (every
// method when OPTIONS itself is routed, as for /Me).
func scimRoutes(t *testing.T, f *scimAuthzFixture) map[string]bool {
	t.Helper()
	anon := f.a.withAuth("")
	rts := anon.do("GET", "/ResourceTypes", nil).list(t)
	var endpoints []string
	for _, rt := range rts {
		endpoints = append(endpoints, str(rt, "endpoint"))
	}
	if len(endpoints) < 2 {
		t.Fatalf("resource types %v", rts)
	}
	candidates := []string{"/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/{id}", "/Schemas", "/Schemas/{id}",
		"/Bulk", "/Me", "/.search"}
	for _, e := range endpoints {
		candidates = append(candidates, e, e+"/", e+"/{id}", e+"/.search")
	}
	allowed := func(pattern string) []string {
		r := anon.do("OPTIONS", strings.ReplaceAll(pattern, "{id}", "authz-probe"), nil)
		switch r.Status {
		case http.StatusNotFound:
			return nil
		case http.StatusMethodNotAllowed:
			var ms []string
			for _, m := range strings.Split(r.Header.Get("Allow"), ",") {
				ms = append(ms, strings.TrimSpace(m))
			}
			return ms
		}
		return []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	}
	routes := map[string]bool{}
	for _, p := range candidates {
		ms := allowed(p)
		// GET /Users/.search is GET /Users/{id} with the id ".search".
		if i := strings.LastIndex(p, "/"); i > 0 && i < len(p)-1 && !strings.HasSuffix(p, "}") && slices.Contains(candidates, p[:i]+"/{id}") {
			wild := allowed(p[:i] + "/{id}")
			ms = slices.DeleteFunc(ms, func(m string) bool { return slices.Contains(wild, m) })
		}
		for _, m := range ms {
			routes[m+" "+p] = true
		}
	}
	return routes
}

func scimAuthzRows() []scimRow {
	filterUser := func(tg scimTarget) string {
		return "?filter=" + url.QueryEscape(`userName eq "`+tg.userName+`"`)
	}
	filterGroup := func(tg scimTarget) string {
		return "?filter=" + url.QueryEscape(`displayName eq "`+tg.groupName+`"`)
	}
	unfiltered := "?count=1000"
	// found checks a list (or search) answer holds exactly the resource id.
	found := func(id string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			res := r.list(t)
			if len(res) != 1 || str(res[0], "id") != id {
				t.Errorf("want exactly %s: %.400s", id, r.Raw)
			}
		}
	}
	empty := func(t *testing.T, r response) {
		t.Helper()
		if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 0 {
			t.Errorf("team B's key finds team A's resources: %.400s", r.Raw)
		}
	}
	search := func(filter string) map[string]any {
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": filter}
	}
	userBody := func(userName string) map[string]any {
		u := oktaUser(userName)
		u["displayName"], u["active"] = "Replaced", false
		return u
	}
	groupBody := func(name string, members ...string) map[string]any {
		ms := []any{}
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m})
		}
		return map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": ms}
	}
	hijack := patch(op("replace", "displayName", "Hijacked"), op("replace", "active", false))
	hijackGroup := func(tg scimTarget) map[string]any {
		return patch(op("replace", "displayName", tg.groupName+" hijacked"), op("remove", "members", nil))
	}
	contains := func(s string, want bool) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			if strings.Contains(string(r.Raw), s) != want {
				t.Errorf("answer contains %q: %v, want %v: %.400s", s, !want, want, r.Raw)
			}
		}
	}
	bulkStatuses := func(want ...string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			ops, _ := r.Body["Operations"].([]any)
			var got []string
			for _, o := range ops {
				got = append(got, str(o, "status"))
			}
			if !slices.Equal(got, want) {
				t.Errorf("bulk operation statuses %v, want %v: %.600s", got, want, r.Raw)
			}
		}
	}
	none := func(f *scimAuthzFixture, tg scimTarget) scimReq { return scimReq{} }

	rows := []scimRow{
		// Discovery needs no key; with a valid key it shows that key's
		// team's custom attributes, never another team's.
		{method: "GET", route: "/ServiceProviderConfig", open: true, anyone: 200, ok: 200, other: 200, req: none},
		{method: "GET", route: "/ResourceTypes", open: true, anyone: 200, ok: 200, other: 200, req: none},
		{method: "GET", route: "/ResourceTypes/{id}", open: true, anyone: 200, ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq { return scimReq{id: "User"} }},
		{method: "GET", route: "/Schemas", open: true, anyone: 200, ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{okCheck: contains(f.attrA, true), otherCheck: contains("betaAttr", true)}
			}},
		{method: "GET", route: "/Schemas/{id}", open: true, anyone: 404, ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{id: rosterExtURN, okCheck: contains(f.attrA, true), otherCheck: contains("betaAttr", true)}
			}},
	}
	// /Me is not supported: every caller gets the same 501.
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		rows = append(rows, scimRow{method: m, route: "/Me", open: true, anyone: 501, ok: 501, other: 501,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				if m == "GET" || m == "DELETE" {
					return scimReq{}
				}
				return scimReq{body: userBody(tg.userName)}
			}})
	}
	// Users and Groups.
	for _, list := range []string{"/Users", "/Users/"} {
		rows = append(rows, scimRow{method: "GET", route: list, ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{query: filterUser(tg), okCheck: found(tg.user), otherCheck: empty}
			}})
	}
	for _, list := range []string{"/Groups", "/Groups/"} {
		rows = append(rows, scimRow{method: "GET", route: list, ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{query: filterGroup(tg), okCheck: found(tg.group), otherCheck: empty}
			}})
	}
	rows = append(rows,
		// B's unfiltered lists: nothing of A (the leak check reads them).
		scimRow{method: "GET", route: "/Users", note: "unfiltered", ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq { return scimReq{query: unfiltered} }},
		scimRow{method: "GET", route: "/Groups", note: "unfiltered", ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq { return scimReq{query: unfiltered} }},
		scimRow{method: "POST", route: "/Users/.search", ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{body: search(`userName eq "` + tg.userName + `"`), okCheck: found(tg.user), otherCheck: empty}
			}},
		scimRow{method: "POST", route: "/Groups/.search", ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{body: search(`members.value eq "` + tg.user + `"`), okCheck: found(tg.group), otherCheck: empty,
					echo: []string{tg.user}}
			}},
		// The search across resource types: A's user and group to A's
		// key, nothing of A to B's.
		scimRow{method: "POST", route: "/.search", ok: 200, other: 200,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				both := func(t *testing.T, r response) {
					t.Helper()
					res := r.list(t)
					if len(res) != 2 || str(res[0], "id") != tg.user || str(res[1], "id") != tg.group {
						t.Errorf("want %s then %s: %.400s", tg.user, tg.group, r.Raw)
					}
				}
				return scimReq{body: search(`id eq "` + tg.user + `" or id eq "` + tg.group + `"`), okCheck: both, otherCheck: empty,
					echo: []string{tg.user, tg.group}}
			}},
		// B creating "A's" user makes a user of B's own, with its own id.
		scimRow{method: "POST", route: "/Users", ok: 201, other: 201,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				clash := oktaUser(tg.userName)
				clash["id"] = tg.user
				return scimReq{body: oktaUser(alphaName("created")), otherBody: clash, echo: []string{tg.user, tg.userName},
					otherCheck: func(t *testing.T, r response) {
						id := str(r.Body, "id")
						if id == "" || id == tg.user {
							t.Fatalf("B's create answered id %q (A's is %s)", id, tg.user)
						}
						// B's user of that name goes, so no later answer to B
						// holds a name A also has.
						bindT(f.b, t).do("DELETE", "/Users/"+id, nil).must(t, http.StatusNoContent)
					}}
			}},
		// A group of B can't take A's user as a member.
		scimRow{method: "POST", route: "/Groups", ok: 201, other: 400,
			req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
				return scimReq{body: groupBody("Alpha Created "+tg.user, tg.user), echo: []string{tg.user}}
			}},
	)
	for _, res := range []string{"/Users/{id}", "/Groups/{id}"} {
		isUser := strings.HasPrefix(res, "/Users")
		id := func(tg scimTarget) string {
			if isUser {
				return tg.user
			}
			return tg.group
		}
		rows = append(rows,
			scimRow{method: "GET", route: res, ok: 200, other: 404,
				req: func(f *scimAuthzFixture, tg scimTarget) scimReq { return scimReq{id: id(tg)} }},
			scimRow{method: "PUT", route: res, ok: 200, other: 404,
				req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
					if isUser {
						return scimReq{id: tg.user, body: userBody(tg.userName)}
					}
					return scimReq{id: tg.group, body: groupBody(tg.groupName + " replaced")}
				}},
			scimRow{method: "PATCH", route: res, ok: 200, other: 404,
				req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
					if isUser {
						return scimReq{id: tg.user, body: hijack}
					}
					return scimReq{id: tg.group, body: hijackGroup(tg)}
				}},
			scimRow{method: "DELETE", route: res, ok: 204, other: 404,
				req: func(f *scimAuthzFixture, tg scimTarget) scimReq { return scimReq{id: id(tg)} }},
		)
	}
	rows = append(rows, scimRow{method: "POST", route: "/Bulk", ok: 200, other: 200,
		req: func(f *scimAuthzFixture, tg scimTarget) scimReq {
			body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": []any{
				map[string]any{"method": "PATCH", "path": "/Users/" + tg.user, "data": hijack},
				map[string]any{"method": "PUT", "path": "/Groups/" + tg.group, "data": groupBody(tg.groupName + " hijacked")},
				map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g", "data": groupBody("Alpha Bulk "+tg.user, tg.user)},
				map[string]any{"method": "DELETE", "path": "/Users/" + tg.user},
			}}
			return scimReq{body: body, echo: []string{tg.user, tg.group},
				okCheck: bulkStatuses("200", "200", "201", "204"), otherCheck: bulkStatuses("404", "404", "400", "404")}
		}})
	return rows
}

// scimCaller is one caller who is not team A's IdP.
type scimCaller struct {
	who  string
	c    *client
	kind string // nokey, malformed, revoked, expired, off
}

func (f *scimAuthzFixture) callers() []scimCaller {
	return []scimCaller{
		{"no key", f.a.withAuth(""), "nokey"},
		{"A's revoked key", f.revoked, "revoked"},
		{"A's expired key", f.expired, "expired"},
		{"A's key while A has SCIM off", f.a, "off"},
		{"Basic scheme with A's key", f.a.withAuth("Basic " + base64.StdEncoding.EncodeToString([]byte(f.keyA))), "malformed"},
		{"Bearer without a key", f.a.withAuth("Bearer"), "malformed"},
		{"A's key twice", f.a.withAuth("Bearer " + f.keyA + " " + f.keyA), "malformed"},
		{"A's key with another scheme", f.a.withAuth("Token " + f.keyA), "malformed"},
	}
}

// target makes a fresh user of A in a fresh group of A, through A's key.
func (f *scimAuthzFixture) target(t *testing.T) scimTarget {
	t.Helper()
	a := bindT(f.a, t)
	tg := scimTarget{userName: alphaName("user")}
	tg.user = a.createUser(tg.userName)
	tg.groupName = fmt.Sprintf("Alpha Group %d", scimAuthzSeq.Add(1))
	r := a.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": tg.groupName,
		"members": []any{map[string]any{"value": tg.user}}}).must(t, http.StatusCreated)
	tg.group = str(r.Body, "id")
	return tg
}

func (f *scimAuthzFixture) setSCIM(t *testing.T, on bool) {
	t.Helper()
	if _, err := f.srv.Svc.SetSCIM(context.Background(), f.teamA.Slug, on, testActor); err != nil {
		t.Fatal(err)
	}
}

func (f *scimAuthzFixture) run(t *testing.T, row scimRow) {
	tg := f.target(t)
	req := row.req(f, tg)
	path := func(id, query string) string {
		p := strings.ReplaceAll(row.route, "{id}", id)
		if strings.ContainsAny(p, "{}") {
			t.Fatalf("unfilled path %s", p)
		}
		return p + query
	}
	before := f.snapshot(t)
	send := func(who string, c *client, id, query string, body any, want int, check func(*testing.T, response)) response {
		t.Helper()
		r := bindT(c, t).do(row.method, path(id, query), body)
		if r.Status != want {
			t.Errorf("%s: status %d, want %d: %.400s", who, r.Status, want, r.Raw)
		} else if want >= 400 {
			checkSCIMError(t, who, r)
		}
		if check != nil && r.Status == want {
			check(t, r)
		}
		after := f.snapshot(t)
		if d := before.diff(after); len(d) > 0 {
			t.Errorf("%s: team A changed:\n  %s", who, strings.Join(d, "\n  "))
		}
		before = after
		return r
	}

	for _, k := range f.callers() {
		want := row.anyone
		if !row.open {
			want = http.StatusUnauthorized
			if k.kind == "off" {
				want = http.StatusForbidden
			}
		}
		if k.kind == "off" {
			f.setSCIM(t, false)
			before = f.snapshot(t)
		}
		r := send(k.who, k.c, req.id, req.query, req.body, want, nil)
		if k.kind == "off" {
			f.setSCIM(t, true)
			before = f.snapshot(t)
		}
		f.noLeak(t, k.who, r, before, nil)
		if r.Status != want || row.open {
			continue
		}
		if r.Header.Get("WWW-Authenticate") == "" && want == 401 {
			t.Errorf("%s: 401 without WWW-Authenticate", k.who)
		}
		detail := strings.ToLower(str(r.Body, "detail"))
		for kind, says := range map[string]string{"revoked": "revoked", "expired": "expired", "off": "disabled", "nokey": "missing"} {
			if k.kind == kind && !strings.Contains(detail, says) {
				t.Errorf("%s: detail %q does not say %s", k.who, detail, says)
			}
		}
	}

	// Team B's key on A's ids: exactly the answer for an id that doesn't exist.
	body, query := req.body, req.query
	if req.otherBody != nil {
		body = req.otherBody
	}
	r := send("team B's key", f.b, req.id, query, body, row.other, req.otherCheck)
	f.noLeak(t, "team B's key", r, before, append(req.echo, req.id))
	if row.other == http.StatusNotFound && r.Status == http.StatusNotFound {
		ghostID := service.NewID()
		ghost := send("team B's key, an id nobody has", f.b, ghostID, query, body, http.StatusNotFound, nil)
		same := func(s string) string { return strings.ReplaceAll(s, ghostID, req.id) }
		if same(str(ghost.Body, "detail")) != str(r.Body, "detail") || str(ghost.Body, "scimType") != str(r.Body, "scimType") {
			t.Errorf("team B's key: A's id answers differently from a nonexistent one:\n  %s\n  %s", r.Raw, ghost.Raw)
		}
	}

	// The positive control: A's own key.
	ok := bindT(f.a, t).do(row.method, path(req.id, req.query), req.body)
	if ok.Status != row.ok {
		t.Fatalf("team A's key: status %d, want %d: %.400s", ok.Status, row.ok, ok.Raw)
	}
	if req.okCheck != nil {
		req.okCheck(t, ok)
	}
}

// checkSCIMError asserts an RFC 7644 §3.12 error body.
func checkSCIMError(t *testing.T, who string, r response) {
	t.Helper()
	if !hasString(r.Body["schemas"], "urn:ietf:params:scim:api:messages:2.0:Error") || str(r.Body, "status") != itoa(r.Status) || str(r.Body, "detail") == "" {
		t.Errorf("%s: not a SCIM error: %.400s", who, r.Raw)
	}
}

// noLeak fails when an answer names anything of team A that the request
// didn't name itself (echo).
func (f *scimAuthzFixture) noLeak(t *testing.T, who string, r response, s scimState, echo []string) {
	t.Helper()
	raw := string(r.Raw)
	for _, v := range append(slices.Clone(s.secrets), f.attrA) {
		if !slices.Contains(echo, v) && strings.Contains(raw, v) {
			t.Errorf("%s: the answer names %q of team A: %.400s", who, v, raw)
		}
	}
}

// scimState is what can be observed of team A.
type scimState struct {
	Team    string
	Users   []string
	Groups  []string
	Keys    []string
	Invites []string
	Audit   string // ids of team A's newest audit events

	secrets []string // ids and names of A, for leak checks; not compared
}

func (f *scimAuthzFixture) snapshot(t *testing.T) scimState {
	t.Helper()
	ctx := context.Background()
	st := f.srv.Store()
	fail := func(err error) {
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	var s scimState
	team, err := st.Team(ctx, f.teamA.ID)
	fail(err)
	s.Team = fmt.Sprintf("scim=%v ext=%s seats=%d groupDelete=%v", team.SCIMEnabled, team.UserExtension, team.SeatLimit, team.GroupDeleteDeactivates)
	all := store.Query{Page: store.Page{Limit: 1 << 20}}
	users, _, err := st.ListUsers(ctx, team.ID, all)
	fail(err)
	for _, u := range users {
		s.Users = append(s.Users, fmt.Sprintf("%s %s active=%v roles=%s v%d %s", u.ID, u.UserName, u.Active, u.Role, u.Version, u.Attrs))
		s.secrets = append(s.secrets, u.ID, u.UserName)
	}
	// Every membership in one query.
	ids := make([]string, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	of, err := st.GroupsOfUsers(ctx, team.ID, ids)
	fail(err)
	members := map[string][]string{}
	for _, id := range ids {
		for _, g := range of[id] {
			members[g.GroupID] = append(members[g.GroupID], id)
		}
	}
	groups, _, err := st.ListGroups(ctx, team.ID, all)
	fail(err)
	for _, g := range groups {
		ms := members[g.ID]
		sort.Strings(ms)
		s.Groups = append(s.Groups, fmt.Sprintf("%s %q v%d members=%v", g.ID, g.DisplayName, g.Version, ms))
		s.secrets = append(s.secrets, g.ID, g.DisplayName)
	}
	keys, err := st.ListKeys(ctx, team.ID)
	fail(err)
	for _, k := range keys {
		s.Keys = append(s.Keys, fmt.Sprintf("%s %s expires=%v revoked=%v used=%v", k.ID, k.Name, k.ExpiresAt, k.RevokedAt, k.LastUsedAt))
		s.secrets = append(s.secrets, k.ID)
	}
	invites, err := st.ListPendingInvites(ctx, team.ID)
	fail(err)
	for _, i := range invites {
		s.Invites = append(s.Invites, fmt.Sprintf("%s %s %s", i.ID, i.Email, i.Role))
	}
	// The trail is append-only and ordered to the nanosecond: any new
	// event is among the newest.
	audit, err := st.ListAudit(ctx, team.ID, 100)
	fail(err)
	for _, e := range audit {
		s.Audit += e.ID + ","
	}
	s.secrets = append(s.secrets, team.ID)
	return s
}

func (a scimState) diff(b scimState) []string {
	var out []string
	cmp := func(what string, x, y []string) {
		for _, v := range x {
			if !slices.Contains(y, v) {
				out = append(out, what+" before: "+v)
			}
		}
		for _, v := range y {
			if !slices.Contains(x, v) {
				out = append(out, what+" after:  "+v)
			}
		}
	}
	if a.Team != b.Team {
		out = append(out, "team before: "+a.Team, "team after:  "+b.Team)
	}
	cmp("user", a.Users, b.Users)
	cmp("group", a.Groups, b.Groups)
	cmp("key", a.Keys, b.Keys)
	cmp("invite", a.Invites, b.Invites)
	if a.Audit != b.Audit {
		out = append(out, "team A's audit trail has new events")
	}
	return out
}
