package storetest

// Conformance of accounts, sessions, personal API tokens and the admin
// API's member and invite queries: sign-in must hold across replicas, so
// every backend must keep these alike.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testAccounts(t *testing.T, s store.Store) {
	a := store.Account{ID: id("acc"), Email: "Ana@Example.com", PasswordHash: "$argon2id$x", Created: base, Updated: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateAccount(ctx, a) })
	got, err := s.AccountByEmail(ctx, "ana@EXAMPLE.com")
	if err != nil || got.ID != a.ID || got.Email != "Ana@Example.com" || got.PasswordHash != a.PasswordHash || !got.Created.Equal(base) {
		t.Fatalf("AccountByEmail = %+v, %v", got, err)
	}
	// One account per email, whatever its case: the database says so.
	dup := store.Account{ID: id("acc"), Email: "ANA@example.com", Created: base, Updated: base}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, dup) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate email: %v", err)
	}
	later := base.Add(time.Hour)
	tx(t, s, func(tx store.Tx) error {
		if err := tx.SetAccountPassword(ctx, a.ID, "$argon2id$y", later); err != nil {
			return err
		}
		return tx.SetAccountEmail(ctx, a.ID, "ana@new.example", later)
	})
	got, err = s.Account(ctx, a.ID)
	if err != nil || got.Email != "ana@new.example" || got.PasswordHash != "$argon2id$y" || !got.Updated.Equal(later) {
		t.Fatalf("after changes: %+v, %v", got, err)
	}
	if _, err := s.AccountByEmail(ctx, "ana@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old email still finds the account: %v", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.SetAccountPassword(ctx, "nope", "h", later) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("password of a missing account: %v", err)
	}

	// Sessions: by hash only; ending all but the current one; expiry.
	s1 := store.Session{TokenHash: hashOf("s1"), AccountID: a.ID, CSRFToken: "c1", Created: base, Expires: base.Add(time.Hour), IP: "10.0.0.1", UserAgent: "UA"}
	s2 := store.Session{TokenHash: hashOf("s2"), AccountID: a.ID, CSRFToken: "c2", Created: base, Expires: base.Add(2 * time.Hour)}
	s3 := store.Session{TokenHash: hashOf("s3"), AccountID: a.ID, CSRFToken: "c3", Created: base, Expires: base.Add(3 * time.Hour)}
	tx(t, s, func(tx store.Tx) error {
		for _, x := range []store.Session{s1, s2, s3} {
			if err := tx.CreateSession(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	gs, err := s.SessionByHash(ctx, hashOf("s1"))
	if err != nil || gs.AccountID != a.ID || gs.CSRFToken != "c1" || !gs.Expires.Equal(s1.Expires) || gs.IP != "10.0.0.1" || gs.UserAgent != "UA" {
		t.Fatalf("SessionByHash = %+v, %v", gs, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteAccountSessions(ctx, a.ID, hashOf("s2")) })
	for name, want := range map[string]bool{"s1": false, "s2": true, "s3": false} {
		_, err := s.SessionByHash(ctx, hashOf(name))
		if (err == nil) != want {
			t.Fatalf("session %s after ending the others: %v", name, err)
		}
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteExpiredSessions(ctx, base.Add(2*time.Hour+time.Second)) })
	if _, err := s.SessionByHash(ctx, hashOf("s2")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session kept: %v", err)
	}

	// Personal API tokens: hashed, listed per account, revoked, touched.
	k1 := store.APIToken{ID: id("tok"), AccountID: a.ID, Name: "ci", Prefix: "rpt_abc", Hash: hashOf("rpt_abc1"), Created: base}
	k2 := store.APIToken{ID: id("tok"), AccountID: a.ID, Name: "laptop", Prefix: "rpt_def", Hash: hashOf("rpt_def2"), Created: base.Add(time.Minute)}
	other := store.Account{ID: id("acc"), Email: "bo@example.com", Created: base, Updated: base}
	k3 := store.APIToken{ID: id("tok"), AccountID: other.ID, Name: "bo", Prefix: "rpt_ghi", Hash: hashOf("rpt_ghi3"), Created: base}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, other); err != nil {
			return err
		}
		for _, k := range []store.APIToken{k1, k2, k3} {
			if err := tx.CreateAPIToken(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	gt, err := s.APITokenByHash(ctx, hashOf("rpt_def2"))
	if err != nil || gt.ID != k2.ID || gt.Name != "laptop" || !bytes.Equal(gt.Hash, k2.Hash) || gt.RevokedAt != nil || gt.LastUsedAt != nil {
		t.Fatalf("APITokenByHash = %+v, %v", gt, err)
	}
	list, err := s.ListAPITokens(ctx, a.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListAPITokens = %+v, %v", list, err)
	}
	used := base.Add(5 * time.Minute)
	tx(t, s, func(tx store.Tx) error {
		if err := tx.TouchAPIToken(ctx, k1.ID, used, "10.1.1.1"); err != nil {
			return err
		}
		return tx.RevokeAPIToken(ctx, a.ID, k2.ID, used)
	})
	// Another account can't revoke a token it doesn't own.
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.RevokeAPIToken(ctx, other.ID, k1.ID, used) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking another account's token: %v", err)
	}
	g1, _ := s.APITokenByHash(ctx, hashOf("rpt_abc1"))
	g2, _ := s.APITokenByHash(ctx, hashOf("rpt_def2"))
	if g1.LastUsedAt == nil || !g1.LastUsedAt.Equal(used) || g1.LastUsedIP != "10.1.1.1" || g1.RevokedAt != nil || g2.RevokedAt == nil {
		t.Fatalf("after touch and revoke: %+v %+v", g1, g2)
	}
}

func testMemberQueries(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "globex")
	ana := mkUser(t, s, tm.ID, "ana@example.com", func(u *store.User) {
		u.DisplayName = "Ana Lima"
		u.Source = store.SourceSCIM
		u.Role = "Admin,Developer"
	})
	bo := mkUser(t, s, tm.ID, "bo@example.com", func(u *store.User) { u.Active = false; u.Source = store.SourceManual; u.Role = "Billing" })
	cy := mkUser(t, s, tm.ID, "cy@example.com", func(u *store.User) {
		u.Source = store.SourceInvite
		u.Role = "Developer"
		u.Emails = []store.Email{{Value: "cy@example.com", Primary: true}, {Value: "ana@example.com"}}
	})
	mkUser(t, s, other.ID, "ANA@example.com", nil)
	g := mkGroup(t, s, tm.ID, "Eng")
	tx(t, s, func(tx store.Tx) error { return tx.AddMembers(ctx, tm.ID, g.ID, []string{bo.ID, cy.ID}) })

	yes, no := true, false
	cases := []struct {
		name string
		q    store.MemberQuery
		want []string
	}{
		{"all, creation order", store.MemberQuery{}, []string{ana.ID, bo.ID, cy.ID}},
		{"text in displayName", store.MemberQuery{Text: "LIMA"}, []string{ana.ID}},
		{"text in userName", store.MemberQuery{Text: "bo@"}, []string{bo.ID}},
		{"active", store.MemberQuery{Active: &yes}, []string{ana.ID, cy.ID}},
		{"deactivated", store.MemberQuery{Active: &no}, []string{bo.ID}},
		{"source", store.MemberQuery{Source: store.SourceInvite}, []string{cy.ID}},
		{"role in a list", store.MemberQuery{Role: "Developer"}, []string{ana.ID, cy.ID}},
		{"role is whole", store.MemberQuery{Role: "Admin"}, []string{ana.ID}},
		{"group", store.MemberQuery{GroupID: g.ID}, []string{bo.ID, cy.ID}},
		{"group and active", store.MemberQuery{GroupID: g.ID, Active: &yes}, []string{cy.ID}},
		{"second page", store.MemberQuery{Page: store.Page{Limit: 2, Offset: 2}}, []string{cy.ID}},
	}
	for _, c := range cases {
		if c.q.Limit == 0 {
			c.q.Limit = 100 // 0 asks for the total only, as SCIM's count=0 does
		}
		got, total, err := s.ListMembers(ctx, tm.ID, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		wantTotal := len(c.want)
		if c.name == "second page" {
			wantTotal = 3
		}
		if !equal(ids, c.want) || total != wantTotal {
			t.Errorf("%s: %v (total %d), want %v (total %d)", c.name, ids, total, c.want, wantTotal)
		}
	}
	// Sign-in finds memberships in every team by userName or any email.
	ms, err := s.MembershipsByEmail(ctx, "Ana@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	teams := map[string]int{}
	for _, u := range ms {
		teams[u.TeamID]++
	}
	if len(ms) != 3 || teams[tm.ID] != 2 || teams[other.ID] != 1 {
		t.Fatalf("MembershipsByEmail = %+v", ms)
	}
}

func testInviteLinks(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "globex")
	inv := store.Invite{TeamID: tm.ID, ID: id("inv"), Email: "new@example.com", Role: "Developer", Status: "pending", Created: base}
	gone := store.Invite{TeamID: tm.ID, ID: id("inv"), Email: "old@example.com", Role: "Developer", Status: "pending", Created: base}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.CreateInvite(ctx, inv); err != nil {
			return err
		}
		if err := tx.CreateInvite(ctx, gone); err != nil {
			return err
		}
		if err := tx.SetInviteLink(ctx, tm.ID, inv.ID, hashOf("link"), base, base.Add(7*24*time.Hour), "account:owner@example.com"); err != nil {
			return err
		}
		return tx.CloseInvite(ctx, tm.ID, gone.ID, "revoked", base)
	})
	d, err := s.InviteByTokenHash(ctx, hashOf("link"))
	if err != nil || d.ID != inv.ID || d.TeamID != tm.ID || d.SentAt == nil || d.ExpiresAt == nil || !d.ExpiresAt.Equal(base.Add(7*24*time.Hour)) || d.InvitedBy != "account:owner@example.com" {
		t.Fatalf("InviteByTokenHash = %+v, %v", d, err)
	}
	pending, err := s.ListPendingInvites(ctx, tm.ID)
	if err != nil || len(pending) != 1 || pending[0].ID != inv.ID {
		t.Fatalf("ListPendingInvites = %+v, %v", pending, err)
	}
	if _, err := s.InviteDetail(ctx, other.ID, inv.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another team's invite: %v", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error {
		return tx.SetInviteLink(ctx, other.ID, inv.ID, hashOf("x"), base, base, "")
	}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("linking another team's invite: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
