package adminapitest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d@acme.example", prefix, seq.Add(1)) }

// probes perform each action of the matrix once through the HTTP API. A
// new action without a probe fails TestPermissionMatrix.
var probes = map[service.Action]func(e *env, c *client) response{
	service.ActTeamView:    func(e *env, c *client) response { return c.do("GET", e.teamPath(""), nil) },
	service.ActMembersRead: func(e *env, c *client) response { return c.do("GET", e.teamPath("/members"), nil) },
	service.ActMembersManage: func(e *env, c *client) response {
		victim := e.addMember(uniq("victim"), []string{"Developer"}, store.SourceManual, true)
		return c.do("DELETE", e.teamPath("/members/"+victim.ID), nil)
	},
	service.ActInvitesManage: func(e *env, c *client) response {
		return c.do("POST", e.teamPath("/invites"), map[string]any{"email": uniq("invitee"), "role": "Developer"})
	},
	service.ActSCIMManage: func(e *env, c *client) response {
		return c.do("PUT", e.teamPath("/scim"), map[string]any{"enabled": true})
	},
	service.ActAuditRead: func(e *env, c *client) response { return c.do("GET", e.teamPath("/audit"), nil) },
	service.ActEventsRead: func(e *env, c *client) response {
		return c.do("GET", e.teamPath("/events?limit=5"), nil)
	},
	service.ActWebhooksManage: func(e *env, c *client) response {
		return c.do("POST", e.teamPath("/webhooks"), map[string]any{"url": "https://hooks.example.com/" + strings.TrimSuffix(uniq("probe"), "@acme.example")})
	},
}

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range service.Permissions {
		if probes[p.Action] == nil {
			t.Fatalf("action %s has no probe in the matrix test", p.Action)
		}
	}
	callers := map[string]*client{}
	for _, role := range service.AllRoles {
		email := uniq(strings.ToLower(strings.ReplaceAll(role, " ", "")))
		e.addMember(email, []string{role}, store.SourceManual, true)
		callers[role] = e.token(email, testPassword, "matrix-"+role)
	}
	for _, p := range service.Permissions {
		for _, role := range service.AllRoles {
			allowed := service.Allowed([]string{role}, p.Action)
			t.Run(fmt.Sprintf("%s/%s", p.Action, role), func(t *testing.T) {
				r := probes[p.Action](e, callers[role])
				if allowed {
					if r.Status < 200 || r.Status > 299 {
						t.Fatalf("%s may %s: got %d %s", role, p.Action, r.Status, r.Raw)
					}
					return
				}
				msg := r.apiError(t, 403, "")
				if !strings.Contains(msg, "you need one of the roles") {
					t.Fatalf("message %q", msg)
				}
			})
		}
	}
	// The matrix as documented: admins manage, everyone reads.
	want := map[service.Action][]string{
		service.ActTeamView:       {"Super Admin", "Admin", "Billing", "Developer"},
		service.ActMembersRead:    {"Super Admin", "Admin", "Billing", "Developer"},
		service.ActMembersManage:  {"Super Admin", "Admin"},
		service.ActInvitesManage:  {"Super Admin", "Admin"},
		service.ActSCIMManage:     {"Super Admin", "Admin"},
		service.ActAuditRead:      {"Super Admin", "Admin"},
		service.ActEventsRead:     {"Super Admin", "Admin"},
		service.ActWebhooksManage: {"Super Admin", "Admin"},
	}
	for act, roles := range want {
		for _, role := range service.AllRoles {
			in := strings.Contains(strings.Join(roles, "|")+"|", role+"|")
			if service.Allowed([]string{role}, act) != in {
				t.Errorf("%s × %s: matrix says %v", act, role, !in)
			}
		}
	}
}

func TestPermissionsDocMatchesCode(t *testing.T) {
	t.Parallel()
	doc := readFile(t, "../../docs/permissions.md")
	for _, p := range service.Permissions {
		var cells []string
		for _, role := range service.AllRoles {
			if service.Allowed([]string{role}, p.Action) {
				cells = append(cells, "✓")
			} else {
				cells = append(cells, "—")
			}
		}
		row := "| `" + string(p.Action) + "` | " + strings.Join(cells, " | ") + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/permissions.md lacks the row\n%s", row)
		}
	}
}

func TestMultipleRolesAndGroupRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.addMember("both@acme.example", []string{"Developer", "Billing"}, store.SourceManual, true)
	if u.Role != "Billing,Developer" {
		t.Fatalf("stored %q", u.Role)
	}
	c := e.login("both@acme.example", testPassword)
	r := c.do("GET", e.teamPath(""), nil).must(t, 200)
	if got := fmt.Sprint(r.Body["you"].(map[string]any)["roles"]); got != "[Billing Developer]" {
		t.Fatalf("roles %s", got)
	}
	c.do("POST", e.teamPath("/invites"), map[string]any{"email": "x@acme.example"}).apiError(t, 403, "")
}
