package main

// kill -9 under load loses no event (issue 15): the built binary serves,
// concurrent SCIM creates run, the process is killed with SIGKILL in the
// middle of them, and restarted on the same store. Every create that was
// acknowledged (201) has exactly one member.created event; the team's
// seqs run from 1 with no gap; no member.created event names a member
// that isn't there, and no member is there without its event (a create
// cut by the kill wrote both or neither). After the restart the stream
// goes on from where it was, without a gap.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

func TestKill9UnderLoadLosesNoEventSQLite(t *testing.T) {
	dir := t.TempDir()
	killUnderLoad(t, []string{"--data-dir", dir}, func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, dir) })
}

func TestKill9UnderLoadLosesNoEventPostgres(t *testing.T) {
	url := pgtest.NewSchemaURL(t) // skips without ROSTER_TEST_POSTGRES_URL
	killUnderLoad(t, []string{"--database-url", url}, func(ctx context.Context) (store.Store, error) { return postgres.Open(ctx, url) })
}

func killUnderLoad(t *testing.T, storeArgs []string, open func(context.Context) (store.Store, error)) {
	t.Parallel()
	serve := func() (*proc, string) {
		addr := freeAddr(t)
		args := append(append([]string{}, storeArgs...), "--addr", addr, "--metrics-addr", "off", "--scim-write-rate", "-1")
		return startProc(t, nil, args...), addr
	}
	p, addr := serve()
	roster(t, append([]string{"team", "create", "--name", "Acme", "--admin-email", "a@acme.example"}, storeArgs...)...)
	roster(t, append([]string{"scim", "enable", "--team", "acme"}, storeArgs...)...)
	token := jsonObject(t, roster(t, append([]string{"scim-key", "create", "--team", "acme", "--name", "okta", "--json"}, storeArgs...)...))["token"].(string)

	var (
		mu      sync.Mutex
		acked   = map[string]string{} // member id -> userName, every 201
		bad     []string
		wg      sync.WaitGroup
		nAcked  atomic.Int64
		enough  = make(chan struct{})
		once    sync.Once
		killed  atomic.Bool
		afterKi atomic.Int64 // requests that failed once the process was gone
	)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}
	create := func(base, userName string) (int, string, error) {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"active":true,"emails":[{"value":%q,"primary":true}]}`, userName, userName)
		req, _ := http.NewRequest("POST", base+"/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, "", err
		}
		var m struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &m)
		if resp.StatusCode == http.StatusCreated && m.ID == "" {
			return resp.StatusCode, "", fmt.Errorf("a 201 without an id: %s", raw)
		}
		return resp.StatusCode, m.ID, nil
	}
	const clients, perClient, killAfter = 8, 400, 200
	for c := range clients {
		wg.Go(func() {
			for i := range perClient {
				name := fmt.Sprintf("c%d-%d@acme.example", c, i)
				st, id, err := create("http://"+addr, name)
				switch {
				case err != nil && killed.Load():
					afterKi.Add(1)
					return // the server is gone: this request may or may not have committed
				case err != nil:
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					return
				case st == http.StatusCreated:
					mu.Lock()
					acked[id] = name
					mu.Unlock()
					if nAcked.Add(1) >= killAfter {
						once.Do(func() { close(enough) })
					}
				default:
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: status %d", name, st))
					mu.Unlock()
					return
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d creates acknowledged in a minute; errors: %v", nAcked.Load(), bad)
	}
	killed.Store(true)
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush, no checkpoint
		t.Fatal(err)
	}
	<-p.exited
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d creates failed before the kill, e.g. %s", len(bad), bad[0])
	}
	ackedBeforeKill := len(acked)

	// Restart on the same store; the stream goes on.
	p2, addr2 := serve()
	for i := range 20 {
		name := fmt.Sprintf("after-%d@acme.example", i)
		st, id, err := create("http://"+addr2, name)
		if err != nil || st != http.StatusCreated {
			t.Fatalf("create after the restart: %d %v", st, err)
		}
		acked[id] = name
	}
	if err := p2.stop(); err != nil {
		t.Fatalf("exit after the restart: %v", err)
	}

	ctx := context.Background()
	st, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	team, err := st.TeamBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var events []store.Event
	for {
		page, err := st.ListEvents(ctx, team.ID, int64(len(events)), 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if want := int64(len(events)) + 1; e.Seq != want {
				t.Fatalf("seq %d after %d: a gap or a reordering", e.Seq, want-1)
			}
			events = append(events, e)
		}
		if len(page) < 1000 {
			break
		}
	}
	pos, err := st.EventPosition(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pos.LastSeq != int64(len(events)) || pos.PrunedThrough != 0 {
		t.Fatalf("position %+v, but %d events read from seq 1", pos, len(events))
	}
	createdEvents := map[string]int{} // member id -> member.created events
	for _, e := range events {
		if e.Type != "member.created" {
			continue
		}
		var d struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil || d.ID == "" {
			t.Fatalf("member.created seq %d: %v %s", e.Seq, err, e.Data)
		}
		createdEvents[d.ID]++
	}
	members, _, err := st.ListMembers(ctx, team.ID, store.MemberQuery{Page: store.Page{Limit: 100000}})
	if err != nil {
		t.Fatal(err)
	}
	inStore := map[string]bool{}
	for _, u := range members {
		inStore[u.ID] = true
		if createdEvents[u.ID] != 1 {
			t.Errorf("member %s (%s) has %d member.created events, want 1", u.ID, u.UserName, createdEvents[u.ID])
		}
	}
	for id, n := range createdEvents {
		if !inStore[id] {
			t.Errorf("member.created for %s, a member that isn't there (%d events)", id, n)
		}
	}
	for id, name := range acked {
		if !inStore[id] || createdEvents[id] != 1 {
			t.Errorf("acknowledged create %s (%s): in the store %v, member.created events %d", name, id, inStore[id], createdEvents[id])
		}
	}
	// The admin was created with the team; the rest are the creates.
	unacked := len(members) - 1 - len(acked)
	if unacked < 0 {
		t.Errorf("%d members in the store, fewer than the %d acknowledged creates and the admin", len(members), len(acked))
	}
	t.Logf("%d creates acknowledged before kill -9, %d requests cut by it, %d of them committed without their answer (each with its event); "+
		"%d after the restart; %d events, seqs 1..%d without a gap", ackedBeforeKill, afterKi.Load(), unacked, len(acked)-ackedBeforeKill, len(events), pos.LastSeq)
}
