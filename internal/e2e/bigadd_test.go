package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// seedUsers puts n members in a team in one transaction and returns their ids.
func seedUsers(t testing.TB, srv *server, team store.Team, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	ids := make([]string, n)
	err := srv.Store().Tx(ctx, func(tx store.Tx) error {
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-%06d", prefix, i)
			u := store.User{TeamID: team.ID, ID: ids[i], UserName: fmt.Sprintf("%s%06d@example.com", prefix, i), Active: true,
				Source: "scim", Role: "Developer", Attrs: []byte(`{"active":true}`), Created: now, Modified: now, Version: 1}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func memberRefs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

// Defect: one team's group PATCH adding 20,000 members held SQLite's
// single writer for 52 s, and another team's POST /Users got 503. Now the
// request is parsed and deduplicated (in linear time) before the write
// transaction, and a request may carry at most scim.MaxMembersPerRequest
// members: a full-size add runs while another team provisions, and every
// one of that team's requests succeeds.
func TestBigGroupAddDoesNotStallOtherTeams(t *testing.T) {
	t.Parallel()
	n := scim.MaxMembersPerRequest
	if raceEnabled {
		n = 2_000 // the race detector slows pure-Go SQLite ~50x
	}
	srv := startServer(t)
	a, teamA := srv.newTeam("Big")
	b, _ := srv.newTeam("Other")
	ids := seedUsers(t, srv, teamA, "big", n)
	gid := str(a.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Everyone"}).must(t, 201).Body, "id")

	var wg sync.WaitGroup
	statuses := make(chan int, 40)
	start := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for i := range 20 {
			r := b.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprintf("other%d@example.com", i)})
			statuses <- r.Status
		}
	}()
	close(start)
	// Repeats count against the limit and are dropped in linear time.
	values := memberRefs(append(ids[:n/2:n/2], ids[:n/2]...))
	a.do("PATCH", "/Groups/"+gid, patch(op("add", "members", values))).must(t, http.StatusOK)
	a.do("PATCH", "/Groups/"+gid, patch(op("add", "members", memberRefs(ids[n/2:])))).must(t, http.StatusOK)
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != http.StatusCreated {
			t.Fatalf("the other team's POST /Users got %d during a big group add", st)
		}
	}
	if cnt, err := srv.Store().MemberCount(context.Background(), teamA.ID, gid); err != nil || cnt != n {
		t.Fatalf("member count %d, %v; want %d", cnt, err, n)
	}
}

// BenchmarkGroupAddMembers: one PATCH adding k members to a fresh group,
// over HTTP, for k = 1,000 and 10,000 (the per-request limit). ns/member
// stays flat when the cost is linear in k (it grew with k while
// deduplication was quadratic).
//
//	go test ./internal/e2e -run '^$' -bench GroupAddMembers
func BenchmarkGroupAddMembers(b *testing.B) {
	for _, k := range []int{1_000, scim.MaxMembersPerRequest} {
		b.Run(fmt.Sprintf("members=%d", k), func(b *testing.B) {
			env := newLargeGroupEnv(b, k, 0)
			ids := make([]string, k)
			for i, u := range env.users {
				ids[i] = u.ID
			}
			body, err := json.Marshal(patch(op("add", "members", memberRefs(ids))))
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				created := env.do(b, "POST", "/Groups", []byte(fmt.Sprintf(`{"schemas":[%q],"displayName":"bench %d"}`, groupURN, i)), http.StatusCreated)
				var g struct{ ID string }
				if err := json.Unmarshal(created, &g); err != nil || g.ID == "" {
					b.Fatalf("created %s", created)
				}
				b.StartTimer()
				env.do(b, "PATCH", "/Groups/"+g.ID, body, http.StatusOK)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i*k), "ns/member")
		})
	}
}
