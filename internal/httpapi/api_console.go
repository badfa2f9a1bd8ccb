package httpapi

// The admin web console (internal/console) rides on the admin API's
// sign-in: the same session cookie, CSRF token, brute-force limits and
// permission checks. consoleAuth hands them to it; routes() mounts it.

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/service"
)

// consoleRoutes mounts the web console's pages (/, /signin, /teams/…)
// and assets (/static/) on the server's mux.
func (s *Server) consoleRoutes() {
	console.Mount(s.mux, console.Config{Svc: s.svc, Log: s.log, Auth: consoleAuth{s}})
}

// consoleAuth implements console.Auth with the admin API's code.
type consoleAuth struct{ s *Server }

// Session authenticates the session cookie (personal API tokens are not
// for browsers) and returns the caller and the session's CSRF token.
func (a consoleAuth) Session(r *http.Request) (service.Caller, string, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return service.Caller{}, "", service.Unauthorized("sign in first")
	}
	acc, sess, err := a.s.svc.AuthenticateSession(r.Context(), ck.Value)
	if err != nil {
		return service.Caller{}, "", err
	}
	return service.Caller{Account: acc, Actor: service.AccountActor(acc, RequestID(r.Context()), clientIP(r)),
		SessionHash: sess.TokenHash}, sess.CSRFToken, nil
}

// Login signs in with the API's per-email and per-IP failure limits and
// sets the session cookie.
func (a consoleAuth) Login(w http.ResponseWriter, r *http.Request, email, password string) error {
	if strings.TrimSpace(email) == "" {
		return service.BadRequest("email", "enter your email")
	}
	if password == "" {
		return service.BadRequest("password", "enter your password")
	}
	_, err := a.s.login(w, r, email, password)
	return err
}

// AcceptInvite accepts an invite link with the API's code and limits,
// sets the session cookie and returns the team's slug.
func (a consoleAuth) AcceptInvite(w http.ResponseWriter, r *http.Request, token, password string) (string, error) {
	res, err := a.s.acceptInvite(w, r, token, password)
	return res.Team.Slug, err
}

// Logout ends the session and clears the cookie.
func (a consoleAuth) Logout(w http.ResponseWriter, r *http.Request, c service.Caller) error {
	err := a.s.svc.Logout(r.Context(), c)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: a.s.secureCookies(r)})
	return err
}

// Team completes c with its membership of team slug (404 for strangers,
// 403 for deactivated members), as the API's team routes do.
func (a consoleAuth) Team(r *http.Request, c service.Caller, slug string) (service.Caller, error) {
	return a.s.svc.TeamCaller(r.Context(), c, slug)
}

// Require refuses a caller without permission act, with the API's message.
func (a consoleAuth) Require(c service.Caller, act service.Action) error {
	return requirePermission(c, act)
}

// BaseURL is the SCIM base URL to paste into an IdP.
func (a consoleAuth) BaseURL(r *http.Request) string { return a.s.baseURL(r) }

// Handler is the whole server, for calling SCIM in process ("Test connection").
func (a consoleAuth) Handler() http.Handler { return a.s }
