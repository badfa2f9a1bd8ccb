package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	httpsrv "github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

// BenchmarkLargestGroup measures the requests an IdP makes all day, in a
// team of 12,000 members each in two of 30 groups, without and with one
// more group of 10,000 of them (an Okta "Everyone"): a userName lookup, a
// GET /Users/{id} and a deactivate (path-less PATCH, alternately false and
// true). Issue 11, item 6: each must cost the same in both teams, since
// none touches the large group beyond one membership row. Compare
// group=none with group=10000 for each request.
//
// It runs on SQLite, and on PostgreSQL in the suite's second pass.
func BenchmarkLargestGroup(b *testing.B) {
	for _, big := range []int{0, 10000} {
		name := "group=none"
		if big > 0 {
			name = fmt.Sprintf("group=%d", big)
		}
		b.Run(name, func(b *testing.B) {
			env := newLargeGroupEnv(b, 12000, big)
			b.Run("lookup", func(b *testing.B) {
				i := 0
				for b.Loop() {
					u := env.probe(i)
					i++
					env.expect(b, "GET", "/Users?filter="+url.QueryEscape(`userName eq "`+u.UserName+`"`)+"&startIndex=1&count=100", nil, `"totalResults":1`)
				}
			})
			b.Run("get", func(b *testing.B) {
				i := 0
				for b.Loop() {
					u := env.probe(i)
					i++
					env.expect(b, "GET", "/Users/"+u.ID, nil, `"id":"`+u.ID+`"`)
				}
			})
			b.Run("deactivate", func(b *testing.B) {
				i := 0
				for b.Loop() {
					u := env.probe(i)
					active := "false"
					if (i/len(env.users))%2 == 1 {
						active = "true"
					}
					i++
					body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":` + active + `}}]}`)
					env.expect(b, "PATCH", "/Users/"+u.ID, body, `"active":`+active)
				}
			})
		})
	}
}

// largeGroupEnv is a running server and its seeded team.
type largeGroupEnv struct {
	base, auth string
	hc         *http.Client
	users      []store.User
}

// probe is the i-th user a benchmark asks about: every 7th of the team,
// so about half of them are in the large group, when there is one.
func (e *largeGroupEnv) probe(i int) store.User {
	return e.users[(i*7)%len(e.users)]
}

func (e *largeGroupEnv) expect(b *testing.B, method, path string, body []byte, want string) {
	if got := e.do(b, method, path, body, http.StatusOK); !bytes.Contains(got, []byte(want)) {
		b.Fatalf("%s %s: %.300s lacks %s", method, path, got, want)
	}
}

// do sends one SCIM request and returns its body, failing unless the
// answer has status want.
func (e *largeGroupEnv) do(b *testing.B, method, path string, body []byte, want int) []byte {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", e.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != want {
		b.Fatalf("%s %s: %d %v\n%.300s", method, path, resp.StatusCode, err, got)
	}
	return got
}

// newLargeGroupEnv starts a server whose team has n members, each in two
// of 30 groups, and, when big > 0, a group of the first big members.
func newLargeGroupEnv(b *testing.B, n, big int) *largeGroupEnv {
	ctx := context.Background()
	var st store.Store
	var err error
	openedStores.Store(true) // so that TestMain runs the PostgreSQL pass
	if onPostgres {
		st, err = postgres.Open(ctx, pgtest.NewSchemaURL(b))
	} else {
		st, err = sqlite.Open(ctx, b.TempDir())
	}
	if err != nil {
		b.Fatal(err)
	}
	// No per-team rate limit: the benchmark measures the requests' cost.
	srv := testserver.Start(b, st, testserver.Options{Config: httpsrv.Config{SCIMReadRate: -1, SCIMWriteRate: -1}})
	a := service.Actor{Kind: "test"}
	team, err := srv.Svc.CreateTeam(ctx, "Bench", "admin@bench.example", a)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Svc.SetSCIM(ctx, team.Slug, true, a); err != nil {
		b.Fatal(err)
	}
	key, err := srv.Svc.CreateKey(ctx, team.Slug, "okta", nil, a)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	users := make([]store.User, n)
	err = st.Tx(ctx, func(tx store.Tx) error {
		members := make([][]string, 30)
		for i := range users {
			name := fmt.Sprintf("member%05d@bench.example", i)
			attrs := fmt.Sprintf(`{"userName":%q,"active":true,"displayName":"Member %d","name":{"givenName":"Member","familyName":"%d"},"emails":[{"value":%q,"type":"work","primary":true}]}`, name, i, i, name)
			users[i] = store.User{TeamID: team.ID, ID: fmt.Sprintf("u-%05d", i), UserName: name, DisplayName: fmt.Sprintf("Member %d", i), Active: true,
				Emails: []store.Email{{Value: name, Type: "work", Primary: true}}, Source: store.SourceSCIM, Role: "Developer",
				Attrs: []byte(attrs), Created: now.Add(time.Duration(i) * time.Microsecond), Modified: now, Version: 1}
			if err := tx.CreateUser(ctx, users[i]); err != nil {
				return err
			}
			first := i % 30
			second := (first + 1 + (i/30)%29) % 30
			members[first] = append(members[first], users[i].ID)
			members[second] = append(members[second], users[i].ID)
		}
		groups := len(members)
		if big > 0 {
			everyone := make([]string, big)
			for i := range everyone {
				everyone[i] = users[i].ID
			}
			members = append(members, everyone)
		}
		for g := range members {
			display := fmt.Sprintf("Team %02d", g)
			if g == groups {
				display = "Everyone"
			}
			grp := store.Group{TeamID: team.ID, ID: fmt.Sprintf("g-%02d", g), DisplayName: display, Attrs: []byte(`{}`), Created: now, Modified: now, Version: 1}
			if err := tx.CreateGroup(ctx, grp); err != nil {
				return err
			}
			if err := tx.AddMembers(ctx, team.ID, grp.ID, members[g]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return &largeGroupEnv{base: srv.Base, auth: "Bearer " + key.Token, hc: &http.Client{Timeout: 30 * time.Second}, users: users}
}
