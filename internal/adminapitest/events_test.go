package adminapitest

// The event stream's pull API (GET /api/v1/teams/{slug}/events): its
// shape, paging, long poll, retention (410), bad input (400), tenant
// isolation and roles; and the exact events each write path emits, read
// back through it.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/testwait"
)

// event is one event of the pull API, decoded.
type event struct {
	ID         string
	Type       string
	TeamID     string
	TeamSlug   string
	Seq        int64
	OccurredAt string
	Actor      map[string]any
	Data       map[string]any
}

func (ev event) String() string { return fmt.Sprintf("%d %s", ev.Seq, ev.Type) }

// decodeEvents reads a page's data, failing on any field the event shape
// lacks or adds.
func decodeEvents(t *testing.T, r response) []event {
	t.Helper()
	data, ok := r.Body["data"].([]any)
	if !ok {
		t.Fatalf("no data list: %.300s", r.Raw)
	}
	if _, ok := r.Body["next_cursor"].(string); !ok {
		t.Fatalf("no next_cursor string: %.300s", r.Raw)
	}
	if _, ok := r.Body["has_more"].(bool); !ok {
		t.Fatalf("no has_more: %.300s", r.Raw)
	}
	if len(r.Body) != 3 {
		t.Fatalf("a page has exactly data, next_cursor and has_more: %.300s", r.Raw)
	}
	var out []event
	for _, x := range data {
		m := x.(map[string]any)
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "actor,data,id,occurred_at,seq,team,type" {
			t.Fatalf("event fields %v: %v", keys, m)
		}
		team, _ := m["team"].(map[string]any)
		ev := event{Type: m["type"].(string), ID: m["id"].(string), Seq: int64(m["seq"].(float64)), OccurredAt: m["occurred_at"].(string)}
		ev.TeamID, _ = team["id"].(string)
		ev.TeamSlug, _ = team["slug"].(string)
		ev.Actor, _ = m["actor"].(map[string]any)
		ev.Data, _ = m["data"].(map[string]any)
		if ev.ID == "" || ev.Actor == nil || ev.Data == nil || len(team) != 2 {
			t.Fatalf("event %v", m)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev.OccurredAt); err != nil {
			t.Fatalf("occurred_at %q: %v", ev.OccurredAt, err)
		}
		out = append(out, ev)
	}
	return out
}

// eventsAfter reads every event of the team after the cursor, a page of
// limit at a time, checking the pages chain (each next_cursor is the last
// seq of its page, seqs rise by one); it returns them and the last cursor.
func (c *client) eventsAfter(t *testing.T, slug, cursor string, limit int) ([]event, string) {
	t.Helper()
	var all []event
	for range 10000 {
		q := "?limit=" + strconv.Itoa(limit)
		if cursor != "" {
			q += "&after=" + cursor
		}
		r := c.do("GET", "/teams/"+slug+"/events"+q, nil).must(t, 200)
		page := decodeEvents(t, r)
		next := r.Body["next_cursor"].(string)
		if len(page) > limit {
			t.Fatalf("%d events for limit %d", len(page), limit)
		}
		for _, ev := range page {
			if prev := int64(0); len(all) > 0 {
				prev = all[len(all)-1].Seq
				if ev.Seq != prev+1 {
					t.Fatalf("seq %d after %d", ev.Seq, prev)
				}
			}
			all = append(all, ev)
		}
		if len(page) > 0 && next != strconv.FormatInt(page[len(page)-1].Seq, 10) {
			t.Fatalf("next_cursor %s, last seq %d", next, page[len(page)-1].Seq)
		}
		if len(page) == 0 && cursor != "" && next != cursor {
			t.Fatalf("an empty page moved the cursor from %s to %s", cursor, next)
		}
		cursor = next
		if !r.Body["has_more"].(bool) {
			return all, cursor
		}
		if len(page) != limit {
			t.Fatalf("has_more with a short page: %d of %d", len(page), limit)
		}
	}
	t.Fatal("the pages never end")
	return nil, ""
}

// types lists the events' types.
func types(evs []event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func TestEventsPullAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(e.Admin, e.AdminPassword, "events")
	for range 5 {
		admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": uniq("k")}).must(t, 201)
	}

	// Everything, one page; then the same in pages of 2.
	all, cursor := admin.eventsAfter(t, e.Team.Slug, "", 1000)
	if len(all) < 6 || all[0].Seq != 1 {
		t.Fatalf("events %v", all)
	}
	for _, ev := range all {
		if ev.TeamID != e.Team.ID || ev.TeamSlug != e.Team.Slug {
			t.Fatalf("event of team %s/%s", ev.TeamID, ev.TeamSlug)
		}
	}
	if cursor != strconv.FormatInt(all[len(all)-1].Seq, 10) {
		t.Fatalf("cursor %s after %v", cursor, all)
	}
	paged, _ := admin.eventsAfter(t, e.Team.Slug, "", 2)
	if !slices.EqualFunc(all, paged, func(a, b event) bool { return a.ID == b.ID && a.Seq == b.Seq }) {
		t.Fatalf("paged %v, whole %v", paged, all)
	}
	// From the middle: an event's seq is a cursor.
	mid, _ := admin.eventsAfter(t, e.Team.Slug, strconv.FormatInt(all[2].Seq, 10), 1000)
	if len(mid) != len(all)-3 || mid[0].ID != all[3].ID {
		t.Fatalf("after seq %d: %v", all[2].Seq, mid)
	}
	// The default limit is 100; the ceiling 1000.
	r := admin.do("GET", e.teamPath("/events?after=0"), nil).must(t, 200)
	if got := len(decodeEvents(t, r)); got != len(all) {
		t.Fatalf("%d events without limit, want %d", got, len(all))
	}
	// At the end: an empty page with the same cursor, at once.
	r = admin.do("GET", e.teamPath("/events?after="+cursor), nil).must(t, 200)
	if evs := decodeEvents(t, r); len(evs) != 0 || r.Body["next_cursor"] != cursor || r.Body["has_more"] != false {
		t.Fatalf("at the end: %s", r.Raw)
	}

	// Bad input: 400 naming the field, nothing else.
	last := all[len(all)-1].Seq
	for q, field := range map[string]string{
		"after=abc": "after", "after=-1": "after", "after=1.5": "after", "after=" + strconv.FormatInt(last+1, 10): "after",
		"after=99999999999999999999": "after", "after=%20" + cursor: "after",
		"limit=0": "limit", "limit=1001": "limit", "limit=ten": "limit", "limit=-5": "limit",
		"wait=31s": "wait", "wait=soon": "wait", "wait=-1s": "wait", "wait=1h": "wait",
	} {
		msg := admin.do("GET", e.teamPath("/events?"+q), nil).apiError(t, 400, field)
		if msg == "" {
			t.Fatalf("%s: no message", q)
		}
	}
	// A bare number of seconds, and a duration, are waits.
	for _, w := range []string{"0", "0s", "1ms"} {
		admin.do("GET", e.teamPath("/events?after="+cursor+"&wait="+w), nil).must(t, 200)
	}

	// Roles below Admin are refused; so is a session without its CSRF
	// token on nothing (a GET needs none).
	for _, role := range []string{service.RoleDeveloper, service.RoleBilling} {
		email := uniq("events-" + strings.ToLower(role))
		e.addMember(email, []string{role}, store.SourceManual, true)
		msg := e.token(email, testPassword, "events").do("GET", e.teamPath("/events"), nil).apiError(t, 403, "")
		if !strings.Contains(msg, "you need one of the roles") {
			t.Fatalf("%s refused with %q", role, msg)
		}
	}
	e.login(e.Admin, e.AdminPassword).do("GET", e.teamPath("/events?limit=1"), nil).must(t, 200)
}

// inFlight reads the server's roster_http_in_flight_requests.
func (e *env) inFlight() float64 {
	e.t.Helper()
	mfs, err := e.Srv.Metrics().Registry().Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "roster_http_in_flight_requests" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	e.t.Fatal("no roster_http_in_flight_requests")
	return 0
}

// TestEventsLongPoll: a long poll answers as soon as an event commits. The
// service looks for other processes' events only every 30 s here, so an
// answer well before that came from the commit waking it.
func TestEventsLongPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Svc.SetEventsConfig(service.EventsConfig{Poll: 30 * time.Second})
	admin := e.token(e.Admin, e.AdminPassword, "poll")
	_, cursor := admin.eventsAfter(t, e.Team.Slug, "", 1000)

	type answer struct {
		r    response
		took time.Duration
	}
	poll := func(c *client, slug, q string) <-chan answer {
		ch := make(chan answer, 1)
		base := e.inFlight()
		go func() {
			start := time.Now()
			r := c.do("GET", "/teams/"+slug+"/events"+q, nil)
			ch <- answer{r, time.Since(start)}
		}()
		// Wait (on an observable condition, with a deadline) until the
		// request is inside the server.
		testwait.Until(t, 10*time.Second, "the long poll inside the server", func() bool { return e.inFlight() > base })
		return ch
	}

	// Team B's reader polls B's stream at the same time: A's event must
	// neither wake it with A's data nor show up there.
	teamB, passB := testserver.NewTeamWithAdmin(t, e.Svc, "Globex", "boss@globex.example")
	bossB := e.token("boss@globex.example", passB, "poll-b")
	_, cursorB := bossB.eventsAfter(t, teamB.Slug, "", 1000)

	got := poll(admin, e.Team.Slug, "?wait=25s&after="+cursor)
	gotB := poll(bossB, teamB.Slug, "?wait=1s&after="+cursorB)
	key := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "woken"}).must(t, 201)
	a := <-got
	a.r.must(t, 200)
	evs := decodeEvents(t, a.r)
	if len(evs) != 1 || evs[0].Type != "scim_key.created" || evs[0].Data["id"] != key.Body["id"] {
		t.Fatalf("the long poll answered %s", a.r.Raw)
	}
	if a.took > 5*time.Second {
		t.Fatalf("the long poll answered after %s: not woken by the commit", a.took)
	}
	b := <-gotB
	b.r.must(t, 200)
	if len(decodeEvents(t, b.r)) != 0 || b.r.Body["next_cursor"] != cursorB || strings.Contains(string(b.r.Raw), e.Team.ID) {
		t.Fatalf("team B's long poll answered %s", b.r.Raw)
	}

	// A wait with nothing coming answers an empty page when it ends.
	start := time.Now()
	r := admin.do("GET", e.teamPath("/events?wait=300ms&after="+strconv.FormatInt(evs[0].Seq, 10)), nil).must(t, 200)
	if len(decodeEvents(t, r)) != 0 || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("a wait that ends: %s after %s", r.Raw, time.Since(start))
	}
}

// TestEventsRetention: once events are pruned past the retention, a
// cursor before them is 410 with a message that says what to do; reading
// from the start, or from where the pruning stopped, goes on.
func TestEventsRetention(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnvClock(t, clock.Now)
	admin := e.token(e.Admin, e.AdminPassword, "retention")
	for range 3 {
		admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": uniq("old")}).must(t, 201)
	}
	old, _ := admin.eventsAfter(t, e.Team.Slug, "", 1000)
	if len(old) < 4 {
		t.Fatal("no events")
	}
	clock.Add(service.DefaultEventRetention + time.Hour)
	admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "young"}).must(t, 201)
	n, err := e.Svc.PruneEvents(context.Background())
	if err != nil || n < len(old) {
		t.Fatalf("pruned %d, %v; want at least %d", n, err, len(old))
	}
	pruned := old[len(old)-1].Seq
	for _, after := range []string{"0", "1", strconv.FormatInt(pruned-1, 10)} {
		msg := admin.do("GET", e.teamPath("/events?after="+after), nil).apiError(t, 410, "")
		if !strings.Contains(msg, "retention") || !strings.Contains(msg, "after="+strconv.FormatInt(pruned, 10)) {
			t.Fatalf("410 message %q", msg)
		}
	}
	// From the start: what is kept. From the pruning's end: the same.
	for _, from := range []string{"", strconv.FormatInt(pruned, 10)} {
		evs, _ := admin.eventsAfter(t, e.Team.Slug, from, 1000)
		if len(evs) != 1 || evs[0].Type != "scim_key.created" || evs[0].Seq != pruned+1 {
			t.Fatalf("after %q: %v", from, evs)
		}
	}
}

// TestEventsTenantIsolation: team B's Super Admin never sees team A's
// events: not under A's slug (the nonexistent team's 404), not under B's
// own slug with A's cursor, not by a long poll.
func TestEventsTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(e.Admin, e.AdminPassword, "iso")
	for range 20 {
		admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": uniq("k")}).must(t, 201)
	}
	evsA, cursorA := admin.eventsAfter(t, e.Team.Slug, "", 1000)
	teamB, passB := testserver.NewTeamWithAdmin(t, e.Svc, "Globex", "boss@globex.example")
	bossB := e.token("boss@globex.example", passB, "iso-b")

	ghost := bossB.do("GET", "/teams/no-such-team/events", nil).apiError(t, 404, "")
	for _, q := range []string{"", "?after=0", "?after=" + cursorA, "?wait=1s&after=" + cursorA} {
		msg := bossB.do("GET", e.teamPath("/events"+q), nil).apiError(t, 404, "")
		if strings.ReplaceAll(ghost, "no-such-team", e.Team.Slug) != msg {
			t.Fatalf("team A's answer %q differs from a nonexistent team's %q", msg, ghost)
		}
	}
	// B's own stream with A's cursor: beyond B's last event, refused.
	bossB.do("GET", "/teams/"+teamB.Slug+"/events?after="+cursorA, nil).apiError(t, 400, "after")
	// B's stream from any cursor holds only B's events.
	evsB, _ := bossB.eventsAfter(t, teamB.Slug, "", 1)
	if len(evsB) == 0 {
		t.Fatal("team B has no events")
	}
	idsA := map[string]bool{}
	for _, ev := range evsA {
		idsA[ev.ID] = true
	}
	for _, ev := range evsB {
		if ev.TeamID != teamB.ID || idsA[ev.ID] {
			t.Fatalf("team B reads %+v", ev)
		}
	}
	// A's admin has no business in B either.
	admin.do("GET", "/teams/"+teamB.Slug+"/events", nil).apiError(t, 404, "")
}

// TestEventsOfEveryWritePath makes each kind of change once, through the
// SCIM API (users, groups, Bulk) and the admin API (roles, keys, the SSO
// policy), and reads back exactly the events it emitted, with their data.
func TestEventsOfEveryWritePath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(e.Admin, e.AdminPassword, "paths")
	_, cursor := admin.eventsAfter(t, e.Team.Slug, "", 1000)
	// next returns the events since the last call, checking their types.
	next := func(what string, want ...string) []event {
		t.Helper()
		var evs []event
		evs, cursor = admin.eventsAfter(t, e.Team.Slug, cursor, 1000)
		if got := types(evs); !slices.Equal(got, want) {
			t.Fatalf("%s emitted %v, want %v", what, got, want)
		}
		for _, ev := range evs {
			if ev.Actor["type"] == nil {
				t.Fatalf("%s: event without an actor type: %+v", what, ev)
			}
		}
		return evs
	}
	field := func(ev event, name string) any { return ev.Data[name] }
	scim := func(method, path, key, body string, want int) map[string]any {
		t.Helper()
		st, raw := e.scim(method, path, key, body)
		if st != want {
			t.Fatalf("SCIM %s %s: %d %.300s, want %d", method, path, st, raw, want)
		}
		var m map[string]any
		if raw != "" {
			m = loadJSON(t, []byte(raw)).(map[string]any)
		}
		return m
	}
	const userSchema = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	const groupSchema = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}

	// Keys: created (admin API), rotated, revoked.
	admin.do("PUT", e.teamPath("/scim"), map[string]any{"enabled": true}).must(t, 200)
	k := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201)
	ev := next("creating a key", "scim_key.created")[0]
	if field(ev, "id") != k.Body["id"] || field(ev, "name") != "okta" || strings.Contains(string(k.Raw), fmt.Sprint(ev.Data)) {
		t.Fatalf("scim_key.created %v", ev.Data)
	}
	if ev.Actor["type"] != "token" && ev.Actor["type"] != "account" {
		t.Fatalf("actor %v", ev.Actor)
	}
	rot := admin.do("POST", e.teamPath("/scim/keys/"+k.Body["id"].(string)+"/rotate"), map[string]any{"grace": "1h"}).must(t, 201)
	ev = next("rotating a key", "scim_key.rotated")[0]
	if raw := fmt.Sprint(ev.Data); !strings.Contains(raw, rot.Body["id"].(string)) || !strings.Contains(raw, k.Body["id"].(string)) {
		t.Fatalf("scim_key.rotated names neither key: %v", ev.Data)
	}
	key := rot.Body["token"].(string)
	spare := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "spare"}).must(t, 201)
	admin.do("DELETE", e.teamPath("/scim/keys/"+spare.Body["id"].(string)), nil).must(t, 204)
	ev = next("creating and revoking a key", "scim_key.created", "scim_key.revoked")[1]
	if field(ev, "id") != spare.Body["id"] {
		t.Fatalf("scim_key.revoked %v", ev.Data)
	}
	for _, ev := range []event{ev} {
		if strings.Contains(fmt.Sprint(ev.Data), key) || strings.Contains(fmt.Sprint(ev.Data), spare.Body["token"].(string)) {
			t.Fatal("a key's secret in an event")
		}
	}

	// A SCIM user: created, updated, deactivated, reactivated, replaced,
	// deleted.
	u := scim("POST", "/Users", key, `{`+userSchema+`,"userName":"ada@acme.example","displayName":"Ada","active":true}`, 201)
	uid := u["id"].(string)
	ev = next("SCIM create", "member.created")[0]
	if field(ev, "id") != uid || field(ev, "userName") != "ada@acme.example" || field(ev, "active") != true || field(ev, "source") == "" {
		t.Fatalf("member.created %v", ev.Data)
	}
	if ev.Actor["type"] != "scim-key" {
		t.Fatalf("a SCIM change's actor %v", ev.Actor)
	}
	scim("PATCH", "/Users/"+uid, key, patch(`{"op":"replace","path":"displayName","value":"Ada L."}`), 200)
	ev = next("SCIM PATCH displayName", "member.updated")[0]
	if field(ev, "displayName") != "Ada L." || fmt.Sprint(field(ev, "changed_fields")) != "[displayName]" {
		t.Fatalf("member.updated %v", ev.Data)
	}
	scim("PATCH", "/Users/"+uid, key, patch(`{"op":"replace","value":{"active":false}}`), 200)
	ev = next("SCIM deactivation", "member.deactivated")[0]
	if field(ev, "active") != false || field(ev, "status") != "deactivated" {
		t.Fatalf("member.deactivated %v", ev.Data)
	}
	scim("PATCH", "/Users/"+uid, key, patch(`{"op":"replace","path":"active","value":true}`), 200)
	if ev = next("SCIM reactivation", "member.reactivated")[0]; field(ev, "active") != true {
		t.Fatalf("member.reactivated %v", ev.Data)
	}
	scim("PUT", "/Users/"+uid, key, `{`+userSchema+`,"userName":"ada@acme.example","displayName":"Ada Lovelace","title":"Countess","active":true}`, 200)
	ev = next("SCIM PUT", "member.updated")[0]
	if ch := fmt.Sprint(field(ev, "changed_fields")); !strings.Contains(ch, "displayName") || !strings.Contains(ch, "title") {
		t.Fatalf("member.updated by PUT: changed %s", ch)
	}
	// A PATCH that changes nothing emits nothing.
	scim("PATCH", "/Users/"+uid, key, patch(`{"op":"replace","path":"displayName","value":"Ada Lovelace"}`), 200)
	next("a PATCH that changes nothing")

	// The admin API: a role change.
	admin.do("PATCH", e.teamPath("/members/"+uid), map[string]any{"roles": []any{"Admin"}}).must(t, 200)
	ev = next("a role change", "member.roles_changed")[0]
	if field(ev, "id") != uid || fmt.Sprint(field(ev, "roles")) != "[Admin]" {
		t.Fatalf("member.roles_changed %v", ev.Data)
	}

	// Groups: created with a member, members added and removed, renamed,
	// deleted.
	bob := scim("POST", "/Users", key, `{`+userSchema+`,"userName":"bob@acme.example","active":true}`, 201)["id"].(string)
	next("SCIM create", "member.created")
	g := scim("POST", "/Groups", key, `{`+groupSchema+`,"displayName":"Eng","members":[{"value":"`+uid+`"}]}`, 201)
	gid := g["id"].(string)
	evs := next("SCIM group create", "group.created", "group.member_added")
	if field(evs[0], "id") != gid || field(evs[0], "displayName") != "Eng" {
		t.Fatalf("group.created %v", evs[0].Data)
	}
	if grp, _ := field(evs[1], "group").(map[string]any); grp["id"] != gid || fmt.Sprint(field(evs[1], "member_ids")) != "["+uid+"]" {
		t.Fatalf("group.member_added %v", evs[1].Data)
	}
	scim("PATCH", "/Groups/"+gid, key, patch(`{"op":"add","path":"members","value":[{"value":"`+bob+`"},{"value":"`+uid+`"}]}`), 200)
	if ev = next("adding a member (and one already in)", "group.member_added")[0]; fmt.Sprint(field(ev, "member_ids")) != "["+bob+"]" {
		t.Fatalf("group.member_added %v", ev.Data)
	}
	scim("PATCH", "/Groups/"+gid, key, patch(`{"op":"remove","path":"members[value eq \"`+uid+`\"]"}`), 200)
	if ev = next("removing a member", "group.member_removed")[0]; fmt.Sprint(field(ev, "member_ids")) != "["+uid+"]" {
		t.Fatalf("group.member_removed %v", ev.Data)
	}
	scim("PATCH", "/Groups/"+gid, key, patch(`{"op":"replace","path":"displayName","value":"Engineering"}`), 200)
	if ev = next("renaming a group", "group.updated")[0]; field(ev, "displayName") != "Engineering" {
		t.Fatalf("group.updated %v", ev.Data)
	}
	scim("DELETE", "/Groups/"+gid, key, "", 204)
	// The group's memberships go with it: group.deleted says so.
	if ev = next("deleting a group", "group.deleted")[0]; field(ev, "id") != gid || field(ev, "displayName") != "Engineering" {
		t.Fatalf("group.deleted %v", ev.Data)
	}

	// A SCIM delete.
	scim("DELETE", "/Users/"+bob, key, "", 204)
	if ev = next("SCIM delete", "member.deleted")[0]; field(ev, "id") != bob {
		t.Fatalf("member.deleted %v", ev.Data)
	}

	// Bulk: two users and a group holding both, by bulkId.
	bulk := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		{"method":"POST","path":"/Users","bulkId":"u1","data":{` + userSchema + `,"userName":"cy@acme.example","active":true}},
		{"method":"POST","path":"/Users","bulkId":"u2","data":{` + userSchema + `,"userName":"di@acme.example","active":true}},
		{"method":"POST","path":"/Groups","bulkId":"g1","data":{` + groupSchema + `,"displayName":"Ops","members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}},
		{"method":"PATCH","path":"/Users/` + uid + `","data":` + patch(`{"op":"replace","path":"active","value":false}`) + `}]}`
	scim("POST", "/Bulk", key, bulk, 200)
	evs = next("Bulk", "member.created", "member.created", "group.created", "group.member_added", "member.deactivated")
	if ids := field(evs[3], "member_ids").([]any); len(ids) != 2 || !slices.Contains(ids, field(evs[0], "id")) || !slices.Contains(ids, field(evs[1], "id")) {
		t.Fatalf("Bulk's group.member_added %v", evs[3].Data)
	}

	// The SSO policy.
	admin.do("PATCH", e.teamPath("/sso/policy"), map[string]any{"jit": true, "domains": []any{"acme.example"}}).must(t, 200)
	if ev = next("the SSO policy", "sso_policy.updated")[0]; field(ev, "jit") != true {
		t.Fatalf("sso_policy.updated %v", ev.Data)
	}

	// SSO connections, through the admin API: created, changed, deleted.
	conn := admin.do("POST", e.teamPath("/sso/connections"), map[string]any{"type": "saml", "name": "Okta",
		"idp_metadata": string(testIdPMetadata(t)), "preset": "okta"}).must(t, 201)
	connID := conn.Body["id"].(string)
	if ev = next("an SSO connection", "sso_connection.created")[0]; field(ev, "id") != connID {
		t.Fatalf("sso_connection.created %v", ev.Data)
	}
	admin.do("PATCH", e.teamPath("/sso/connections/"+connID), map[string]any{"enabled": true}).must(t, 200)
	next("enabling an SSO connection", "sso_connection.updated")
	admin.do("DELETE", e.teamPath("/sso/connections/"+connID), nil).must(t, 204)
	if ev = next("deleting an SSO connection", "sso_connection.deleted")[0]; field(ev, "id") != connID {
		t.Fatalf("sso_connection.deleted %v", ev.Data)
	}
	for _, ev := range []event{ev} {
		if strings.Contains(fmt.Sprint(ev.Data), "PRIVATE KEY") {
			t.Fatal("a key in an SSO event")
		}
	}

	// The admin API: another member's profile, a group's roles, removal.
	cy := e.addMember(uniq("manual"), []string{service.RoleDeveloper}, store.SourceManual, true).ID // straight in the store: no event
	admin.do("PATCH", e.teamPath("/members/"+cy), map[string]any{"displayName": "Cy"}).must(t, 200)
	if ev = next("an admin's profile change", "member.updated")[0]; fmt.Sprint(field(ev, "changed_fields")) != "[displayName]" || ev.Actor["type"] != "token" {
		t.Fatalf("member.updated by an admin %v %v", ev.Data, ev.Actor)
	}
	ops := evs[2].Data["id"].(string)
	admin.do("PUT", e.teamPath("/groups/"+ops+"/roles"), map[string]any{"roles": []any{"Billing"}}).must(t, 200)
	if ev = next("a group's roles", "group.updated")[0]; fmt.Sprint(field(ev, "roles")) != "[Billing]" {
		t.Fatalf("group.updated by its roles %v", ev.Data)
	}
	admin.do("DELETE", e.teamPath("/members/"+cy), nil).must(t, 204)
	if ev = next("an admin's removal", "member.deleted")[0]; field(ev, "id") != cy {
		t.Fatalf("member.deleted by an admin %v", ev.Data)
	}

	// A refused write emits nothing.
	scim("POST", "/Users", key, `{`+userSchema+`,"userName":"cy@acme.example"}`, 409)
	admin.do("PATCH", e.teamPath("/members/"+uid), map[string]any{"roles": []any{"Nope"}}).must(t, 400)
	next("refused writes")
}

// TestGroupPatchEventsAreBatched: a PATCH adding 250 members to a group
// emits its membership as events of at most 100 members, naming each
// member once.
func TestGroupPatchEventsAreBatched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(e.Admin, e.AdminPassword, "batch")
	e.setSCIM(true)
	key := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201).Body["token"].(string)
	want := map[string]bool{}
	var values []string
	for i := range 250 {
		u := testserver.AddMember(t, e.St, e.Svc, e.Team, fmt.Sprintf("m%03d@acme.example", i), []string{service.RoleDeveloper}, store.SourceSCIM, true, "")
		want[u.ID] = true
		values = append(values, `{"value":"`+u.ID+`"}`)
	}
	gid := e.addGroup("Everyone")
	_, cursor := admin.eventsAfter(t, e.Team.Slug, "", 1000)
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[` + strings.Join(values, ",") + `]}]}`
	if st, raw := e.scim("PATCH", "/Groups/"+gid, key, body); st != 200 {
		t.Fatalf("PATCH: %d %.300s", st, raw)
	}
	evs, _ := admin.eventsAfter(t, e.Team.Slug, cursor, 1000)
	var sizes []int
	for _, ev := range evs {
		if ev.Type != "group.member_added" {
			t.Fatalf("unexpected %s", ev)
		}
		if g, _ := ev.Data["group"].(map[string]any); g["id"] != gid {
			t.Fatalf("names group %v", ev.Data["group"])
		}
		ids := ev.Data["member_ids"].([]any)
		sizes = append(sizes, len(ids))
		for _, id := range ids {
			if !want[id.(string)] {
				t.Fatalf("member %v named twice or unknown", id)
			}
			delete(want, id.(string))
		}
	}
	if fmt.Sprint(sizes) != "[100 100 50]" || len(want) != 0 {
		t.Fatalf("batches %v, %d members never named", sizes, len(want))
	}
}
