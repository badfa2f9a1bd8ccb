package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	httpsrv "github.com/rosterhq/roster/internal/server"
)

// RFC 7644 §3.7 /Bulk (idp-conformance.md RFC-28).

const (
	bulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

func bulkRequest(failOnErrors int, ops ...map[string]any) map[string]any {
	if ops == nil {
		ops = []map[string]any{}
	}
	b := map[string]any{"schemas": []string{bulkRequestURN}, "Operations": ops}
	if failOnErrors > 0 {
		b["failOnErrors"] = failOnErrors
	}
	return b
}

func bulkOp(method, path, bulkID string, data any) map[string]any {
	m := map[string]any{"method": method, "path": path}
	if bulkID != "" {
		m["bulkId"] = bulkID
	}
	if data != nil {
		m["data"] = data
	}
	return m
}

func bulkGroup(name string, memberValues ...string) map[string]any {
	members := []any{}
	for _, v := range memberValues {
		members = append(members, map[string]any{"type": "User", "value": v})
	}
	return map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": members}
}

// bulkFindUsers lists the users matching filter.
func bulkFindUsers(t *testing.T, c *client, filter string) []any {
	t.Helper()
	return c.do("GET", "/Users?filter="+url.QueryEscape(filter), nil).list(t)
}

// bulkResults asserts a 200 BulkResponse and returns its Operations.
func bulkResults(t *testing.T, r response) []map[string]any {
	t.Helper()
	r.must(t, http.StatusOK)
	if !hasString(r.Body["schemas"], bulkResponseURN) {
		t.Fatalf("not a BulkResponse: %s", r.Raw)
	}
	l, ok := r.Body["Operations"].([]any)
	if !ok {
		t.Fatalf("Operations missing: %s", r.Raw)
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		out[i], _ = e.(map[string]any)
		if _, ok := out[i]["status"].(string); !ok {
			t.Fatalf("operation %d: status is not a string: %s", i, r.Raw)
		}
	}
	return out
}

// byBulkID indexes bulk results by bulkId.
func byBulkID(ops []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, o := range ops {
		if id, _ := o["bulkId"].(string); id != "" {
			m[id] = o
		}
	}
	return m
}

// relPath turns a location under the SCIM base into a client path.
func relPath(t *testing.T, c *client, location string) string {
	t.Helper()
	p, ok := strings.CutPrefix(location, c.base)
	if !ok {
		t.Fatalf("location %q is not under %s", location, c.base)
	}
	return p
}

func memberIDs(group map[string]any) []string {
	var ids []string
	l, _ := group["members"].([]any)
	for _, m := range l {
		ids = append(ids, str(m, "value"))
	}
	return ids
}

// checkCreated asserts a successful bulk POST and returns the created
// resource, read back through its location.
func checkCreated(t *testing.T, c *client, o map[string]any) map[string]any {
	t.Helper()
	if o["status"] != "201" || o["method"] != "POST" {
		t.Fatalf("operation %v, want a 201 POST", o)
	}
	loc, _ := o["location"].(string)
	if loc == "" || str(o, "version") == "" {
		t.Fatalf("operation %v lacks location or version", o)
	}
	if _, ok := o["response"]; ok {
		t.Errorf("successful operation carries a response: %v", o)
	}
	got := c.do("GET", relPath(t, c, loc), nil).must(t, http.StatusOK)
	if str(got.Body, "meta", "location") != loc || str(got.Body, "meta", "version") != str(o, "version") {
		t.Errorf("GET %s: meta %v, bulk said location %s version %s", loc, got.Body["meta"], loc, o["version"])
	}
	return got.Body
}

func TestBulkRFC28UserThenGroup(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	// SUVERA's pair, as in RFC-28.
	r := c.do("POST", "/Bulk", bulkRequest(1,
		bulkOp("POST", "/Users", "qwerty", oktaUser("alice@example.com")),
		bulkOp("POST", "/Groups", "ytrewq", bulkGroup("Tour Guides", "bulkId:qwerty")),
	))
	ops := bulkResults(t, r)
	if len(ops) != 2 || ops[0]["bulkId"] != "qwerty" || ops[1]["bulkId"] != "ytrewq" {
		t.Fatalf("operations %v", ops)
	}
	user := checkCreated(t, c, ops[0])
	group := checkCreated(t, c, ops[1])
	uid := str(user, "id")
	if ids := memberIDs(group); len(ids) != 1 || ids[0] != uid {
		t.Fatalf("group members %v, want [%s]", ids, uid)
	}
	if str(user, "userName") != "alice@example.com" || str(group, "displayName") != "Tour Guides" {
		t.Fatalf("created %v / %v", user, group)
	}
	// The membership shows on the user too.
	if str(user, "groups", 0, "value") != str(group, "id") {
		t.Errorf("user groups %v", user["groups"])
	}
}

func TestBulkForwardReference(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	r := c.do("POST", "/Bulk", bulkRequest(0,
		bulkOp("POST", "/Groups", "ytrewq", bulkGroup("Tour Guides", "bulkId:qwerty")),
		bulkOp("post", "/Users", "qwerty", oktaUser("alice@example.com")),
	))
	ops := bulkResults(t, r)
	if len(ops) != 2 {
		t.Fatalf("operations %v", ops)
	}
	// Processed user first, so the response lists it first.
	if ops[0]["bulkId"] != "qwerty" || ops[1]["bulkId"] != "ytrewq" {
		t.Fatalf("processing order %v", ops)
	}
	user := checkCreated(t, c, ops[0])
	group := checkCreated(t, c, ops[1])
	if ids := memberIDs(group); len(ids) != 1 || ids[0] != str(user, "id") {
		t.Fatalf("group members %v, want [%s]", ids, str(user, "id"))
	}
}

func TestBulkCircularReference(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	r := c.do("POST", "/Bulk", bulkRequest(0,
		bulkOp("POST", "/Groups", "g1", bulkGroup("One", "bulkId:g2")),
		bulkOp("POST", "/Groups", "g2", bulkGroup("Two", "bulkId:g1")),
		bulkOp("POST", "/Groups", "g3", bulkGroup("Three", "bulkId:g3")), // itself
		bulkOp("POST", "/Users", "u1", oktaUser("bob@example.com")),
		bulkOp("POST", "/Groups", "g4", bulkGroup("Four", "bulkId:nobody")),
	))
	ops := byBulkID(bulkResults(t, r))
	if len(ops) != 5 {
		t.Fatalf("operations %v", ops)
	}
	checkCreated(t, c, ops["u1"])
	for id, want := range map[string]string{"g1": `"g2"`, "g2": `"g1"`, "g3": `"g3"`, "g4": `"nobody"`} {
		o := ops[id]
		if o["status"] != "409" || o["location"] != nil {
			t.Errorf("%s: %v, want a 409 without location", id, o)
		}
		if str(o, "response", "status") != "409" || !hasString(get(o, "response", "schemas"), "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("%s: response %v is not a SCIM 409", id, o["response"])
		}
		if d := str(o, "response", "detail"); !strings.Contains(d, want) {
			t.Errorf("%s: detail %q does not name bulkId %s", id, d, want)
		}
		if id != "g4" && !strings.Contains(str(o, "response", "detail"), "circular reference") {
			t.Errorf("%s: detail %q", id, str(o, "response", "detail"))
		}
	}
	// Only the user exists: no group was created.
	if res := c.do("GET", "/Groups", nil).list(t); len(res) != 0 {
		t.Fatalf("groups created: %v", res)
	}
}

func TestBulkFailOnErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	c.createUser("taken@example.com")
	r := c.do("POST", "/Bulk", bulkRequest(1,
		bulkOp("POST", "/Users", "dup", oktaUser("taken@example.com")),
		bulkOp("POST", "/Users", "fresh", oktaUser("fresh@example.com")),
	))
	ops := bulkResults(t, r)
	if len(ops) != 1 || ops[0]["bulkId"] != "dup" || ops[0]["status"] != "409" {
		t.Fatalf("operations %v, want only the failed first one", ops)
	}
	if str(ops[0], "response", "scimType") != "uniqueness" || str(ops[0], "response", "status") != "409" {
		t.Fatalf("response %v", ops[0]["response"])
	}
	if _, ok := ops[0]["location"]; ok {
		t.Errorf("a failed POST has no location: %v", ops[0])
	}
	if res := bulkFindUsers(t, c, `userName eq "fresh@example.com"`); len(res) != 0 {
		t.Fatal("the operation after failOnErrors was processed")
	}

	// Without failOnErrors every operation is processed.
	ops = bulkResults(t, c.do("POST", "/Bulk", bulkRequest(0,
		bulkOp("POST", "/Users", "dup", oktaUser("taken@example.com")),
		bulkOp("POST", "/Users", "fresh", oktaUser("fresh@example.com")),
	)))
	if len(ops) != 2 || ops[0]["status"] != "409" || ops[1]["status"] != "201" {
		t.Fatalf("operations %v", ops)
	}
}

func TestBulkOperationErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	ops := bulkResults(t, c.do("POST", "/Bulk", bulkRequest(0,
		bulkOp("FETCH", "/Users/x", "", nil),
		bulkOp("GET", "/Users/x", "", nil),
		bulkOp("POST", "/Widgets", "w", map[string]any{}),
		bulkOp("POST", "/Users", "", oktaUser("nobulkid@example.com")),
		bulkOp("PUT", "/Users/x", "", nil),
		bulkOp("PATCH", "/Users", "", patch(op("replace", "active", false))),
		bulkOp("POST", "/Users", "bad", map[string]any{"schemas": []string{userURN}}), // no userName
		bulkOp("DELETE", "/Users/does-not-exist", "", nil),
	)))
	want := []string{"400", "400", "400", "400", "400", "400", "400", "404"}
	if len(ops) != len(want) {
		t.Fatalf("operations %v", ops)
	}
	for i, o := range ops {
		if o["status"] != want[i] || str(o, "response", "status") != want[i] || str(o, "response", "detail") == "" {
			t.Errorf("operation %d: %v, want %s with a SCIM error", i, o, want[i])
		}
	}
	if ops[0]["method"] != "FETCH" {
		t.Errorf("method echoed as %v", ops[0]["method"])
	}
	if !strings.HasSuffix(str(ops[7], "location"), "/Users/does-not-exist") {
		t.Errorf("DELETE location %v", ops[7]["location"])
	}
	if res := bulkFindUsers(t, c, `userName eq "nobulkid@example.com"`); len(res) != 0 {
		t.Fatal("POST without bulkId was processed")
	}
}

func TestBulkRequestErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	c.do("POST", "/Bulk", map[string]any{"schemas": []string{patchURN}, "Operations": []any{}}).scimError(t, 400, "invalidSyntax")
	c.do("POST", "/Bulk", map[string]any{"schemas": []string{bulkRequestURN}}).scimError(t, 400, "invalidSyntax")
	c.do("POST", "/Bulk", `{"schemas":[`).scimError(t, 400, "invalidSyntax")
	c.do("POST", "/Bulk", bulkRequest(0), "Content-Type", "text/plain").scimError(t, 415, "")
	c.withAuth("").do("POST", "/Bulk", bulkRequest(0)).scimError(t, 401, "")
	r := c.do("GET", "/Bulk", nil).scimError(t, 405, "")
	if r.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	// An empty request is fine.
	if ops := bulkResults(t, c.do("POST", "/Bulk", bulkRequest(0))); len(ops) != 0 {
		t.Fatalf("operations %v", ops)
	}
}

func TestBulkMaxOperations(t *testing.T) {
	t.Parallel()
	srv := startServerWith(t, httpsrv.Config{MaxBulkOperations: 2})
	c, _ := srv.newTeam("Acme")
	var ops []map[string]any
	for i := range 3 {
		ops = append(ops, bulkOp("POST", "/Users", fmt.Sprint("u", i), oktaUser(fmt.Sprintf("u%d@example.com", i))))
	}
	r := c.do("POST", "/Bulk", bulkRequest(0, ops...)).scimError(t, http.StatusRequestEntityTooLarge, "")
	if _, ok := r.Body["scimType"]; ok || !strings.Contains(str(r.Body, "detail"), "maxOperations of 2") {
		t.Fatalf("413 body %s", r.Raw)
	}
	if res := bulkFindUsers(t, c, `userName sw "u"`); len(res) != 0 {
		t.Fatalf("a refused bulk request created users: %v", res)
	}
	bulkResults(t, c.do("POST", "/Bulk", bulkRequest(0, ops[:2]...)))

	// The default limit is 1000.
	srv = startServer(t)
	c, _ = srv.newTeam("Acme")
	ops = nil
	for i := range 1001 {
		ops = append(ops, bulkOp("DELETE", fmt.Sprint("/Users/", i), "", nil))
	}
	r = c.do("POST", "/Bulk", bulkRequest(0, ops...)).scimError(t, http.StatusRequestEntityTooLarge, "")
	if !strings.Contains(str(r.Body, "detail"), "maxOperations of 1000") {
		t.Fatalf("413 body %s", r.Raw)
	}
}

func TestBulkMaxPayload(t *testing.T) {
	t.Parallel()
	// The bulk limit is its own check, below the general body limit.
	srv := startServerWith(t, httpsrv.Config{MaxBulkPayload: 4096})
	c, _ := srv.newTeam("Acme")
	big := oktaUser("big@example.com")
	big["displayName"] = strings.Repeat("x", 5000)
	r := c.do("POST", "/Bulk", bulkRequest(0, bulkOp("POST", "/Users", "big", big))).scimError(t, http.StatusRequestEntityTooLarge, "")
	if _, ok := r.Body["scimType"]; ok || !strings.Contains(str(r.Body, "detail"), "maxPayloadSize of 4096 bytes") {
		t.Fatalf("413 body %s", r.Raw)
	}
	if res := bulkFindUsers(t, c, `userName eq "big@example.com"`); len(res) != 0 {
		t.Fatal("a refused bulk request created a user")
	}
	// The same user fits a direct POST.
	c.do("POST", "/Users", big).must(t, http.StatusCreated)
	spc := c.do("GET", "/ServiceProviderConfig", nil).must(t, http.StatusOK)
	if num(spc.Body, "bulk", "maxPayloadSize") != 4096 {
		t.Errorf("advertised bulk %v", spc.Body["bulk"])
	}

	// Default: 1 MiB.
	srv = startServer(t)
	c, _ = srv.newTeam("Acme")
	big["displayName"] = strings.Repeat("x", 1<<20)
	r = c.do("POST", "/Bulk", bulkRequest(0, bulkOp("POST", "/Users", "big", big))).scimError(t, http.StatusRequestEntityTooLarge, "")
	if _, ok := r.Body["scimType"]; ok || !strings.Contains(str(r.Body, "detail"), "maxPayloadSize of 1048576 bytes") {
		t.Fatalf("413 body %s", r.Raw)
	}
}

func TestBulkPutPatchDelete(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u1 := c.createUser("one@example.com")
	u2 := c.createUser("two@example.com")
	gid := str(c.do("POST", "/Groups", bulkGroup("Staff")).must(t, http.StatusCreated).Body, "id")

	replaced := oktaUser("one@example.com")
	replaced["displayName"] = "Replaced One"
	ops := bulkResults(t, c.do("POST", "/Bulk", bulkRequest(0,
		bulkOp("PATCH", "/Groups/"+gid, "", patch(op("add", "members", []any{map[string]any{"value": u1}, map[string]any{"value": "bulkId:new"}}))),
		bulkOp("POST", "/Users", "new", oktaUser("new@example.com")),
		bulkOp("PUT", "/Users/"+u1, "", replaced),
		bulkOp("DELETE", "/Users/"+u2, "", nil),
		bulkOp("PATCH", "/Users/"+u1, "", patch(op("replace", "active", false))),
	)))
	if len(ops) != 5 {
		t.Fatalf("operations %v", ops)
	}
	// The group PATCH waited for the user it references.
	want := []struct{ method, status, path string }{
		{"POST", "201", ""}, {"PUT", "200", "/Users/" + u1}, {"DELETE", "204", "/Users/" + u2},
		{"PATCH", "200", "/Users/" + u1}, {"PATCH", "200", "/Groups/" + gid},
	}
	for i, w := range want {
		o := ops[i]
		if o["method"] != w.method || o["status"] != w.status {
			t.Fatalf("operation %d: %v, want %s %s", i, o, w.method, w.status)
		}
		if w.path != "" && str(o, "location") != c.base+w.path {
			t.Errorf("operation %d: location %v, want %s", i, o["location"], c.base+w.path)
		}
		if w.method == "PATCH" || w.method == "PUT" {
			if str(o, "version") == "" {
				t.Errorf("operation %d: no version", i)
			}
		}
	}
	newID := str(checkCreated(t, c, ops[0]), "id")
	group := c.do("GET", "/Groups/"+gid, nil).must(t, http.StatusOK).Body
	if ids := memberIDs(group); len(ids) != 2 || !(ids[0] == u1 && ids[1] == newID || ids[0] == newID && ids[1] == u1) {
		t.Fatalf("members %v, want %s and %s", ids, u1, newID)
	}
	one := c.do("GET", "/Users/"+u1, nil).must(t, http.StatusOK).Body
	if str(one, "displayName") != "Replaced One" || get(one, "active") != false {
		t.Fatalf("user after PUT+PATCH: %v", one)
	}
	c.do("GET", "/Users/"+u2, nil).scimError(t, http.StatusNotFound, "")
}

func TestBulkStaysInTheTeam(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	a, _ := srv.newTeam("Acme")
	b, _ := srv.newTeam("Globex")
	victim := a.createUser("victim@acme.example")
	ops := bulkResults(t, b.do("POST", "/Bulk", bulkRequest(0,
		bulkOp("DELETE", "/Users/"+victim, "", nil),
		bulkOp("PATCH", "/Users/"+victim, "", patch(op("replace", "active", false))),
		bulkOp("POST", "/Users", "mine", oktaUser("mine@globex.example")),
	)))
	if len(ops) != 3 || ops[0]["status"] != "404" || ops[1]["status"] != "404" || ops[2]["status"] != "201" {
		t.Fatalf("operations %v", ops)
	}
	if u := a.do("GET", "/Users/"+victim, nil).must(t, http.StatusOK).Body; get(u, "active") != true {
		t.Fatalf("other team's user changed: %v", u)
	}
	if res := bulkFindUsers(t, a, `userName eq "mine@globex.example"`); len(res) != 0 {
		t.Fatal("bulk POST landed in another team")
	}
	if res := bulkFindUsers(t, b, `userName eq "mine@globex.example"`); len(res) != 1 {
		t.Fatal("bulk POST missing from its team")
	}
}

func TestBulkServiceProviderConfig(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	b := c.do("GET", "/ServiceProviderConfig", nil).must(t, http.StatusOK).Body
	if get(b, "bulk", "supported") != true || num(b, "bulk", "maxOperations") != 1000 || num(b, "bulk", "maxPayloadSize") != 1<<20 {
		t.Fatalf("bulk %v", b["bulk"])
	}
	srv = startServerWith(t, httpsrv.Config{MaxBulkOperations: 50, MaxBulkPayload: 1 << 16})
	c, _ = srv.newTeam("Acme")
	b = c.do("GET", "/ServiceProviderConfig", nil).must(t, http.StatusOK).Body
	if get(b, "bulk", "supported") != true || num(b, "bulk", "maxOperations") != 50 || num(b, "bulk", "maxPayloadSize") != 1<<16 {
		t.Fatalf("bulk %v", b["bulk"])
	}
	// MaxBodyBytes caps every body, so a larger bulk limit is not advertised.
	srv = startServerWith(t, httpsrv.Config{MaxBodyBytes: 1 << 15, MaxBulkPayload: 1 << 16})
	c, _ = srv.newTeam("Acme")
	b = c.do("GET", "/ServiceProviderConfig", nil).must(t, http.StatusOK).Body
	if num(b, "bulk", "maxPayloadSize") != 1<<15 {
		t.Fatalf("bulk %v", b["bulk"])
	}
}
