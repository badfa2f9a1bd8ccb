package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// accountData is the account page: the password form always; the email,
// the personal API tokens and the teams once the password is the
// person's own.
type accountData struct {
	Next string // where to go once a required password change is done
	// EmailLockedBy names a team with SCIM on: its IdP owns the email
	// (and the password, unless one must be chosen now).
	EmailLockedBy string
	Email         string // the email form's value after a refusal
	Tokens        []store.APIToken
	NewToken      *service.NewAPIToken
	TokenName     string
	// Form is the form a refusal belongs to: "password", "email", "token".
	Form string
}

func (c *Console) accountData(r *http.Request, p *page, edit func(*accountData)) (*accountData, error) {
	d := &accountData{Next: safeNext(r.FormValue("next"))}
	if d.Next == "/" {
		d.Next = ""
	}
	for _, m := range p.Teams {
		if m.Team.SCIMEnabled {
			d.EmailLockedBy = m.Team.Slug
			break
		}
	}
	if !p.MustChangePassword {
		var err error
		if d.Tokens, err = c.svc.APITokens(r.Context(), p.Caller); err != nil {
			return nil, err
		}
	}
	if edit != nil {
		edit(d)
	}
	return d, nil
}

// accountPage is Account: your password, email, API tokens and teams. An
// account that must change its password sees the password form only.
func (c *Console) accountPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showAccount(w, r, p, nil)
}

func (c *Console) showAccount(w http.ResponseWriter, r *http.Request, p *page, edit func(*accountData)) error {
	d, err := c.accountData(r, p, edit)
	if err != nil {
		return err
	}
	p.Title, p.Nav, p.Data = "Your account", "account", d
	if p.MustChangePassword {
		p.Title = "Choose your password"
	}
	p.notice()
	return c.render(w, "account", p)
}

func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, p *page) error {
	current, next, confirm := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	if next != confirm {
		formError(p, service.BadRequest("confirm_password", "The two new passwords differ."))
		return c.showAccount(w, r, p, func(d *accountData) { d.Form = "password" })
	}
	// A wrong current password counts as a failed sign-in (the sessions'
	// limits): a stolen session is no way to guess it.
	if err := c.sessions.ChangePassword(r, p.Caller, current, next); err != nil {
		if e, ok := service.AsError(err); ok && e.RetryAfter > 0 {
			setRetryAfter(w, e)
		}
		formError(p, err)
		return c.showAccount(w, r, p, func(d *accountData) { d.Form = "password" })
	}
	// A required change goes on to where the person was going; a chosen
	// one comes back to the account page.
	to := "/account"
	if p.MustChangePassword {
		if to = safeNext(r.PostFormValue("next")); strings.HasPrefix(to, "/account") {
			to = "/"
		}
	}
	return redirect(w, r, to, "password")
}

func (c *Console) changeEmail(w http.ResponseWriter, r *http.Request, p *page) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if _, err := c.svc.ChangeEmail(r.Context(), p.Caller, email); err != nil {
		formError(p, err)
		return c.showAccount(w, r, p, func(d *accountData) { d.Form, d.Email = "email", email })
	}
	return redirect(w, r, "/account", "email")
}

func (c *Console) createToken(w http.ResponseWriter, r *http.Request, p *page) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	nt, err := c.svc.CreateAPIToken(r.Context(), p.Caller, name)
	if err != nil {
		formError(p, err)
		return c.showAccount(w, r, p, func(d *accountData) { d.Form, d.TokenName = "token", name })
	}
	// The page shows the secret once: never stored anywhere.
	w.Header().Set("Cache-Control", "no-store")
	p.Status = http.StatusCreated
	p.Flash = "Token “" + nt.Token.Name + "” created."
	return c.showAccount(w, r, p, func(d *accountData) { d.NewToken = &nt })
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := c.svc.RevokeAPIToken(r.Context(), p.Caller, r.PathValue("id")); err != nil {
		formError(p, err)
		return c.showAccount(w, r, p, func(d *accountData) { d.Form = "token" })
	}
	return redirect(w, r, "/account", "token-revoked")
}

// setRetryAfter tells the browser when a rate-limited form may be sent
// again.
func setRetryAfter(w http.ResponseWriter, e *service.Error) {
	w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter/time.Second)+1))
}
