package adminapi

import (
	_ "embed"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

//go:embed openapi.json
var openAPIDoc []byte

func (s *API) apiAuthRoutes() []apiRoute {
	return []apiRoute{
		{Method: "GET", Path: "/openapi.json", Auth: apiPublic, Handle: s.apiOpenAPI},
		{Method: "POST", Path: "/auth/login", Auth: apiPublic, Handle: s.apiLogin},
		{Method: "POST", Path: "/auth/logout", Auth: apiAccount, Handle: s.apiLogout},
		{Method: "POST", Path: "/invites/accept", Auth: apiPublic, Handle: s.apiAcceptInvite},
		{Method: "GET", Path: "/me", Auth: apiAccount, Handle: s.apiMe},
		{Method: "PATCH", Path: "/me", Auth: apiAccount, Handle: s.apiPatchMe},
		{Method: "POST", Path: "/me/password", Auth: apiAccount, Handle: s.apiChangePassword},
		{Method: "GET", Path: "/me/tokens", Auth: apiAccount, Handle: s.apiListTokens},
		{Method: "POST", Path: "/me/tokens", Auth: apiAccount, Handle: s.apiCreateToken},
		{Method: "DELETE", Path: "/me/tokens/{id}", Auth: apiAccount, Handle: s.apiRevokeToken},
	}
}

func (s *API) apiOpenAPI(w http.ResponseWriter, r *http.Request, _ *service.Caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPIDoc)
	return err
}

func accountJSON(a store.Account) map[string]any {
	return map[string]any{"id": a.ID, "email": a.Email, "created_at": timeJSON(a.Created), "must_change_password": a.MustChangePassword}
}

func teamsJSON(ms []service.Membership) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, map[string]any{"slug": m.Team.Slug, "name": m.Team.Name, "roles": m.Roles,
			"member_id": m.Member.ID, "scim_enabled": m.Team.SCIMEnabled})
	}
	return out
}

func (s *API) apiLogin(w http.ResponseWriter, r *http.Request, _ *service.Caller) error {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Email) == "" {
		return service.BadRequest("email", "email is required")
	}
	if body.Password == "" {
		return service.BadRequest("password", "password is required")
	}
	res, err := s.sessions.Login(w, r, body.Email, body.Password)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{
		"account": accountJSON(res.Account), "csrf_token": res.Session.Session.CSRFToken,
		"expires_at": timeJSON(res.Session.Session.Expires), "teams": teamsJSON(res.Teams)})
	return nil
}

func (s *API) apiLogout(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.Logout(r.Context(), *c); err != nil {
		return err
	}
	s.sessions.ClearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) apiAcceptInvite(w http.ResponseWriter, r *http.Request, _ *service.Caller) error {
	var body struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	res, err := s.sessions.AcceptInvite(w, r, body.Token, body.Password)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{
		"account": accountJSON(res.Account), "account_created": res.Created, "csrf_token": res.Session.Session.CSRFToken,
		"team": map[string]any{"slug": res.Team.Slug, "name": res.Team.Name}, "member_id": res.Member.ID,
		"roles": service.SplitRoles(res.Member.Role)})
	return nil
}

func (s *API) apiMe(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	teams, err := s.svc.AccountTeams(r.Context(), c.Account)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"account": accountJSON(c.Account), "teams": teamsJSON(teams)})
	return nil
}

func (s *API) apiPatchMe(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Email *string `json:"email"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	if body.Email == nil {
		return service.BadRequest("email", "nothing to change: send {\"email\": …}")
	}
	acc, err := s.svc.ChangeEmail(r.Context(), *c, *body.Email)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"account": accountJSON(acc)})
	return nil
}

func (s *API) apiChangePassword(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	// A wrong current password is a failed sign-in (a stolen session must
	// not be a way to guess it): the sessions' limits apply.
	err := s.sessions.ChangePassword(r, *c, body.Current, body.New)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func tokenJSON(t store.APIToken) map[string]any {
	status := "ACTIVE"
	if t.RevokedAt != nil {
		status = "REVOKED"
	}
	return map[string]any{"id": t.ID, "name": t.Name, "prefix": t.Prefix, "status": status, "created_at": timeJSON(t.Created),
		"last_used_at": timePtrJSON(t.LastUsedAt), "last_used_ip": t.LastUsedIP, "revoked_at": timePtrJSON(t.RevokedAt)}
}

func (s *API) apiListTokens(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	list, err := s.svc.APITokens(r.Context(), *c)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(list))
	for _, t := range list {
		out = append(out, tokenJSON(t))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

func (s *API) apiCreateToken(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	nt, err := s.svc.CreateAPIToken(r.Context(), *c, body.Name)
	if err != nil {
		return err
	}
	out := tokenJSON(nt.Token)
	out["token"] = nt.Secret
	writeAPIJSON(w, http.StatusCreated, out)
	return nil
}

func (s *API) apiRevokeToken(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.RevokeAPIToken(r.Context(), *c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
