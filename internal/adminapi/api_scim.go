package adminapi

// Admin API of a team's SCIM settings: SCIM keys (create, list, revoke,
// rotate with grace), the team's provisioning policies (seat limit,
// group-deletion rule), its custom User attributes, and its groups with
// their role bindings.

import (
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

func (s *API) apiSCIMRoutes() []apiRoute {
	const t = "/teams/{slug}"
	return []apiRoute{
		{Method: "GET", Path: t + "/scim/keys", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiListKeys},
		{Method: "POST", Path: t + "/scim/keys", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiCreateKey},
		{Method: "DELETE", Path: t + "/scim/keys/{id}", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiRevokeKey},
		{Method: "POST", Path: t + "/scim/keys/{id}/rotate", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiRotateKey},
		{Method: "GET", Path: t + "/policies", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiGetPolicies},
		{Method: "PATCH", Path: t + "/policies", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiPatchPolicies},
		{Method: "GET", Path: t + "/schema", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiGetSchema},
		{Method: "PUT", Path: t + "/schema", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiPutSchema},
		{Method: "GET", Path: t + "/groups", Auth: apiTeam, Action: service.ActMembersRead, Handle: s.apiListGroups},
		{Method: "GET", Path: t + "/groups/{id}", Auth: apiTeam, Action: service.ActMembersRead, Handle: s.apiGetGroup},
		{Method: "PUT", Path: t + "/groups/{id}/roles", Auth: apiTeam, Action: service.ActMembersManage, Handle: s.apiPutGroupRoles},
	}
}

func (s *API) apiListKeys(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	keys, err := s.svc.ListKeys(r.Context(), c.Team.Slug)
	if err != nil {
		return err
	}
	now := s.svc.Now()
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, service.ViewOfKey(k, now))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

func (s *API) apiCreateKey(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Name      string     `json:"name"`
		ExpiresAt *time.Time `json:"expires_at"`
		ExpiresIn string     `json:"expires_in"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	name := strings.TrimSpace(body.Name)
	if len(name) > 100 {
		return service.BadRequest("name", "a key name can have at most 100 characters")
	}
	now := s.svc.Now()
	exp := body.ExpiresAt
	switch {
	case exp != nil && body.ExpiresIn != "":
		return service.BadRequest("expires_in", "give expires_at or expires_in, not both")
	case body.ExpiresIn != "":
		d, err := service.ParseDuration(body.ExpiresIn) // 2160h, or days: 90d
		if err != nil || d <= 0 {
			return service.BadRequest("expires_in", "expires_in must be a positive duration such as 2160h, not %q", body.ExpiresIn)
		}
		t := now.Add(d)
		exp = &t
	case exp != nil && !exp.After(now):
		return service.BadRequest("expires_at", "expires_at must be in the future")
	}
	nk, err := s.svc.CreateKey(r.Context(), c.Team.Slug, name, exp, c.Actor)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusCreated, service.ViewOfNewKey(nk, now))
	return nil
}

func (s *API) apiRevokeKey(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.RevokeKey(r.Context(), c.Team.Slug, r.PathValue("id"), c.Actor); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) apiRotateKey(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Grace string `json:"grace"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	grace, err := service.ParseGrace(body.Grace)
	if err != nil {
		return err
	}
	nk, err := s.svc.RotateKey(r.Context(), c.Team.Slug, r.PathValue("id"), grace, c.Actor)
	if err != nil {
		return err
	}
	out := service.ViewOfNewKey(nk, s.svc.Now())
	// The same fields as `roster scim-key rotate --json`.
	out.Replaces = r.PathValue("id")
	out.OldKeyStopsAt = service.ViewTime(s.svc.Now().Add(grace))
	writeAPIJSON(w, http.StatusCreated, out)
	return nil
}

func (s *API) policiesJSON(r *http.Request, team store.Team) (map[string]any, error) {
	used, err := s.svc.SeatsUsed(r.Context(), team.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"seat_limit": team.SeatLimit, "seats_used": used, "seat_roles": service.SeatRoles,
		"group_delete_deactivates": team.GroupDeleteDeactivates, "scim_enabled": team.SCIMEnabled}, nil
}

func (s *API) apiGetPolicies(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	out, err := s.policiesJSON(r, c.Team)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) apiPatchPolicies(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		SeatLimit              *int  `json:"seat_limit"`
		GroupDeleteDeactivates *bool `json:"group_delete_deactivates"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	if body.SeatLimit == nil && body.GroupDeleteDeactivates == nil {
		return service.BadRequest("", "send seat_limit and/or group_delete_deactivates")
	}
	team, err := s.svc.SetTeamPolicies(r.Context(), c.Team.Slug, body.SeatLimit, body.GroupDeleteDeactivates, c.Actor)
	if err != nil {
		return err
	}
	out, err := s.policiesJSON(r, team)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, out)
	return nil
}

func groupJSON(g service.GroupSummary) map[string]any {
	roles := g.Roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{"id": g.Group.ID, "displayName": g.Group.DisplayName, "externalId": g.Group.ExternalID,
		"member_count": g.Members, "roles": roles,
		"created_at": timeJSON(g.Group.Created), "updated_at": timeJSON(g.Group.Modified)}
}

// MaxGroupsPerPage caps per_page on group lists.
const MaxGroupsPerPage = 200

func (s *API) apiListGroups(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	qv := r.URL.Query()
	page, perPage, err := pageParams(qv, MaxGroupsPerPage)
	if err != nil {
		return err
	}
	gs, total, err := s.svc.GroupSummaries(r.Context(), c.Team.ID, qv.Get("q"), perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(gs))
	for _, g := range gs {
		out = append(out, groupJSON(g))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"total": total, "page": page, "per_page": perPage, "groups": out})
	return nil
}

// apiGetGroup shows a group; its members are paged through
// GET …/members?group={id}, since a group can hold 100,000 of them.
func (s *API) apiGetGroup(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	g, err := s.svc.GroupSummaryByID(r.Context(), c.Team, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, groupJSON(g))
	return nil
}

func (s *API) apiPutGroupRoles(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Roles *[]string `json:"roles"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	if body.Roles == nil {
		return service.BadRequest("roles", "roles (a list, possibly empty) is required")
	}
	if _, err := s.svc.BindGroupRoles(r.Context(), *c, r.PathValue("id"), *body.Roles); err != nil {
		return err
	}
	g, err := s.svc.GroupSummaryByID(r.Context(), c.Team, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, groupJSON(g))
	return nil
}

func attributesJSON(list []scim.CustomAttribute) []scim.CustomAttribute {
	if list == nil {
		return []scim.CustomAttribute{}
	}
	return list
}

func (s *API) apiGetSchema(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	list, err := scim.ParseCustomAttributes(c.Team.UserExtension)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"schema": scim.CustomUserURN, "attributes": attributesJSON(list)})
	return nil
}

// apiPutSchema declares the team's custom User attributes, as `roster
// schema apply` does: new ones are added, descriptions updated, and with
// prune the ones not listed withdrawn.
func (s *API) apiPutSchema(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Attributes *[]scim.CustomAttribute `json:"attributes"`
		Prune      bool                    `json:"prune"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	if body.Attributes == nil {
		return service.BadRequest("attributes", "attributes (a list, possibly empty) is required")
	}
	plan, err := s.svc.ApplyCustomAttributes(r.Context(), c.Team.Slug, *body.Attributes, body.Prune, c.Actor)
	if err != nil {
		return err
	}
	list, err := s.svc.CustomAttributes(r.Context(), c.Team.Slug)
	if err != nil {
		return err
	}
	out := plan.Fields()
	out["schema"], out["attributes"] = scim.CustomUserURN, attributesJSON(list)
	writeAPIJSON(w, http.StatusOK, out)
	return nil
}
