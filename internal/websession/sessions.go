// Package websession is the browser and script sign-in shared by the
// admin API and the console: session cookies, personal API tokens, CSRF
// tokens and cross-origin checks, and the sign-in limits (signin.go,
// docs/signin.md). Neither edge mounts or calls the other: both call this.
package websession

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/service"
)

// Cookie and header names of browser sessions.
const (
	SessionCookie = "roster_session"
	CSRFHeader    = "X-CSRF-Token"
)

// Config sets up sessions.
type Config struct {
	// PublicURL, when https://…, makes cookies Secure behind a TLS proxy.
	PublicURL string
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// SignIn bounds failed sign-ins and concurrent password checks.
	SignIn SignInLimits
	// Metrics counts sign-ins by outcome (metrics.go); nil counts nothing.
	Metrics *metrics.Metrics
}

// Sessions signs people in and finds who is calling.
type Sessions struct {
	svc     *service.Service
	cfg     Config
	limiter *signinLimiter
	gate    *passwordGate
}

// New sets up sessions over the service.
func New(svc *service.Service, cfg Config) *Sessions {
	cfg.SignIn.defaults()
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = service.DefaultSessionTTL
	}
	return &Sessions{svc: svc, cfg: cfg, limiter: newSigninLimiter(cfg.SignIn),
		gate: newPasswordGate(cfg.SignIn.PasswordConcurrency, cfg.SignIn.PasswordQueueWait)}
}

// secureCookies is true when the client reached us over TLS, directly or
// (as --public-url says) through a TLS-terminating proxy.
func (s *Sessions) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(s.cfg.PublicURL), "https://")
}

func (s *Sessions) setCookie(w http.ResponseWriter, r *http.Request, sess service.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.Session.Expires,
		MaxAge: int(time.Until(sess.Session.Expires).Seconds()), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r),
	})
}

// ClearCookie ends the session cookie in the browser.
func (s *Sessions) ClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r)})
}

// Cookie finds the caller of a session cookie and the session's CSRF
// token. ok is false when the request carries no session cookie; err is
// the service's refusal of a cookie it carries.
func (s *Sessions) Cookie(r *http.Request) (c service.Caller, csrf string, ok bool, err error) {
	ck, cerr := r.Cookie(SessionCookie)
	if cerr != nil || ck.Value == "" {
		return service.Caller{}, "", false, nil
	}
	acc, sess, err := s.svc.AuthenticateSession(r.Context(), ck.Value)
	if err != nil {
		return service.Caller{}, "", true, err
	}
	return service.Caller{Account: acc, Actor: service.AccountActor(acc, httpx.RequestID(r.Context()), httpx.ClientIP(r)),
		SessionHash: sess.TokenHash}, sess.CSRFToken, true, nil
}

// Token finds the caller of a personal API token (Bearer rpt_…).
func (s *Sessions) Token(r *http.Request, token string) (service.Caller, error) {
	ip := httpx.ClientIP(r)
	acc, t, err := s.svc.AuthenticateAPIToken(r.Context(), token, ip)
	if err != nil {
		return service.Caller{}, err
	}
	return service.Caller{Account: acc, Actor: service.TokenActor(t, httpx.RequestID(r.Context()), ip)}, nil
}

// ValidCSRF compares a request's CSRF token with the session's, in
// constant time.
func ValidCSRF(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Safe reports whether a method changes nothing (no CSRF token needed).
func Safe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// Login signs in under the sign-in limits and sets the session cookie.
func (s *Sessions) Login(w http.ResponseWriter, r *http.Request, email, password string) (service.LoginResult, error) {
	var res service.LoginResult
	err := s.checkPassword(r, accountKey(email), func() error {
		var err error
		res, err = s.svc.Login(r.Context(), email, password, httpx.ClientIP(r), r.UserAgent(), s.cfg.SessionTTL, httpx.RequestID(r.Context()))
		return err
	}, isBadCredentials)
	s.cfg.Metrics.SignIn(signInOutcome(err))
	if err != nil {
		return service.LoginResult{}, err
	}
	s.setCookie(w, r, res.Session)
	return res, nil
}

// AcceptInvite accepts an invite link under the sign-in limits: a wrong
// password for the invite's existing account counts against that account
// as a failed sign-in does, and a guessed (unknown, used or expired) token
// against the client IP. On success the session cookie is set.
func (s *Sessions) AcceptInvite(w http.ResponseWriter, r *http.Request, token, password string) (service.AcceptResult, error) {
	account := "" // unknown token: only the IP key counts
	if token != "" {
		if email, ok := s.svc.InviteEmail(r.Context(), token); ok {
			account = accountKey(email)
		}
	}
	var res service.AcceptResult
	err := s.checkPassword(r, account, func() error {
		var err error
		res, err = s.svc.AcceptInvite(r.Context(), token, password, httpx.ClientIP(r), r.UserAgent(), s.cfg.SessionTTL, httpx.RequestID(r.Context()))
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
	s.setCookie(w, r, res.Session)
	return res, nil
}

// ChangePassword changes the caller's password. A wrong current password
// is a failed sign-in (a stolen session must not be a way to guess it).
func (s *Sessions) ChangePassword(r *http.Request, c service.Caller, current, next string) error {
	return s.checkPassword(r, accountKey(c.Account.Email), func() error {
		return s.svc.ChangePassword(r.Context(), c, current, next)
	}, func(err error) bool {
		e, ok := service.AsError(err)
		return ok && e.Kind == service.KindForbidden && e.Field == "current_password"
	})
}

// Logout ends the caller's session and clears the cookie.
func (s *Sessions) Logout(w http.ResponseWriter, r *http.Request, c service.Caller) error {
	err := s.svc.Logout(r.Context(), c)
	s.ClearCookie(w, r)
	return err
}

// CrossOrigin is the first CSRF line, before the tokens: a state-changing
// request that a browser marks as cross-site (Sec-Fetch-Site, or an Origin
// other than this host) is refused by deny, in the edge's own format.
// Requests without those headers (scripts, older browsers) pass on to
// the CSRF token check. (An SSO assertion consumer, which an IdP posts to
// cross-site, must not be behind it.)
func CrossOrigin(next, deny http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(deny)
	return cop.Handler(next)
}
