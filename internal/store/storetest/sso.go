package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testSSO checks the single sign-on storage: connections (found by id in
// any team, listed per team, updated, deleted with their identities and
// pending sign-ins), policies and their domains, identities, sign-in state
// taken once, the assertion replay store, SSO accounts (no login name),
// SSO sessions ended per member, and traces newest first with pruning by
// age and count. Every read also runs inside a write transaction.
func testSSO(t *testing.T, s store.Store) {
	acme := mkTeam(t, s, "acme")
	globex := mkTeam(t, s, "globex")

	// Connections.
	conn := func(team store.Team, id, typ string, at time.Time) store.SSOConnection {
		return store.SSOConnection{TeamID: team.ID, ID: id, Type: typ, Name: "conn " + id, Enabled: true, SPBaseURL: "https://roster.example",
			Config: []byte(`{"k":"` + id + `"}`), Created: at, Updated: at}
	}
	c1 := conn(acme, "c1", store.SSOSAML, base)
	c2 := conn(acme, "c2", store.SSOOIDC, base.Add(time.Second))
	c3 := conn(globex, "c3", store.SSOSAML, base)
	c2.IsDefault, c2.AllowIDPInitiated = true, true
	tx(t, s, func(tx store.Tx) error {
		for _, c := range []store.SSOConnection{c2, c1, c3} {
			if err := tx.CreateSSOConnection(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CreateSSOConnection(ctx, conn(globex, "c1", store.SSOSAML, base)) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second connection with id c1 (another team): %v, want ErrConflict (ids are global: the ACS URL names one)", err)
	}
	got, err := s.SSOConnection(ctx, "c2")
	if err != nil || !reflect.DeepEqual(got, c2) {
		t.Errorf("SSOConnection(c2) = %+v, %v; want %+v", got, err, c2)
	}
	if _, err := s.SSOConnection(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SSOConnection(nope): %v, want ErrNotFound", err)
	}
	list, err := s.ListSSOConnections(ctx, acme.ID)
	if err != nil || len(list) != 2 || list[0].ID != "c1" || list[1].ID != "c2" {
		t.Errorf("ListSSOConnections(acme) = %+v, %v; want c1, c2 in creation order", list, err)
	}
	c1.Name, c1.Enabled, c1.Config, c1.Updated = "renamed", false, []byte(`{"k":"new"}`), base.Add(time.Hour)
	c1.TeamID = acme.ID
	tx(t, s, func(tx store.Tx) error { return tx.UpdateSSOConnection(ctx, c1) })
	if got, err := s.SSOConnection(ctx, "c1"); err != nil || !reflect.DeepEqual(got, c1) {
		t.Errorf("after UpdateSSOConnection: %+v, %v; want %+v", got, err, c1)
	}
	wrongTeam := c3
	wrongTeam.TeamID = acme.ID
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.UpdateSSOConnection(ctx, wrongTeam) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateSSOConnection of globex's connection as acme: %v, want ErrNotFound", err)
	}

	// Policies and domains.
	if p, err := s.SSOPolicy(ctx, acme.ID); !errors.Is(err, store.ErrNotFound) || p.TeamID != acme.ID {
		t.Errorf("SSOPolicy of a team without one: %+v, %v; want ErrNotFound", p, err)
	}
	pol := store.SSOPolicy{TeamID: acme.ID, RequireSSO: true, JIT: true, Domains: []string{"acme.example", "b.example"}, Updated: base}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.SetSSOPolicy(ctx, pol); err != nil {
			return err
		}
		return tx.SetSSOPolicy(ctx, store.SSOPolicy{TeamID: globex.ID, Domains: []string{"B.example"}, Updated: base})
	})
	if p, err := s.SSOPolicy(ctx, acme.ID); err != nil || !reflect.DeepEqual(p, pol) {
		t.Errorf("SSOPolicy(acme) = %+v, %v; want %+v", p, err, pol)
	}
	if ids, err := s.SSOTeamsByDomain(ctx, "B.EXAMPLE"); err != nil || !reflect.DeepEqual(sorted(ids), sorted([]string{acme.ID, globex.ID})) {
		t.Errorf("SSOTeamsByDomain(B.EXAMPLE) = %v, %v; want both teams", ids, err)
	}
	pol2 := store.SSOPolicy{TeamID: acme.ID, JIT: false, Domains: []string{"c.example"}, Updated: base.Add(time.Minute)}
	tx(t, s, func(tx store.Tx) error { return tx.SetSSOPolicy(ctx, pol2) })
	if p, err := s.SSOPolicy(ctx, acme.ID); err != nil || !reflect.DeepEqual(p, pol2) {
		t.Errorf("SSOPolicy(acme) after a second SetSSOPolicy = %+v, %v; want %+v (domains replaced)", p, err, pol2)
	}
	if ids, err := s.SSOTeamsByDomain(ctx, "acme.example"); err != nil || len(ids) != 0 {
		t.Errorf("SSOTeamsByDomain(acme.example) after it was dropped = %v, %v; want none", ids, err)
	}

	// Identities.
	ident := store.SSOIdentity{ConnectionID: "c1", Subject: "00u1", TeamID: acme.ID, AccountID: "acc-1", Created: base, LastLogin: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateSSOIdentity(ctx, ident) })
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CreateSSOIdentity(ctx, ident) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same (connection, subject) twice: %v, want ErrConflict", err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.TouchSSOIdentity(ctx, "c1", "00u1", base.Add(time.Hour)) })
	ident.LastLogin = base.Add(time.Hour)
	if got, err := s.SSOIdentity(ctx, "c1", "00u1"); err != nil || !reflect.DeepEqual(got, ident) {
		t.Errorf("SSOIdentity = %+v, %v; want %+v", got, err, ident)
	}
	if _, err := s.SSOIdentity(ctx, "c2", "00u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the subject under another connection: %v, want ErrNotFound", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.TouchSSOIdentity(ctx, "c1", "nobody", base) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchSSOIdentity of an unknown subject: %v, want ErrNotFound", err)
	}

	// Sign-in state: taken once, expired ones pruned.
	st1 := store.SSOLoginState{Hash: hashOf("state1"), TeamID: acme.ID, ConnectionID: "c1", RequestID: "id-1", Nonce: "n", Verifier: "v",
		LinkAccount: "acc-9", Created: base, Expires: base.Add(10 * time.Minute)}
	st2 := store.SSOLoginState{Hash: hashOf("state2"), TeamID: acme.ID, ConnectionID: "c2", Created: base, Expires: base.Add(time.Minute)}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.CreateSSOLoginState(ctx, st1); err != nil {
			return err
		}
		return tx.CreateSSOLoginState(ctx, st2)
	})
	var taken store.SSOLoginState
	tx(t, s, func(tx store.Tx) error {
		var err error
		taken, err = tx.TakeSSOLoginState(ctx, hashOf("state1"))
		return err
	})
	if !reflect.DeepEqual(taken, st1) {
		t.Errorf("TakeSSOLoginState = %+v; want %+v", taken, st1)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { _, err := tx.TakeSSOLoginState(ctx, hashOf("state1")); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("taking a state twice: %v, want ErrNotFound", err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteExpiredSSOLoginStates(ctx, base.Add(time.Minute)) })
	if err := s.Tx(ctx, func(tx store.Tx) error { _, err := tx.TakeSSOLoginState(ctx, hashOf("state2")); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired state after DeleteExpiredSSOLoginStates: %v, want ErrNotFound", err)
	}

	// The replay store.
	use := func(conn, id string, exp, now time.Time) error {
		return s.Tx(ctx, func(tx store.Tx) error { return tx.UseSSOAssertion(ctx, conn, id, exp, now) })
	}
	if err := use("c1", "a1", base.Add(5*time.Minute), base); err != nil {
		t.Fatalf("first use of assertion a1: %v", err)
	}
	if err := use("c1", "a1", base.Add(5*time.Minute), base.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second use of assertion a1: %v, want ErrConflict (a replay)", err)
	}
	if err := use("c2", "a1", base.Add(5*time.Minute), base); err != nil {
		t.Errorf("assertion a1 at another connection: %v, want nil (the store is per connection)", err)
	}
	if err := use("c1", "a1", base.Add(20*time.Minute), base.Add(6*time.Minute)); err != nil {
		t.Errorf("a1 once its record expired: %v, want nil (expired records are dropped)", err)
	}

	// SSO accounts have no login name.
	acc := store.Account{ID: id("acc"), Email: "ana@acme.example", Created: base, Updated: base}
	pw := store.Account{ID: id("acc"), Email: "ana@acme.example", PasswordHash: "x", Created: base, Updated: base}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.CreateSSOAccount(ctx, acc); err != nil {
			return err
		}
		return tx.CreateAccount(ctx, pw) // the same email as a login name: no clash
	})
	if a, err := s.AccountByEmail(ctx, "ana@acme.example"); err != nil || a.ID != pw.ID {
		t.Errorf("AccountByEmail finds %+v, %v; want the password account only", a, err)
	}
	tx(t, s, func(tx store.Tx) error {
		return tx.SetSSOAccountEmail(ctx, acc.ID, "ana.b@acme.example", base.Add(time.Hour))
	})
	if a, err := s.Account(ctx, acc.ID); err != nil || a.Email != "ana.b@acme.example" || a.PasswordHash != "" {
		t.Errorf("the SSO account after SetSSOAccountEmail: %+v, %v", a, err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.SetSSOAccountEmail(ctx, pw.ID, "x@acme.example", base) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetSSOAccountEmail of a password account: %v, want ErrNotFound", err)
	}

	// SSO sessions end per member.
	mkSess := func(name string, a store.Account, team store.Team, user string, sso bool) {
		tx(t, s, func(tx store.Tx) error {
			if err := tx.CreateSession(ctx, store.Session{TokenHash: hashOf(name), AccountID: a.ID, CSRFToken: "c", Created: base, Expires: base.Add(time.Hour)}); err != nil {
				return err
			}
			if !sso {
				return nil
			}
			return tx.CreateSSOSession(ctx, store.SSOSession{TokenHash: hashOf(name), TeamID: team.ID, UserID: user, ConnectionID: "c1", AccountID: a.ID, Expires: base.Add(time.Hour)})
		})
	}
	mkSess("s1", acc, acme, "u1", true)
	mkSess("s2", acc, acme, "u1", true)
	mkSess("s3", acc, globex, "u1", true) // the same user id in another team
	mkSess("s4", acc, acme, "u1", false)  // a password session of the same account
	if got, err := s.SSOSession(ctx, hashOf("s1")); err != nil || got.UserID != "u1" || got.TeamID != acme.ID || got.ConnectionID != "c1" || got.AccountID != acc.ID || !got.Expires.Equal(base.Add(time.Hour)) {
		t.Errorf("SSOSession(s1) = %+v, %v", got, err)
	}
	if _, err := s.SSOSession(ctx, hashOf("s4")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SSOSession of a password session: %v, want ErrNotFound", err)
	}
	var ended int
	tx(t, s, func(tx store.Tx) error {
		var err error
		ended, err = tx.EndSSOSessions(ctx, acme.ID, "u1")
		return err
	})
	if ended != 2 {
		t.Errorf("EndSSOSessions ended %d sessions, want 2", ended)
	}
	for name, alive := range map[string]bool{"s1": false, "s2": false, "s3": true, "s4": true} {
		_, err := s.SessionByHash(ctx, hashOf(name))
		if _, serr := s.SSOSession(ctx, hashOf(name)); alive != (err == nil) || (!alive && !errors.Is(serr, store.ErrNotFound)) {
			t.Errorf("session %s after EndSSOSessions(acme, u1): %v (SSO mark: %v); want alive=%v", name, err, serr, alive)
		}
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteExpiredSSOSessions(ctx, base.Add(time.Hour)) })
	if _, err := s.SSOSession(ctx, hashOf("s3")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired SSO session mark after DeleteExpiredSSOSessions: %v, want ErrNotFound", err)
	}

	// Traces: newest first, per team, pruned by age and count.
	for i := range 6 {
		at := base.Add(time.Duration(i) * time.Minute)
		if i == 5 {
			at = base.Add(4 * time.Minute) // the same instant as trace 4
		}
		tr := store.SSOTrace{TeamID: acme.ID, ID: fmt.Sprintf("tr-%d", i), At: at, ConnectionID: "c1", Protocol: "saml", Outcome: store.SSOFailure,
			Error: "bad_signature", Message: "m", Email: "e@acme.example", Subject: "s", Detail: `{"issuer":"x"}`, IP: "192.0.2.1", RequestID: "r"}
		tx(t, s, func(tx store.Tx) error { return tx.AppendSSOTrace(ctx, tr) })
	}
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendSSOTrace(ctx, store.SSOTrace{TeamID: globex.ID, ID: "tr-g", At: base, Outcome: store.SSOSuccess})
	})
	traceIDs := func(ts []store.SSOTrace) []string {
		out := []string{}
		for _, x := range ts {
			out = append(out, x.ID)
		}
		return out
	}
	if ts, err := s.ListSSOTraces(ctx, acme.ID, 3); err != nil || !reflect.DeepEqual(traceIDs(ts), []string{"tr-5", "tr-4", "tr-3"}) {
		t.Errorf("ListSSOTraces(acme, 3) = %v, %v; want tr-5, tr-4, tr-3", traceIDs(ts), err)
	}
	if tr, err := s.SSOTrace(ctx, acme.ID, "tr-2"); err != nil || tr.Error != "bad_signature" || tr.IP != "192.0.2.1" || !tr.At.Equal(base.Add(2*time.Minute)) || tr.Detail != `{"issuer":"x"}` {
		t.Errorf("SSOTrace(tr-2) = %+v, %v", tr, err)
	}
	if _, err := s.SSOTrace(ctx, globex.ID, "tr-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("acme's trace read as globex: %v, want ErrNotFound", err)
	}
	var pruned int
	tx(t, s, func(tx store.Tx) error {
		var err error
		pruned, err = tx.PruneSSOTraces(ctx, acme.ID, base.Add(time.Minute), 3)
		return err
	})
	if ts, _ := s.ListSSOTraces(ctx, acme.ID, 10); pruned != 3 || !reflect.DeepEqual(traceIDs(ts), []string{"tr-5", "tr-4", "tr-3"}) {
		t.Errorf("after PruneSSOTraces(keep 3): pruned %d, left %v; want 3 pruned, tr-5, tr-4, tr-3", pruned, traceIDs(ts))
	}
	tx(t, s, func(tx store.Tx) error {
		var err error
		pruned, err = tx.PruneSSOTraces(ctx, acme.ID, base.Add(4*time.Minute), 0)
		return err
	})
	if ts, _ := s.ListSSOTraces(ctx, acme.ID, 10); pruned != 1 || !reflect.DeepEqual(traceIDs(ts), []string{"tr-5", "tr-4"}) {
		t.Errorf("after PruneSSOTraces by age: pruned %d, left %v; want 1 pruned, tr-5, tr-4", pruned, traceIDs(ts))
	}
	if ts, _ := s.ListSSOTraces(ctx, globex.ID, 10); !reflect.DeepEqual(traceIDs(ts), []string{"tr-g"}) {
		t.Errorf("globex's traces after acme's pruning: %v", traceIDs(ts))
	}

	// Every read, inside a write transaction.
	tx(t, s, func(tx store.Tx) error {
		if c, err := tx.SSOConnection(ctx, "c2"); err != nil || c.Name != c2.Name {
			return fmt.Errorf("SSOConnection in tx: %+v, %v", c, err)
		}
		if l, err := tx.ListSSOConnections(ctx, acme.ID); err != nil || len(l) != 2 {
			return fmt.Errorf("ListSSOConnections in tx: %d, %v", len(l), err)
		}
		if p, err := tx.SSOPolicy(ctx, acme.ID); err != nil || !reflect.DeepEqual(p, pol2) {
			return fmt.Errorf("SSOPolicy in tx: %+v, %v", p, err)
		}
		if ids, err := tx.SSOTeamsByDomain(ctx, "c.example"); err != nil || len(ids) != 1 {
			return fmt.Errorf("SSOTeamsByDomain in tx: %v, %v", ids, err)
		}
		if i, err := tx.SSOIdentity(ctx, "c1", "00u1"); err != nil || i.AccountID != "acc-1" {
			return fmt.Errorf("SSOIdentity in tx: %+v, %v", i, err)
		}
		if _, err := tx.SSOSession(ctx, hashOf("s1")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("SSOSession in tx: %v", err)
		}
		if l, err := tx.ListSSOTraces(ctx, acme.ID, 1); err != nil || len(l) != 1 || l[0].ID != "tr-5" {
			return fmt.Errorf("ListSSOTraces in tx: %v, %v", traceIDs(l), err)
		}
		if tr, err := tx.SSOTrace(ctx, acme.ID, "tr-4"); err != nil || tr.ID != "tr-4" {
			return fmt.Errorf("SSOTrace in tx: %+v, %v", tr, err)
		}
		return nil
	})

	// Deleting a connection takes its identities and pending sign-ins.
	tx(t, s, func(tx store.Tx) error {
		return tx.CreateSSOLoginState(ctx, store.SSOLoginState{Hash: hashOf("state3"), TeamID: acme.ID, ConnectionID: "c1", Created: base, Expires: base.Add(time.Hour)})
	})
	tx(t, s, func(tx store.Tx) error { return tx.DeleteSSOConnection(ctx, acme.ID, "c1") })
	if _, err := s.SSOConnection(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted connection: %v, want ErrNotFound", err)
	}
	if _, err := s.SSOIdentity(ctx, "c1", "00u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an identity of a deleted connection: %v, want ErrNotFound", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { _, err := tx.TakeSSOLoginState(ctx, hashOf("state3")); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a pending sign-in of a deleted connection: %v, want ErrNotFound", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.DeleteSSOConnection(ctx, globex.ID, "c2") }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting acme's connection as globex: %v, want ErrNotFound", err)
	}
}

// ---- recording wrappers of the SSO methods (record.go) ----

func (w recReader) SSOConnection(ctx context.Context, id string) (store.SSOConnection, error) {
	w.rec.note(w.iface)
	return w.r.SSOConnection(ctx, id)
}

func (w recReader) ListSSOConnections(ctx context.Context, teamID string) ([]store.SSOConnection, error) {
	w.rec.note(w.iface)
	return w.r.ListSSOConnections(ctx, teamID)
}

func (w recReader) SSOPolicy(ctx context.Context, teamID string) (store.SSOPolicy, error) {
	w.rec.note(w.iface)
	return w.r.SSOPolicy(ctx, teamID)
}

func (w recReader) SSOTeamsByDomain(ctx context.Context, domain string) ([]string, error) {
	w.rec.note(w.iface)
	return w.r.SSOTeamsByDomain(ctx, domain)
}

func (w recReader) SSOIdentity(ctx context.Context, connectionID, subject string) (store.SSOIdentity, error) {
	w.rec.note(w.iface)
	return w.r.SSOIdentity(ctx, connectionID, subject)
}

func (w recReader) SSOSession(ctx context.Context, tokenHash []byte) (store.SSOSession, error) {
	w.rec.note(w.iface)
	return w.r.SSOSession(ctx, tokenHash)
}

func (w recReader) ListSSOTraces(ctx context.Context, teamID string, limit int) ([]store.SSOTrace, error) {
	w.rec.note(w.iface)
	return w.r.ListSSOTraces(ctx, teamID, limit)
}

func (w recReader) SSOTrace(ctx context.Context, teamID, id string) (store.SSOTrace, error) {
	w.rec.note(w.iface)
	return w.r.SSOTrace(ctx, teamID, id)
}

func (w *recTx) CreateSSOConnection(ctx context.Context, c store.SSOConnection) error {
	w.rec.note("Tx")
	return w.tx.CreateSSOConnection(ctx, c)
}

func (w *recTx) UpdateSSOConnection(ctx context.Context, c store.SSOConnection) error {
	w.rec.note("Tx")
	return w.tx.UpdateSSOConnection(ctx, c)
}

func (w *recTx) DeleteSSOConnection(ctx context.Context, teamID, id string) error {
	w.rec.note("Tx")
	return w.tx.DeleteSSOConnection(ctx, teamID, id)
}

func (w *recTx) SetSSOPolicy(ctx context.Context, p store.SSOPolicy) error {
	w.rec.note("Tx")
	return w.tx.SetSSOPolicy(ctx, p)
}

func (w *recTx) CreateSSOIdentity(ctx context.Context, i store.SSOIdentity) error {
	w.rec.note("Tx")
	return w.tx.CreateSSOIdentity(ctx, i)
}

func (w *recTx) TouchSSOIdentity(ctx context.Context, connectionID, subject string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.TouchSSOIdentity(ctx, connectionID, subject, at)
}

func (w *recTx) CreateSSOLoginState(ctx context.Context, s store.SSOLoginState) error {
	w.rec.note("Tx")
	return w.tx.CreateSSOLoginState(ctx, s)
}

func (w *recTx) TakeSSOLoginState(ctx context.Context, hash []byte) (store.SSOLoginState, error) {
	w.rec.note("Tx")
	return w.tx.TakeSSOLoginState(ctx, hash)
}

func (w *recTx) DeleteExpiredSSOLoginStates(ctx context.Context, now time.Time) error {
	w.rec.note("Tx")
	return w.tx.DeleteExpiredSSOLoginStates(ctx, now)
}

func (w *recTx) UseSSOAssertion(ctx context.Context, connectionID, assertionID string, expires, now time.Time) error {
	w.rec.note("Tx")
	return w.tx.UseSSOAssertion(ctx, connectionID, assertionID, expires, now)
}

func (w *recTx) CreateSSOAccount(ctx context.Context, a store.Account) error {
	w.rec.note("Tx")
	return w.tx.CreateSSOAccount(ctx, a)
}

func (w *recTx) SetSSOAccountEmail(ctx context.Context, id, email string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.SetSSOAccountEmail(ctx, id, email, at)
}

func (w *recTx) CreateSSOSession(ctx context.Context, s store.SSOSession) error {
	w.rec.note("Tx")
	return w.tx.CreateSSOSession(ctx, s)
}

func (w *recTx) EndSSOSessions(ctx context.Context, teamID, userID string) (int, error) {
	w.rec.note("Tx")
	return w.tx.EndSSOSessions(ctx, teamID, userID)
}

func (w *recTx) DeleteExpiredSSOSessions(ctx context.Context, now time.Time) error {
	w.rec.note("Tx")
	return w.tx.DeleteExpiredSSOSessions(ctx, now)
}

func (w *recTx) AppendSSOTrace(ctx context.Context, t store.SSOTrace) error {
	w.rec.note("Tx")
	return w.tx.AppendSSOTrace(ctx, t)
}

func (w *recTx) PruneSSOTraces(ctx context.Context, teamID string, before time.Time, keep int) (int, error) {
	w.rec.note("Tx")
	return w.tx.PruneSSOTraces(ctx, teamID, before, keep)
}
