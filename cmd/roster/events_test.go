package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/testwait"
)

// TestEventAndWebhookCommands runs `roster events` and `roster webhook …`
// on the built binary against a running server, as an operator's scripts
// do: the forms and JSON shapes of issue 15 are a contract. The webhook
// the CLI adds is delivered to by the running server; a replay the CLI
// asks for is sent by it.
func TestEventAndWebhookCommands(t *testing.T) {
	dir := t.TempDir()
	addr, _ := startServe(t, "", nil, "--data-dir", dir, "--webhooks-allow-private-networks")
	testEventCommands(t, addr, "--data-dir", dir)
}

// TestEventAndWebhookCommandsPostgres: the same on PostgreSQL, with two
// replicas delivering (each event still reaches the receiver once: an
// endpoint's lease lets one replica at a time deliver to it).
func TestEventAndWebhookCommandsPostgres(t *testing.T) {
	dbURL := pgtest.NewSchemaURL(t)
	addr, _ := startServe(t, "", nil, "--database-url", dbURL, "--webhooks-allow-private-networks")
	startServe(t, "", nil, "--database-url", dbURL, "--webhooks-allow-private-networks")
	testEventCommands(t, addr, "--database-url", dbURL)
}

func testEventCommands(t *testing.T, addr, storeFlag, where string) {
	team := jsonObject(t, roster(t, "team", "create", storeFlag, where, "--name", "Acme", "--admin-email", "admin@acme.example", "--json"))
	slug := team["slug"].(string)
	key := jsonObject(t, roster(t, "scim-key", "create", storeFlag, where, "--team", slug, "--name", "okta", "--json"))
	roster(t, "scim", "enable", storeFlag, where, "--team", slug)

	// The receiver: every request's webhook-id and body.
	type hit struct {
		id   string
		body []byte
	}
	var mu sync.Mutex
	var hits []hit
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, hit{r.Header.Get("webhook-id"), b})
		mu.Unlock()
		w.WriteHeader(204)
	}))
	t.Cleanup(rcv.Close)
	received := func() []hit {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(hits)
	}
	waitHits := func(n int) []hit {
		t.Helper()
		testwait.Until(t, 20*time.Second, fmt.Sprintf("%d events delivered", n), func() bool { return len(received()) >= n })
		return received()
	}

	// Without the flag (or its env variable), a loopback URL is refused.
	r := rosterRun(t, runOpt{env: noRosterEnv}, "webhook", "create", storeFlag, where, "--team", slug, "--url", rcv.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "loopback") || !strings.Contains(r.stderr, "--webhooks-allow-private-networks") {
		t.Fatalf("loopback without the flag: %+v", r)
	}
	created := jsonObject(t, roster(t, "webhook", "create", storeFlag, where, "--team", slug, "--url", rcv.URL+"/hooks",
		"--types", "member.*,group.*", "--webhooks-allow-private-networks", "--json"))
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got := keys(created); !slices.Equal(got, []string{"id", "secret", "url"}) || created["url"] != rcv.URL+"/hooks" ||
		!strings.HasPrefix(created["secret"].(string), "whsec_") {
		t.Fatalf("webhook create --json: %v", created)
	}
	id := created["id"].(string)

	// Three members over SCIM, to the running server: three member.created.
	for _, name := range []string{"ana", "bo", "cy"} {
		req, _ := http.NewRequest("POST", "http://"+addr+"/scim/v2/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`@acme.example"}`))
		req.Header.Set("Authorization", "Bearer "+key["token"].(string))
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("SCIM create: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	got := waitHits(3)

	// roster events --json: the pull API's page, field for field; its
	// events are the very bodies the webhook got.
	var page struct {
		Data       []json.RawMessage `json:"data"`
		NextCursor string            `json:"next_cursor"`
		HasMore    bool              `json:"has_more"`
	}
	raw := roster(t, "events", storeFlag, where, "--team", slug, "--json")
	if m := jsonObject(t, raw); !slices.Equal(keys(m), []string{"data", "has_more", "next_cursor"}) {
		t.Fatalf("events --json: %s", raw)
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	// member.created (the admin), scim_key.created, then the three members.
	if len(page.Data) != 5 || page.HasMore || page.NextCursor != "5" {
		t.Fatalf("events: %s", raw)
	}
	for i, h := range got[:3] {
		var a, b any
		_ = json.Unmarshal(page.Data[2+i], &a)
		_ = json.Unmarshal(h.body, &b)
		ev := a.(map[string]any)
		if !jsonEqual(a, b) || h.id != ev["id"] || ev["type"] != "member.created" || ev["seq"] != float64(3+i) {
			t.Fatalf("event %d: CLI %s, webhook %s (id %s)", i, page.Data[2+i], h.body, h.id)
		}
		if !slices.Equal(keys(ev), []string{"actor", "data", "id", "occurred_at", "seq", "team", "type"}) {
			t.Fatalf("event fields: %v", keys(ev))
		}
	}
	// Paging with the cursor.
	raw = roster(t, "events", storeFlag, where, "--team", slug, "--after", "1", "--limit", "2", "--json")
	if err := json.Unmarshal(raw, &page); err != nil || len(page.Data) != 2 || !page.HasMore || page.NextCursor != "3" {
		t.Fatalf("events --after 1 --limit 2: %s", raw)
	}
	raw = roster(t, "events", storeFlag, where, "--team", slug, "--after", "5", "--json")
	if string(raw) != "{\n  \"data\": [],\n  \"next_cursor\": \"5\",\n  \"has_more\": false\n}\n" {
		t.Fatalf("events at the end: %q", raw)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "events", storeFlag, where, "--team", slug, "--after", "99"); r.code != 1 || !strings.Contains(r.stderr, "beyond") || r.stdout != "" {
		t.Fatalf("a cursor beyond the last event: %+v", r)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "events", storeFlag, where, "--team", slug, "--limit", "1001"); r.code != 1 || !strings.Contains(r.stderr, "--limit") {
		t.Fatalf("--limit 1001: %+v", r)
	}
	text := string(roster(t, "events", storeFlag, where, "--team", slug))
	if !strings.HasPrefix(text, "SEQ") || !strings.Contains(text, "member.created") || !strings.Contains(text, "scim-key:okta") || !strings.HasSuffix(text, "next cursor: 5\n") {
		t.Fatalf("events as text:\n%s", text)
	}

	// list, deliveries.
	var list []map[string]any
	if err := json.Unmarshal(roster(t, "webhook", "list", storeFlag, where, "--team", slug, "--json"), &list); err != nil || len(list) != 1 ||
		list[0]["id"] != id || list[0]["status"] != "enabled" || list[0]["delivered_seq"] != float64(5) || list[0]["pending"] != float64(0) || list[0]["secret"] != nil {
		t.Fatalf("webhook list --json: %v %v", list, err)
	}
	var log []map[string]any
	if err := json.Unmarshal(roster(t, "webhook", "deliveries", storeFlag, where, "--team", slug, "--id", id, "--json"), &log); err != nil || len(log) != 3 {
		t.Fatalf("webhook deliveries --json: %v %v", log, err)
	}
	if log[0]["seq"] != float64(5) || log[0]["outcome"] != "delivered" || log[0]["status"] != float64(204) || log[0]["attempt"] != float64(1) ||
		!slices.Equal(keys(log[0]), []string{"at", "attempt", "error", "event_id", "id", "latency_ms", "outcome", "replay", "response", "seq", "status"}) {
		t.Fatalf("delivery: %v", log[0])
	}

	// A replay the CLI asks for is sent by the running server: the same
	// ids again, in order.
	out := string(roster(t, "webhook", "replay", storeFlag, where, "--team", slug, "--id", id, "--since-seq", "4"))
	if !strings.Contains(out, "events 4 through 5 queued again") {
		t.Fatalf("replay: %s", out)
	}
	got = waitHits(5)
	if got[3].id != got[1].id || got[4].id != got[2].id {
		t.Fatalf("replayed %s %s, want %s %s", got[3].id, got[4].id, got[1].id, got[2].id)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "webhook", "replay", storeFlag, where, "--team", slug, "--id", id); r.code != 1 || !strings.Contains(r.stderr, "--since-seq") {
		t.Fatalf("replay without a seq: %+v", r)
	}

	// disable, enable, delete.
	if out := string(roster(t, "webhook", "disable", storeFlag, where, "--team", slug, "--id", id)); !strings.Contains(out, "disabled") {
		t.Fatal(out)
	}
	text = string(roster(t, "webhook", "list", storeFlag, where, "--team", slug))
	if !strings.Contains(text, "disabled") || !strings.Contains(text, "disabled by cli:operator") {
		t.Fatalf("list after disable:\n%s", text)
	}
	roster(t, "webhook", "enable", storeFlag, where, "--team", slug, "--id", id)
	roster(t, "webhook", "delete", storeFlag, where, "--team", slug, "--id", id)
	if out := string(roster(t, "webhook", "list", storeFlag, where, "--team", slug, "--json")); out != "[]\n" {
		t.Fatalf("list after delete: %q", out)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "webhook", "delete", storeFlag, where, "--team", slug, "--id", id); r.code != 1 || !strings.Contains(r.stderr, "has no webhook") {
		t.Fatalf("delete again: %+v", r)
	}
	// Bad input: a clear refusal, nothing made.
	for _, args := range [][]string{
		{"--url", "http://example.com/hooks"},
		{"--url", "https://10.0.0.1/hooks"},
		{"--url", rcv.URL, "--types", "member.nonsense", "--webhooks-allow-private-networks"},
		{"--url", "https://user:pw@example.com/"},
	} {
		r := rosterRun(t, runOpt{env: noRosterEnv}, append([]string{"webhook", "create", storeFlag, where, "--team", slug}, args...)...)
		if r.code != 1 || r.stdout != "" || r.stderr == "" {
			t.Errorf("webhook create %v: %+v", args, r)
		}
	}
	if out := string(roster(t, "webhook", "list", storeFlag, where, "--team", slug, "--json")); out != "[]\n" {
		t.Fatalf("refused creates made webhooks: %q", out)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestEventCommandsRefuseAMissingStore: like every command that needs a
// store (TestMissingStoreIsRefused), these refuse a data dir without one,
// naming it, and create nothing.
func TestEventCommandsRefuseAMissingStore(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "typo")
	for _, args := range [][]string{
		{"events", "--team", "acme"},
		{"webhook", "create", "--team", "acme", "--url", "https://example.com/hooks"},
		{"webhook", "list", "--team", "acme"},
		{"webhook", "enable", "--team", "acme", "--id", "x"},
		{"webhook", "disable", "--team", "acme", "--id", "x"},
		{"webhook", "delete", "--team", "acme", "--id", "x"},
		{"webhook", "deliveries", "--team", "acme", "--id", "x"},
		{"webhook", "replay", "--team", "acme", "--id", "x", "--since-seq", "1"},
	} {
		for _, how := range []string{"flag", "env"} {
			opt := runOpt{env: noRosterEnv}
			a := slices.Clone(args)
			if how == "flag" {
				a = append(a, "--data-dir", dir)
			} else {
				opt.env = append(slices.Clone(noRosterEnv), "ROSTER_DATA_DIR="+dir)
			}
			r := rosterRun(t, opt, a...)
			want := "no Roster store in --data-dir " + dir + " (there is no " + filepath.Join(dir, "roster.db") + ")"
			if r.code != 1 || !strings.Contains(r.stderr, want) || r.stdout != "" {
				t.Errorf("roster %v (%s): %+v", a, how, r)
			}
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("the refusals created %v", entries)
	}
	// Required flags are named.
	r := rosterRun(t, runOpt{env: noRosterEnv}, "webhook", "deliveries", "--data-dir", dir, "--team", "acme")
	if r.code != 1 || !strings.Contains(r.stderr, "--id is required") {
		t.Fatalf("deliveries without --id: %+v", r)
	}
}

// TestServeEventFlags: serve's flags of the event stream are listed with
// their variables, and a retention under an hour is refused at start.
func TestServeEventFlags(t *testing.T) {
	t.Parallel()
	r := rosterRun(t, runOpt{env: noRosterEnv}, "serve", "--help")
	for _, want := range []string{"--event-retention duration", "(env ROSTER_EVENT_RETENTION; default 30d)", "--webhooks-allow-private-networks", "(env ROSTER_WEBHOOKS_ALLOW_PRIVATE_NETWORKS)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	dir := t.TempDir()
	for _, opt := range []runOpt{{env: noRosterEnv}, {env: append(slices.Clone(noRosterEnv), "ROSTER_EVENT_RETENTION=30m")}} {
		args := []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}
		if len(opt.env) == len(noRosterEnv) {
			args = append(args, "--event-retention", "30m")
		}
		r := rosterRun(t, opt, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "--event-retention must be at least 1h") {
			t.Errorf("serve with a 30m retention: %+v", r)
		}
	}
}
