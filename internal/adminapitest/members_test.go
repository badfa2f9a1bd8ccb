package adminapitest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

func TestRoleChanges(t *testing.T) {
	t.Parallel()
	type tc struct {
		name   string
		actor  []string // the caller's roles
		target []string // the member's roles before
		send   any      // roles sent
		status int
		field  string
		want   string // stored roles after, when 200
	}
	cases := []tc{
		{"admin grants Admin", []string{"Admin"}, []string{"Developer"}, []any{"Admin", "Developer"}, 200, "", "Admin,Developer"},
		{"admin sets Billing only", []string{"Admin"}, []string{"Developer"}, []any{"Billing"}, 200, "", "Billing"},
		{"admin can't grant Super Admin", []string{"Admin"}, []string{"Developer"}, []any{"Super Admin"}, 403, "", ""},
		{"super admin grants Super Admin", []string{"Super Admin"}, []string{"Developer"}, []any{"Developer", "Super Admin"}, 200, "", "Developer,Super Admin"},
		{"admin can't demote a Super Admin", []string{"Admin"}, []string{"Super Admin"}, []any{"Developer"}, 403, "", ""},
		{"admin can't touch a Super Admin's other roles", []string{"Admin"}, []string{"Super Admin"}, []any{"Super Admin", "Billing"}, 403, "", ""},
		{"super admin demotes another Super Admin", []string{"Super Admin"}, []string{"Super Admin"}, []any{"Admin"}, 200, "", "Admin"},
		{"developer can't change roles", []string{"Developer"}, []string{"Developer"}, []any{"Admin"}, 403, "", ""},
		{"billing can't change roles", []string{"Billing"}, []string{"Developer"}, []any{"Billing"}, 403, "", ""},
		{"at least one role", []string{"Admin"}, []string{"Developer"}, []any{}, 400, "roles", ""},
		{"unknown role", []string{"Admin"}, []string{"Developer"}, []any{"Owner"}, 400, "roles", ""},
		{"not a list", []string{"Admin"}, []string{"Developer"}, "Admin", 400, "roles", ""},
		{"duplicates collapse", []string{"Admin"}, []string{"Developer"}, []any{"Billing", "Billing"}, 200, "", "Billing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			actor := uniq("actor")
			e.addMember(actor, c.actor, store.SourceManual, true)
			target := e.addMember(uniq("target"), c.target, store.SourceManual, true)
			before := len(e.auditEvents())
			cl := e.login(actor, testPassword)
			r := cl.do("PATCH", e.teamPath("/members/"+target.ID), map[string]any{"roles": c.send})
			after, _ := e.member(target.ID)
			if c.status != 200 {
				msg := r.apiError(t, c.status, c.field)
				if c.status == 403 && !strings.Contains(msg, "Super Admin") && !strings.Contains(msg, "Admin") {
					t.Fatalf("message doesn't say who can act: %q", msg)
				}
				if after.Role != service.JoinRoles(c.target) || after.Version != target.Version {
					t.Fatalf("half applied: %q v%d", after.Role, after.Version)
				}
				if n := len(e.auditEvents()) - before - 1; n != 0 { // the login is one event
					t.Fatalf("%d audit events for a refusal", n)
				}
				return
			}
			r.must(t, 200)
			if after.Role != c.want || fmt.Sprint(r.Body["roles"]) != fmt.Sprint(service.SplitRoles(c.want)) {
				t.Fatalf("stored %q, answered %v, want %q", after.Role, r.Body["roles"], c.want)
			}
		})
	}
}

func TestSuperAdminKeepsTheTeam(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.login(e.Admin, e.AdminPassword)
	me := owner.do("GET", e.teamPath(""), nil).must(t, 200).Body["you"].(map[string]any)["member_id"].(string)
	t.Run("the last Super Admin can't demote themself", func(t *testing.T) {
		owner.do("PATCH", e.teamPath("/members/"+me), map[string]any{"roles": []any{"Admin"}}).apiError(t, 409, "")
	})
	t.Run("nor leave", func(t *testing.T) {
		owner.do("POST", e.teamPath("/leave"), nil).apiError(t, 409, "")
	})
	t.Run("nor be removed", func(t *testing.T) {
		owner.do("DELETE", e.teamPath("/members/"+me), nil).apiError(t, 409, "")
	})
	t.Run("an Admin can't remove a Super Admin", func(t *testing.T) {
		e.addMember("admin@acme.example", []string{"Admin"}, store.SourceManual, true)
		msg := e.login("admin@acme.example", testPassword).do("DELETE", e.teamPath("/members/"+me), nil).apiError(t, 403, "")
		if !strings.Contains(msg, "only a Super Admin can remove a Super Admin") {
			t.Fatalf("%q", msg)
		}
	})
	t.Run("with a second Super Admin, the first may step down", func(t *testing.T) {
		e.addMember("second@acme.example", []string{"Super Admin"}, store.SourceManual, true)
		owner.do("PATCH", e.teamPath("/members/"+me), map[string]any{"roles": []any{"Admin"}}).must(t, 200)
	})
}

func TestMemberListAndView(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addMember("ann@acme.example", []string{"Developer"}, store.SourceSCIM, true)
	e.addMember("bob@acme.example", []string{"Billing"}, store.SourceManual, false)
	cara := e.addMember("cara@acme.example", []string{"Admin", "Developer"}, store.SourceInvite, true)
	// a group with cara in it
	ctx := context.Background()
	gid := service.NewID()
	err := e.St.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateGroup(ctx, store.Group{TeamID: e.Team.ID, ID: gid, DisplayName: "Eng", Attrs: []byte(`{"displayName":"Eng"}`), Version: 1}); err != nil {
			return err
		}
		return tx.AddMembers(ctx, e.Team.ID, gid, []string{cara.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.login("ann@acme.example", testPassword) // a Developer may read
	names := func(r response) string {
		var out []string
		for _, m := range r.Body["members"].([]any) {
			out = append(out, strings.Split(m.(map[string]any)["userName"].(string), "@")[0])
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		query string
		want  string
		total int
	}{
		{"", "owner,ann,bob,cara", 4},
		{"?q=AN", "ann", 1},
		{"?q=name%20of%20b", "bob", 1},
		{"?status=active", "owner,ann,cara", 3},
		{"?status=deactivated", "bob", 1},
		{"?source=scim", "ann", 1},
		{"?source=invite", "cara", 1},
		{"?source=manual", "owner,bob", 2},
		{"?role=Developer", "ann,cara", 2},
		{"?role=Super%20Admin", "owner", 1},
		{"?group=" + gid, "cara", 1},
		{"?per_page=2", "owner,ann", 4},
		{"?per_page=2&page=2", "bob,cara", 4},
		{"?per_page=2&page=3", "", 4},
		{"?status=active&role=Admin", "cara", 1},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := c.do("GET", e.teamPath("/members"+tc.query), nil).must(t, 200)
			if got := names(r); got != tc.want || r.Body["total"] != float64(tc.total) {
				t.Fatalf("got %q total %v, want %q total %d", got, r.Body["total"], tc.want, tc.total)
			}
		})
	}
	for _, tc := range []struct{ query, field string }{
		{"?status=gone", "status"}, {"?source=ldap", "source"}, {"?role=Owner", "role"},
		{"?page=0", "page"}, {"?per_page=100000", "per_page"}, {"?per_page=x", "per_page"},
	} {
		t.Run("bad "+tc.query, func(t *testing.T) {
			c.do("GET", e.teamPath("/members"+tc.query), nil).apiError(t, 400, tc.field)
		})
	}
	t.Run("one member", func(t *testing.T) {
		r := c.do("GET", e.teamPath("/members/"+cara.ID), nil).must(t, 200)
		b := r.Body
		if b["source"] != "invite" || b["status"] != "active" || fmt.Sprint(b["roles"]) != "[Admin Developer]" {
			t.Fatalf("%s", r.Raw)
		}
		if g := b["groups"].([]any); len(g) != 1 || g[0].(map[string]any)["id"] != gid {
			t.Fatalf("groups %v", g)
		}
		if b["attributes"].(map[string]any)["userName"] != "cara@acme.example" {
			t.Fatalf("attributes %v", b["attributes"])
		}
		c.do("GET", e.teamPath("/members/nope"), nil).apiError(t, 404, "")
	})
	t.Run("unknown API path and method", func(t *testing.T) {
		c.do("GET", "/nothing-here", nil).apiError(t, 404, "")
		r := c.do("PUT", e.teamPath("/members"), nil)
		r.apiError(t, http.StatusMethodNotAllowed, "")
	})
}
