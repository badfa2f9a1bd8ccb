// Package console is Roster's admin web console: server-rendered pages
// (html/template) over the service layer, signed in with the admin API's
// session cookie and CSRF token, with htmx (vendored, static/) as an
// enhancement only: every page and form works without JavaScript.
//
// Pages live under / (/signin, /teams/{slug}/…), assets under /static/.
// Every page sends a Content-Security-Policy without 'unsafe-inline' for
// scripts, frame-ancestors 'none', nosniff and a strict Referrer-Policy;
// pages that show a secret (a new SCIM key, an invite link) are no-store,
// as is every signed-in page.
package console

import (
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/websession"
)

//go:embed templates/*.html
var templateFS embed.FS

// staticFS holds the console's assets: console.css, console.js and
// htmx.min.js, which is htmx.org 2.0.11 from the npm registry (npm pack
// htmx.org@2.0.11, dist/htmx.min.js; licence 0BSD, see
// static/htmx.LICENSE.txt). Nothing is loaded from a CDN.
//
//go:embed static
var staticFS embed.FS

// Config wires the console.
type Config struct {
	Svc *service.Service
	Log *slog.Logger
	// Sessions is the sign-in the console shares with the admin API: the
	// same session cookie, CSRF token and sign-in limits.
	Sessions *websession.Sessions
	// BaseURL is the SCIM base URL as an IdP should use it.
	BaseURL func(r *http.Request) string
	// Probe answers, in process, what the team's SCIM endpoint answers an
	// IdP's first request made with key ("Test connection").
	Probe func(r *http.Request, key string) (status int, body []byte)
}

// Console serves the pages.
type Console struct {
	svc      *service.Service
	log      *slog.Logger
	sessions *websession.Sessions
	baseURL  func(r *http.Request) string
	probe    func(r *http.Request, key string) (int, []byte)
	sso      *ssoproto.Tools // pages_sso.go (SetSSO)
	pages    map[string]*template.Template
}

// CSRFField is the form field that carries the session's CSRF token (the
// X-CSRF-Token header is accepted too).
const CSRFField = "csrf_token"

// Mount registers the console's routes on mux. The patterns are narrow
// (no catch-all "/"), so SCIM's and the API's own 404 and 405 answers
// stay theirs.
func Mount(mux *http.ServeMux, cfg Config) *Console {
	c := New(cfg)
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-store")
		c.fail(w, r, &page{r: r}, service.Forbidden("This form came from another site. Open the console from its own address and try again."))
	})
	for pattern, h := range c.routes() {
		mux.Handle(pattern, websession.CrossOrigin(h, deny))
	}
	for pattern, h := range c.ssoRoutes() { // pages_sso.go
		mux.Handle(pattern, websession.CrossOrigin(h, deny))
	}
	for pattern, h := range c.eventRoutes() { // pages_webhooks.go
		mux.Handle(pattern, websession.CrossOrigin(h, deny))
	}
	return c
}

// New builds the console (templates are parsed once, here).
func New(cfg Config) *Console {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Console{svc: cfg.Svc, log: cfg.Log, sessions: cfg.Sessions, baseURL: cfg.BaseURL, probe: cfg.Probe, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		c.pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return c
}

func (c *Console) routes() map[string]http.Handler {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	const t = "/teams/{slug}"
	return map[string]http.Handler{
		"GET /static/": headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Only files: a directory (/static/ itself) is a 404, not a
			// listing, and so is anything fs.ValidPath refuses.
			if st, err := fs.Stat(static, strings.TrimPrefix(r.URL.Path, "/static/")); err != nil || st.IsDir() {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Cache-Control", "public, max-age=3600")
			files.ServeHTTP(w, r)
		})),
		"GET /{$}":      c.account(c.home),
		"GET /signin":   headers(http.HandlerFunc(c.signinPage)),
		"POST /signin":  headers(http.HandlerFunc(c.signin)),
		"POST /signout": c.ownPassword(c.signout),
		"GET /invite":   headers(http.HandlerFunc(c.invitePage)),
		"POST /invite":  headers(http.HandlerFunc(c.acceptInvite)),
		"GET /teams":    c.account(c.teamList),

		// Your account (pages_account.go): the password form works for an
		// account that must change its password; the rest doesn't.
		"GET /account":                     c.ownPassword(c.accountPage),
		"POST /account/password":           c.ownPassword(c.changePassword),
		"POST /account/email":              c.account(c.changeEmail),
		"POST /account/tokens":             c.account(c.createToken),
		"POST /account/tokens/{id}/revoke": c.account(c.revokeToken),

		"GET " + t + "/{$}": c.team(service.ActTeamView, c.overviewPage),

		"GET " + t + "/settings/authentication":    c.team(service.ActSCIMManage, c.authPage),
		"POST " + t + "/settings/scim":             c.team(service.ActSCIMManage, c.setSCIM),
		"POST " + t + "/settings/keys":             c.team(service.ActSCIMManage, c.createKey),
		"POST " + t + "/settings/keys/{id}/revoke": c.team(service.ActSCIMManage, c.revokeKey),
		"POST " + t + "/settings/keys/{id}/rotate": c.team(service.ActSCIMManage, c.rotateKey),
		"POST " + t + "/settings/test-connection":  c.team(service.ActSCIMManage, c.testConnection),
		"GET " + t + "/settings/guides/{idp}":      c.team(service.ActTeamView, c.guidePage),
		"GET " + t + "/settings/guides":            c.team(service.ActTeamView, c.guideIndex),
		"GET " + t + "/members":                    c.team(service.ActMembersRead, c.membersPage),
		"GET " + t + "/members/{id}":               c.team(service.ActMembersRead, c.memberPage),
		"POST " + t + "/members/{id}/remove":       c.team(service.ActMembersManage, c.removeMember),
		"POST " + t + "/members/{id}/roles":        c.team(service.ActMembersManage, c.setMemberRoles),
		"GET " + t + "/settings/policies":          c.team(service.ActSCIMManage, c.policiesPage),
		"POST " + t + "/settings/policies":         c.team(service.ActSCIMManage, c.setPolicies),
		"GET " + t + "/invites":                    c.team(service.ActInvitesManage, c.invitesPage),
		"POST " + t + "/invites":                   c.team(service.ActInvitesManage, c.createInvite),
		"POST " + t + "/invites/{id}/resend":       c.team(service.ActInvitesManage, c.resendInvite),
		"POST " + t + "/invites/{id}/revoke":       c.team(service.ActInvitesManage, c.revokeInvite),
		"GET " + t + "/groups":                     c.team(service.ActMembersRead, c.groupsPage),
		"GET " + t + "/groups/{id}":                c.team(service.ActMembersRead, c.groupPage),
		"POST " + t + "/groups/{id}/roles":         c.team(service.ActMembersManage, c.setGroupRoles),
		"GET " + t + "/logs/audit":                 c.team(service.ActAuditRead, c.auditPage),
		"GET " + t + "/logs/audit/export":          c.team(service.ActAuditRead, c.auditExport),
		"GET " + t + "/logs/provisioning":          c.team(service.ActAuditRead, c.provLogPage),
		"GET " + t + "/logs/provisioning/{id}":     c.team(service.ActAuditRead, c.provEntryPage),
	}
}

// csp allows scripts and styles from this origin only: no inline script,
// no eval, no framing, forms post only here.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setHeaders sets the security headers every console response carries.
func setHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w.Header())
		h.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title   string
	Nav     string // the active section
	Account store.Account
	CSRF    string
	Teams   []service.Membership
	Team    *store.Team
	Caller  service.Caller
	Status  int
	Flash   string
	Error   string
	Data    any
	// MustChangePassword: the account may only change its password (or
	// sign out) until it has chosen its own.
	MustChangePassword bool

	r *http.Request
}

// Can reports whether the signed-in member may perform act in the team.
func (p *page) Can(act string) bool { return p.Team != nil && p.Caller.Can(service.Action(act)) }

// HasRole reports whether the signed-in member holds role in the team.
func (p *page) HasRole(role string) bool { return p.Caller.HasRole(role) }

// T is the current team's page prefix, /teams/{slug}.
func (p *page) T() string {
	if p.Team == nil {
		return ""
	}
	return "/teams/" + url.PathEscape(p.Team.Slug)
}

type handler func(w http.ResponseWriter, r *http.Request, p *page) error

// account wraps a page that needs a signed-in account.
func (c *Console) account(h handler) http.Handler {
	return c.wrap(h, "", false, false)
}

// ownPassword wraps the pages an account that must change its password
// may still use: the password form and signing out. Everything else
// answers the service's refusal, which sends the browser to the form.
func (c *Console) ownPassword(h handler) http.Handler {
	return c.wrap(h, "", false, true)
}

// team wraps a team page: signed in, an active member of {slug}, holding
// act (when not "").
func (c *Console) team(act service.Action, h handler) http.Handler {
	return c.wrap(h, act, true, false)
}

func (c *Console) wrap(h handler, act service.Action, inTeam, passwordForm bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w.Header())
		// Signed-in pages show personal data: never cache them.
		w.Header().Set("Cache-Control", "no-store")
		p := &page{r: r, Status: http.StatusOK}
		caller, csrf, err := c.session(r)
		if err != nil {
			if e, ok := service.AsError(err); ok && e.Kind == service.KindUnauthenticated {
				next := r.URL.RequestURI()
				if r.Method != http.MethodGet {
					next = r.Referer()
					if u, err := url.Parse(next); err == nil {
						next = u.RequestURI()
					}
				}
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
			c.fail(w, r, p, err)
			return
		}
		p.Caller, p.Account, p.CSRF = caller, caller.Account, csrf
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.PostFormValue(CSRFField)
			}
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) != 1 {
				c.fail(w, r, p, &service.Error{Kind: service.KindForbidden,
					Message: "This form has expired or did not come from this console (missing or wrong CSRF token). Go back, reload the page and try again."})
				return
			}
		}
		p.MustChangePassword = caller.Account.MustChangePassword
		if p.Teams, err = c.svc.AccountTeams(r.Context(), caller.Account); err != nil && !(passwordForm && service.IsPasswordChangeRequired(err)) {
			c.fail(w, r, p, err)
			return
		}
		if inTeam {
			tc, err := c.svc.TeamCaller(r.Context(), caller, r.PathValue("slug"))
			if err != nil {
				c.fail(w, r, p, err)
				return
			}
			p.Caller, p.Team = tc, &tc.Team
			if act != "" {
				if err := service.RequirePermission(tc, act); err != nil {
					c.fail(w, r, p, err)
					return
				}
			}
		}
		if err := h(w, r, p); err != nil {
			c.fail(w, r, p, err)
		}
	})
}

// session finds the caller of the session cookie (personal API tokens
// are not for browsers) and the session's CSRF token.
func (c *Console) session(r *http.Request) (service.Caller, string, error) {
	caller, csrf, ok, err := c.sessions.Cookie(r)
	if !ok {
		return service.Caller{}, "", service.Unauthorized("sign in first")
	}
	return caller, csrf, err
}

// render writes a page template with p.
func (c *Console) render(w http.ResponseWriter, name string, p *page) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.Status == 0 {
		p.Status = http.StatusOK
	}
	w.WriteHeader(p.Status)
	_, err := w.Write([]byte(b.String()))
	return err
}

// errorInfo turns an error into a status and a message for people.
func errorInfo(err error) (int, string) {
	if errors.Is(err, service.ErrBadCredentials) {
		return http.StatusUnauthorized, "Wrong email or password."
	}
	if e, ok := service.AsError(err); ok && e.Kind != service.KindInternal {
		return httpx.Status(e.Kind), e.Message
	}
	if errors.Is(err, service.ErrTeamNotFound) {
		return http.StatusNotFound, err.Error()
	}
	return http.StatusInternalServerError, ""
}

// fail renders the error page. The one refusal it doesn't render is the
// service's "choose a new password first": that sends the browser to
// the password form, and back here once it is done.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *page, err error) {
	if service.IsPasswordChangeRequired(err) {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/"
		}
		http.Redirect(w, r, "/account?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	status, msg := errorInfo(err)
	if status >= 500 {
		c.log.ErrorContext(r.Context(), "console request failed", "path", r.URL.Path, "err", err.Error())
		msg = "Something went wrong on our side. Try again; if it keeps happening, check the server log."
	}
	if e, ok := service.AsError(err); ok && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(e.RetryAfter/time.Second)+1))
	}
	p.Status, p.Error, p.Nav = status, msg, "error"
	p.Title = http.StatusText(status)
	if err := c.render(w, "error", p); err != nil {
		http.Error(w, msg, status)
	}
}

// formError re-renders a page with an error banner: the message of a
// refusal, or a plain error's text (the service's key functions return
// plain errors that are the caller's fault).
func formError(p *page, err error) {
	status, msg := errorInfo(err)
	if status == http.StatusInternalServerError {
		if _, ok := service.AsError(err); !ok {
			status, msg = http.StatusBadRequest, err.Error()
		}
	}
	p.Status, p.Error = status, msg
}

// redirect sends the browser to a page after a successful POST, with a
// short notice code the page turns into a sentence.
func redirect(w http.ResponseWriter, r *http.Request, to, notice string) error {
	if notice != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + url.QueryEscape(notice)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// notices are the sentences behind ?done= codes.
var notices = map[string]string{
	"scim-on":        "SCIM provisioning is on.",
	"scim-off":       "SCIM provisioning is off.",
	"key-revoked":    "The key was revoked. Requests with it are refused from now on.",
	"member-removed": "The member was removed from the team.",
	"invite-revoked": "The invite was revoked; its link no longer works.",
	"group-roles":    "The group's role bindings were saved.",
	"joined":         "Welcome: you accepted the invite and joined the team.",
	"member-roles":   "The member's roles were saved.",
	"policies":       "The team's policies were saved.",
	"password":       "Your password was changed. Your other sessions were signed out.",
	"email":          "Your email was changed: sign in with the new one from now on.",
	"token-revoked":  "The token was revoked. Requests with it are refused from now on.",
}

func (p *page) notice() {
	if p.Flash == "" {
		p.Flash = notices[p.r.URL.Query().Get("done")]
	}
}
