// Package ssoapi is the single sign-on edge: the URLs an IdP and a
// person's browser reach during an SSO sign-in (docs/sso.md).
//
//	GET  /sso                          the sign-in page: an email (or a team), sent to its team's IdP
//	POST /sso                          the same, submitted
//	GET  /sso/login/{id}               starts a sign-in through connection id: 302 to the IdP
//	POST /sso/link/{id}                a signed-in account links itself to connection id (CSRF token)
//	POST /sso/saml/{id}/acs            the SAML assertion consumer service (HTTP-POST binding)
//	GET  /sso/saml/{id}/metadata       Roster's SAML SP metadata for connection id
//	GET  /sso/oidc/{id}/callback       the OpenID Connect redirect URI
//
// The ACS and the OIDC callback receive cross-site requests from the
// IdP's pages: they are not behind the console's CSRF or cross-origin
// checks, and keep no state in cookies (a SameSite=Lax cookie is not sent
// with a cross-site POST): the state of a sign-in Roster started is in the
// database (service.BeginSignIn), found by the RelayState or OIDC state.
// The protocols are checked by internal/ssoproto, the rules applied by the
// service; a success sets the roster_session cookie (websession) and
// answers 303, a refusal answers 4xx with a page that gives the trace's
// reference.
package ssoapi

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/websession"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// Handler serves the SSO URLs.
type Handler struct {
	svc      *service.Service
	log      *slog.Logger
	sessions *websession.Sessions
	tools    *ssoproto.Tools
	mux      *http.ServeMux
}

// New builds the SSO edge. tools is shared with the admin API and the
// console (the origin, the fetcher, the OIDC relying party).
func New(svc *service.Service, log *slog.Logger, sessions *websession.Sessions, tools *ssoproto.Tools) *Handler {
	if tools.OIDC.Now == nil {
		tools.OIDC.Now = func() time.Time { return svc.Now() }
	}
	h := &Handler{svc: svc, log: log, sessions: sessions, tools: tools, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+service.SSOPathSignIn, h.signInPage)
	h.mux.HandleFunc("POST "+service.SSOPathSignIn, h.signIn)
	h.mux.HandleFunc("GET "+service.SSOPathLogin+"{id}", h.login)
	h.mux.HandleFunc("POST "+service.SSOPathLink+"{id}", h.link)
	h.mux.HandleFunc("POST "+service.SSOPathSAML+"{id}"+service.SSOACSSuffix, h.acs)
	h.mux.HandleFunc("GET "+service.SSOPathSAML+"{id}"+service.SSOMetaSuffix, h.metadata)
	h.mux.HandleFunc("GET "+service.SSOPathOIDC+"{id}"+service.SSOOIDCCallback, h.callback)
	h.mux.HandleFunc(service.SSOPathSignIn+"/", h.notFound)
	return h
}

// Mount registers the SSO URLs on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle(service.SSOPathSignIn, h)
	mux.Handle(service.SSOPathSignIn+"/", h)
}

// ServeHTTP serves one SSO request; a panic becomes its error page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setHeaders(w.Header())
	_, pattern := h.mux.Handler(r)
	httpx.NoteRoute(r, pattern) // the route, for the metrics and the access log
	httpx.Recover(h.log, func(w http.ResponseWriter, r *http.Request, err error) { h.fail(w, r, err) }, h.mux).ServeHTTP(w, r)
}

// csp allows nothing but this origin's styles (no script at all). It
// sets no form-action: the sign-in form's answer redirects to the IdP,
// wherever that is.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"

func setHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (h *Handler) meta(r *http.Request) service.SSOMeta {
	return service.SSOMeta{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestID(r.Context())}
}

// login starts a sign-in: 302 to the IdP.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	h.start(w, r, "", http.StatusFound)
}

// link starts a sign-in that links the signed-in account to the
// connection (an explicit link). It is a form post from the console,
// with the session's CSRF token.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok, err := h.sessions.Cookie(r)
	if !ok {
		err = service.Unauthorized("sign in first: linking SSO to your account needs you signed in to it")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	got := r.Header.Get(websession.CSRFHeader)
	if got == "" {
		got = r.PostFormValue("csrf_token")
	}
	if !websession.ValidCSRF(got, csrf) {
		h.fail(w, r, service.Forbidden("this form has expired or did not come from Roster (missing or wrong CSRF token); go back, reload the page and try again"))
		return
	}
	h.start(w, r, c.Account.ID, 0)
}

// start begins a sign-in and sends the browser to the IdP: a redirect
// with status, or (status 0) a page that goes on by itself, for a form
// posted from a page whose CSP lets forms lead nowhere but Roster.
func (h *Handler) start(w http.ResponseWriter, r *http.Request, linkAccount string, status int) {
	st, err := h.svc.BeginSignIn(r.Context(), r.PathValue("id"), linkAccount, h.meta(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var to string
	if st.Connection.SAML != nil {
		to, err = ssoproto.SPOf(st.Connection, h.svc.Now()).AuthnRequestURL(st.RequestID, st.State)
	} else {
		var v *service.SSOVerdict
		if to, v = h.tools.OIDC.AuthURL(r.Context(), st.Connection, st.State, st.Nonce, st.Verifier); v != nil {
			err = h.svc.FailSignIn(r.Context(), service.SSOAnswer{Connection: st.Connection, Meta: h.meta(r)}, *v)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if status == 0 {
		h.render(w, "continue.html", http.StatusOK, map[string]string{"URL": to, "Connection": st.Connection.Name})
		return
	}
	http.Redirect(w, r, to, status)
}

// acs is the SAML assertion consumer service.
func (h *Handler) acs(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, service.BadRequest("", "the form could not be read: %v", err))
		return
	}
	ctx := r.Context()
	a, err := h.svc.ReceiveAnswer(ctx, r.PathValue("id"), r.PostForm.Get("RelayState"), h.meta(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if a.Connection.SAML == nil {
		h.fail(w, r, service.NotFound("no SAML connection %q", a.Connection.ID))
		return
	}
	requestID := ""
	if a.State != nil {
		requestID = a.State.RequestID
	}
	sp := ssoproto.SPOf(a.Connection, h.svc.Now())
	claims, v := sp.Verify(r.PostForm.Get("SAMLResponse"), requestID, func(id string, exp time.Time) (bool, error) {
		return h.svc.UseAssertionID(ctx, a, id, exp)
	})
	if v != nil {
		h.fail(w, r, h.svc.FailSignIn(ctx, a, *v))
		return
	}
	h.complete(w, r, a, claims)
}

// callback is the OIDC redirect URI.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	a, err := h.svc.ReceiveAnswer(ctx, r.PathValue("id"), q.Get("state"), h.meta(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if a.Connection.OIDC == nil {
		h.fail(w, r, service.NotFound("no OpenID Connect connection %q", a.Connection.ID))
		return
	}
	switch {
	case a.State == nil:
		err = h.svc.FailSignIn(ctx, a, service.SSOVerdict{Code: service.SSOBadState, Message: "the state names no pending sign-in of this connection"})
	case q.Get("error") != "":
		err = h.svc.FailSignIn(ctx, a, service.SSOVerdict{Code: service.SSOIdPError,
			Message: "the IdP answered " + truncate(q.Get("error"), 100) + ": " + truncate(q.Get("error_description"), 300)})
	case q.Get("code") == "":
		err = h.svc.FailSignIn(ctx, a, service.SSOVerdict{Code: service.SSOIdPError, Message: "the callback carries no authorization code"})
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	claims, v := h.tools.OIDC.Exchange(ctx, a.Connection, q.Get("code"), a.State.Verifier, a.State.Nonce)
	if v != nil {
		h.fail(w, r, h.svc.FailSignIn(ctx, a, *v))
		return
	}
	h.complete(w, r, a, claims)
}

// complete applies the rules, opens the session and sends the browser on.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, a service.SSOAnswer, claims service.SSOClaims) {
	res, err := h.svc.CompleteSignIn(r.Context(), a, claims, h.sessions.SessionTTL())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.OpenSSOSession(w, r, res)
	http.SetCookie(w, &http.Cookie{Name: service.SSOTeamCookie, Value: res.Team.Slug, Path: service.SSOPathSignIn, MaxAge: 180 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	http.Redirect(w, r, "/teams/"+url.PathEscape(res.Team.Slug)+"/", http.StatusSeeOther)
}

func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(h.tools.PublicURL), "https://")
}

// metadata serves Roster's SP metadata for a SAML connection.
func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.SSOConnectionByID(r.Context(), r.PathValue("id"))
	if err == nil && c.SAML == nil {
		err = service.NotFound("no SAML connection %q", c.ID)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := ssoproto.SPOf(c, h.svc.Now()).Metadata()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `inline; filename="roster-sp-metadata.xml"`)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, service.NotFound("no SSO page at %s", r.URL.Path))
}

// signInData is what the sign-in page shows.
type signInData struct {
	Email, Team string
	Remembered  string
	Error       string
	Status      int
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	d := signInData{Team: r.URL.Query().Get("team")}
	if ck, err := r.Cookie(service.SSOTeamCookie); err == nil && d.Team == "" {
		d.Remembered = ck.Value
	}
	h.render(w, "signin.html", http.StatusOK, d)
}

// signIn sends a person to their team's IdP: the team they name (or the
// one the page remembered), or the one team that allows their email's
// domain. It changes nothing, so it needs no CSRF token.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	d := signInData{Email: strings.TrimSpace(r.PostFormValue("email")), Team: strings.TrimSpace(r.PostFormValue("team"))}
	if d.Team == "" && d.Email == "" {
		d.Team = strings.TrimSpace(r.PostFormValue("remembered"))
	}
	choice, err := h.svc.ChooseSignIn(r.Context(), d.Email, d.Team)
	if err != nil {
		status, msg := errorInfo(err)
		d.Error, d.Status = msg, status
		h.render(w, "signin.html", status, d)
		return
	}
	http.Redirect(w, r, service.SSOPathLogin+url.PathEscape(choice.Connection.ID), http.StatusSeeOther)
}

// failData is what the error page shows.
type failData struct {
	Status    int
	Title     string
	Message   string
	Code      string
	Reference string
}

func errorInfo(err error) (int, string) {
	if e, ok := service.AsError(err); ok && e.Kind != service.KindInternal {
		return httpx.Status(e.Kind), e.Message
	}
	return http.StatusInternalServerError, "Something went wrong on Roster's side. Try again; if it keeps happening, ask your Roster operator to check the server log."
}

// fail renders a refusal: its status, what the person can do, and the
// trace's reference for the team's admins.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := errorInfo(err)
	d := failData{Status: status, Message: msg, Title: http.StatusText(status)}
	if f, ok := service.AsSSOFailure(err); ok {
		d.Code, d.Reference = f.Code, f.TraceID
		if status >= 500 {
			d.Message = f.Err.Message
		}
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "sso request failed", "path", r.URL.Path, "err", err.Error())
	} else {
		h.log.InfoContext(r.Context(), "sso sign-in refused", "path", r.URL.Path, "status", status, "code", d.Code, "trace", d.Reference)
	}
	if errors.Is(err, service.ErrBadCredentials) {
		d.Status = http.StatusUnauthorized
	}
	h.render(w, "error.html", d.Status, d)
}

func (h *Handler) render(w http.ResponseWriter, name string, status int, data any) {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		h.log.Error("sso page", "template", name, "err", err.Error())
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
