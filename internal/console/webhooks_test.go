package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

// clock is the service's clock in these tests: fixed, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// newClockEnv is newEnv with the service on a clock the test moves.
func newClockEnv(t *testing.T) (*env, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	ts := testserver.Start(t, st, testserver.Options{Now: clk.Now})
	e := &env{t: t, url: ts.URL, api: ts.API, svc: ts.Svc, st: ts.St, admin: "owner@acme.example"}
	e.team, e.adminP = testserver.NewTeamWithAdmin(t, ts.Svc, "Acme", e.admin)
	return e, clk
}

// adminCaller is the team's first admin as the service's caller, for
// setting up and checking state beside the pages.
func (e *env) adminCaller() service.Caller {
	e.t.Helper()
	ctx := context.Background()
	s, err := e.svc.Login(ctx, e.admin, e.adminP, "127.0.0.1", "test", time.Hour, "")
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.svc.TeamCaller(ctx, service.Caller{Account: s.Account, SessionHash: s.Session.Session.TokenHash}, e.team.Slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

var secretRE = regexp.MustCompile(`value="(whsec_[^"]+)"`)

// secretOn is the signing secret a page shows ("" for none).
func secretOn(body string) string {
	m := secretRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestWebhookPages: Team settings → Webhooks adds an endpoint (the secret
// shown once, on a no-store page, never again), refuses a bad URL keeping
// the form, switches it off and on, rotates the secret (shown once), shows
// the delivery log, replays one event or everything since a seq, deletes
// it; an endpoint the worker switched off after 3 days of failures is
// named on the overview and the page; Developers, Billing and members
// without a role are refused,
// and a form without the CSRF token changes nothing.
func TestWebhookPages(t *testing.T) {
	e, clk := newClockEnv(t)
	ctx := context.Background()
	super := e.signIn(e.admin, e.adminP)
	caller := e.adminCaller()

	r := super.get("/teams/acme/settings/webhooks")
	want(t, r, 200, "<h1>Webhooks</h1>", "No webhooks yet", "Add a webhook", `value="member.*"`, "member.deactivated")
	checkHeaders(t, r)
	want(t, super.get("/teams/acme/"), 200, `href="/teams/acme/settings/webhooks"`, `href="/teams/acme/settings/deprovisioning"`)

	// Refusals keep the form and say why; nothing is made.
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {"http://hooks.example.com/in"}, "description": {"CRM sync"}})
	want(t, r, 400, "the url must be https", `value="http://hooks.example.com/in"`, `value="CRM sync"`)
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {"https://10.1.2.3/in"}})
	want(t, r, 400, "private or reserved address")
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {"https://hooks.example.com/in"}, "types": {"member.exploded"}})
	want(t, r, 400, "member.exploded", "is not an event type or pattern")
	if l, _ := e.svc.ListWebhooks(ctx, caller); len(l) != 0 {
		t.Fatalf("a refused form made %d webhooks", len(l))
	}

	// Added: the secret is on the answer, once.
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {"https://hooks.example.com/in"}, "type": {"member.*"},
		"types": {"group.deleted"}, "description": {"CRM sync"}})
	want(t, r, http.StatusCreated, "Copy this secret now", `data-copy="new-secret"`, "https://hooks.example.com/in")
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret is %q, want no-store", cc)
	}
	secret := secretOn(r.body)
	if secret == "" {
		t.Fatalf("no whsec_ secret on the page:\n%s", r.body)
	}
	hooks, err := e.svc.ListWebhooks(ctx, caller)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks: %v %+v", err, hooks)
	}
	h := hooks[0]
	if strings.Join(h.Types, ",") != "group.deleted,member.*" || h.Description != "CRM sync" || !h.Enabled {
		t.Fatalf("webhook: %+v", h)
	}
	hookURL := "/teams/acme/settings/webhooks/" + h.ID
	for _, path := range []string{"/teams/acme/settings/webhooks", hookURL} {
		r = super.get(path)
		want(t, r, 200, "https://hooks.example.com/in", "group.deleted, member.*")
		wantNot(t, r, secret, "whsec_")
	}

	// Switched off and on.
	want(t, super.post(hookURL, url.Values{"action": {"disable"}}), http.StatusSeeOther)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); v.Enabled || !strings.HasPrefix(v.DisabledReason, "disabled by ") {
		t.Fatalf("after disable: %+v", v)
	}
	r = super.get(hookURL + "?done=webhook-disabled")
	want(t, r, 200, "The webhook is off", "Switch on", "disabled by")
	// Switched off by an admin: no alert on the overview.
	wantNot(t, super.get("/teams/acme/"), "A webhook was switched off")
	want(t, super.post(hookURL, url.Values{"action": {"enable"}}), http.StatusSeeOther)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); !v.Enabled {
		t.Fatalf("after enable: %+v", v)
	}
	want(t, super.post(hookURL, url.Values{"action": {"explode"}}), 400, "unknown action")

	// Rotated: the new secret once, the old one signing for the grace.
	want(t, super.post(hookURL+"/rotate", url.Values{"grace": {"forever"}}), 400, "choose how long")
	r = super.post(hookURL+"/rotate", url.Values{"grace": {"24h"}})
	want(t, r, http.StatusCreated, "New signing secret", "two signatures")
	rotated := secretOn(r.body)
	if rotated == "" || rotated == secret {
		t.Fatalf("rotated secret %q (was %q)", rotated, secret)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the rotated secret's page may be stored")
	}
	want(t, super.get(hookURL), 200, "Old secret signs too until")
	wantNot(t, super.get(hookURL), "whsec_")

	// Events and attempts: three member events; the first attempt fails
	// with 500, the second is delivered.
	key, err := e.svc.CreateKey(ctx, "acme", "okta", nil, caller.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetSCIM(ctx, "acme", true, caller.Actor); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		scimCreate(t, e, key.Token, fmt.Sprintf("p%d@acme.example", i))
	}
	d, ok, err := e.svc.NextWebhookDelivery(ctx, e.team.ID, h.ID)
	if err != nil || !ok || d.Event.Type != "member.created" {
		t.Fatalf("next delivery: %v %v %+v", err, ok, d.Event)
	}
	if d.Endpoint.Secret != rotated || d.Endpoint.OldSecret != secret {
		t.Fatal("the secrets the pages showed are not the ones deliveries are signed with")
	}
	if _, err := e.svc.RecordWebhookAttempt(ctx, d, service.WebhookAttempt{Status: 500, Latency: 123 * time.Millisecond, Response: `{"oops":"receiver fell over"}`}); err != nil {
		t.Fatal(err)
	}
	r = super.get(hookURL)
	want(t, r, 200, "Failing", `id="deliveries"`, "123 ms", "500", "receiver fell over", fmt.Sprintf("seq %d", d.Event.Seq))
	clk.set(clk.Now().Add(10 * time.Second))
	d2, ok, err := e.svc.NextWebhookDelivery(ctx, e.team.ID, h.ID)
	if err != nil || !ok || d2.Event.Seq != d.Event.Seq || d2.Attempt != 2 {
		t.Fatalf("retry: %v %v seq %d attempt %d", err, ok, d2.Event.Seq, d2.Attempt)
	}
	if _, err := e.svc.RecordWebhookAttempt(ctx, d2, service.WebhookAttempt{Status: 204, Latency: 7 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r = super.get(hookURL)
	want(t, r, 200, `id="webhook-status">On`, "7 ms", "delivered", fmt.Sprintf("seq %d", d.Event.Seq))

	// Replays: one event, everything since a seq; refusals keep the form.
	want(t, super.post(hookURL+"/replay", url.Values{"seq": {"abc"}}), 400, "abc", "a whole number from 1 on")
	want(t, super.post(hookURL+"/replay", url.Values{"seq": {"999999"}}), 400, "has no event 999999 yet", `value="999999"`)
	want(t, super.post(hookURL+"/replay", url.Values{"seq": {"1"}, "since_seq": {"1"}}), 400, "give seq")
	seq := d.Event.Seq
	r = super.post(hookURL+"/replay", url.Values{"seq": {fmt.Sprint(seq)}})
	want(t, r, http.StatusSeeOther)
	want(t, super.get(r.Header.Get("Location")), 200, fmt.Sprintf("Event %d is queued to be sent again", seq))
	rd, ok, err := e.svc.NextWebhookDelivery(ctx, e.team.ID, h.ID)
	if err != nil || !ok || !rd.Replay || rd.Event.Seq != seq || rd.Event.ID != d.Event.ID {
		t.Fatalf("after replaying one: %v %v %+v", err, ok, rd)
	}
	r = super.post(hookURL+"/replay", url.Values{"since_seq": {fmt.Sprint(seq)}})
	want(t, r, http.StatusSeeOther)
	want(t, super.get(r.Header.Get("Location")), 200, fmt.Sprintf("Events %d to ", seq), "queued to be sent again, in order")
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); v.DeliveredSeq != seq-1 {
		t.Fatalf("since %d: delivered_seq %d, want %d", seq, v.DeliveredSeq, seq-1)
	}

	// Failing for 3 days: the worker switches it off; the overview and the
	// page say so to the team's admins.
	start := clk.Now()
	fail := func(at time.Time) {
		t.Helper()
		clk.set(at)
		nd, ok, err := e.svc.NextWebhookDelivery(ctx, e.team.ID, h.ID)
		if err != nil || !ok {
			t.Fatalf("attempt at %v: %v %v", at, err, ok)
		}
		if _, err := e.svc.RecordWebhookAttempt(ctx, nd, service.WebhookAttempt{Error: "connection refused", Latency: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	fail(start)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); !v.Enabled || v.Status != "failing" {
		t.Fatalf("after one failure: %+v", v)
	}
	fail(start.Add(72*time.Hour + time.Minute))
	clk.set(start)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); v.Enabled || !strings.Contains(v.DisabledReason, "deliveries failed for 3 days") {
		t.Fatalf("not switched off after 3 days of failures: %+v", v)
	}
	r = super.get("/teams/acme/")
	want(t, r, 200, "A webhook was switched off", "https://hooks.example.com/in", "deliveries failed for 3 days", `href="/teams/acme/settings/webhooks/`+h.ID+`"`)
	want(t, super.get("/teams/acme/settings/webhooks"), 200, "Switched off after failing", "connection refused")
	want(t, super.get(hookURL), 200, `id="disabled-reason"`, "deliveries failed for 3 days")

	// An Admin manages webhooks too; a Developer and a Member may not, and
	// see no link; their forms change nothing.
	e.addMember("admin2@acme.example", []string{service.RoleAdmin}, store.SourceManual)
	admin := e.signIn("admin2@acme.example", pw)
	want(t, admin.get("/teams/acme/settings/webhooks"), 200, "https://hooks.example.com/in")
	want(t, admin.get("/teams/acme/"), 200, "A webhook was switched off")
	e.addMember("dev@acme.example", []string{service.RoleDeveloper}, store.SourceManual)
	e.addMember("billing@acme.example", []string{service.RoleBilling}, store.SourceManual)
	for _, who := range []string{"dev@acme.example", "billing@acme.example"} {
		b := e.signIn(who, pw)
		want(t, b.get("/teams/acme/settings/webhooks"), 403)
		want(t, b.get(hookURL), 403)
		want(t, b.post(hookURL, url.Values{"action": {"delete"}}), 403)
		want(t, b.post(hookURL+"/rotate", url.Values{"grace": {"0s"}}), 403)
		want(t, b.post("/teams/acme/settings/webhooks", url.Values{"url": {"https://evil.example/in"}}), 403)
		r := b.get("/teams/acme/")
		want(t, r, 200)
		wantNot(t, r, "/settings/webhooks", "A webhook was switched off")
	}
	// A member with no role sees no team page at all.
	e.addMember("member@acme.example", nil, store.SourceManual)
	member := e.browser()
	want(t, member.do("POST", "/signin", url.Values{"email": {"member@acme.example"}, "password": {pw}}), http.StatusSeeOther)
	want(t, member.get("/teams/acme/settings/webhooks"), 403)

	// CSRF: without the session's token nothing happens.
	want(t, super.do("POST", "/teams/acme/settings/webhooks", url.Values{"url": {"https://hooks2.example.com/in"}}), 403, "CSRF")
	want(t, super.do("POST", hookURL, url.Values{"action": {"delete"}, "csrf_token": {"forged"}}), 403, "CSRF")
	want(t, super.do("POST", hookURL+"/rotate", url.Values{"grace": {"0s"}}), 403, "CSRF")
	if l, _ := e.svc.ListWebhooks(ctx, caller); len(l) != 1 {
		t.Fatalf("forged forms changed the webhooks: %d", len(l))
	}

	// Deleted; another team's id is a 404.
	want(t, super.get("/teams/acme/settings/webhooks/nope"), 404)
	r = super.post(hookURL, url.Values{"action": {"delete"}})
	want(t, r, http.StatusSeeOther)
	want(t, super.get(r.Header.Get("Location")), 200, "The webhook was deleted", "No webhooks yet")
	want(t, super.get(hookURL), 404)
	wantNot(t, super.get("/teams/acme/"), "A webhook was switched off")
}

// scimCreate creates a member over SCIM and returns its id.
func scimCreate(t *testing.T, e *env, token, userName string) string {
	t.Helper()
	res := scimJSON(t, e, token, "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
		"active": true, "emails": []any{map[string]any{"value": userName, "primary": true}}})
	res.Must(t, http.StatusCreated)
	id, _ := res.Body["id"].(string)
	return id
}

// scimJSON sends one SCIM request with a key and reads the answer.
func scimJSON(t *testing.T, e *env, token, method, path string, body any) testserver.Response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.url+"/scim/v2"+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	return testserver.Do(t, http.DefaultClient, req, "application/scim+json")
}
