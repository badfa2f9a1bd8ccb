package console_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/testwait"
	"github.com/rosterhq/roster/internal/webhooks"
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

// newClockEnv is newEnv with the service (and the webhook worker) on a
// clock the test moves, webhooks allowed to reach loopback, and the
// worker looking for due deliveries every 10 ms.
func newClockEnv(t *testing.T) (*env, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg := server.Config{Events: service.EventsConfig{AllowPrivateNetworks: true}, Webhooks: webhooks.Config{Poll: 10 * time.Millisecond}}
	ts := testserver.Start(t, st, testserver.Options{Now: clk.Now, Config: cfg})
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

// receiver is a webhook receiver on loopback that answers with the status
// the test sets, and keeps what it got.
type receiver struct {
	url    string
	status atomic.Int32
	mu     sync.Mutex
	got    []received
}

type received struct {
	id, timestamp, signature string
	body                     []byte
	seq                      int64
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.status.Store(http.StatusNoContent)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Seq int64 `json:"seq"`
		}
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, ev.Seq})
		rc.mu.Unlock()
		st := int(rc.status.Load())
		w.WriteHeader(st)
		if st >= 300 {
			fmt.Fprintf(w, `{"oops":"receiver fell over (%d)"}`, st)
		}
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/in"
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// verify checks a Standard Webhooks signature header against secrets, with
// an HMAC written here (not the service's): every secret must have signed.
func verify(t *testing.T, got received, secrets ...string) {
	t.Helper()
	sigs := strings.Fields(got.signature)
	if len(sigs) != len(secrets) {
		t.Fatalf("%d signatures (%q), want %d", len(sigs), got.signature, len(secrets))
	}
	for _, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(got.id + "." + got.timestamp + "." + string(got.body)))
		if !slices.Contains(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil))) {
			t.Fatalf("no signature by %.12s… in %q", secret, got.signature)
		}
	}
}

// eventually polls cond until it holds (a deadline, not a sleep).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, 15*time.Second, what, cond)
}

// TestWebhookPages: Team settings → Webhooks adds an endpoint (the secret
// shown once, on a no-store page, never again), refuses a bad URL keeping
// the form, switches it off and on, rotates the secret (shown once; the
// receiver's deliveries verify with both secrets during the grace), shows
// the delivery log of the running worker's real attempts (a 500 with its
// answer, then deliveries), replays one event (same id) or everything
// since a seq, deletes it; an endpoint the worker switched off after 3
// days of failures is named on the overview and the page; Developers,
// Billing and members without a role are refused, and a form without the
// CSRF token changes nothing.
func TestWebhookPages(t *testing.T) {
	e, clk := newClockEnv(t)
	ctx := context.Background()
	rc := newReceiver(t)
	super := e.signIn(e.admin, e.adminP)
	caller := e.adminCaller()

	r := super.get("/teams/acme/settings/webhooks")
	want(t, r, 200, "<h1>Webhooks</h1>", "No webhooks yet", "Add a webhook", `value="member.*"`, "member.deactivated")
	checkHeaders(t, r)
	want(t, super.get("/teams/acme/"), 200, `href="/teams/acme/settings/webhooks"`, `href="/teams/acme/settings/deprovisioning"`)

	// Refusals keep the form and say why; nothing is made.
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {"http://hooks.example.com/in"}, "description": {"CRM sync"}})
	want(t, r, 400, "the url must be https", `value="http://hooks.example.com/in"`, `value="CRM sync"`)
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {"https://hooks.example.com/in"}, "types": {"member.exploded"}})
	want(t, r, 400, "member.exploded", "is not an event type or pattern")
	if l, _ := e.svc.ListWebhooks(ctx, caller); len(l) != 0 {
		t.Fatalf("a refused form made %d webhooks", len(l))
	}

	// Added: the secret is on the answer, once.
	r = super.post("/teams/acme/settings/webhooks", url.Values{"url": {rc.url}, "type": {"member.*"},
		"types": {"group.deleted"}, "description": {"CRM sync"}})
	want(t, r, http.StatusCreated, "Copy this secret now", `data-copy="new-secret"`, rc.url)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret is %q, want no-store", cc)
	}
	secret := secretOn(r.body)
	if !strings.HasPrefix(secret, "whsec_") {
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
		want(t, r, 200, rc.url, "group.deleted, member.*")
		wantNot(t, r, "whsec_")
	}

	// Switched off and on.
	want(t, super.post(hookURL, url.Values{"action": {"disable"}}), http.StatusSeeOther)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); v.Enabled || !strings.HasPrefix(v.DisabledReason, "disabled by ") {
		t.Fatalf("after disable: %+v", v)
	}
	want(t, super.get(hookURL+"?done=webhook-disabled"), 200, "The webhook is off", "Switch on", "disabled by")
	// Switched off by an admin: no alert on the overview.
	wantNot(t, super.get("/teams/acme/"), "A webhook was switched off")
	want(t, super.post(hookURL, url.Values{"action": {"enable"}}), http.StatusSeeOther)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); !v.Enabled {
		t.Fatalf("after enable: %+v", v)
	}
	want(t, super.post(hookURL, url.Values{"action": {"explode"}}), 400, "unknown action")

	// Rotated: the new secret once, the old one signing too for the grace.
	want(t, super.post(hookURL+"/rotate", url.Values{"grace": {"forever"}}), 400, "choose how long")
	r = super.post(hookURL+"/rotate", url.Values{"grace": {"24h"}})
	want(t, r, http.StatusCreated, "New signing secret", "two signatures")
	rotated := secretOn(r.body)
	if !strings.HasPrefix(rotated, "whsec_") || rotated == secret {
		t.Fatalf("rotated secret %q (was %q)", rotated, secret)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the rotated secret's page may be stored")
	}
	r = super.get(hookURL)
	want(t, r, 200, "Old secret signs too until")
	wantNot(t, r, "whsec_")

	// Three members created over SCIM; the receiver answers 500 at first.
	rc.status.Store(http.StatusInternalServerError)
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
	eventually(t, "the first attempt", func() bool { return len(rc.all()) > 0 })
	first := rc.all()[0]
	verify(t, first, rotated, secret) // an independent check of both signatures
	eventually(t, "the first attempt in the log", func() bool {
		l, _ := e.svc.WebhookDeliveries(ctx, caller, h.ID, 10)
		return len(l) == 1 && l[0].Status == 500
	})
	r = super.get(hookURL)
	want(t, r, 200, `id="webhook-status">Failing`, `id="deliveries"`, "failed", "500", "receiver fell over (500)", fmt.Sprintf("seq %d", first.seq), " ms")
	want(t, super.get("/teams/acme/settings/webhooks"), 200, ">Failing<")

	// The receiver recovers; the retry is due 5 s later.
	rc.status.Store(http.StatusNoContent)
	clk.set(clk.Now().Add(6 * time.Second))
	eventually(t, "the three member.created delivered", func() bool {
		v, _ := e.svc.GetWebhook(ctx, caller, h.ID)
		return v.Pending == 0 && v.Status == "enabled" && v.FailingSince == nil
	})
	got := rc.all()
	if len(got) != 4 || got[1].id != first.id || got[2].seq != first.seq+1 {
		t.Fatalf("the receiver got %d deliveries: %+v", len(got), got)
	}
	r = super.get(hookURL)
	want(t, r, 200, `id="webhook-status">On`, "delivered", "204")

	// Replays: refusals keep the form; one event comes again with its id.
	want(t, super.post(hookURL+"/replay", url.Values{"seq": {"abc"}}), 400, "abc", "a whole number from 1 on")
	want(t, super.post(hookURL+"/replay", url.Values{"seq": {"999999"}}), 400, "has no event 999999 yet", `value="999999"`)
	want(t, super.post(hookURL+"/replay", url.Values{"seq": {"1"}, "since_seq": {"1"}}), 400, "give seq")
	r = super.post(hookURL+"/replay", url.Values{"seq": {fmt.Sprint(first.seq)}})
	want(t, r, http.StatusSeeOther)
	want(t, super.get(r.Header.Get("Location")), 200, fmt.Sprintf("Event %d is queued to be sent again", first.seq))
	eventually(t, "the replayed event", func() bool { return len(rc.all()) == 5 })
	if again := rc.all()[4]; again.id != first.id || again.seq != first.seq {
		t.Fatalf("replay: id %s seq %d, want the first's %s %d", again.id, again.seq, first.id, first.seq)
	}
	// The receiver has it before the worker records the attempt: the
	// page is read once the log holds it.
	eventually(t, "the replay in the delivery log", func() bool {
		l, _ := e.svc.WebhookDeliveries(ctx, caller, h.ID, 10)
		return slices.ContainsFunc(l, func(d service.DeliveryView) bool { return d.Replay })
	})
	want(t, super.get(hookURL), 200, ">replay<")
	// Everything since the first: the three again, in order.
	r = super.post(hookURL+"/replay", url.Values{"since_seq": {fmt.Sprint(first.seq)}})
	want(t, r, http.StatusSeeOther)
	want(t, super.get(r.Header.Get("Location")), 200, fmt.Sprintf("Events %d to ", first.seq), "queued to be sent again, in order")
	eventually(t, "the three again", func() bool { return len(rc.all()) == 8 })
	for i, g := range rc.all()[5:] {
		if g.seq != first.seq+int64(i) {
			t.Fatalf("since %d: delivery %d has seq %d", first.seq, i, g.seq)
		}
	}

	// Failing for 3 days: the worker switches it off; the overview and the
	// page say so to the team's admins.
	rc.status.Store(http.StatusServiceUnavailable)
	start := clk.Now()
	want(t, super.post(hookURL+"/replay", url.Values{"since_seq": {fmt.Sprint(first.seq)}}), http.StatusSeeOther)
	eventually(t, "a failure", func() bool {
		v, _ := e.svc.GetWebhook(ctx, caller, h.ID)
		return v.FailingSince != nil
	})
	clk.set(start.Add(72*time.Hour + time.Minute))
	eventually(t, "the endpoint switched off", func() bool {
		v, _ := e.svc.GetWebhook(ctx, caller, h.ID)
		return !v.Enabled
	})
	clk.set(start)
	if v, _ := e.svc.GetWebhook(ctx, caller, h.ID); !strings.Contains(v.DisabledReason, "deliveries failed for 3 days") {
		t.Fatalf("switched off for: %q", v.DisabledReason)
	}
	r = super.get("/teams/acme/")
	want(t, r, 200, "A webhook was switched off", rc.url, "deliveries failed for 3 days", `href="/teams/acme/settings/webhooks/`+h.ID+`"`)
	want(t, super.get("/teams/acme/settings/webhooks"), 200, "Switched off after failing", "HTTP 503")
	want(t, super.get(hookURL), 200, `id="disabled-reason"`, "deliveries failed for 3 days")

	// An Admin manages webhooks too; a Developer and Billing may not, and
	// see no link; their forms change nothing.
	e.addMember("admin2@acme.example", []string{service.RoleAdmin}, store.SourceManual)
	admin := e.signIn("admin2@acme.example", pw)
	want(t, admin.get("/teams/acme/settings/webhooks"), 200, rc.url)
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
	want(t, super.do("POST", "/teams/acme/settings/webhooks", url.Values{"url": {rc.url + "2"}}), 403, "CSRF")
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
