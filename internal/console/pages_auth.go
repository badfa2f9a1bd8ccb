package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return "—"
	},
	// at is a log's time, to the second.
	"at": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if !v.IsZero() {
				return v.UTC().Format("2006-01-02 15:04:05 UTC")
			}
		case *time.Time:
			if v != nil && !v.IsZero() {
				return v.UTC().Format("2006-01-02 15:04:05 UTC")
			}
		}
		return "—"
	},
	"ago": func(now time.Time, t any) string {
		switch v := t.(type) {
		case time.Time:
			return ago(now, v)
		case *time.Time:
			if v != nil {
				return ago(now, *v)
			}
		}
		return "never"
	},
	"plural": plural,
	// shortID shows the start of a long id (the whole one is its title).
	"shortID": func(id string) string {
		if len(id) > 13 {
			return id[:8] + "…"
		}
		return id
	},
	// hasEnabled: some role of the form can be changed.
	"hasEnabled": func(rs []roleChoice) bool {
		for _, r := range rs {
			if !r.Disabled {
				return true
			}
		}
		return false
	},
	"neg":  func(n int) int { return -n },
	"add2": func(a, b float64) float64 { return a + b },
	"sub2": func(a, b float64) float64 { return a - b },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"num": func(n int) string {
		s := fmt.Sprint(n)
		for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	},
	"lower": strings.ToLower,
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

type signinData struct {
	Email string
	Next  string
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p := &page{r: r, Title: "Sign in", Data: signinData{Next: safeNext(r.URL.Query().Get("next"))}}
	if _, _, err := c.session(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if r.URL.Query().Get("done") == "signed-out" {
		p.Flash = "You are signed out."
	}
	if err := c.render(w, "signin", p); err != nil {
		c.fail(w, r, p, err)
	}
}

// signin needs no CSRF token: there is no session yet to ride on, and the
// cookie it sets is SameSite=Lax.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	email, next := strings.TrimSpace(r.PostFormValue("email")), safeNext(r.PostFormValue("next"))
	p := &page{r: r, Title: "Sign in", Data: signinData{Email: email, Next: next}}
	if err := c.login(w, r, email, r.PostFormValue("password")); err != nil {
		c.refuse(w, r, p, "signin", err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// login checks the form's email and password under the shared sign-in
// limits and sets the session cookie.
func (c *Console) login(w http.ResponseWriter, r *http.Request, email, password string) error {
	if strings.TrimSpace(email) == "" {
		return service.BadRequest("email", "enter your email")
	}
	if password == "" {
		return service.BadRequest("password", "enter your password")
	}
	_, err := c.sessions.Login(w, r, email, password)
	return err
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, p *page) error {
	_ = c.sessions.Logout(w, r, p.Caller)
	http.Redirect(w, r, "/signin?done=signed-out", http.StatusSeeOther)
	return nil
}

// home sends the account to its team (or the team list when it has several).
func (c *Console) home(w http.ResponseWriter, r *http.Request, p *page) error {
	if len(p.Teams) == 1 {
		to := "/teams/" + url.PathEscape(p.Teams[0].Team.Slug) + "/"
		if done := r.URL.Query().Get("done"); notices[done] != "" {
			to += "?done=" + url.QueryEscape(done)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	p.notice()
	return c.teamList(w, r, p)
}

func (c *Console) teamList(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = "Your teams"
	return c.render(w, "teams", p)
}

type inviteData struct {
	Token string
}

// invitePage is where an invite link lands (/invite?token=…): the person
// chooses a password (or gives their existing account's) and joins. The
// token rides in the query string, which the request log never records.
func (c *Console) invitePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL holds the token
	p := &page{r: r, Title: "Accept your invite", Data: inviteData{Token: strings.TrimSpace(r.URL.Query().Get("token"))}}
	if err := c.render(w, "invite", p); err != nil {
		c.fail(w, r, p, err)
	}
}

// acceptInvite needs no CSRF token for the same reason sign-in doesn't:
// there is no session to ride on, and the link token is the credential.
func (c *Console) acceptInvite(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := strings.TrimSpace(r.PostFormValue("token"))
	p := &page{r: r, Title: "Accept your invite", Data: inviteData{Token: token}}
	fail := func(status int, msg string) {
		p.Status, p.Error = status, msg
		if err := c.render(w, "invite", p); err != nil {
			c.fail(w, r, p, err)
		}
	}
	if token == "" {
		fail(http.StatusBadRequest, "Paste the invite token from your invite link.")
		return
	}
	pass := r.PostFormValue("password")
	if confirm := r.PostFormValue("confirm"); confirm != "" && confirm != pass {
		fail(http.StatusBadRequest, "The two passwords differ.")
		return
	}
	res, err := c.sessions.AcceptInvite(w, r, token, pass)
	slug := res.Team.Slug
	if err != nil {
		c.refuse(w, r, p, "invite", err)
		return
	}
	http.Redirect(w, r, "/teams/"+url.PathEscape(slug)+"/?done=joined", http.StatusSeeOther)
}

// refuse shows a public form again with why it was refused (and
// Retry-After on a 429); a failure of ours is the error page.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, p *page, form string, err error) {
	status, msg := errorInfo(err)
	if status >= 500 {
		c.fail(w, r, p, err)
		return
	}
	if e, ok := service.AsError(err); ok && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(e.RetryAfter/time.Second)+1))
	}
	p.Status, p.Error = status, msg
	if err := c.render(w, form, p); err != nil {
		c.fail(w, r, p, err)
	}
}
