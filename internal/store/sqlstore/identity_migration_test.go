package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// TestIdentityMigration feeds migration 7's data step what the email model
// left behind, and checks that each account keeps exactly the memberships
// it reached through team creation or invite acceptance (as the audit
// trail records them), that nothing else is linked, and that the log line
// names the members left unlinked. On both backends.
func TestIdentityMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		testIdentityMigration(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(context.Background(), pgtest.NewSchemaURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		testIdentityMigration(t, s)
	})
}

func testIdentityMigration(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	n := 0
	next := func(p string) string { n++; return p + "-" + string(rune('a'+n)) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	detail := func(m map[string]any) string { b, _ := json.Marshal(m); return string(b) }
	user := func(teamID, name, source string) store.User {
		return store.User{TeamID: teamID, ID: next("u"), UserName: name, Active: true, Source: source, Role: "Developer",
			Emails: []store.Email{{Value: name, Type: "work", Primary: true}}, Attrs: []byte(`{"userName":"` + name + `"}`),
			Created: at, Modified: at, Version: 1}
	}
	acme := store.Team{ID: next("t"), Slug: "acme", Name: "Acme", AdminEmail: "owner@acme.example", DefaultRole: "Developer", Created: at}
	beta := store.Team{ID: next("t"), Slug: "beta", Name: "Beta", AdminEmail: "boss@b.example", DefaultRole: "Developer", Created: at}
	// The owner changed their email after creating acme: the member was
	// renamed, the team's admin_email kept the old address.
	owner := user(acme.ID, "owner2@acme.example", store.SourceManual)
	ownerAcc := store.Account{ID: next("a"), Email: "owner2@acme.example", Created: at, Updated: at}
	// Joe accepted an invite of acme.
	joe := user(acme.ID, "joe@acme.example", store.SourceInvite)
	joeAcc := store.Account{ID: next("a"), Email: "joe@acme.example", Created: at, Updated: at}
	// Carol was provisioned into beta by SCIM; an account with her email
	// was made elsewhere (operator, another team's invite): no beta event.
	carol := user(beta.ID, "carol@b.example", store.SourceSCIM)
	carolAcc := store.Account{ID: next("a"), Email: "carol@b.example", Created: at, Updated: at}
	// Beta's first admin never got an account.
	boss := user(beta.ID, "boss@b.example", store.SourceManual)
	// An acceptance by an address two accounts have had links nothing.
	amb := user(acme.ID, "x@acme.example", store.SourceInvite)
	ambOld := store.Account{ID: next("a"), Email: "y@acme.example", Created: at, Updated: at} // was x@, now y@
	ambNew := store.Account{ID: next("a"), Email: "x@acme.example", Created: at, Updated: at}
	must(s.Tx(ctx, func(tx store.Tx) error {
		for _, tm := range []store.Team{acme, beta} {
			must(tx.CreateTeam(ctx, tm))
		}
		for _, a := range []store.Account{ownerAcc, joeAcc, carolAcc, ambOld, ambNew} {
			must(tx.CreateAccount(ctx, a))
		}
		for _, u := range []store.User{owner, joe, carol, boss, amb} {
			must(tx.CreateUser(ctx, u))
		}
		events := []store.AuditEvent{
			{TeamID: acme.ID, Action: "team.create", TargetType: "team", TargetID: acme.ID, Detail: detail(map[string]any{"admin": "owner@acme.example"})},
			{TeamID: "", Action: "account.email_change", TargetType: "account", TargetID: ownerAcc.ID, Detail: detail(map[string]any{"before": "owner@acme.example", "after": "owner2@acme.example"})},
			{TeamID: acme.ID, Action: "invite.accept", TargetType: "invite", TargetID: "inv-1", Detail: detail(map[string]any{"email": "joe@acme.example", "member": joe.ID})},
			{TeamID: "", Action: "account.email_change", TargetType: "account", TargetID: ambOld.ID, Detail: detail(map[string]any{"before": "x@acme.example", "after": "y@acme.example"})},
			{TeamID: acme.ID, Action: "invite.accept", TargetType: "invite", TargetID: "inv-2", Detail: detail(map[string]any{"email": "x@acme.example", "member": amb.ID})},
			// An acceptance whose member is gone links nothing and fails nothing.
			{TeamID: acme.ID, Action: "invite.accept", TargetType: "invite", TargetID: "inv-3", Detail: detail(map[string]any{"email": "joe@acme.example", "member": "deleted"})},
		}
		for i, e := range events {
			e.ID, e.At, e.Actor = next("e"), at.Add(time.Duration(i)*time.Second), "cli"
			must(tx.AppendAudit(ctx, e))
		}
		return nil
	}))

	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	err := sqlstore.RunIdentityMigration(ctx, s)
	slog.SetDefault(prev)
	must(err)

	linked := func(teamID, id string) string {
		u, err := s.User(ctx, teamID, id)
		must(err)
		return u.AccountID
	}
	for _, c := range []struct {
		name      string
		team, id  string
		wantAccID string
	}{
		{"team creator, after an email change", acme.ID, owner.ID, ownerAcc.ID},
		{"invite acceptance", acme.ID, joe.ID, joeAcc.ID},
		{"SCIM member carrying an account's email", beta.ID, carol.ID, ""},
		{"first admin without an account", beta.ID, boss.ID, ""},
		{"ambiguous address", acme.ID, amb.ID, ""},
	} {
		if got := linked(c.team, c.id); got != c.wantAccID {
			t.Errorf("%s: linked to %q, want %q", c.name, got, c.wantAccID)
		}
	}
	if ms, _ := s.MembershipsOfAccount(ctx, carolAcc.ID); len(ms) != 0 {
		t.Errorf("carol's account reaches %+v", ms)
	}
	line := logs.String()
	if !strings.Contains(line, "identity migration") || !strings.Contains(line, "beta/"+carol.ID) || !strings.Contains(line, "linked=2") {
		t.Errorf("log line: %s", line)
	}
	// Running it again changes nothing.
	must(sqlstore.RunIdentityMigration(ctx, s))
	if linked(acme.ID, owner.ID) != ownerAcc.ID || linked(beta.ID, carol.ID) != "" {
		t.Error("second run changed links")
	}
}
