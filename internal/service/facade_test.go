package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestNowDrivesEveryFeature sets Service.Now after New, as tests of the
// edges do, and checks that every feature (and the audit trail they
// share) reads that clock, not the one it was built with; and that
// PasswordParams, set on package service, is what the accounts feature
// hashes with.
func TestNowDrivesEveryFeature(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	saved := PasswordParams
	PasswordParams = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	t.Cleanup(func() { PasswordParams = saved })

	svc := New(st, nil)
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	cli := Actor{Kind: "cli"}

	// settings
	team, err := svc.CreateTeam(ctx, "Acme", "admin@acme.example", cli)
	if err != nil || !team.Created.Equal(now) {
		t.Fatalf("settings: team created %v (%v), want %v", team.Created, err, now)
	}
	exp := now.Add(time.Hour)
	k, err := svc.CreateKey(ctx, team.Slug, "okta", &exp, cli)
	if err != nil || !k.Key.Created.Equal(now) {
		t.Fatalf("settings: key created %v (%v)", k.Key.Created, err)
	}
	if _, err := svc.SetSCIM(ctx, team.Slug, true, cli); err != nil {
		t.Fatal(err)
	}

	// accounts
	acc, err := svc.SetAccountPassword(ctx, "admin@acme.example", "a long enough password", cli)
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := st.Account(ctx, acc.ID); err != nil || !strings.Contains(stored.PasswordHash, "$m=64,t=1,p=1$") {
		t.Fatalf("accounts: hash %q (%v), want PasswordParams m=64,t=1,p=1", stored.PasswordHash, err)
	}
	login, err := svc.Login(ctx, "admin@acme.example", "a long enough password", "192.0.2.1", "test", time.Hour, "")
	if err != nil || !login.Session.Session.Created.Equal(now) || !login.Session.Session.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("accounts: session %+v (%v)", login.Session.Session, err)
	}
	// The operator chose that password: the admin chooses their own
	// first (even with SCIM on), and then reaches the team.
	first := Caller{Account: login.Account, Actor: AccountActor(login.Account, "", ""), SessionHash: login.Session.Session.TokenHash}
	if _, err := svc.TeamCaller(ctx, first, team.Slug); !errors.Is(err, ErrPasswordChangeRequired) {
		t.Fatalf("accounts: team before the password change: %v", err)
	}
	if err := svc.ChangePassword(ctx, first, "a long enough password", "the admin's own password"); err != nil {
		t.Fatal(err)
	}
	login.Account.MustChangePassword = false
	c, err := svc.TeamCaller(ctx, Caller{Account: login.Account, Actor: AccountActor(login.Account, "", "")}, team.Slug)
	if err != nil {
		t.Fatal(err)
	}

	// members
	mv, err := svc.UpdateMember(ctx, c, c.Member.ID, MemberPatch{"displayName": "Ada"})
	if err != nil || !mv.User.Modified.Equal(now) {
		t.Fatalf("members: modified %v (%v)", mv.User.Modified, err)
	}

	// provisioning
	p, err := svc.Authenticate(ctx, k.Token, "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, p, Actor{Kind: "scim-key", Name: "okta"}, map[string]any{"userName": "grace@acme.example"})
	if err != nil || !u.User.Created.Equal(now) {
		t.Fatalf("provisioning: user created %v (%v)", u.User.Created, err)
	}

	// The audit trail: every event so far, of every feature, at now.
	page, err := svc.QueryAudit(ctx, team.ID, store.AuditQuery{})
	if err != nil || len(page.Events) < 5 {
		t.Fatalf("audit: %d events (%v)", len(page.Events), err)
	}
	for _, e := range page.Events {
		if !e.At.Equal(now) {
			t.Errorf("audit event %s at %v, want %v", e.Action, e.At, now)
		}
	}

	// A later clock reaches provisioning too: the key has expired.
	now = now.Add(2 * time.Hour)
	if _, err := svc.Authenticate(ctx, k.Token, "192.0.2.7"); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("provisioning: key two hours later: %v, want expired", err)
	}
}
