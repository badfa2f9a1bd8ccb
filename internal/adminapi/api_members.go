package adminapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

func (s *API) apiMemberRoutes() []apiRoute {
	const t = "/teams/{slug}"
	return []apiRoute{
		{Method: "GET", Path: "/teams", Auth: apiAccount, Handle: s.apiMyTeams},
		{Method: "GET", Path: t, Auth: apiTeam, Action: service.ActTeamView, Handle: s.apiTeam},
		{Method: "GET", Path: t + "/members", Auth: apiTeam, Action: service.ActMembersRead, Handle: s.apiListMembers},
		{Method: "GET", Path: t + "/members/{id}", Auth: apiTeam, Action: service.ActMembersRead, Handle: s.apiGetMember},
		// Roles need members.manage, your own profile doesn't: the
		// service checks per field.
		{Method: "PATCH", Path: t + "/members/{id}", Auth: apiTeam, Handle: s.apiPatchMember},
		{Method: "DELETE", Path: t + "/members/{id}", Auth: apiTeam, Action: service.ActMembersManage, Handle: s.apiRemoveMember},
		{Method: "POST", Path: t + "/leave", Auth: apiTeam, Handle: s.apiLeave},
		{Method: "GET", Path: t + "/invites", Auth: apiTeam, Action: service.ActInvitesManage, Handle: s.apiListInvites},
		{Method: "POST", Path: t + "/invites", Auth: apiTeam, Action: service.ActInvitesManage, Handle: s.apiCreateInvite},
		{Method: "POST", Path: t + "/invites/{id}/resend", Auth: apiTeam, Action: service.ActInvitesManage, Handle: s.apiResendInvite},
		{Method: "DELETE", Path: t + "/invites/{id}", Auth: apiTeam, Action: service.ActInvitesManage, Handle: s.apiRevokeInvite},
		{Method: "GET", Path: t + "/scim", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiGetSCIM},
		{Method: "PUT", Path: t + "/scim", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiPutSCIM},
	}
}

func (s *API) apiMyTeams(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	teams, err := s.svc.AccountTeams(r.Context(), c.Account)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"teams": teamsJSON(teams)})
	return nil
}

func (s *API) apiTeam(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	writeAPIJSON(w, http.StatusOK, map[string]any{"id": c.Team.ID, "slug": c.Team.Slug, "name": c.Team.Name,
		"scim_enabled": c.Team.SCIMEnabled, "created_at": timeJSON(c.Team.Created),
		"you": map[string]any{"member_id": c.Member.ID, "roles": c.Roles}})
	return nil
}

// memberStatus is "active" or "deactivated".
func memberStatus(active bool) string {
	if active {
		return "active"
	}
	return "deactivated"
}

func memberJSON(m service.MemberView, full bool) map[string]any {
	emails := make([]string, 0, len(m.User.Emails))
	for _, e := range m.User.Emails {
		emails = append(emails, e.Value)
	}
	out := map[string]any{
		"id": m.User.ID, "userName": m.User.UserName, "displayName": m.User.DisplayName, "emails": emails,
		"active": m.User.Active, "status": memberStatus(m.User.Active), "source": m.User.Source,
		"roles": m.Roles, "effective_roles": m.EffectiveRoles,
		"created_at": timeJSON(m.User.Created), "updated_at": timeJSON(m.User.Modified),
	}
	if full {
		groups := make([]any, 0, len(m.Groups))
		for _, g := range m.Groups {
			groups = append(groups, map[string]any{"id": g.GroupID, "displayName": g.Display})
		}
		out["groups"] = groups
		out["attributes"] = m.Attrs
	}
	return out
}

// MaxMembersPerPage caps per_page on member lists.
const MaxMembersPerPage = 500

func (s *API) apiListMembers(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	qv := r.URL.Query()
	q := store.MemberQuery{Text: strings.TrimSpace(qv.Get("q")), GroupID: qv.Get("group")}
	switch st := qv.Get("status"); st {
	case "":
	case "active", "deactivated":
		active := st == "active"
		q.Active = &active
	default:
		return service.BadRequest("status", "status must be active or deactivated, not %q", st)
	}
	switch src := qv.Get("source"); src {
	case "", store.SourceSCIM, store.SourceManual, store.SourceInvite:
		q.Source = src
	default:
		return service.BadRequest("source", "source must be scim, manual or invite, not %q", src)
	}
	if role := qv.Get("role"); role != "" {
		ok := false
		for _, known := range service.AllRoles {
			ok = ok || known == role
		}
		if !ok {
			return service.BadRequest("role", "unknown role %q: use %s", role, strings.Join(service.AllRoles, ", "))
		}
		q.Role = role
	}
	page, perPage, err := pageParams(qv, MaxMembersPerPage)
	if err != nil {
		return err
	}
	q.Limit, q.Offset = perPage, (page-1)*perPage
	list, total, err := s.svc.ListMembers(r.Context(), *c, q)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(list))
	for _, m := range list {
		out = append(out, memberJSON(m, false))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"total": total, "page": page, "per_page": perPage, "members": out})
	return nil
}

// pageParams reads ?page (from 1) and ?per_page (default 50, at most
// maxPerPage) of a list.
func pageParams(qv url.Values, maxPerPage int) (page, perPage int, err error) {
	if page, err = intParam(qv.Get("page"), "page", 1, 1, 1<<30); err != nil {
		return 0, 0, err
	}
	if perPage, err = intParam(qv.Get("per_page"), "per_page", 50, 1, maxPerPage); err != nil {
		return 0, 0, err
	}
	return page, perPage, nil
}

func intParam(v, name string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, service.BadRequest(name, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

func (s *API) apiGetMember(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	m, err := s.svc.GetMember(r.Context(), *c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, memberJSON(m, true))
	return nil
}

func (s *API) apiPatchMember(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body map[string]any
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	m, err := s.svc.UpdateMember(r.Context(), *c, r.PathValue("id"), service.MemberPatch(body))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, memberJSON(m, true))
	return nil
}

func (s *API) apiRemoveMember(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.RemoveMember(r.Context(), *c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) apiLeave(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.LeaveTeam(r.Context(), *c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func inviteJSON(d store.InviteDetail) map[string]any {
	return map[string]any{"id": d.ID, "email": d.Email, "role": d.Role, "status": d.Status,
		"created_at": timeJSON(d.Created), "sent_at": timePtrJSON(d.SentAt), "expires_at": timePtrJSON(d.ExpiresAt),
		"invited_by": d.InvitedBy, "member_id": nullable(d.MemberID)}
}

// nullable renders "" as JSON null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *API) apiListInvites(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	list, err := s.svc.Invites(r.Context(), *c)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(list))
	for _, d := range list {
		out = append(out, inviteJSON(d))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"invites": out})
	return nil
}

func newInviteJSON(ni service.NewInvite) map[string]any {
	out := inviteJSON(ni.Invite)
	out["token"] = ni.Token // shown once: the invite link carries it
	return out
}

func (s *API) apiCreateInvite(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	ni, err := s.svc.InviteMember(r.Context(), *c, body.Email, body.Role)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusCreated, newInviteJSON(ni))
	return nil
}

func (s *API) apiResendInvite(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	ni, err := s.svc.ResendInvite(r.Context(), *c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, newInviteJSON(ni))
	return nil
}

func (s *API) apiRevokeInvite(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.RevokeInvite(r.Context(), *c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) apiGetSCIM(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	writeAPIJSON(w, http.StatusOK, map[string]any{"enabled": c.Team.SCIMEnabled})
	return nil
}

func (s *API) apiPutSCIM(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	if body.Enabled == nil {
		return service.BadRequest("enabled", "enabled (true or false) is required")
	}
	team, err := s.svc.SetTeamSCIM(r.Context(), *c, *body.Enabled)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"enabled": team.SCIMEnabled})
	return nil
}
