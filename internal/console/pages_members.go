package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// PerPage is the members table's page size.
const PerPage = 50

// pager is the state of a numbered, offset-paged list.
type pager struct {
	Page, Pages, Total, From, To int
	Prev, Next                   string // URLs, "" at the ends
	First, Last                  string
}

func newPager(r *http.Request, pageNo, perPage, total int) pager {
	pg := pager{Page: pageNo, Total: total, Pages: (total + perPage - 1) / perPage}
	if total > 0 {
		pg.From = (pageNo-1)*perPage + 1
		pg.To = min(pageNo*perPage, total)
	}
	link := func(n int) string {
		q := r.URL.Query()
		q.Del("done")
		if n <= 1 {
			q.Del("page")
		} else {
			q.Set("page", strconv.Itoa(n))
		}
		if e := q.Encode(); e != "" {
			return r.URL.Path + "?" + e
		}
		return r.URL.Path
	}
	if pageNo > 1 {
		pg.Prev, pg.First = link(pageNo-1), link(1)
	}
	if pageNo < pg.Pages {
		pg.Next, pg.Last = link(pageNo+1), link(pg.Pages)
	}
	return pg
}

func pageParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 1<<24 {
		return 1
	}
	return n
}

type membersData struct {
	Q, Status, Source, Role, Group string
	Roles                          []string
	Groups                         []store.Group
	Members                        []service.MemberView
	Pager                          pager
	Filtered                       bool
}

func (c *Console) groupChoices(r *http.Request, p *page) ([]store.Group, error) {
	return c.svc.GroupChoices(r.Context(), p.Team.ID, 200)
}

// membersPage is Manage team: search, filters and numbered pages; the
// store filters and pages in SQL, so it stays fast at 100,000 members.
func (c *Console) membersPage(w http.ResponseWriter, r *http.Request, p *page) error {
	qv := r.URL.Query()
	d := &membersData{Q: strings.TrimSpace(qv.Get("q")), Status: qv.Get("status"), Source: qv.Get("source"),
		Role: qv.Get("role"), Group: qv.Get("group"), Roles: service.AllRoles}
	q := store.MemberQuery{Text: d.Q, GroupID: d.Group}
	switch d.Status {
	case "active", "deactivated":
		active := d.Status == "active"
		q.Active = &active
	default:
		d.Status = ""
	}
	switch d.Source {
	case store.SourceSCIM, store.SourceManual, store.SourceInvite:
		q.Source = d.Source
	default:
		d.Source = ""
	}
	for _, role := range service.AllRoles {
		if role == d.Role {
			q.Role = role
		}
	}
	if q.Role == "" {
		d.Role = ""
	}
	d.Filtered = d.Q != "" || q.Active != nil || q.Source != "" || q.Role != "" || q.GroupID != ""
	pageNo := pageParam(r)
	q.Limit, q.Offset = PerPage, (pageNo-1)*PerPage
	list, total, err := c.svc.ListMembers(r.Context(), p.Caller, q)
	if err != nil {
		return err
	}
	if d.Groups, err = c.groupChoices(r, p); err != nil {
		return err
	}
	d.Members, d.Pager = list, newPager(r, pageNo, PerPage, total)
	p.Title, p.Nav, p.Data = "Members", "members", d
	p.notice()
	return c.render(w, "members", p)
}

type memberData struct {
	M      service.MemberView
	Attrs  string
	Events []service.AuditView
	CanLog bool
	// Roles is the role form: every role, checked as the member holds it
	// (or as a refused form asked), and whether the caller may change it.
	Roles []roleChoice
}

type roleChoice struct {
	Role     string
	Checked  bool
	Disabled bool // only a Super Admin grants or takes Super Admin
}

func (c *Console) memberPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showMember(w, r, p, nil)
}

// showMember renders a member's page; asked, when set, is the role form
// a refusal sends back.
func (c *Console) showMember(w http.ResponseWriter, r *http.Request, p *page, asked []string) error {
	m, err := c.svc.GetMember(r.Context(), p.Caller, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(m.Attrs, "", "  ")
	d := &memberData{M: m, Attrs: string(b), CanLog: p.Can(string(service.ActAuditRead))}
	if d.CanLog {
		// The member's audit trail is the audit log's, so it needs the
		// same permission as the log itself.
		ap, err := c.svc.QueryAudit(r.Context(), p.Team.ID, store.AuditQuery{TargetType: "user", TargetID: m.User.ID, Limit: 50})
		if err != nil {
			return err
		}
		if d.Events, err = c.svc.AuditViews(r.Context(), p.Team.ID, ap.Events); err != nil {
			return err
		}
	}
	held := m.Roles
	if asked != nil {
		held = asked
	}
	superAdmin := p.HasRole(service.RoleSuperAdmin)
	for _, role := range service.AllRoles {
		d.Roles = append(d.Roles, roleChoice{Role: role, Checked: slices.Contains(held, role),
			// A plain Admin can neither grant Super Admin nor change a
			// Super Admin's roles: the service refuses; the form says so.
			Disabled: !superAdmin && (role == service.RoleSuperAdmin || slices.Contains(m.EffectiveRoles, service.RoleSuperAdmin))})
	}
	name := m.User.DisplayName
	if name == "" {
		name = m.User.UserName
	}
	p.Title, p.Nav, p.Data = name, "members", d
	p.notice()
	return c.render(w, "member", p)
}

// setMemberRoles is the member page's role form: the checked roles
// replace the member's own roles, under the service's role rules.
func (c *Console) setMemberRoles(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := r.ParseForm(); err != nil {
		return service.BadRequest("roles", "the form could not be read")
	}
	asked := r.PostForm["roles"]
	roles := make([]any, 0, len(asked))
	for _, role := range asked {
		roles = append(roles, role)
	}
	id := r.PathValue("id")
	if _, err := c.svc.UpdateMember(r.Context(), p.Caller, id, service.MemberPatch{"roles": roles}); err != nil {
		if e, ok := service.AsError(err); ok && e.Kind == service.KindNotFound {
			return err
		}
		formError(p, err)
		if asked == nil {
			asked = []string{}
		}
		return c.showMember(w, r, p, asked)
	}
	return redirect(w, r, p.T()+"/members/"+url.PathEscape(id), "member-roles")
}

func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := c.svc.RemoveMember(r.Context(), p.Caller, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, p.T()+"/members", "member-removed")
}

type invitesData struct {
	Invites []store.InviteDetail
	Roles   []string
	Email   string
	Role    string
	// New is an invite just made or resent, with its link token (shown once).
	New    *service.NewInvite
	Resent bool
	// Link is the acceptance link of New: this server's /invite page.
	Link string
}

func (c *Console) invitesPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showInvites(w, r, p, nil)
}

func (c *Console) showInvites(w http.ResponseWriter, r *http.Request, p *page, edit func(*invitesData)) error {
	list, err := c.svc.Invites(r.Context(), p.Caller)
	if err != nil {
		return err
	}
	d := &invitesData{Invites: list, Roles: service.AllRoles, Role: service.RoleDeveloper}
	if edit != nil {
		edit(d)
	}
	if d.New != nil {
		origin := strings.TrimSuffix(c.baseURL(r), "/scim/v2")
		d.Link = origin + "/invite?token=" + url.QueryEscape(d.New.Token)
	}
	p.Title, p.Nav, p.Data = "Invites", "invites", d
	p.notice()
	return c.render(w, "invites", p)
}

func (c *Console) createInvite(w http.ResponseWriter, r *http.Request, p *page) error {
	email, role := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("role")
	ni, err := c.svc.InviteMember(r.Context(), p.Caller, email, role)
	if err != nil {
		formError(p, err)
		return c.showInvites(w, r, p, func(d *invitesData) { d.Email, d.Role = email, role })
	}
	w.Header().Set("Cache-Control", "no-store")
	p.Status = http.StatusCreated
	p.Flash = "Invite created for " + ni.Invite.Email + "."
	return c.showInvites(w, r, p, func(d *invitesData) { d.New = &ni })
}

func (c *Console) resendInvite(w http.ResponseWriter, r *http.Request, p *page) error {
	ni, err := c.svc.ResendInvite(r.Context(), p.Caller, r.PathValue("id"))
	if err != nil {
		formError(p, err)
		return c.showInvites(w, r, p, nil)
	}
	w.Header().Set("Cache-Control", "no-store")
	p.Flash = "Invite re-sent to " + ni.Invite.Email + ": the previous link no longer works."
	return c.showInvites(w, r, p, func(d *invitesData) { d.New, d.Resent = &ni, true })
}

func (c *Console) revokeInvite(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := c.svc.RevokeInvite(r.Context(), p.Caller, r.PathValue("id")); err != nil {
		formError(p, err)
		return c.showInvites(w, r, p, nil)
	}
	return redirect(w, r, p.T()+"/invites", "invite-revoked")
}
