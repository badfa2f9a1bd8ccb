// Package browsertest drives the admin web console in headless Chromium
// (the Debian chromium package, /usr/bin/chromium) through chromedp, the
// way an admin connecting Okta uses it. Without Chromium the tests skip,
// except under CI=true, where .ci/run installs it and they must run.
//
// With ROSTER_SCREENSHOTS=1 they also write the screenshots in
// docs/screenshots/ that the README shows.
package browsertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

const chromium = "/usr/bin/chromium"

func TestMain(m *testing.M) {
	testserver.CheapPasswordHashes()
	os.Exit(m.Run())
}

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing: .ci/run installs it (apt-get install chromium chromium-driver)", chromium)
		}
		t.Skipf("browser tests skipped: %s not found (apt-get install -y chromium chromium-driver); under CI=true they run", chromium)
	}
}

type env struct {
	t     *testing.T
	url   string
	api   *server.Server
	svc   *service.Service
	st    store.Store
	team  store.Team
	admin string
	pass  string
}

func newEnv(t *testing.T) *env {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := testserver.Start(t, st, testserver.Options{})
	e := &env{t: t, url: ts.URL, api: ts.API, svc: ts.Svc, st: ts.St, admin: "owner@acme.example"}
	e.team, e.pass = testserver.NewTeamWithAdmin(t, ts.Svc, "Acme", e.admin)
	return e
}

// seed gives the team some SCIM members and groups, so pages look real.
func (e *env) seed(n int) []string {
	ctx := context.Background()
	team, _ := e.svc.Team(ctx, "acme")
	p := service.Principal{Team: team}
	a := service.Actor{Kind: "scim-key", Name: "okta"}
	first := []string{"Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Ken", "Margaret", "Dennis", "Radia", "Linus", "Katherine"}
	last := []string{"Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Thompson", "Hamilton", "Ritchie", "Perlman", "Torvalds", "Johnson"}
	var ids []string
	for i := range n {
		f, l := first[i%len(first)], last[(i*7)%len(last)]
		v, err := e.svc.CreateUser(ctx, p, a, map[string]any{
			"userName": fmt.Sprintf("%s.%s%d@acme.example", strings.ToLower(f), strings.ToLower(l), i), "displayName": f + " " + l,
			"name": map[string]any{"givenName": f, "familyName": l}, "title": "Engineer", "active": i%9 != 4,
			"emails": []any{map[string]any{"value": fmt.Sprintf("%s.%s%d@acme.example", strings.ToLower(f), strings.ToLower(l), i), "type": "work", "primary": true}}})
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, v.User.ID)
	}
	for gi, name := range []string{"Engineering", "Platform", "Design", "Support"} {
		var members []any
		for i := gi; i < len(ids); i += gi + 2 {
			members = append(members, map[string]any{"value": ids[i]})
		}
		g, err := e.svc.CreateGroup(ctx, p, a, map[string]any{"displayName": name, "members": members})
		if err != nil {
			e.t.Fatal(err)
		}
		if name == "Platform" {
			_ = e.svc.SetGroupRoles(ctx, "acme", g.Group.ID, []string{service.RoleAdmin}, service.Actor{Kind: "cli"})
		}
	}
	return ids
}

// traffic writes a week of an IdP's requests into the provisioning log
// (straight into the store, as the log's writer does): office hours
// busier, a nightly sync, a bad afternoon with errors.
func (e *env) traffic() {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var entries []store.ProvisioningEntry
	for h := 7*24 - 1; h >= 1; h-- {
		at := now.Truncate(time.Hour).Add(-time.Duration(h) * time.Hour)
		n := 2
		switch hr := at.Hour(); {
		case hr == 2:
			n = 60 // the nightly import
		case hr >= 8 && hr <= 18:
			n = 12 + (hr*7+h)%15
		}
		for i := range n {
			status := 200
			if h%37 == 0 && i%3 == 0 || (h > 48 && h < 52 && i%2 == 0) {
				status = 409
			}
			entries = append(entries, store.ProvisioningEntry{TeamID: e.team.ID, ID: fmt.Sprintf("seed-%04d-%03d", h, i),
				At: at.Add(time.Duration(i) * time.Minute % time.Hour), Method: "GET", Path: "/scim/v2/Users", Status: status, KeyName: "okta"})
		}
	}
	if err := e.st.Tx(ctx, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, entries) }); err != nil {
		e.t.Fatal(err)
	}
}

func newBrowser(t *testing.T) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shot writes docs/screenshots/name.png when ROSTER_SCREENSHOTS=1.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("ROSTER_SCREENSHOTS") != "1" {
		return
	}
	var buf []byte
	dir := filepath.Join("..", "..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Quality 100 makes FullScreenshot write a PNG.
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func scim(t *testing.T, e *env, method, path, key, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.url+"/scim/v2"+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestAdminConnectsOkta is Postman's flow and Roster's extras: sign in,
// turn on SCIM, generate and copy a key, use it, see a failed request in
// the provisioning log, revoke the key; invite and revoke an invite;
// remove a member.
func TestAdminConnectsOkta(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	ids := e.seed(36)
	ctx := newBrowser(t)

	// Sign in.
	run(t, ctx, "sign-in page",
		chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery))
	shot(t, ctx, "signin")
	run(t, ctx, "sign in",
		chromedp.SendKeys(`#email`, e.admin, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, e.pass, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		// The team's home: its overview, with what to do next.
		chromedp.WaitVisible(`#overview-stats`, chromedp.ByQuery),
		chromedp.WaitVisible(`.next-steps`, chromedp.ByQuery),
		chromedp.Navigate(e.url+"/teams/acme/settings/authentication"),
		chromedp.WaitVisible(`#scim-toggle`, chromedp.ByQuery))

	// Turn on SCIM.
	var state string
	run(t, ctx, "turn on SCIM",
		chromedp.Click(`#scim-toggle`, chromedp.ByQuery),
		chromedp.WaitVisible(`.notice.ok`, chromedp.ByQuery),
		chromedp.Text(`#scim-state`, &state, chromedp.ByQuery))
	if state != "On" {
		t.Fatalf("SCIM state %q", state)
	}

	// Generate a key and copy it.
	var key, copied string
	run(t, ctx, "generate key",
		chromedp.SendKeys(`#key-name`, "okta", chromedp.ByQuery),
		chromedp.Click(`#generate-key`, chromedp.ByQuery),
		chromedp.WaitVisible(`#new-key`, chromedp.ByQuery),
		chromedp.Value(`#new-key`, &key, chromedp.ByQuery),
		chromedp.Click(`#copy-new-key`, chromedp.ByQuery),
		chromedp.WaitVisible(`#copy-new-key.copied`, chromedp.ByQuery),
		chromedp.Text(`#copy-new-key`, &copied, chromedp.ByQuery))
	if !strings.HasPrefix(key, "rsk_") || copied != "Copied" {
		t.Fatalf("key %q, copy button %q", key, copied)
	}

	// The key works against /scim/v2.
	if st, body := scim(t, e, "GET", "/Users?startIndex=1&count=2", key, ""); st != 200 {
		t.Fatalf("key on SCIM: %d %s", st, body)
	}
	// Test connection (htmx swaps the result in place).
	run(t, ctx, "test connection",
		chromedp.SendKeys(`#test-key`, key, chromedp.ByQuery),
		chromedp.Click(`#test-connection`, chromedp.ByQuery),
		chromedp.WaitVisible(`#test-result .result.ok`, chromedp.ByQuery))
	shot(t, ctx, "authentication")

	// A bad SCIM call, then find it in the provisioning log.
	if st, _ := scim(t, e, "POST", "/Users", key, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"Nameless","password":"s3cret-pass"}`); st != 400 {
		t.Fatalf("bad call: %d", st)
	}
	scim(t, e, "GET", "/Users?filter="+strings.ReplaceAll(`userName eq "ada.lovelace0@acme.example"`, " ", "%20"), key, "")
	if err := e.api.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var detail, sent string
	run(t, ctx, "provisioning log",
		chromedp.Navigate(e.url+"/teams/acme/logs/provisioning"),
		chromedp.WaitVisible(`tr.row-err`, chromedp.ByQuery))
	shot(t, ctx, "provisioning-log")
	run(t, ctx, "failed request detail",
		chromedp.SetValue(`#p-status`, "error", chromedp.ByQuery),
		chromedp.Submit(`#p-status`, chromedp.ByQuery),
		chromedp.WaitVisible(`tr.row-err td a`, chromedp.ByQuery),
		chromedp.Click(`tr.row-err td a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#error-detail`, chromedp.ByQuery),
		chromedp.Text(`#error-detail`, &detail, chromedp.ByQuery),
		chromedp.Text(`#request-body`, &sent, chromedp.ByQuery))
	if !strings.Contains(detail, "userName") || !strings.Contains(sent, "Nameless") || strings.Contains(sent, "s3cret-pass") {
		t.Fatalf("detail %q, body %q", detail, sent)
	}
	shot(t, ctx, "provisioning-request")

	// Revoke the key: it stops working.
	var status string
	run(t, ctx, "revoke key",
		chromedp.Navigate(e.url+"/teams/acme/settings/authentication"),
		chromedp.Click(`tr[data-key-id] details.confirm:nth-of-type(2) summary`, chromedp.ByQuery),
		chromedp.Click(`tr[data-key-id] button.danger`, chromedp.ByQuery),
		chromedp.WaitVisible(`.notice.ok`, chromedp.ByQuery),
		chromedp.Text(`tr[data-key-id] .badge`, &status, chromedp.ByQuery))
	if status != "REVOKED" {
		t.Fatalf("key status %q", status)
	}
	if st, _ := scim(t, e, "GET", "/Users", key, ""); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}

	// Invite, then revoke the invite.
	var token string
	run(t, ctx, "invite",
		chromedp.Navigate(e.url+"/teams/acme/invites"),
		chromedp.SendKeys(`#invite-email`, "newhire@acme.example", chromedp.ByQuery),
		chromedp.Click(`#send-invite`, chromedp.ByQuery),
		chromedp.WaitVisible(`#invite-token`, chromedp.ByQuery),
		chromedp.Value(`#invite-token`, &token, chromedp.ByQuery))
	if !strings.HasPrefix(token, "rit_") {
		t.Fatalf("invite token %q", token)
	}
	shot(t, ctx, "invites")
	run(t, ctx, "revoke invite",
		chromedp.Click(`tr[data-invite="newhire@acme.example"] button.danger-outline`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`tr[data-invite="newhire@acme.example"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#invite-token`, chromedp.ByQuery))
	if list, _ := e.svc.Invites(context.Background(), service.Caller{Team: e.team}); len(list) != 0 {
		t.Fatalf("pending invites after revoke: %d", len(list))
	}

	// Members, a member, remove it.
	run(t, ctx, "members",
		chromedp.Navigate(e.url+"/teams/acme/members"),
		chromedp.WaitVisible(`#members-results table`, chromedp.ByQuery))
	shot(t, ctx, "members")
	run(t, ctx, "member page",
		chromedp.Navigate(e.url+"/teams/acme/members/"+ids[0]),
		chromedp.WaitVisible(`#remove-member-open`, chromedp.ByQuery))
	shot(t, ctx, "member")
	run(t, ctx, "remove member",
		chromedp.Click(`#remove-member-open`, chromedp.ByQuery),
		chromedp.Click(`#remove-member`, chromedp.ByQuery),
		chromedp.WaitVisible(`.notice.ok`, chromedp.ByQuery))
	if _, err := e.st.User(context.Background(), e.team.ID, ids[0]); err == nil {
		t.Fatal("member still there after removal")
	}

	// The live search (htmx) narrows the table without a page load.
	var summary string
	run(t, ctx, "search",
		chromedp.SendKeys(`#q`, "hopper", chromedp.ByQuery),
		chromedp.Poll(`document.querySelector(".summary") && document.querySelector(".summary").textContent.includes("matching")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`.summary`, &summary, chromedp.ByQuery))
	if !strings.Contains(summary, "matching") {
		t.Fatalf("search summary %q", summary)
	}

	// The overview, once the IdP has a week of traffic behind it and uses
	// a new key.
	e.traffic()
	nk, err := e.svc.CreateKey(context.Background(), "acme", "okta-2026", nil, service.Actor{Kind: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := scim(t, e, "GET", "/Users?startIndex=1&count=2", nk.Token, ""); st != 200 {
		t.Fatalf("the new key: %d", st)
	}
	if err := e.api.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var desc string
	run(t, ctx, "overview",
		chromedp.Navigate(e.url+"/teams/acme/"),
		chromedp.WaitVisible(`#activity-chart`, chromedp.ByQuery),
		chromedp.TextContent(`#chart-desc`, &desc, chromedp.ByQuery))
	if !strings.Contains(desc, "requests and") || strings.HasPrefix(desc, "0 requests") {
		t.Fatalf("chart description %q", desc)
	}
	shot(t, ctx, "overview")

	// The remaining pages, for the screenshots and a smoke check.
	for _, pg := range []struct{ path, wait, name string }{
		{"/teams/acme/groups", "table", "groups"},
		{"/teams/acme/logs/audit", "table", "audit-log"},
		{"/teams/acme/settings/guides/okta", ".steps", "guide-okta"},
		{"/teams/acme/settings/policies", "#save-policies", "policies"},
		{"/account", "#tokens-h", "account"},
	} {
		run(t, ctx, pg.name, chromedp.Navigate(e.url+pg.path), chromedp.WaitVisible(pg.wait, chromedp.ByQuery))
		shot(t, ctx, pg.name)
	}

	// No console errors from CSP: htmx and the copy script load from /static.
	var loaded bool
	run(t, ctx, "htmx loaded", chromedp.Evaluate(`typeof htmx === "object" && htmx.version.startsWith("2.")`, &loaded))
	if !loaded {
		t.Fatal("htmx 2 did not load")
	}
}

// TestFirstSignIn: the admin signs in with the one-time password `roster
// team create` printed, is sent to choose their own password (the team's
// pages wait), then lands on the team's overview, which says what to do
// to connect the IdP.
func TestFirstSignIn(t *testing.T) {
	needChromium(t)
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := testserver.Start(t, st, testserver.Options{})
	_, once := testserver.NewTeamWithOneTimeAdmin(t, ts.Svc, "Acme", "owner@acme.example")
	ctx := newBrowser(t)
	var title, next string
	run(t, ctx, "sign in with the one-time password",
		chromedp.Navigate(ts.URL+"/teams/acme/members"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "owner@acme.example", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, once, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitVisible(`#must-change`, chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.Value(`input[name="next"]`, &next, chromedp.ByQuery))
	if !strings.HasPrefix(title, "Choose your password") || next != "/teams/acme/members" {
		t.Fatalf("title %q, next %q", title, next)
	}
	shot(t, ctx, "first-sign-in")
	var flash string
	run(t, ctx, "choose a password",
		chromedp.SendKeys(`#current-password`, once, chromedp.ByQuery),
		chromedp.SendKeys(`#new-password`, "a password of my own", chromedp.ByQuery),
		chromedp.SendKeys(`#confirm-password`, "a password of my own", chromedp.ByQuery),
		chromedp.Click(`#change-password`, chromedp.ByQuery),
		chromedp.WaitVisible(`#members-results`, chromedp.ByQuery),
		chromedp.Text(`.notice.ok`, &flash, chromedp.ByQuery))
	if !strings.Contains(flash, "Your password was changed") {
		t.Fatalf("notice %q", flash)
	}
	var steps string
	run(t, ctx, "overview",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(`.next-steps`, chromedp.ByQuery),
		chromedp.Text(`.next-steps`, &steps, chromedp.ByQuery))
	if !strings.Contains(steps, "Turn SCIM provisioning on") || !strings.Contains(steps, "Generate a SCIM API key") {
		t.Fatalf("next steps %q", steps)
	}
	shot(t, ctx, "overview-new-team")
}
