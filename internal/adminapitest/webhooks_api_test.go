package adminapitest

// The webhooks' admin API: endpoints made, read, changed, deleted; the
// secret shown once and rotated with a grace; the URL rules against SSRF;
// the delivery log and replays. Delivery itself is internal/webhooks'.

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// webhook makes a webhook of team A and returns its id.
func (f *authzFixture) webhook() string {
	r := f.super.do("POST", f.e.teamPath("/webhooks"), map[string]any{"url": "https://hooks.example.com/" + strings.TrimSuffix(uniq("authz"), "@acme.example")}).must(f.e.t, 201)
	return r.Body["id"].(string)
}

// checkSecret asserts a signing secret's form: whsec_ and 32 random bytes.
func checkSecret(t *testing.T, s any) string {
	t.Helper()
	sec, _ := s.(string)
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sec, "whsec_"))
	if !strings.HasPrefix(sec, "whsec_") || err != nil || len(b) != 32 {
		t.Fatalf("secret %q", sec)
	}
	return sec
}

func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnvClock(t, clock.Now)
	admin := e.token(e.Admin, e.AdminPassword, "hooks") // the clock moves past a session's life
	hooks := e.teamPath("/webhooks")

	// Made: the secret once; the team's events from now on.
	for range 4 {
		admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": uniq("k")}).must(t, 201)
	}
	_, cursor := admin.eventsAfter(t, e.Team.Slug, "", 1000)
	r := admin.do("POST", hooks, map[string]any{"url": "https://app.example.com/roster", "types": []any{"member.*", "group.deleted", "member.*"}, "description": "the app"}).must(t, 201)
	secret := checkSecret(t, r.Body["secret"])
	id, _ := r.Body["id"].(string)
	if r.Body["url"] != "https://app.example.com/roster" || strings.Join(toStrings(r.Body["types"]), ",") != "group.deleted,member.*" ||
		r.Body["enabled"] != true || r.Body["status"] != "enabled" || r.Body["description"] != "the app" ||
		r.Body["delivered_seq"] != toFloat(cursor) || r.Body["pending"] != float64(0) || r.Body["created_by"] == "" {
		t.Fatalf("created %s", r.Raw)
	}
	// Never again: not in a read, a list, or the audit trail.
	got := admin.do("GET", hooks+"/"+id, nil).must(t, 200)
	list := admin.do("GET", hooks, nil).must(t, 200)
	for _, raw := range []string{string(got.Raw), string(list.Raw)} {
		if strings.Contains(raw, secret) || strings.Contains(raw, `"secret"`) {
			t.Fatalf("the secret is shown again: %s", raw)
		}
	}
	if l, _ := list.Body["webhooks"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != id {
		t.Fatalf("list %s", list.Raw)
	}
	for _, ev := range e.auditEvents() {
		if strings.Contains(ev.Detail, "whsec_") {
			t.Fatalf("a secret in the audit trail: %+v", ev)
		}
	}

	// The URL rules, and other bad input: 400 naming the field.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"url": "http://app.example.com/hook"}, "url"},    // http to a public host
		{map[string]any{"url": "https://10.0.0.1/hook"}, "url"},          // private
		{map[string]any{"url": "https://169.254.169.254/latest"}, "url"}, // link-local: cloud metadata
		{map[string]any{"url": "https://[::1]/hook"}, "url"},             // loopback, unless allowed
		{map[string]any{"url": "http://127.0.0.1:8080/hook"}, "url"},     // loopback, unless allowed
		{map[string]any{"url": "https://localhost/hook"}, "url"},
		{map[string]any{"url": "https://[fd00::1]/hook"}, "url"},
		{map[string]any{"url": "https://100.64.0.1/hook"}, "url"},
		{map[string]any{"url": "https://db.internal/hook"}, "url"},
		{map[string]any{"url": "https://user:pass@app.example.com/hook"}, "url"},
		{map[string]any{"url": "https://app.example.com/hook#x"}, "url"},
		{map[string]any{"url": "ftp://app.example.com/hook"}, "url"},
		{map[string]any{"url": "/relative"}, "url"},
		{map[string]any{"url": ""}, "url"},
		{map[string]any{"url": "https://app.example.com/" + strings.Repeat("a", 2100)}, "url"},
		{map[string]any{"url": "https://app.example.com/hook", "types": []any{"member.exploded"}}, "types"},
		{map[string]any{"url": "https://app.example.com/hook", "types": "member.*"}, "types"},
		{map[string]any{"url": "https://app.example.com/hook", "description": "two\nlines"}, "description"},
		{map[string]any{"url": "https://app.example.com/hook", "secret": "whsec_mine"}, "secret"},
	} {
		admin.do("POST", hooks, c.body).apiError(t, 400, c.field)
	}

	// Changed: url, types, description; switched off and on.
	r = admin.do("PATCH", hooks+"/"+id, map[string]any{"url": "https://app.example.com/v2", "types": []any{}, "description": ""}).must(t, 200)
	if r.Body["url"] != "https://app.example.com/v2" || len(toStrings(r.Body["types"])) != 0 || r.Body["description"] != "" {
		t.Fatalf("patched %s", r.Raw)
	}
	admin.do("PATCH", hooks+"/"+id, map[string]any{"url": "https://192.168.1.10/"}).apiError(t, 400, "url")
	admin.do("PATCH", hooks+"/"+id, map[string]any{}).apiError(t, 400, "")
	admin.do("PATCH", hooks+"/"+id, map[string]any{"enabled": "no"}).apiError(t, 400, "enabled")
	r = admin.do("PATCH", hooks+"/"+id, map[string]any{"enabled": false}).must(t, 200)
	if r.Body["enabled"] != false || r.Body["status"] != "disabled" || !strings.Contains(r.Body["disabled_reason"].(string), "hooks") || r.Body["disabled_at"] == nil {
		t.Fatalf("disabled %s", r.Raw)
	}
	r = admin.do("PATCH", hooks+"/"+id, map[string]any{"enabled": true}).must(t, 200)
	if r.Body["status"] != "enabled" || r.Body["disabled_at"] != nil || r.Body["disabled_reason"] != nil {
		t.Fatalf("enabled %s", r.Raw)
	}

	// Rotated: a new secret, once; the old one signs until the grace ends.
	r = admin.do("POST", hooks+"/"+id+"/rotate-secret", map[string]any{"grace": "2h"}).must(t, 200)
	next := checkSecret(t, r.Body["secret"])
	until, err := time.Parse(time.RFC3339, r.Body["secret_rotating_until"].(string))
	if next == secret || err != nil || until.Sub(clock.Now()) < 119*time.Minute || until.Sub(clock.Now()) > 121*time.Minute {
		t.Fatalf("rotated %s", r.Raw)
	}
	clock.Add(3 * time.Hour)
	if r = admin.do("GET", hooks+"/"+id, nil).must(t, 200); r.Body["secret_rotating_until"] != nil {
		t.Fatalf("after the grace %s", r.Raw)
	}
	if r = admin.do("POST", hooks+"/"+id+"/rotate-secret", map[string]any{}).must(t, 200); r.Body["secret_rotating_until"] == nil {
		t.Fatalf("the default grace %s", r.Raw)
	}
	if r = admin.do("POST", hooks+"/"+id+"/rotate-secret", map[string]any{"grace": "0s"}).must(t, 200); r.Body["secret_rotating_until"] != nil {
		t.Fatalf("no grace %s", r.Raw)
	}
	for _, g := range []string{"8d", "-1h", "soon"} {
		admin.do("POST", hooks+"/"+id+"/rotate-secret", map[string]any{"grace": g}).apiError(t, 400, "grace")
	}

	// The delivery log: none yet; bounds.
	r = admin.do("GET", hooks+"/"+id+"/deliveries", nil).must(t, 200)
	if l, ok := r.Body["deliveries"].([]any); !ok || len(l) != 0 {
		t.Fatalf("deliveries %s", r.Raw)
	}
	admin.do("GET", hooks+"/"+id+"/deliveries?limit=0", nil).apiError(t, 400, "limit")
	admin.do("GET", hooks+"/"+id+"/deliveries?limit=1001", nil).apiError(t, 400, "limit")
	admin.do("GET", hooks+"/nope/deliveries", nil).apiError(t, 404, "")

	// Replays: one event, or every one since a seq.
	last := int64(toFloat(cursor))
	r = admin.do("POST", hooks+"/"+id+"/replay", map[string]any{"seq": 2}).must(t, 202)
	if r.Body["from_seq"] != float64(2) || r.Body["through_seq"] != float64(2) {
		t.Fatalf("replay one %s", r.Raw)
	}
	r = admin.do("POST", hooks+"/"+id+"/replay", map[string]any{"since_seq": 3}).must(t, 202)
	wh := r.Body["webhook"].(map[string]any)
	if r.Body["from_seq"] != float64(3) || r.Body["through_seq"] != float64(last) || wh["delivered_seq"] != float64(2) || wh["pending"] != float64(last-2) {
		t.Fatalf("replay since %s", r.Raw)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "since_seq"},
		{map[string]any{"seq": 1, "since_seq": 1}, "since_seq"},
		{map[string]any{"seq": 0}, "seq"},
		{map[string]any{"since_seq": -4}, "since_seq"},
		{map[string]any{"seq": last + 1}, "seq"},
		{map[string]any{"since_seq": last + 50}, "since_seq"},
		{map[string]any{"seq": "1"}, "seq"},
	} {
		admin.do("POST", hooks+"/"+id+"/replay", c.body).apiError(t, 400, c.field)
	}
	// Events past the retention can't be replayed.
	clock.Add(service.DefaultEventRetention)
	admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "young"}).must(t, 201)
	if _, err := e.Svc.PruneEvents(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin.do("POST", hooks+"/"+id+"/replay", map[string]any{"seq": 1}).apiError(t, 410, "")

	// Deleted: gone, with its log.
	admin.do("DELETE", hooks+"/"+id, nil).must(t, 204)
	admin.do("GET", hooks+"/"+id, nil).apiError(t, 404, "")
	admin.do("DELETE", hooks+"/"+id, nil).apiError(t, 404, "")
	admin.do("PATCH", hooks+"/"+id, map[string]any{"enabled": true}).apiError(t, 404, "")
	admin.do("POST", hooks+"/"+id+"/rotate-secret", map[string]any{}).apiError(t, 404, "")
	admin.do("POST", hooks+"/"+id+"/replay", map[string]any{"since_seq": 1}).apiError(t, 404, "")
}

// TestWebhooksPrivateNetworksAndLimit: with the operator's leave, a
// webhook may point at loopback (http included) and private addresses;
// a team has at most 20 webhooks.
func TestWebhooksPrivateNetworksAndLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(e.Admin, e.AdminPassword, "limit")
	hooks := e.teamPath("/webhooks")
	admin.do("POST", hooks, map[string]any{"url": "http://127.0.0.1:9/hook"}).apiError(t, 400, "url")
	e.Svc.SetEventsConfig(service.EventsConfig{AllowPrivateNetworks: true})
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://10.1.2.3/hook"} {
		admin.do("POST", hooks, map[string]any{"url": u}).must(t, 201)
	}
	// Still never http to anything but loopback.
	admin.do("POST", hooks, map[string]any{"url": "http://10.1.2.3/hook"}).apiError(t, 400, "url")
	for i := 3; i < 20; i++ {
		admin.do("POST", hooks, map[string]any{"url": "https://hooks.example.com/" + strings.Repeat("x", i)}).must(t, 201)
	}
	msg := admin.do("POST", hooks, map[string]any{"url": "https://hooks.example.com/one-too-many"}).apiError(t, 409, "")
	if !strings.Contains(msg, "20") {
		t.Fatalf("409 %q", msg)
	}
	if l := admin.do("GET", hooks, nil).must(t, 200).Body["webhooks"].([]any); len(l) != 20 {
		t.Fatalf("%d webhooks", len(l))
	}
}

func toStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func toFloat(s string) float64 {
	var n float64
	for _, c := range s {
		n = n*10 + float64(c-'0')
	}
	return n
}

// webhook makes a webhook for an audit case, then marks the audit trail,
// so only the case's own request is counted.
func (f *fixture) webhook() string {
	f.e.t.Helper()
	r := f.script.do("POST", f.e.teamPath("/webhooks"), map[string]any{"url": "https://hooks.example.com/audit"}).must(f.e.t, 201)
	f.markAudit()
	return r.Body["id"].(string)
}
