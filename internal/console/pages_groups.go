package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

type groupsData struct {
	Q      string
	Groups []service.GroupSummary
	Pager  pager
}

// groupsPage lists the team's groups (those its IdP pushed), paged in SQL.
func (c *Console) groupsPage(w http.ResponseWriter, r *http.Request, p *page) error {
	d := &groupsData{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	pageNo := pageParam(r)
	gs, total, err := c.svc.GroupSummaries(r.Context(), p.Team.ID, d.Q, PerPage, (pageNo-1)*PerPage)
	if err != nil {
		return err
	}
	d.Groups = gs
	d.Pager = newPager(r, pageNo, PerPage, total)
	p.Title, p.Nav, p.Data = "Groups", "groups", d
	p.notice()
	return c.render(w, "groups", p)
}

type groupData struct {
	G        store.Group
	Roles    []string
	AllRoles []string
	Members  []service.MemberView
	Pager    pager
}

// Bound reports whether the group grants role.
func (d *groupData) Bound(role string) bool { return slices.Contains(d.Roles, role) }

func (c *Console) loadGroup(r *http.Request, p *page) (*groupData, error) {
	sum, err := c.svc.GroupSummaryByID(r.Context(), *p.Team, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := &groupData{G: sum.Group, Roles: sum.Roles, AllRoles: service.AllRoles}
	pageNo := pageParam(r)
	// Members are paged in SQL (a group can hold 100,000 of them).
	list, total, err := c.svc.ListMembers(r.Context(), p.Caller, store.MemberQuery{GroupID: sum.Group.ID,
		Page: store.Page{Limit: PerPage, Offset: (pageNo - 1) * PerPage}})
	if err != nil {
		return nil, err
	}
	d.Members, d.Pager = list, newPager(r, pageNo, PerPage, total)
	return d, nil
}

func (c *Console) groupPage(w http.ResponseWriter, r *http.Request, p *page) error {
	d, err := c.loadGroup(r, p)
	if err != nil {
		return err
	}
	p.Title, p.Nav, p.Data = d.G.DisplayName, "groups", d
	p.notice()
	return c.render(w, "group", p)
}

// setGroupRoles binds the group's roles. Like changing a member's roles it
// needs members.manage, and only a Super Admin grants or withdraws Super
// Admin through a group.
func (c *Console) setGroupRoles(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := r.ParseForm(); err != nil {
		return service.BadRequest("", "can't read the form")
	}
	d, err := c.loadGroup(r, p)
	if err != nil {
		return err
	}
	var roles []string
	for _, role := range r.PostForm["role"] {
		if !slices.Contains(service.AllRoles, role) {
			return service.BadRequest("role", "unknown role %q", role)
		}
		roles = append(roles, role)
	}
	if _, err := c.svc.BindGroupRoles(r.Context(), p.Caller, d.G.ID, roles); err != nil {
		formError(p, err)
		p.Title, p.Nav, p.Data = d.G.DisplayName, "groups", d
		return c.render(w, "group", p)
	}
	return redirect(w, r, p.T()+"/groups/"+d.G.ID, "group-roles")
}
