package httpapi

import (
	_ "embed"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) apiAuthRoutes() []apiRoute {
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

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request, _ *service.Caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPIDoc)
	return err
}

func (s *Server) sessionTTL() time.Duration {
	if s.cfg.SessionTTL > 0 {
		return s.cfg.SessionTTL
	}
	return service.DefaultSessionTTL
}

// secureCookies is true when the client reached us over TLS, directly or
// (as --public-url says) through a TLS-terminating proxy.
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(s.cfg.PublicURL), "https://")
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess service.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.Session.Expires,
		MaxAge: int(time.Until(sess.Session.Expires).Seconds()), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r),
	})
}

func accountJSON(a store.Account) map[string]any {
	return map[string]any{"id": a.ID, "email": a.Email, "created_at": timeJSON(a.Created)}
}

func teamsJSON(ms []service.Membership) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, map[string]any{"slug": m.Team.Slug, "name": m.Team.Name, "roles": m.Roles,
			"member_id": m.Member.ID, "scim_enabled": m.Team.SCIMEnabled})
	}
	return out
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request, _ *service.Caller) error {
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
	res, err := s.login(w, r, body.Email, body.Password)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{
		"account": accountJSON(res.Account), "csrf_token": res.Session.Session.CSRFToken,
		"expires_at": timeJSON(res.Session.Session.Expires), "teams": teamsJSON(res.Teams)})
	return nil
}

// login signs in, for the API and the console alike, under the sign-in
// limits (signin.go), and sets the session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request, email, password string) (service.LoginResult, error) {
	var res service.LoginResult
	err := s.checkPassword(r, accountKey(email), func() error {
		var err error
		res, err = s.svc.Login(r.Context(), email, password, clientIP(r), r.UserAgent(), s.sessionTTL(), RequestID(r.Context()))
		return err
	}, isBadCredentials)
	if err != nil {
		return service.LoginResult{}, err
	}
	s.setSessionCookie(w, r, res.Session)
	return res, nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.Logout(r.Context(), *c); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAcceptInvite(w http.ResponseWriter, r *http.Request, _ *service.Caller) error {
	var body struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	res, err := s.acceptInvite(w, r, body.Token, body.Password)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{
		"account": accountJSON(res.Account), "account_created": res.Created, "csrf_token": res.Session.Session.CSRFToken,
		"team": map[string]any{"slug": res.Team.Slug, "name": res.Team.Name}, "member_id": res.Member.ID,
		"roles": service.SplitRoles(res.Member.Role)})
	return nil
}

// acceptInvite accepts an invite link for the API and the console alike,
// under the sign-in limits: a wrong password for the invite's existing
// account counts against that account as a failed sign-in does, and a
// guessed (unknown, used or expired) token against the client IP. On
// success the session cookie is set.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request, token, password string) (service.AcceptResult, error) {
	account := "" // unknown token: only the IP key counts
	if token != "" {
		if email, ok := s.svc.InviteEmail(r.Context(), token); ok {
			account = accountKey(email)
		}
	}
	var res service.AcceptResult
	err := s.checkPassword(r, account, func() error {
		var err error
		res, err = s.svc.AcceptInvite(r.Context(), token, password, clientIP(r), r.UserAgent(), s.sessionTTL(), RequestID(r.Context()))
		return err
	}, func(err error) bool {
		e, ok := service.AsError(err)
		return isBadCredentials(err) || ok && (e.Kind == service.KindNotFound || e.Kind == service.KindGone)
	})
	if isBadCredentials(err) {
		return service.AcceptResult{}, service.Unauthorized("an account with this email already exists: accept with its password")
	}
	if err != nil {
		return service.AcceptResult{}, err
	}
	s.setSessionCookie(w, r, res.Session)
	return res, nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	teams, err := s.svc.AccountTeams(r.Context(), c.Account)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"account": accountJSON(c.Account), "teams": teamsJSON(teams)})
	return nil
}

func (s *Server) apiPatchMe(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
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

func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var body struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeAPIBody(r, &body); err != nil {
		return err
	}
	// A wrong current password is a failed sign-in (a stolen session must
	// not be a way to guess it).
	err := s.checkPassword(r, accountKey(c.Account.Email), func() error {
		return s.svc.ChangePassword(r.Context(), *c, body.Current, body.New)
	}, func(err error) bool {
		e, ok := service.AsError(err)
		return ok && e.Kind == service.KindForbidden && e.Field == "current_password"
	})
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

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
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

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
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

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.RevokeAPIToken(r.Context(), *c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
