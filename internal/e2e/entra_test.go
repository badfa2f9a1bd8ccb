package e2e

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// These tests replay Microsoft Entra ID's provisioning traffic
// (idp-conformance.md §3), the Microsoft SCIM Validator (§4) and the
// Microsoft Postman collection (§6) against a running server.

const msGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

func guid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// entraUser is the EN-03 body.
func entraUser(userName, externalID string) map[string]any {
	return map[string]any{
		"schemas":    []string{userURN, entURN},
		"externalId": externalID, "userName": userName, "active": true,
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": userName}},
		"meta":   map[string]any{"resourceType": "User"},
		"name":   map[string]any{"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
		"roles":  []any{},
	}
}

func entraCreate(t *testing.T, c *client, userName string) string {
	t.Helper()
	r := bindT(c, t).do("POST", "/Users", entraUser(userName, guid())).must(t, http.StatusCreated)
	return str(r.Body, "id")
}

// entraGroup is the EN-13 body.
func entraGroup(name string) map[string]any {
	return map[string]any{
		"schemas":    []string{groupURN, msGroupURN},
		"externalId": guid(), "displayName": name, "meta": map[string]any{"resourceType": "Group"},
	}
}

// noFlatKeys fails when a top-level key holds a path (dotted or URN-qualified
// attribute) instead of the attribute being nested where it belongs.
func noFlatKeys(t *testing.T, b map[string]any) {
	t.Helper()
	for k := range b {
		if k == userURN || k == entURN || k == groupURN {
			continue
		}
		if strings.ContainsAny(k, ".[:") {
			t.Errorf("flat path key %q in %v", k, b)
		}
	}
	ent, _ := b[entURN].(map[string]any)
	for k := range ent {
		if strings.ContainsAny(k, ".[:") {
			t.Errorf("flat path key %q under the enterprise extension: %v", k, ent)
		}
	}
}

func TestEN01TestConnection(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	c.createUser("someone@example.com")
	newGroup(t, c, "Some Group")
	for _, p := range []string{
		"/Users?filter=userName+eq+%22" + guid() + "%22",
		"/Groups?filter=displayName+eq+%22" + guid() + "%22",
		"/Groups?excludedAttributes=members&filter=displayName+eq+%22" + guid() + "%22",
		"/Users?filter=id+eq+%22" + guid() + "%22",
	} {
		t.Run(p, func(t *testing.T) {
			r := bindT(c, t).do("GET", p, nil)
			if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 0 {
				t.Fatalf("want an empty ListResponse: %s", r.Raw)
			}
			if !strings.Contains(string(r.Raw), `"Resources":[]`) {
				t.Fatalf("no \"Resources\":[]: %s", r.Raw)
			}
		})
	}
}

func TestEN02Match(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	userName := "Test_User_" + guid()
	ext := guid()
	id := str(c.do("POST", "/Users", entraUser(userName, ext)).must(t, 201).Body, "id")
	cases := []struct {
		filter string
		want   int
	}{
		{`userName eq "` + userName + `"`, 1},
		{`userName eq "` + strings.ToUpper(userName) + `"`, 1}, // MSV-03
		{`externalId eq "` + ext + `"`, 1},
		{`externalId eq "` + strings.ToUpper(ext) + `"`, 0}, // caseExact (Q9)
		{`userName eq "Test_User_` + guid() + `"`, 0},
		{`externalId eq "` + guid() + `"`, 0},
		{`emails[type eq "work"].value eq "` + userName + `"`, 1},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			r := bindT(c, t).do("GET", "/Users?filter="+plusQ(tc.filter), nil)
			res := r.list(t)
			if num(r.Body, "totalResults") != tc.want || len(res) != tc.want || num(r.Body, "startIndex") != 1 {
				t.Fatalf("want %d: %s", tc.want, r.Raw)
			}
			if tc.want == 1 && str(res[0], "id") != id {
				t.Fatalf("wrong user: %v", res[0])
			}
		})
	}
}

func TestEN03CreateUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	userName := "Test_User_" + guid()
	u := entraUser(userName, "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
	u["meta"] = map[string]any{"resourceType": "Group", "created": "2000-01-01T00:00:00Z", "lastModified": "2000-01-01T00:00:00Z"}
	r := c.do("POST", "/Users", u).must(t, 201)
	b := r.Body
	if str(b, "id") == "" || str(b, "meta", "created") == "" || str(b, "meta", "lastModified") == "" {
		t.Fatalf("id/meta missing: %s", r.Raw)
	}
	if str(b, "meta", "resourceType") != "User" || strings.HasPrefix(str(b, "meta", "created"), "2000") || strings.HasPrefix(str(b, "meta", "lastModified"), "2000") {
		t.Errorf("client meta used: %v", b["meta"])
	}
	if str(b, "userName") != userName || str(b, "externalId") != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" || b["active"] != true ||
		str(b, "name", "formatted") != "givenName familyName" || str(b, "emails", 0, "value") != userName || get(b, "emails", 0, "primary") != true {
		t.Errorf("attributes not stored as sent: %s", r.Raw)
	}
	if roles, ok := b["roles"]; ok {
		if l, isList := roles.([]any); !isList || len(l) != 0 {
			t.Errorf("roles: %v", roles)
		}
	}
	noFlatKeys(t, b)
}

func TestEN04GetUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	if b := getUser(t, c, id); str(b, "id") != id {
		t.Fatalf("id %v", b["id"])
	}
	c.do("GET", "/Users/"+guid(), nil).scimError(t, 404, "")
}

func TestEN05PatchMultiValued(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(
		op("Replace", `emails[type eq "work"].value`, "updatedEmail@microsoft.com"),
		op("Replace", "name.familyName", "updatedFamilyName"),
	)))
	b := getUser(t, c, id)
	emails, _ := b["emails"].([]any)
	if len(emails) != 1 || str(emails[0], "value") != "updatedEmail@microsoft.com" || str(emails[0], "type") != "work" || get(emails[0], "primary") != true {
		t.Errorf("emails not updated in place: %v", b["emails"])
	}
	if str(b, "name", "familyName") != "updatedFamilyName" || str(b, "name", "givenName") != "givenName" {
		t.Errorf("name: %v", b["name"])
	}
	noFlatKeys(t, b)
	// Entra matches on the work email too.
	if res := filterUsers(t, c, `emails[type eq "work"].value eq "updatedEmail@microsoft.com"`); len(res) != 1 {
		t.Errorf("filter by the new email: %v", res)
	}
}

func TestEN06ReplaceUserName(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	old := "Test_User_" + guid()
	id := entraCreate(t, c, old)
	newName := guid() + "@testuser.com"
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Replace", "userName", newName))))
	if b := getUser(t, c, id); str(b, "userName") != newName {
		t.Fatalf("userName %v", b["userName"])
	}
	if n := len(filterUsers(t, c, `userName eq "`+old+`"`)); n != 0 {
		t.Errorf("old name still matches")
	}
	if res := filterUsers(t, c, `userName eq "`+newName+`"`); len(res) != 1 || str(res[0], "id") != id {
		t.Errorf("new name: %v", res)
	}
	// MSV-07: path-less form.
	newer := guid() + "@hermann.uk"
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"userName": newer}))))
	if b := getUser(t, c, id); str(b, "userName") != newer {
		t.Fatalf("MSV-07 userName %v", b["userName"])
	}
}

func TestEN07Disable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		op   map[string]any
	}{
		{"default job string False", op("Replace", "active", "False")},
		{"flagged job boolean", op("replace", "active", false)},
		{"MS-DEV sample Replace+boolean", op("Replace", "active", false)},
		{"path-less", op("Replace", "", map[string]any{"active": "False"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			c, _ := srv.newTeam("Contoso")
			id := entraCreate(t, c, "Test_User_"+guid())
			other := entraCreate(t, c, "Test_User_"+guid())
			okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(tc.op)))
			b := getUser(t, c, id)
			if v, ok := b["active"].(bool); !ok || v {
				t.Fatalf("active = %#v, want false", b["active"])
			}
			if v := getUser(t, c, other)["active"]; v != true {
				t.Errorf("other user active = %#v", v)
			}
			// Q14: still filterable.
			if res := filterUsers(t, c, `userName eq "`+str(b, "userName")+`"`); len(res) != 1 || get(res[0], "active") != false {
				t.Errorf("disabled user by userName: %v", res)
			}
			r := c.do("GET", "/Users?filter="+plusQ("active eq false"), nil)
			if r.Status == http.StatusBadRequest {
				r.scimError(t, 400, "invalidFilter")
			} else {
				res := r.list(t)
				if len(res) != 1 || str(res[0], "id") != id {
					t.Errorf("active eq false: %s", r.Raw)
				}
			}
			// Re-enable with the string "True".
			okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Replace", "active", "True"))))
			if v := getUser(t, c, id)["active"]; v != true {
				t.Errorf("re-enable: active = %#v", v)
			}
		})
	}
}

func TestEN08AddNickName(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Add", "nickName", "Babs"))))
	if b := getUser(t, c, id); str(b, "nickName") != "Babs" {
		t.Fatalf("nickName %v", b["nickName"])
	}
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("add", "nickName", "Bobby"))))
	if b := getUser(t, c, id); str(b, "nickName") != "Bobby" {
		t.Fatalf("nickName %v", b["nickName"])
	}
}

func TestEN09EN10ReplaceSeveral(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, b map[string]any, display, email, given, family, emp string) {
		t.Helper()
		if str(b, "displayName") != display || str(b, "name", "givenName") != given || str(b, "name", "familyName") != family {
			t.Errorf("displayName/name: %v %v", b["displayName"], b["name"])
		}
		if w := findTyped(b["emails"], "work"); w == nil || w["value"] != email {
			t.Errorf("work email: %v", b["emails"])
		}
		if l, _ := b["emails"].([]any); len(l) != 1 {
			t.Errorf("emails: %v", b["emails"])
		}
		if str(b, entURN, "employeeNumber") != emp {
			t.Errorf("employeeNumber under the extension: %v", b[entURN])
		}
		noFlatKeys(t, b)
	}
	t.Run("EN-09 old style", func(t *testing.T) {
		srv := startServer(t)
		c, _ := srv.newTeam("Contoso")
		id := entraCreate(t, c, "Test_User_"+guid())
		ext := guid()
		okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(
			op("Replace", "displayName", "Kxjp"),
			op("Replace", `emails[type eq "work"].value`, "kxjp@example.com"),
			op("Replace", "name.givenName", "Kx"),
			op("Replace", "name.familyName", "Jp"),
			op("Replace", "externalId", ext),
			op("Replace", entURN+":employeeNumber", "Emp42"),
		)))
		b := getUser(t, c, id)
		check(t, b, "Kxjp", "kxjp@example.com", "Kx", "Jp", "Emp42")
		if str(b, "externalId") != ext {
			t.Errorf("externalId %v", b["externalId"])
		}
		if res := filterUsers(t, c, entURN+`:employeeNumber eq "Emp42"`); len(res) != 1 {
			t.Errorf("filter on employeeNumber: %v", res)
		}
	})
	t.Run("EN-10 flagged", func(t *testing.T) {
		srv := startServer(t)
		c, _ := srv.newTeam("Contoso")
		id := entraCreate(t, c, "Test_User_"+guid())
		okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(
			op("replace", `emails[type eq "work"].value`, "bjfe@example.com"),
			op("replace", "", map[string]any{
				"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
				entURN + ":employeeNumber": "Aklq",
			}),
		)))
		check(t, getUser(t, c, id), "Bjfe", "bjfe@example.com", "Kkom", "Unua", "Aklq")
	})
}

func TestEN11Manager(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	m1 := entraCreate(t, c, "Manager_One_"+guid())
	m2 := entraCreate(t, c, "Manager_Two_"+guid())
	path := entURN + ":manager"
	managerIs := func(t *testing.T, want string) {
		t.Helper()
		b := getUser(t, c, id)
		noFlatKeys(t, b)
		if _, flat := b["manager"]; flat {
			t.Errorf("flat manager key: %v", b)
		}
		mgr := get(b, entURN, "manager")
		if want == "" {
			if mgr != nil && str(mgr, "value") != "" {
				t.Errorf("manager still set: %v", mgr)
			}
			return
		}
		if _, ok := mgr.(map[string]any); !ok || str(mgr, "value") != want {
			t.Errorf("manager = %#v, want {\"value\":%q}", mgr, want)
		}
	}
	t.Run("Add bare string", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Users/"+id, patch(op("Add", path, m1))))
		managerIs(t, m1)
	})
	t.Run("Replace object", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Users/"+id, patch(op("Replace", path, map[string]any{"value": m2}))))
		managerIs(t, m2)
	})
	t.Run("Replace bare string", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Users/"+id, patch(op("Replace", path, m1))))
		managerIs(t, m1)
	})
	t.Run("Remove", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Users/"+id, patch(op("Remove", path, nil))))
		managerIs(t, "")
	})
	t.Run("add object then Replace empty", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Users/"+id, patch(op("add", path, map[string]any{"value": m2}))))
		managerIs(t, m2)
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Users/"+id, patch(op("Replace", path, ""))))
		managerIs(t, "")
	})
	t.Run("POST with manager object", func(t *testing.T) {
		u := entraUser("Test_User_"+guid(), guid())
		u[entURN] = map[string]any{"manager": map[string]any{"value": m1}, "department": "Sales"}
		r := bindT(c, t).do("POST", "/Users", u).must(t, 201)
		if str(r.Body, entURN, "manager", "value") != m1 || str(r.Body, entURN, "department") != "Sales" {
			t.Errorf("POST manager: %s", r.Raw)
		}
	})
}

func TestEN12DeleteUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	if r := c.do("DELETE", "/Users/"+id, nil).must(t, 204); len(r.Raw) != 0 {
		t.Errorf("204 with body %s", r.Raw)
	}
	c.do("GET", "/Users/"+id, nil).scimError(t, 404, "")
}

func TestEN13to19GroupLifecycle(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	u1 := entraCreate(t, c, "Member_1_"+guid())
	u2 := entraCreate(t, c, "Member_2_"+guid())
	u3 := entraCreate(t, c, "Member_3_"+guid())
	u4 := entraCreate(t, c, "Member_4_"+guid())
	name := "Entra Group " + guid()[:8]
	var gid string
	t.Run("EN-13 create", func(t *testing.T) {
		r := bindT(c, t).do("POST", "/Groups", entraGroup(name)).must(t, 201)
		gid = str(r.Body, "id")
		if gid == "" || str(r.Body, "displayName") != name {
			t.Fatalf("%s", r.Raw)
		}
		if m, ok := r.Body["members"]; ok {
			if l, isList := m.([]any); !isList || len(l) != 0 {
				t.Errorf("members = %v", m)
			}
		}
		if str(r.Body, "meta", "resourceType") != "Group" || r.Header.Get("Location") != str(r.Body, "meta", "location") {
			t.Errorf("meta/Location: %s / %q", r.Raw, r.Header.Get("Location"))
		}
	})
	if gid == "" {
		t.FailNow()
	}
	t.Run("EN-17 add several members", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("Add", "members", []any{
			map[string]any{"$ref": nil, "value": u1}, map[string]any{"$ref": nil, "value": u2},
			map[string]any{"$ref": nil, "value": u3}, map[string]any{"$ref": nil, "value": u4},
		}))))
		if got, want := groupMembers(t, c, gid), sortedIDs(u1, u2, u3, u4); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("members %v, want %v", got, want)
		}
		// Adds are unions: adding an existing member again doesn't duplicate it.
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("Add", "members", []any{map[string]any{"$ref": nil, "value": u1}}))))
		if got := groupMembers(t, c, gid); len(got) != 4 {
			t.Fatalf("members after re-add %v", got)
		}
	})
	t.Run("EN-14 get excluding members", func(t *testing.T) {
		r := bindT(c, t).do("GET", "/Groups/"+gid+"?excludedAttributes=members", nil).must(t, 200)
		if _, ok := r.Body["members"]; ok {
			t.Errorf("members present: %s", r.Raw)
		}
		if str(r.Body, "id") != gid || str(r.Body, "displayName") != name {
			t.Errorf("%s", r.Raw)
		}
	})
	t.Run("EN-15 find by displayName", func(t *testing.T) {
		for _, n := range []string{name, strings.ToUpper(name), strings.ToLower(name)} {
			r := bindT(c, t).do("GET", "/Groups?excludedAttributes=members&filter="+plusQ(`displayName eq "`+n+`"`), nil)
			res := r.list(t)
			if len(res) != 1 || str(res[0], "id") != gid || num(r.Body, "totalResults") != 1 {
				t.Errorf("%q: %s", n, r.Raw)
				continue
			}
			if _, ok := res[0].(map[string]any)["members"]; ok {
				t.Errorf("members present in list: %s", r.Raw)
			}
		}
		// MSV-17 without excludedAttributes: members are listed.
		res := bindT(c, t).do("GET", "/Groups?filter="+plusQ(`displayName eq "`+name+`"`), nil).list(t)
		if ms, _ := get(res, 0, "members").([]any); len(res) != 1 || len(ms) != 4 {
			t.Errorf("MSV-17: %v", res)
		}
		r := bindT(c, t).do("GET", "/Groups?excludedAttributes=members&filter="+plusQ(`displayName eq "`+guid()+`"`), nil)
		if res := r.list(t); len(res) != 0 {
			t.Errorf("MSV-20: %s", r.Raw)
		}
	})
	t.Run("EN-18 remove with value array", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("Remove", "members", []any{map[string]any{"$ref": nil, "value": u1}}))))
		if got, want := groupMembers(t, c, gid), sortedIDs(u2, u3, u4); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("members %v, want %v (only the listed id goes)", got, want)
		}
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("Remove", "members", []any{
			map[string]any{"value": u2}, map[string]any{"value": u3},
		}))))
		if got, want := groupMembers(t, c, gid), sortedIDs(u4); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("members %v, want %v", got, want)
		}
	})
	t.Run("EN-18 flagged filter remove", func(t *testing.T) {
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("add", "members", []any{map[string]any{"value": u1}}))))
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("remove", `members[value eq "`+u4+`"]`, nil))))
		if got, want := groupMembers(t, c, gid), sortedIDs(u1); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("members %v, want %v", got, want)
		}
	})
	t.Run("EN-16 rename", func(t *testing.T) {
		newName := name + "updatedDisplayName"
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("Replace", "displayName", newName))))
		r := bindT(c, t).do("GET", "/Groups/"+gid, nil).must(t, 200)
		if str(r.Body, "displayName") != newName {
			t.Fatalf("%s", r.Raw)
		}
		if len(groupMembers(t, c, gid)) != 1 {
			t.Errorf("rename changed members")
		}
		res := bindT(c, t).do("GET", "/Groups?filter="+plusQ(`displayName eq "`+newName+`"`), nil).list(t)
		if len(res) != 1 {
			t.Errorf("new name not found")
		}
		// MSV-21/22 path-less.
		okOrNoContent(t, bindT(c, t).do("PATCH", "/Groups/"+gid, patch(op("replace", "", map[string]any{"displayName": name, "externalId": "c3b9"}))))
		r = bindT(c, t).do("GET", "/Groups/"+gid, nil).must(t, 200)
		if str(r.Body, "displayName") != name || str(r.Body, "externalId") != "c3b9" {
			t.Errorf("MSV-21/22: %s", r.Raw)
		}
	})
	t.Run("EN-19 delete", func(t *testing.T) {
		if r := bindT(c, t).do("DELETE", "/Groups/"+gid, nil).must(t, 204); len(r.Raw) != 0 {
			t.Errorf("204 with body %s", r.Raw)
		}
		bindT(c, t).do("GET", "/Groups/"+gid, nil).scimError(t, 404, "")
		for _, u := range []string{u1, u2, u3, u4} {
			getUser(t, c, u)
		}
	})
}

func TestMSV01CreateFullUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	mgr := entraCreate(t, c, "Manager_"+guid())
	userName := "ford_purdy_" + guid() + "@example.com"
	u := map[string]any{
		"schemas": []string{userURN, entURN}, "userName": userName, "active": true, "displayName": "Ford Purdy",
		"emails":       []any{map[string]any{"type": "work", "value": userName, "primary": true}},
		"name":         map[string]any{"givenName": "Ford", "familyName": "Purdy"},
		"addresses":    []any{map[string]any{"type": "work", "primary": true, "country": "Lebanon"}},
		"phoneNumbers": []any{map[string]any{"type": "work", "value": "+1 555 0100"}, map[string]any{"type": "mobile", "value": "555-0101"}, map[string]any{"type": "fax", "value": "(555) 0102"}},
		entURN:         map[string]any{"manager": map[string]any{"value": mgr}, "employeeNumber": "701984"},
		"roles":        []any{map[string]any{"primary": "True", "display": "Admin", "value": "admin", "type": "WindowsAzureActiveDirectoryRole"}},
	}
	jc := *c
	jc.contentType = "application/scim+json; charset=utf-8"
	r := jc.do("POST", "/Users", u).must(t, 201)
	for _, b := range []map[string]any{r.Body, getUser(t, c, str(r.Body, "id"))} {
		if p, ok := get(b, "roles", 0, "primary").(bool); !ok || !p {
			t.Errorf("roles[0].primary = %#v, want true", get(b, "roles", 0, "primary"))
		}
		if str(b, "roles", 0, "value") != "admin" || str(b, "roles", 0, "display") != "Admin" {
			t.Errorf("roles: %v", b["roles"])
		}
		if str(b, entURN, "manager", "value") != mgr || str(b, entURN, "employeeNumber") != "701984" {
			t.Errorf("enterprise: %v", b[entURN])
		}
		// Q19: stored verbatim.
		if findTyped(b["phoneNumbers"], "fax")["value"] != "(555) 0102" || findTyped(b["phoneNumbers"], "work")["value"] != "+1 555 0100" {
			t.Errorf("phoneNumbers: %v", b["phoneNumbers"])
		}
		if findTyped(b["addresses"], "work")["country"] != "Lebanon" {
			t.Errorf("addresses: %v", b["addresses"])
		}
		noFlatKeys(t, b)
	}
}

func TestMSV09PatchAddAttributes(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	userName := "minimal_" + guid() + "@example.com"
	id := str(c.do("POST", "/Users", map[string]any{"userName": userName, "schemas": []string{userURN}}).must(t, 201).Body, "id")
	ops := []map[string]any{
		op("add", "active", false),
		op("add", "displayName", "Verbose Person"),
		op("add", "title", "Engineer"),
		op("add", "preferredLanguage", "en-GB"),
		op("add", "userType", "Employee"),
		op("add", "nickName", "Verb"),
		op("add", "locale", "en-GB"),
		op("add", "timezone", "Europe/London"),
		op("add", "profileUrl", "https://example.com/verb"),
		op("add", "name.givenName", "Verbose"),
		op("add", "name.familyName", "Person"),
		op("add", "name.formatted", "Verbose Person"),
		op("add", `emails[type eq "work"].value`, "verb@example.com"),
		op("add", `emails[type eq "work"].primary`, true),
		op("add", `phoneNumbers[type eq "work"].value`, "111"),
		op("add", `phoneNumbers[type eq "mobile"].value`, "222"),
		op("add", `phoneNumbers[type eq "fax"].value`, "333"),
		op("add", `addresses[type eq "work"].streetAddress`, "1 Main St"),
		op("add", `addresses[type eq "work"].locality`, "Springfield"),
		op("add", `addresses[type eq "work"].region`, "IL"),
		op("add", `addresses[type eq "work"].postalCode`, "62701"),
		op("add", `addresses[type eq "work"].country`, "US"),
		op("add", `roles[primary eq "True"].display`, "Reader"),
		op("add", `roles[primary eq "True"].value`, "reader"),
		op("add", `roles[primary eq "True"].type`, "AppRole"),
		op("add", entURN+":employeeNumber", "E-1"),
		op("add", entURN+":department", "R&D"),
		op("add", entURN+":costCenter", "CC1"),
		op("add", entURN+":organization", "Contoso"),
		op("add", entURN+":division", "North"),
	}
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(ops...)))
	b := getUser(t, c, id)
	noFlatKeys(t, b)
	if b["active"] != false {
		t.Errorf("active %#v", b["active"])
	}
	for k, v := range map[string]string{"displayName": "Verbose Person", "title": "Engineer", "preferredLanguage": "en-GB", "userType": "Employee",
		"nickName": "Verb", "locale": "en-GB", "timezone": "Europe/London", "profileUrl": "https://example.com/verb"} {
		if str(b, k) != v {
			t.Errorf("%s = %v, want %q", k, b[k], v)
		}
	}
	if str(b, "name", "givenName") != "Verbose" || str(b, "name", "familyName") != "Person" || str(b, "name", "formatted") != "Verbose Person" {
		t.Errorf("name %v", b["name"])
	}
	if e := findTyped(b["emails"], "work"); e == nil || e["value"] != "verb@example.com" || e["primary"] != true {
		t.Errorf("emails %v", b["emails"])
	}
	if l, _ := b["emails"].([]any); len(l) != 1 {
		t.Errorf("emails %v: want one element", b["emails"])
	}
	for typ, v := range map[string]string{"work": "111", "mobile": "222", "fax": "333"} {
		if p := findTyped(b["phoneNumbers"], typ); p == nil || p["value"] != v {
			t.Errorf("phoneNumbers %s: %v", typ, b["phoneNumbers"])
		}
	}
	a := findTyped(b["addresses"], "work")
	for k, v := range map[string]string{"streetAddress": "1 Main St", "locality": "Springfield", "region": "IL", "postalCode": "62701", "country": "US"} {
		if a == nil || a[k] != v {
			t.Errorf("addresses[work].%s: %v", k, b["addresses"])
		}
	}
	if l, _ := b["addresses"].([]any); len(l) != 1 {
		t.Errorf("addresses %v: want one element", b["addresses"])
	}
	roles, _ := b["roles"].([]any)
	if len(roles) != 1 || get(roles[0], "primary") != true || str(roles[0], "display") != "Reader" || str(roles[0], "value") != "reader" || str(roles[0], "type") != "AppRole" {
		t.Errorf("roles %v: want one primary:true element", b["roles"])
	}
	for k, v := range map[string]string{"employeeNumber": "E-1", "department": "R&D", "costCenter": "CC1", "organization": "Contoso", "division": "North"} {
		if str(b, entURN, k) != v {
			t.Errorf("%s: %v", k, b[entURN])
		}
	}
}

func TestMSV15DuplicateGroup(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	name := "Dup Group " + guid()
	c.do("POST", "/Groups", entraGroup(name)).must(t, 201)
	c.do("POST", "/Groups", entraGroup(name)).scimError(t, 409, "uniqueness")
	// displayName is caseExact false and Entra matches it case-insensitively
	// (MSV-19): a case variant is the same name.
	c.do("POST", "/Groups", entraGroup(strings.ToUpper(name))).scimError(t, 409, "uniqueness")
	// Renaming onto a taken name clashes too.
	other := str(c.do("POST", "/Groups", entraGroup("Other "+guid())).must(t, 201).Body, "id")
	c.do("PATCH", "/Groups/"+other, patch(op("Replace", "displayName", name))).scimError(t, 409, "uniqueness")
	c.do("PUT", "/Groups/"+other, map[string]any{"schemas": []string{groupURN}, "displayName": name}).scimError(t, 409, "uniqueness")
	r := c.do("GET", "/Groups?filter="+plusQ(`displayName eq "`+name+`"`), nil)
	if res := r.list(t); len(res) != 1 {
		t.Errorf("duplicates stored: %s", r.Raw)
	}
}

func TestMSVDeleteMissing(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	t.Run("MSV-P3 missing user", func(t *testing.T) {
		bindT(c, t).do("DELETE", "/Users/"+guid(), nil).scimError(t, 404, "")
	})
	t.Run("MSV-P4 user twice", func(t *testing.T) {
		id := entraCreate(t, c, "Twice_"+guid())
		bindT(c, t).do("DELETE", "/Users/"+id, nil).must(t, 204)
		bindT(c, t).do("DELETE", "/Users/"+id, nil).scimError(t, 404, "")
	})
	t.Run("MSV-P6 missing group", func(t *testing.T) {
		bindT(c, t).do("DELETE", "/Groups/"+guid(), nil).scimError(t, 404, "")
	})
	t.Run("MSV-P7 group twice", func(t *testing.T) {
		gid := str(bindT(c, t).do("POST", "/Groups", entraGroup("Twice "+guid())).must(t, 201).Body, "id")
		bindT(c, t).do("DELETE", "/Groups/"+gid, nil).must(t, 204)
		bindT(c, t).do("DELETE", "/Groups/"+gid, nil).scimError(t, 404, "")
	})
}

func TestQ6OldManagerPath(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	mgr := entraCreate(t, c, "Manager_"+guid())
	// MS-PM2: dot before manager, string value.
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Replace", entURN+".manager", mgr))))
	b := getUser(t, c, id)
	noFlatKeys(t, b)
	if m, ok := get(b, entURN, "manager").(map[string]any); !ok || m["value"] != mgr {
		t.Fatalf("manager = %#v", get(b, entURN, "manager"))
	}
}

func TestEN21AppRole(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid()) // roles: []
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("add", `roles[primary eq "True"].value`, "Writer"))))
	roles, _ := getUser(t, c, id)["roles"].([]any)
	if len(roles) != 1 || get(roles[0], "primary") != true || str(roles[0], "value") != "Writer" {
		t.Fatalf("add created %v, want one {primary:true,value:Writer}", roles)
	}
	// "True" matches the stored boolean: replace updates in place.
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Replace", `roles[primary eq "True"].value`, "Owner"), op("replace", `roles[primary eq "true"].display`, "Owner Role"))))
	roles, _ = getUser(t, c, id)["roles"].([]any)
	if len(roles) != 1 || get(roles[0], "primary") != true || str(roles[0], "value") != "Owner" || str(roles[0], "display") != "Owner Role" {
		t.Fatalf("replace gave %v", roles)
	}
}

func TestMSVP2SameAttributeInOrder(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(
		op("replace", "displayName", "First"), op("Replace", "displayName", "Second"), op("REPLACE", "displayName", "Third"),
		op("add", "nickName", "a"), op("remove", "nickName", nil), op("Add", "title", "T1"), op("Replace", "title", "T2"),
	)))
	b := getUser(t, c, id)
	if str(b, "displayName") != "Third" || b["nickName"] != nil || str(b, "title") != "T2" {
		t.Fatalf("ops not applied in order: %v %v %v", b["displayName"], b["nickName"], b["title"])
	}
	// MSV-P5: same for a group.
	gid := str(c.do("POST", "/Groups", entraGroup("P5 "+guid())).must(t, 201).Body, "id")
	u2 := entraCreate(t, c, "Test_User_"+guid())
	okOrNoContent(t, c.do("PATCH", "/Groups/"+gid, patch(
		op("Add", "members", []any{map[string]any{"value": id}}),
		op("Add", "members", []any{map[string]any{"value": u2}}),
		op("Remove", `members[value eq "`+id+`"]`, nil),
		op("Replace", "displayName", "P5 renamed "+gid),
	)))
	if got := groupMembers(t, c, gid); len(got) != 1 || got[0] != u2 {
		t.Errorf("members %v, want [%s]", got, u2)
	}
}

func TestELA2NullUpdate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Add", "nickName", "Nick"), op("Add", "title", "Boss"), op("Add", entURN+":department", "Sales"))))
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Replace", "nickName", ""), op("Replace", entURN+":department", ""))))
	b := getUser(t, c, id)
	if str(b, "nickName") != "" || str(b, entURN, "department") != "" {
		t.Errorf("empty string update: %v / %v", b["nickName"], b[entURN])
	}
	r := c.do("PATCH", "/Users/"+id, map[string]any{"schemas": []string{patchURN}, "Operations": []any{
		map[string]any{"op": "Replace", "path": "title", "value": nil},
	}})
	okOrNoContent(t, r)
	if b := getUser(t, c, id); b["title"] != nil && str(b, "title") != "" {
		t.Errorf("null update: title %v", b["title"])
	}
	if b := getUser(t, c, id); strings.Contains(fmt.Sprint(b), "<nil>") {
		t.Errorf("nulls in the resource: %v", b)
	}
}

func TestPMGroupGarbage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	u3 := entraCreate(t, c, "User3_"+guid())
	u4 := entraCreate(t, c, "User4_"+guid())
	gid := newGroup(t, c, "Group1DisplayName", u3)
	// PM-26: extra operation key "name", member displayName.
	okOrNoContent(t, c.do("PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{patchURN}, "Operations": []any{
		map[string]any{"name": "addMember", "op": "add", "path": "members", "value": []any{map[string]any{"displayName": "new User", "value": u4}}},
	}}))
	if got, want := groupMembers(t, c, gid), sortedIDs(u3, u4); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("PM-26 members %v", got)
	}
	// PM-30: remove all.
	okOrNoContent(t, c.do("PATCH", "/Groups/"+gid, patch(op("remove", "members", nil))))
	if got := groupMembers(t, c, gid); len(got) != 0 {
		t.Fatalf("PM-30 members %v", got)
	}
	// Q5: full replace, then replace with [].
	okOrNoContent(t, c.do("PATCH", "/Groups/"+gid, patch(op("replace", "members", []any{map[string]any{"value": u3}, map[string]any{"value": u4}}))))
	if got := groupMembers(t, c, gid); len(got) != 2 {
		t.Fatalf("replace members %v", got)
	}
	okOrNoContent(t, c.do("PATCH", "/Groups/"+gid, patch(op("replace", "members", []any{}))))
	if got := groupMembers(t, c, gid); len(got) != 0 {
		t.Fatalf("replace [] members %v", got)
	}
	// PM-24/PM-70: PUT group.
	r := c.do("PUT", "/Groups/"+gid, map[string]any{"schemas": []string{groupURN}, "displayName": "putName",
		"members": []any{map[string]any{"value": u3}, map[string]any{"value": u4}}}).must(t, 200)
	if str(r.Body, "displayName") != "putName" || str(r.Body, "id") != gid {
		t.Fatalf("PUT group: %s", r.Raw)
	}
	if got := groupMembers(t, c, gid); len(got) != 2 {
		t.Fatalf("PUT members %v", got)
	}
	// Unknown member id → 400, nothing changed.
	c.do("PATCH", "/Groups/"+gid, patch(op("Add", "members", []any{map[string]any{"value": guid()}}))).scimError(t, 400, "")
	if got := groupMembers(t, c, gid); len(got) != 2 {
		t.Fatalf("members after bad add %v", got)
	}
}

func TestEntraPlusSignInValues(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	name := "first+tag@example.com"
	id := entraCreate(t, c, name)
	c.createUser("first tag@example.com") // what a wrong '+' decoding would find
	// Form encoding: '+' is a space, a literal plus arrives as %2B.
	r := c.do("GET", "/Users?filter="+plusQ(`userName eq "`+name+`"`), nil)
	if !strings.Contains(plusQ(name), "%2B") {
		t.Fatalf("test bug: plus not escaped")
	}
	if res := r.list(t); len(res) != 1 || str(res[0], "id") != id {
		t.Fatalf("%s", r.Raw)
	}
	// Escaped quotes inside a literal.
	quoted := `He said "hi"`
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("Replace", "displayName", quoted))))
	r = c.do("GET", "/Users?filter="+plusQ(`displayName eq "He said \"hi\""`), nil)
	if res := r.list(t); len(res) != 1 || str(res[0], "id") != id {
		t.Fatalf("escaped quote: %s", r.Raw)
	}
}

func TestMSPM2InboundSync(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	var ids []string
	for i := 0; i < 8; i++ {
		ids = append(ids, entraCreate(t, c, fmt.Sprintf("sync%02d_%s", i, guid())))
	}
	okOrNoContent(t, c.do("PATCH", "/Users/"+ids[0], patch(op("Replace", "active", "False"))))
	// Test connection.
	if r := c.do("GET", "/Users?count=1", nil); len(r.list(t)) != 1 || num(r.Body, "totalResults") != 9 {
		t.Errorf("count=1: %s", r.Raw)
	}
	// On-demand lookup by id.
	if res := c.do("GET", "/Users?filter="+plusQ(`id eq "`+ids[3]+`"`), nil).list(t); len(res) != 1 || str(res[0], "id") != ids[3] {
		t.Errorf("id eq: %v", res)
	}
	ts := "9999-12-31T23:59:59.0000000Z"
	// Delta sync: 8 active users (7 created + the admin); page 2 of 5.
	f := `active eq true and (meta.lastModified ge "0001-01-03T00:00:00.0000000Z" and meta.lastModified le "` + ts + `")`
	r := c.do("GET", "/Users?filter="+plusQ(f)+"&count=5&startIndex=6", nil)
	if res := r.list(t); num(r.Body, "totalResults") != 8 || len(res) != 3 || num(r.Body, "startIndex") != 6 {
		t.Errorf("delta sync page: %s", r.Raw)
	}
	f = `(ActiVe eq true) and meta.lastmodified ge "2001-01-01T00:00:00.0000000Z"`
	r = c.do("GET", "/Users?filter="+plusQ(f), nil)
	if res := r.list(t); num(r.Body, "totalResults") != 8 {
		t.Errorf("mixed-case names: %d results: %s", len(res), r.Raw)
	}
	// Nothing was modified in the future.
	r = c.do("GET", "/Users?filter="+plusQ(`meta.lastModified gt "2999-01-01T00:00:00Z"`), nil)
	if res := r.list(t); len(res) != 0 {
		t.Errorf("future lastModified: %s", r.Raw)
	}
}

func TestPatchResponseProjection(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Contoso")
	id := entraCreate(t, c, "Test_User_"+guid())
	r := okOrNoContent(t, c.do("PATCH", "/Users/"+id+"?attributes=userName", patch(op("Replace", "displayName", "Projected"))))
	if r.Status == 200 {
		for k := range r.Body {
			if k != "id" && k != "userName" && k != "schemas" && k != "meta" {
				t.Errorf("PATCH ?attributes=userName returned %q", k)
			}
		}
	}
	gid := newGroup(t, c, "Proj "+guid(), id)
	r = okOrNoContent(t, c.do("PATCH", "/Groups/"+gid+"?excludedAttributes=members", patch(op("Replace", "displayName", "Proj2 "+gid))))
	if r.Status == 200 {
		if _, ok := r.Body["members"]; ok {
			t.Errorf("PATCH ?excludedAttributes=members returned members: %s", r.Raw)
		}
	}
	// User.groups (readOnly), when returned, follows group membership.
	if gs, ok := getUser(t, c, id)["groups"]; ok {
		l, _ := gs.([]any)
		if len(l) != 1 || str(l[0], "value") != gid {
			t.Errorf("user groups %v, want [%s]", gs, gid)
		}
		c.do("DELETE", "/Groups/"+gid, nil).must(t, 204)
		if l, _ := getUser(t, c, id)["groups"].([]any); len(l) != 0 {
			t.Errorf("user groups after group delete: %v", l)
		}
	}
}
