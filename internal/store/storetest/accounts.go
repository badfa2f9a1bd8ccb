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
	a := store.Account{ID: id("acc"), Email: "Ana@Example.com", PasswordHash: "$argon2id$x", MustChangePassword: true, Created: base, Updated: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateAccount(ctx, a) })
	got, err := s.AccountByEmail(ctx, "ana@EXAMPLE.com")
	if err != nil || got.ID != a.ID || got.Email != "Ana@Example.com" || got.PasswordHash != a.PasswordHash || !got.MustChangePassword || !got.Created.Equal(base) {
		t.Fatalf("AccountByEmail = %+v, %v", got, err)
	}
	// One account per email, whatever its case: the database says so.
	dup := store.Account{ID: id("acc"), Email: "ANA@example.com", Created: base, Updated: base}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, dup) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate email: %v", err)
	}
	later := base.Add(time.Hour)
	tx(t, s, func(tx store.Tx) error {
		if err := tx.SetAccountPassword(ctx, a.ID, "$argon2id$y", false, later); err != nil {
			return err
		}
		return tx.SetAccountEmail(ctx, a.ID, "ana@new.example", later)
	})
	got, err = s.Account(ctx, a.ID)
	if err != nil || got.Email != "ana@new.example" || got.PasswordHash != "$argon2id$y" || got.MustChangePassword || !got.Updated.Equal(later) {
		t.Fatalf("after changes: %+v, %v", got, err)
	}
	// Setting a password can ask for the next one to be chosen again (an
	// operator's reset), and the flag reads back on every path.
	tx(t, s, func(tx store.Tx) error { return tx.SetAccountPassword(ctx, a.ID, "$argon2id$z", true, later) })
	if got, err := s.AccountByEmail(ctx, "ana@new.example"); err != nil || !got.MustChangePassword || got.PasswordHash != "$argon2id$z" {
		t.Fatalf("after a reset: %+v, %v", got, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.SetAccountPassword(ctx, a.ID, "$argon2id$y", false, later) })
	if _, err := s.AccountByEmail(ctx, "ana@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old email still finds the account: %v", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.SetAccountPassword(ctx, "nope", "h", false, later) }); !errors.Is(err, store.ErrNotFound) {
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
	// An admin deciding what an invite is for finds the team's members by
	// userName or any email, in that team only.
	byEmail, err := s.MembersByEmail(ctx, tm.ID, "Ana@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range byEmail {
		if u.TeamID != tm.ID {
			t.Fatalf("MembersByEmail crossed teams: %+v", u)
		}
		ids = append(ids, u.ID)
	}
	if !equal(ids, []string{ana.ID, cy.ID}) {
		t.Fatalf("MembersByEmail = %v, want %v", ids, []string{ana.ID, cy.ID})
	}
}

// testAccountLinks: a member belongs to an account only through an
// explicit link, one member per account per team; emails link nothing.
func testAccountLinks(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "globex")
	acc := store.Account{ID: id("acc"), Email: "ana@example.com", Created: base, Updated: base}
	acc2 := store.Account{ID: id("acc"), Email: "bo@example.com", Created: base, Updated: base}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, acc); err != nil {
			return err
		}
		return tx.CreateAccount(ctx, acc2)
	})
	// Members carrying the account's email, in two teams: not linked.
	ana := mkUser(t, s, tm.ID, "ana@example.com", nil)
	elsewhere := mkUser(t, s, other.ID, "ana@example.com", nil)
	if ms, err := s.MembershipsOfAccount(ctx, acc.ID); err != nil || len(ms) != 0 {
		t.Fatalf("memberships before any link = %+v, %v", ms, err)
	}
	if _, err := s.MemberOfAccount(ctx, tm.ID, acc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("MemberOfAccount before any link: %v", err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.LinkAccount(ctx, tm.ID, ana.ID, acc.ID) })
	// Linking again to the same account is a no-op.
	tx(t, s, func(tx store.Tx) error { return tx.LinkAccount(ctx, tm.ID, ana.ID, acc.ID) })
	got, err := s.MemberOfAccount(ctx, tm.ID, acc.ID)
	if err != nil || got.ID != ana.ID || got.AccountID != acc.ID {
		t.Fatalf("MemberOfAccount = %+v, %v", got, err)
	}
	if u, _ := s.User(ctx, tm.ID, ana.ID); u.AccountID != acc.ID {
		t.Fatalf("User().AccountID = %q", u.AccountID)
	}
	if _, err := s.MemberOfAccount(ctx, other.ID, acc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the link reached another team: %v", err)
	}
	// A linked member can't be linked to another account, and an account
	// has one member per team.
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.LinkAccount(ctx, tm.ID, ana.ID, acc2.ID) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("relinking a member: %v", err)
	}
	second := mkUser(t, s, tm.ID, "ana2@example.com", nil)
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.LinkAccount(ctx, tm.ID, second.ID, acc.ID) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second member for one account in one team: %v", err)
	}
	// An update (an IdP rename, a profile change) keeps the link as it is.
	tx(t, s, func(tx store.Tx) error {
		u, err := tx.User(ctx, tm.ID, ana.ID)
		if err != nil {
			return err
		}
		u.UserName, u.Version, u.AccountID = "renamed@example.com", u.Version+1, ""
		return tx.UpdateUser(ctx, u)
	})
	if u, _ := s.User(ctx, tm.ID, ana.ID); u.AccountID != acc.ID || u.UserName != "renamed@example.com" {
		t.Fatalf("after UpdateUser: %+v", u)
	}
	// A member created linked (team creation, invite acceptance).
	linked := mkUser(t, s, other.ID, "bo@example.com", func(u *store.User) { u.AccountID = acc2.ID })
	ms, err := s.MembershipsOfAccount(ctx, acc2.ID)
	if err != nil || len(ms) != 1 || ms[0].ID != linked.ID || ms[0].TeamID != other.ID {
		t.Fatalf("MembershipsOfAccount = %+v, %v", ms, err)
	}
	if ms, _ := s.MembershipsOfAccount(ctx, acc.ID); len(ms) != 1 || ms[0].ID != ana.ID {
		t.Fatalf("MembershipsOfAccount(ana) = %+v", ms)
	}
	_ = elsewhere
	// Deleting the member removes the link with it.
	tx(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, tm.ID, ana.ID) })
	if ms, _ := s.MembershipsOfAccount(ctx, acc.ID); len(ms) != 0 {
		t.Fatalf("after delete: %+v", ms)
	}

	// Super Admins counted with their own role or a group's binding, active only.
	sa := mkUser(t, s, tm.ID, "sa@example.com", func(u *store.User) { u.Role = "Developer,Super Admin" })
	viaGroup := mkUser(t, s, tm.ID, "vg@example.com", nil)
	off := mkUser(t, s, tm.ID, "off@example.com", func(u *store.User) { u.Role = "Super Admin"; u.Active = false })
	g := mkGroup(t, s, tm.ID, "Owners")
	tx(t, s, func(tx store.Tx) error {
		if err := tx.AddMembers(ctx, tm.ID, g.ID, []string{viaGroup.ID, sa.ID, off.ID}); err != nil {
			return err
		}
		return tx.SetGroupRoles(ctx, tm.ID, g.ID, []string{"Super Admin"})
	})
	mkUser(t, s, other.ID, "osa@example.com", func(u *store.User) { u.Role = "Super Admin" })
	if n, err := s.CountActiveWithRole(ctx, tm.ID, "Super Admin", 10); err != nil || n != 2 {
		t.Fatalf("CountActiveWithRole = %d, %v; want 2", n, err)
	}
	if n, _ := s.CountActiveWithRole(ctx, tm.ID, "Super Admin", 1); n != 1 {
		t.Fatalf("CountActiveWithRole up to 1 = %d", n)
	}
	if n, _ := s.CountActiveWithRole(ctx, tm.ID, "Admin", 10); n != 0 {
		t.Fatalf("Admin is not a prefix of Super Admin: %d", n)
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
	if d, err := s.InviteDetail(ctx, tm.ID, inv.ID); err != nil || d.Email != inv.Email || d.Role != inv.Role || d.Status != "pending" ||
		!d.Created.Equal(base) || d.SentAt == nil || !d.SentAt.Equal(base) || d.ExpiresAt == nil || !d.ExpiresAt.Equal(base.Add(7*24*time.Hour)) ||
		d.InvitedBy != "account:owner@example.com" || d.ClosedAt != nil || d.MemberID != "" {
		t.Fatalf("InviteDetail = %+v, %v", d, err)
	}
	if d, err := s.InviteDetail(ctx, tm.ID, gone.ID); err != nil || d.Status != "revoked" || d.ClosedAt == nil || !d.ClosedAt.Equal(base) || d.SentAt != nil {
		t.Fatalf("InviteDetail of a revoked invite = %+v, %v", d, err)
	}
	pending, err := s.ListPendingInvites(ctx, tm.ID)
	if err != nil || len(pending) != 1 || pending[0].ID != inv.ID {
		t.Fatalf("ListPendingInvites = %+v, %v", pending, err)
	}
	// A claimed invite names its member and stays open (listed, its link
	// working) until accepted; a claimed invite without one is closed.
	claimed := store.Invite{TeamID: tm.ID, ID: id("inv"), Email: "cl@example.com", Role: "Admin", Status: "pending", Created: base.Add(time.Second)}
	stale := store.Invite{TeamID: tm.ID, ID: id("inv"), Email: "st@example.com", Role: "Admin", Status: "pending", Created: base.Add(2 * time.Second)}
	tx(t, s, func(tx store.Tx) error {
		for _, x := range []store.Invite{claimed, stale} {
			if err := tx.CreateInvite(ctx, x); err != nil {
				return err
			}
			if err := tx.CloseInvite(ctx, tm.ID, x.ID, "claimed", base); err != nil {
				return err
			}
		}
		if err := tx.SetInviteMember(ctx, tm.ID, claimed.ID, "member-1"); err != nil {
			return err
		}
		return tx.SetInviteLink(ctx, tm.ID, claimed.ID, hashOf("claimed"), base, base.Add(time.Hour), "cli")
	})
	pending, _ = s.ListPendingInvites(ctx, tm.ID)
	if len(pending) != 2 || pending[1].ID != claimed.ID || pending[1].MemberID != "member-1" || pending[1].Status != "claimed" {
		t.Fatalf("ListPendingInvites with a claimed one = %+v", pending)
	}
	if d, err := s.InviteByTokenHash(ctx, hashOf("claimed")); err != nil || d.MemberID != "member-1" {
		t.Fatalf("claimed invite by token = %+v, %v", d, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.CloseInvite(ctx, tm.ID, claimed.ID, "accepted", base) })
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CloseInvite(ctx, tm.ID, claimed.ID, "revoked", base) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing an accepted invite: %v", err)
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
