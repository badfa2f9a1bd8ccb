package browsertest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssotest"
)

// TestSSOThroughSAMLIdP: an admin connects the team's SAML IdP in the
// console (pasting its metadata); a member signs in on /sso through the
// IdP in headless Chromium: the IdP's page posts the response to the ACS
// cross-site (the IdP is on localhost, Roster on 127.0.0.1: another
// site), Roster answers with the session cookie and the team's overview.
// A person the team doesn't have is refused with a page that gives the
// trace's reference, which the admin finds in the sign-in traces.
func TestSSOThroughSAMLIdP(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	e.seed(12)
	idp := ssotest.NewSAMLIdPOn(t, "localhost")
	ctx := context.Background()
	team, _ := e.svc.Team(ctx, "acme")
	if _, err := e.svc.CreateUser(ctx, service.Principal{Team: team}, service.Actor{Kind: "scim-key", Name: "okta"}, map[string]any{
		"userName": "ana@acme.example", "displayName": "Ana Lima", "name": map[string]any{"givenName": "Ana", "familyName": "Lima"},
		"emails": []any{map[string]any{"value": "ana@acme.example", "type": "work", "primary": true}}}); err != nil {
		t.Fatal(err)
	}

	// The admin adds the connection in the console.
	admin := newBrowser(t)
	run(t, admin, "sign in",
		chromedp.Navigate(e.url+"/signin"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, e.admin, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, e.pass, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitVisible(`.side`, chromedp.ByQuery),
		chromedp.Navigate(e.url+"/teams/acme/settings/sso"),
		chromedp.WaitVisible(`#add-saml`, chromedp.ByQuery))
	run(t, admin, "add the SAML connection",
		chromedp.SetValue(`#saml-preset`, "okta", chromedp.ByQuery),
		chromedp.SetValue(`#saml-name`, "Okta", chromedp.ByQuery),
		chromedp.SetValue(`#saml-md`, string(idp.Metadata()), chromedp.ByQuery),
		chromedp.Click(`#add-saml`, chromedp.ByQuery),
		chromedp.WaitVisible(`.notice.ok`, chromedp.ByQuery))
	conns, err := e.svc.ListSSOConnections(ctx, "acme")
	if err != nil || len(conns) != 1 {
		t.Fatalf("connections after the console's form: %d, %v", len(conns), err)
	}
	conn := conns[0]
	var acs string
	run(t, admin, "the ACS URL to copy", chromedp.Value(`#acs-`+conn.ID, &acs, chromedp.ByQuery))
	if acs != e.url+"/sso/saml/"+conn.ID+"/acs" {
		t.Fatalf("the console shows the ACS URL %q", acs)
	}
	shot(t, admin, "sso-settings")

	// The IdP gets Roster's SP metadata from its URL.
	resp, err := http.Get(conn.SPMetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	idp.AddSP(md)

	// Ana signs in on /sso, naming her team.
	idp.SignInAs(&ssotest.User{NameID: "ana@acme.example", Email: "ana@acme.example", FirstName: "Ana", LastName: "Lima"})
	ana := newBrowser(t)
	run(t, ana, "the SSO sign-in page",
		chromedp.Navigate(e.url+"/sso"),
		chromedp.WaitVisible(`#team`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "ana@acme.example", chromedp.ByQuery),
		chromedp.SendKeys(`#team`, "acme", chromedp.ByQuery))
	shot(t, ana, "sso-signin")
	var who, url string
	run(t, ana, "sign in through the IdP",
		chromedp.Submit(`#team`, chromedp.ByQuery),
		chromedp.WaitVisible(`#overview-stats`, chromedp.ByQuery),
		chromedp.Text(`.who`, &who, chromedp.ByQuery),
		chromedp.Location(&url))
	if strings.TrimSpace(who) != "ana@acme.example" || url != e.url+"/teams/acme/" {
		t.Fatalf("after the SSO sign-in: %q at %s", who, url)
	}
	// The page remembers her team next time.
	var remembered string
	run(t, ana, "the remembered team",
		chromedp.Navigate(e.url+"/sso"),
		chromedp.WaitReady(`input[name=remembered]`, chromedp.ByQuery),
		chromedp.Value(`input[name=remembered]`, &remembered, chromedp.ByQuery))
	if remembered != "acme" {
		t.Errorf("remembered team %q", remembered)
	}

	// Someone the team doesn't have.
	idp.SignInAs(&ssotest.User{NameID: "mallory@acme.example", Email: "mallory@acme.example"})
	mallory := newBrowser(t)
	var ref string
	run(t, mallory, "a refused sign-in",
		chromedp.Navigate(conn.LoginURL()),
		chromedp.WaitVisible(`#trace-ref`, chromedp.ByQuery),
		chromedp.Text(`#trace-ref`, &ref, chromedp.ByQuery))
	shot(t, mallory, "sso-refused")
	tr, err := e.svc.SSOTrace(ctx, "acme", strings.TrimSpace(ref))
	if err != nil || tr.Error != service.SSOUnknownMember {
		t.Fatalf("the refusal's trace %q: %+v, %v", ref, tr, err)
	}

	// The admin sees why in the sign-in traces.
	var code string
	run(t, admin, "sign-in traces",
		chromedp.Navigate(e.url+"/teams/acme/logs/sso"),
		chromedp.WaitVisible(`#traces`, chromedp.ByQuery))
	shot(t, admin, "sso-traces")
	run(t, admin, "a trace",
		chromedp.Navigate(e.url+"/teams/acme/logs/sso/"+tr.ID),
		chromedp.WaitVisible(`#trace-error`, chromedp.ByQuery),
		chromedp.Text(`#trace-error`, &code, chromedp.ByQuery))
	if code != service.SSOUnknownMember {
		t.Errorf("the trace page says %q", code)
	}
	run(t, admin, "the Okta SSO guide",
		chromedp.Navigate(e.url+"/teams/acme/settings/sso/guides/okta"),
		chromedp.WaitVisible(`.steps`, chromedp.ByQuery))
	shot(t, admin, "sso-guide-okta")
}
