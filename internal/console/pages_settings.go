package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

type keyRow struct {
	Key    store.SCIMKey
	Status string
}

type testResult struct {
	OK     bool
	Title  string
	Detail string
	Status int
	Body   string
}

type authData struct {
	BaseURL  string
	Keys     []keyRow
	NewKey   *service.NewKey
	Rotated  string // the old key's name and when it stops, after a rotation
	Test     *testResult
	KeyName  string
	Expiry   string
	Expiries []option
	Graces   []option
}

type option struct{ Value, Label string }

var expiries = []option{{"", "Never"}, {"720h", "30 days"}, {"2160h", "90 days"}, {"4320h", "180 days"}, {"8760h", "1 year"}}
var graces = []option{{"0s", "Stop the old key now"}, {"1h", "Keep the old key 1 hour"}, {"24h", "Keep the old key 24 hours"}, {"168h", "Keep the old key 7 days"}}

func (c *Console) authData(r *http.Request, p *page) (*authData, error) {
	d := &authData{BaseURL: c.baseURL(r), Expiries: expiries, Graces: graces}
	keys, err := c.svc.ListKeys(r.Context(), p.Team.Slug)
	if err != nil {
		return nil, err
	}
	now := c.svc.Now()
	// Newest first: the key just made is at the top.
	for i := len(keys) - 1; i >= 0; i-- {
		d.Keys = append(d.Keys, keyRow{Key: keys[i], Status: service.KeyStatus(keys[i], now)})
	}
	return d, nil
}

// authPage is Team settings → Authentication.
func (c *Console) authPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showAuth(w, r, p, nil)
}

func (c *Console) showAuth(w http.ResponseWriter, r *http.Request, p *page, edit func(*authData)) error {
	d, err := c.authData(r, p)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(d)
	}
	p.Title, p.Nav, p.Data = "Authentication", "auth", d
	p.notice()
	return c.render(w, "auth", p)
}

func (c *Console) setSCIM(w http.ResponseWriter, r *http.Request, p *page) error {
	on := r.PostFormValue("enabled") == "true"
	if _, err := c.svc.SetTeamSCIM(r.Context(), p.Caller, on); err != nil {
		formError(p, err)
		return c.showAuth(w, r, p, nil)
	}
	notice := "scim-off"
	if on {
		notice = "scim-on"
	}
	return redirect(w, r, p.T()+"/settings/authentication", notice)
}

func (c *Console) createKey(w http.ResponseWriter, r *http.Request, p *page) error {
	name, exp := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("expires_in")
	var expiresAt *time.Time
	if exp != "" {
		d, err := time.ParseDuration(exp)
		if err != nil || d <= 0 {
			formError(p, service.BadRequest("expires_in", "choose an expiry from the list"))
			return c.showAuth(w, r, p, func(d *authData) { d.KeyName = name })
		}
		t := c.svc.Now().Add(d)
		expiresAt = &t
	}
	if name == "" {
		formError(p, service.BadRequest("name", "Give the key a name, such as the IdP that will use it (okta)."))
		return c.showAuth(w, r, p, func(d *authData) { d.Expiry = exp })
	}
	if len(name) > 100 {
		formError(p, service.BadRequest("name", "A key name can have at most 100 characters."))
		return c.showAuth(w, r, p, func(d *authData) { d.Expiry = exp })
	}
	nk, err := c.svc.CreateKey(r.Context(), p.Team.Slug, name, expiresAt, p.Caller.Actor)
	if err != nil {
		formError(p, err)
		return c.showAuth(w, r, p, func(d *authData) { d.KeyName, d.Expiry = name, exp })
	}
	// The page shows the secret: it must never be stored anywhere.
	w.Header().Set("Cache-Control", "no-store")
	p.Status = http.StatusCreated
	return c.showAuth(w, r, p, func(d *authData) { d.NewKey = &nk })
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := c.svc.RevokeKey(r.Context(), p.Team.Slug, r.PathValue("id"), p.Caller.Actor); err != nil {
		formError(p, err)
		return c.showAuth(w, r, p, nil)
	}
	return redirect(w, r, p.T()+"/settings/authentication", "key-revoked")
}

func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request, p *page) error {
	grace, err := service.ParseGrace(r.PostFormValue("grace"))
	if err != nil || r.PostFormValue("grace") == "" {
		formError(p, service.BadRequest("grace", "choose a grace period from the list"))
		return c.showAuth(w, r, p, nil)
	}
	nk, err := c.svc.RotateKey(r.Context(), p.Team.Slug, r.PathValue("id"), grace, p.Caller.Actor)
	if err != nil {
		formError(p, err)
		return c.showAuth(w, r, p, nil)
	}
	w.Header().Set("Cache-Control", "no-store")
	p.Status = http.StatusCreated
	stops := "at once"
	if grace > 0 {
		stops = "at " + c.svc.Now().Add(grace).UTC().Format("2006-01-02 15:04 UTC")
	}
	return c.showAuth(w, r, p, func(d *authData) {
		d.NewKey = &nk
		d.Rotated = fmt.Sprintf("The previous %q key stops working %s.", nk.Key.Name, stops)
	})
}

// testConnection does what Okta's "Test API Credentials" does: GET
// /Users?startIndex=1&count=2 with the pasted key, in process, through
// the whole server (so it is logged like any SCIM request), and says
// what happened in words.
func (c *Console) testConnection(w http.ResponseWriter, r *http.Request, p *page) error {
	key := strings.TrimSpace(r.PostFormValue("key"))
	key = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(key, "Bearer "), "bearer "))
	w.Header().Set("Cache-Control", "no-store")
	res := c.runTest(r, p, key)
	return c.showAuth(w, r, p, func(d *authData) { d.Test = res })
}

func (c *Console) runTest(r *http.Request, p *page, key string) *testResult {
	if key == "" {
		return &testResult{Title: "Paste a SCIM API key to test", Detail: "The test calls this team's SCIM endpoint with the key you paste, as your identity provider will."}
	}
	if teamID, ok := c.svc.KeyTeamID(r.Context(), key); ok && teamID != p.Team.ID {
		return &testResult{Title: "This key is not one of this team's keys",
			Detail: "Each team has its own keys. Generate a key on this page and paste that one."}
	}
	code, raw := c.probe(r, key)
	res := &testResult{Status: code, Body: truncateBody(string(raw), 2000)}
	var body struct {
		TotalResults int    `json:"totalResults"`
		Resources    []any  `json:"Resources"`
		Detail       string `json:"detail"`
	}
	_ = json.Unmarshal(raw, &body)
	switch {
	case code == http.StatusOK:
		res.OK = true
		res.Title = "Connection works"
		res.Detail = fmt.Sprintf("GET /Users?startIndex=1&count=2 answered 200 OK with %d of the team's %d SCIM users. Your IdP's test with this key will pass.",
			len(body.Resources), body.TotalResults)
	case code == http.StatusUnauthorized:
		res.Title = "The key was refused (401 Unauthorized)"
		res.Detail = body.Detail + ". Your IdP would show a failed credentials test."
	case code == http.StatusForbidden:
		res.Title = "The key is valid, but SCIM provisioning is off (403 Forbidden)"
		res.Detail = body.Detail + ". Turn SCIM provisioning on above, then test again."
	case code == http.StatusTooManyRequests:
		res.Title = "Rate limited (429 Too Many Requests)"
		res.Detail = "The team is over its SCIM request rate; wait a few seconds and test again."
	default:
		res.Title = fmt.Sprintf("Unexpected answer: %d %s", code, http.StatusText(code))
		res.Detail = body.Detail
	}
	res.Detail = strings.ReplaceAll(res.Detail, "..", ".")
	return res
}

func truncateBody(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// policiesData is Team settings → Policies: the seat limit and what
// deleting a group does to its members.
type policiesData struct {
	SeatsUsed  int
	SeatLimit  string // the form's value
	Deactivate bool
}

func (c *Console) policiesPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showPolicies(w, r, p, nil)
}

func (c *Console) showPolicies(w http.ResponseWriter, r *http.Request, p *page, edit func(*policiesData)) error {
	used, err := c.svc.SeatsUsed(r.Context(), p.Team.ID)
	if err != nil {
		return err
	}
	d := &policiesData{SeatsUsed: used, SeatLimit: strconv.Itoa(p.Team.SeatLimit), Deactivate: p.Team.GroupDeleteDeactivates}
	if edit != nil {
		edit(d)
	}
	p.Title, p.Nav, p.Data = "Policies", "policies", d
	p.notice()
	return c.render(w, "policies", p)
}

func (c *Console) setPolicies(w http.ResponseWriter, r *http.Request, p *page) error {
	raw := strings.TrimSpace(r.PostFormValue("seat_limit"))
	deactivate := r.PostFormValue("group_delete") == "deactivate"
	keep := func(d *policiesData) { d.SeatLimit, d.Deactivate = raw, deactivate }
	if raw == "" {
		raw = "0"
	}
	limit, err := strconv.Atoi(raw)
	if err != nil {
		formError(p, service.BadRequest("seat_limit", "The seat limit is a whole number of seats (0 for no limit), not %q.", raw))
		return c.showPolicies(w, r, p, keep)
	}
	if _, err := c.svc.SetTeamPolicies(r.Context(), p.Team.Slug, &limit, &deactivate, p.Caller.Actor); err != nil {
		formError(p, err)
		return c.showPolicies(w, r, p, keep)
	}
	return redirect(w, r, p.T()+"/settings/policies", "policies")
}

var errGuideNotFound = service.NotFound("there is no setup guide for that identity provider: Okta, Microsoft Entra ID, OneLogin and JumpCloud have one")
