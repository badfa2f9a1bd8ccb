package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// benchStore is a store holding one team of n members.
func benchStore(b *testing.B, n int) (store.Store, string) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	team := store.Team{ID: "team-1", Slug: "bench", Name: "Bench", AdminEmail: "a@bench.example", DefaultRole: "Developer", Created: time.Now()}
	err = st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateTeam(ctx, team); err != nil {
			return err
		}
		now := time.Now()
		for i := range n {
			name := fmt.Sprintf("user%06d@bench.example", i)
			attrs := fmt.Sprintf(`{"userName":%q,"active":true,"displayName":"Given%d Family%d","name":{"givenName":"Given%d","familyName":"Family%d"},"emails":[{"value":%q,"type":"work","primary":true}],"externalId":"00u%d"}`,
				name, i, i, i, i, name, i)
			u := store.User{TeamID: team.ID, ID: fmt.Sprintf("id-%06d", i), UserName: name, ExternalID: fmt.Sprintf("00u%d", i),
				DisplayName: fmt.Sprintf("Given%d Family%d", i, i), Active: true, Emails: []store.Email{{Value: name, Type: "work", Primary: true}},
				Source: store.SourceSCIM, Role: "Developer", Attrs: []byte(attrs), Created: now.Add(time.Duration(i) * time.Millisecond),
				Modified: now, Version: 1}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return st, team.ID
}

// BenchmarkListUsersPage100 reads one page of 100 members (an import's
// request), in a team of 10,000, from the middle of the team.
func BenchmarkListUsersPage100(b *testing.B) {
	st, teamID := benchStore(b, 10000)
	ctx := context.Background()
	q := store.Query{Type: scim.UserType, Page: store.Page{Offset: 5000, Limit: 100}}
	b.ReportAllocs()
	for b.Loop() {
		users, total, err := st.ListUsers(ctx, teamID, q)
		if err != nil || len(users) != 100 || total != 10000 {
			b.Fatal(len(users), total, err)
		}
	}
}

// BenchmarkListUsersUserNameEq is the IdP's lookup, in a team of 10,000.
func BenchmarkListUsersUserNameEq(b *testing.B) {
	st, teamID := benchStore(b, 10000)
	ctx := context.Background()
	f, err := filter.Parse(`userName eq "USER004242@bench.example"`, filter.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	q := store.Query{Filter: f, Type: scim.UserType, Page: store.Page{Limit: 100}}
	b.ReportAllocs()
	for b.Loop() {
		users, _, err := st.ListUsers(ctx, teamID, q)
		if err != nil || len(users) != 1 {
			b.Fatal(len(users), err)
		}
	}
}

// BenchmarkUserByID is a GET /Users/{id}: the row and its emails.
func BenchmarkUserByID(b *testing.B) {
	st, teamID := benchStore(b, 10000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.User(ctx, teamID, "id-004242"); err != nil {
			b.Fatal(err)
		}
	}
}
