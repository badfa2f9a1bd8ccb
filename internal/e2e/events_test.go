package e2e

// The event stream end to end: two replicas (two servers on one database)
// take SCIM writes from concurrent clients while a reader long-polls the
// pull API with its cursor, alternating between the replicas. The reader
// must see every seq exactly once, in order, and no event may ever appear
// behind a cursor already handed out.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

// evtReplicas starts two servers on one database: the same PostgreSQL
// schema, or the same SQLite file (two processes' worth of connections).
// Each looks for the other's events every poll.
func evtReplicas(t *testing.T, poll time.Duration) (*testserver.Server, *testserver.Server) {
	t.Helper()
	ctx := context.Background()
	var open func() (store.Store, error)
	if onPostgres {
		url := pgtest.NewSchemaURL(t)
		open = func() (store.Store, error) { return postgres.Open(ctx, url) }
	} else {
		dir := t.TempDir()
		open = func() (store.Store, error) { return sqlite.Open(ctx, dir) }
	}
	openedStores.Store(true)
	var out [2]*testserver.Server
	for i := range out {
		st, err := open()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = testserver.Start(t, st, testserver.Options{})
		out[i].Svc.SetEventsConfig(service.EventsConfig{Poll: poll})
	}
	return out[0], out[1]
}

// evtPage is one answer of the pull API.
type evtPage struct {
	Data []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Team struct {
			ID   string `json:"id"`
			Slug string `json:"slug"`
		} `json:"team"`
		Seq  int64          `json:"seq"`
		Data map[string]any `json:"data"`
	} `json:"data"`
	NextCursor string `json:"next_cursor"`
	HasMore    bool   `json:"has_more"`
}

// evtTeam creates a team with SCIM on, a SCIM key, and a personal API
// token of its first admin (made through the service: no password hashing,
// which is slow under -race).
func evtTeam(t *testing.T, s *testserver.Server, name string) (store.Team, service.NewKey, string) {
	t.Helper()
	return evtTeamOn(t, s.Svc, s.St, name)
}

func evtTeamOn(t *testing.T, svc *service.Service, st store.Store, name string) (store.Team, service.NewKey, string) {
	t.Helper()
	ctx := context.Background()
	cli := service.Actor{Kind: "cli"}
	email := "owner@" + service.Slugify(name) + ".example"
	team, err := svc.CreateTeam(ctx, name, email, cli)
	if err != nil {
		t.Fatal(err)
	}
	if team, err = svc.SetSCIM(ctx, team.Slug, true, cli); err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, team.Slug, "okta", nil, cli)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := st.AccountByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := svc.CreateAPIToken(ctx, service.Caller{Account: acc, Actor: service.Actor{Kind: "account", Name: email}}, "events")
	if err != nil {
		t.Fatal(err)
	}
	return team, key, tok.Secret
}

// evtPull asks a server for the team's events after cursor.
func evtPull(ctx context.Context, hc *http.Client, base, token, slug, query string) (evtPage, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/teams/"+slug+"/events"+query, nil)
	if err != nil {
		return evtPage{}, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return evtPage{}, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return evtPage{}, 0, err
	}
	var p evtPage
	if resp.StatusCode != 200 {
		return p, resp.StatusCode, fmt.Errorf("GET events%s: %d %s", query, resp.StatusCode, raw)
	}
	return p, 200, json.Unmarshal(raw, &p)
}

func TestEventOrderAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := evtReplicas(t, 20*time.Millisecond)
	servers := []*testserver.Server{a, b}
	ctx := context.Background()
	team, key, token := evtTeam(t, a, "Acme")
	hc := &http.Client{Timeout: 30 * time.Second}

	// The reader: long polls of 7 events at most, alternating replicas,
	// until it sees the sentinel member the test creates last.
	type seen struct {
		seq       int64
		id, typ   string
		member    string // member.created: the member's id
		groupName string // group.created: its displayName
	}
	var log []seen
	readerDone := make(chan error, 1)
	go func() {
		cursor := ""
		for i := 0; ; i++ {
			s := servers[i%2]
			q := "?limit=7&wait=10s"
			if cursor != "" {
				q += "&after=" + cursor
			}
			p, _, err := evtPull(ctx, hc, s.URL, token, team.Slug, q)
			if err != nil {
				readerDone <- err
				return
			}
			for _, ev := range p.Data {
				prev := int64(0)
				if len(log) > 0 {
					prev = log[len(log)-1].seq
				}
				if ev.Seq != prev+1 {
					readerDone <- fmt.Errorf("after seq %d the reader got %d (%s) from replica %d", prev, ev.Seq, ev.Type, i%2)
					return
				}
				if ev.Team.ID != team.ID {
					readerDone <- fmt.Errorf("an event of team %s", ev.Team.ID)
					return
				}
				x := seen{seq: ev.Seq, id: ev.ID, typ: ev.Type}
				if ev.Type == "member.created" {
					x.member, _ = ev.Data["id"].(string)
				}
				if ev.Type == "group.created" {
					x.groupName, _ = ev.Data["displayName"].(string)
				}
				log = append(log, x)
				if ev.Type == "member.created" && ev.Data["userName"] == "sentinel@acme.example" {
					readerDone <- nil
					return
				}
			}
			if len(p.Data) > 0 && p.NextCursor != strconv.FormatInt(log[len(log)-1].seq, 10) {
				readerDone <- fmt.Errorf("next_cursor %s after seq %d", p.NextCursor, log[len(log)-1].seq)
				return
			}
			if len(p.Data) == 0 && cursor != "" && p.NextCursor != cursor {
				readerDone <- fmt.Errorf("an empty page moved the cursor from %s to %s", cursor, p.NextCursor)
				return
			}
			cursor = p.NextCursor
		}
	}()

	// Writers: each creates members and groups (a group with a member is
	// two events of one transaction) on its replica.
	const writers, perWriter = 6, 15
	created := make([][]string, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{t: t, base: servers[w%2].Base, auth: "Bearer " + key.Token, hc: &http.Client{Timeout: 30 * time.Second}}
			for i := range perWriter {
				r := c.doNoFail("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
					"userName": fmt.Sprintf("w%d-%d@acme.example", w, i), "active": true})
				if r.err != nil || r.status != 201 {
					errs <- fmt.Errorf("writer %d: create %d: %d %v %s", w, i, r.status, r.err, r.raw)
					return
				}
				id, _ := r.body["id"].(string)
				created[w] = append(created[w], id)
				if i%5 == 4 {
					r = c.doNoFail("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
						"displayName": fmt.Sprintf("g%d-%d", w, i), "members": []any{map[string]any{"value": id}}})
					if r.err != nil || r.status != 201 {
						errs <- fmt.Errorf("writer %d: group %d: %d %v %s", w, i, r.status, r.err, r.raw)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sentinel := &client{t: t, base: a.Base, auth: "Bearer " + key.Token, hc: &http.Client{Timeout: 10 * time.Second}}
	sentinel.do("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "sentinel@acme.example", "active": true}).must(t, 201)
	select {
	case err := <-readerDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the reader never saw the sentinel")
	}

	// Read again from the start, on each replica: exactly what the reader
	// saw, page by page, so nothing was slipped in behind a cursor.
	for i, s := range servers {
		var again []string
		cursor := "0"
		for {
			p, _, err := evtPull(ctx, hc, s.URL, token, team.Slug, "?limit=1000&after="+cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range p.Data {
				again = append(again, ev.ID)
			}
			cursor = p.NextCursor
			if !p.HasMore {
				break
			}
		}
		if len(again) != len(log) {
			t.Fatalf("replica %d: %d events from the start, the reader saw %d", i, len(again), len(log))
		}
		for j, id := range again {
			if log[j].id != id {
				t.Fatalf("replica %d: seq %d is %s now, the reader saw %s", i, log[j].seq, id, log[j].id)
			}
		}
	}

	// Every create has exactly one member.created; a group's two events
	// are adjacent (one transaction, numbered together).
	members := map[string]int{}
	groups := 0
	for j, x := range log {
		if x.member != "" {
			members[x.member]++
		}
		if x.typ == "group.created" {
			groups++
			if j+1 >= len(log) || log[j+1].typ != "group.member_added" {
				t.Fatalf("group %s: its group.member_added does not follow at once", x.groupName)
			}
		}
	}
	for w, ids := range created {
		for _, id := range ids {
			if members[id] != 1 {
				t.Fatalf("writer %d's member %s has %d member.created events", w, id, members[id])
			}
		}
	}
	if groups != writers*perWriter/5 {
		t.Fatalf("%d group.created, want %d", groups, writers*perWriter/5)
	}
	t.Logf("%d events from %d writers on 2 replicas, read in order", len(log), writers)
}

// evtResult is a SCIM answer read without failing the test (writers run
// in goroutines, where t.Fatal must not be called).
type evtResult struct {
	status int
	body   map[string]any
	raw    []byte
	err    error
}

func (c *client) doNoFail(method, path string, body any) evtResult {
	b, err := json.Marshal(body)
	if err != nil {
		return evtResult{err: err}
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	if err != nil {
		return evtResult{err: err}
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return evtResult{err: err}
	}
	defer resp.Body.Close()
	r := evtResult{status: resp.StatusCode}
	r.raw, r.err = io.ReadAll(resp.Body)
	if r.err == nil && len(r.raw) > 0 {
		r.err = json.Unmarshal(r.raw, &r.body)
	}
	return r
}
