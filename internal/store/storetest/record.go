package storetest

// Which store methods does the suite call? Every conformance test runs
// against the backend's store wrapped in a recording proxy (recStore, and
// recTx for each transaction): each wrapper method notes its own name, read
// from the call stack (so a wrapper method can't note the wrong name), and
// forwards the call. After the whole suite has run, testEveryMethodCalled
// enumerates by reflection the methods of store.Store and of store.Tx and
// fails naming each one the suite never called through that interface: a
// Reader method called on the store doesn't count for Tx, whose reads run
// in a write transaction (under row locks on PostgreSQL, inside a group
// commit on SQLite), so testReadsInsideTx calls every one there too.
//
// Why a hand-written proxy rather than parsing the suite's source: a call
// counts only if it ran, on this backend, from a conformance test (never
// from the implementation calling itself), and it costs nothing to keep up
// to date. The wrappers implement the interfaces explicitly (no embedding),
// so a method added to the contract breaks the build here until it gets a
// one-line wrapper, and then this test fails until a conformance test
// calls it.
//
// Calls count from any conformance test, helpers included (mkUser's
// CreateUser); the harness's own Close of each store is not recorded.

import (
	"context"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// recorder is the set of "Store.Method" and "Tx.Method" the suite called.
type recorder struct {
	mu     sync.Mutex
	called map[string]bool
}

func newRecorder() *recorder { return &recorder{called: map[string]bool{}} }

// note records that the wrapper method calling it ran on iface ("Store"
// or "Tx"); the method's name is its caller's function name.
func (r *recorder) note(iface string) {
	pc := make([]uintptr, 1)
	runtime.Callers(2, pc)
	frame, _ := runtime.CallersFrames(pc).Next()
	name := frame.Function[strings.LastIndexByte(frame.Function, '.')+1:]
	r.mu.Lock()
	r.called[iface+"."+name] = true
	r.mu.Unlock()
}

// missing lists the methods of store.Store and store.Tx the suite never
// called through that interface, sorted.
func (r *recorder) missing() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, it := range []struct {
		name string
		typ  reflect.Type
	}{{"Store", reflect.TypeFor[store.Store]()}, {"Tx", reflect.TypeFor[store.Tx]()}} {
		for i := range it.typ.NumMethod() {
			if m := it.name + "." + it.typ.Method(i).Name; !r.called[m] {
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out
}

// unknown lists what was noted that is no method of the interfaces: a
// wrapper whose name was misread (a sanity check of note itself).
func (r *recorder) unknown() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	valid := map[string]bool{}
	for _, it := range []struct {
		name string
		typ  reflect.Type
	}{{"Store", reflect.TypeFor[store.Store]()}, {"Tx", reflect.TypeFor[store.Tx]()}} {
		for i := range it.typ.NumMethod() {
			valid[it.name+"."+it.typ.Method(i).Name] = true
		}
	}
	var out []string
	for m := range r.called {
		if !valid[m] {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// testEveryMethodCalled is run by Run after every other conformance test.
func testEveryMethodCalled(t *testing.T, rec *recorder) {
	if bad := rec.unknown(); len(bad) > 0 {
		t.Errorf("the recording wrappers noted names that are no store method: %v", bad)
	}
	for _, m := range rec.missing() {
		t.Errorf("%s is called by no conformance test (add one to internal/store/storetest that asserts what it does)", m)
	}
}

// ---- the recording proxy ----

type recStore struct {
	recReader
	s      store.Store
	mu     sync.Mutex
	closed bool
}

func (r *recorder) wrap(s store.Store) *recStore {
	return &recStore{recReader: recReader{r: s, rec: r, iface: "Store"}, s: s}
}

func (w *recStore) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	w.rec.note("Store")
	return w.s.Tx(ctx, func(tx store.Tx) error {
		return fn(&recTx{recReader: recReader{r: tx, rec: w.rec, iface: "Tx"}, tx: tx})
	})
}

func (w *recStore) Close() error {
	w.rec.note("Store")
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.s.Close()
}

// closeUnlessClosed is the harness's Close: not recorded, and not a second
// Close of a store a test closed itself.
func (w *recStore) closeUnlessClosed() {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if !closed {
		w.s.Close()
	}
}

// recReader wraps the read methods, on the store ("Store") or in a
// transaction ("Tx").
type recReader struct {
	r     store.Reader
	rec   *recorder
	iface string
}

func (w recReader) TeamBySlug(ctx context.Context, slug string) (store.Team, error) {
	w.rec.note(w.iface)
	return w.r.TeamBySlug(ctx, slug)
}

func (w recReader) Team(ctx context.Context, id string) (store.Team, error) {
	w.rec.note(w.iface)
	return w.r.Team(ctx, id)
}

func (w recReader) ListTeams(ctx context.Context) ([]store.Team, error) {
	w.rec.note(w.iface)
	return w.r.ListTeams(ctx)
}

func (w recReader) KeyByHash(ctx context.Context, hash []byte) (store.SCIMKey, error) {
	w.rec.note(w.iface)
	return w.r.KeyByHash(ctx, hash)
}

func (w recReader) KeyWithTeam(ctx context.Context, hash []byte) (store.SCIMKey, store.Team, error) {
	w.rec.note(w.iface)
	return w.r.KeyWithTeam(ctx, hash)
}

func (w recReader) ListKeys(ctx context.Context, teamID string) ([]store.SCIMKey, error) {
	w.rec.note(w.iface)
	return w.r.ListKeys(ctx, teamID)
}

func (w recReader) User(ctx context.Context, teamID, id string) (store.User, error) {
	w.rec.note(w.iface)
	return w.r.User(ctx, teamID, id)
}

func (w recReader) ListUsers(ctx context.Context, teamID string, q store.Query) ([]store.User, int, error) {
	w.rec.note(w.iface)
	return w.r.ListUsers(ctx, teamID, q)
}

func (w recReader) GroupsOfUser(ctx context.Context, teamID, userID string) ([]store.GroupRef, error) {
	w.rec.note(w.iface)
	return w.r.GroupsOfUser(ctx, teamID, userID)
}

func (w recReader) GroupsOfUsers(ctx context.Context, teamID string, userIDs []string) (map[string][]store.GroupRef, error) {
	w.rec.note(w.iface)
	return w.r.GroupsOfUsers(ctx, teamID, userIDs)
}

func (w recReader) Group(ctx context.Context, teamID, id string) (store.Group, error) {
	w.rec.note(w.iface)
	return w.r.Group(ctx, teamID, id)
}

func (w recReader) ListGroups(ctx context.Context, teamID string, q store.Query) ([]store.Group, int, error) {
	w.rec.note(w.iface)
	return w.r.ListGroups(ctx, teamID, q)
}

func (w recReader) Members(ctx context.Context, teamID, groupID string) ([]store.MemberRef, error) {
	w.rec.note(w.iface)
	return w.r.Members(ctx, teamID, groupID)
}

func (w recReader) MemberCount(ctx context.Context, teamID, groupID string) (int, error) {
	w.rec.note(w.iface)
	return w.r.MemberCount(ctx, teamID, groupID)
}

func (w recReader) MemberCountUpTo(ctx context.Context, teamID, groupID string, limit int) (int, error) {
	w.rec.note(w.iface)
	return w.r.MemberCountUpTo(ctx, teamID, groupID, limit)
}

func (w recReader) SeatsUsed(ctx context.Context, teamID string, seatRoles []string) (int, error) {
	w.rec.note(w.iface)
	return w.r.SeatsUsed(ctx, teamID, seatRoles)
}

func (w recReader) GroupRoles(ctx context.Context, teamID, groupID string) ([]string, error) {
	w.rec.note(w.iface)
	return w.r.GroupRoles(ctx, teamID, groupID)
}

func (w recReader) RolesFromGroups(ctx context.Context, teamID, userID string) ([]string, error) {
	w.rec.note(w.iface)
	return w.r.RolesFromGroups(ctx, teamID, userID)
}

func (w recReader) SoleMembers(ctx context.Context, teamID, groupID string) ([]string, error) {
	w.rec.note(w.iface)
	return w.r.SoleMembers(ctx, teamID, groupID)
}

func (w recReader) ExistingUsers(ctx context.Context, teamID string, ids []string) (map[string]bool, error) {
	w.rec.note(w.iface)
	return w.r.ExistingUsers(ctx, teamID, ids)
}

func (w recReader) PendingInvite(ctx context.Context, teamID, email string) (store.Invite, error) {
	w.rec.note(w.iface)
	return w.r.PendingInvite(ctx, teamID, email)
}

func (w recReader) CountActiveWithRole(ctx context.Context, teamID, role string, limit int) (int, error) {
	w.rec.note(w.iface)
	return w.r.CountActiveWithRole(ctx, teamID, role, limit)
}

func (w recReader) ListAudit(ctx context.Context, teamID string, limit int) ([]store.AuditEvent, error) {
	w.rec.note(w.iface)
	return w.r.ListAudit(ctx, teamID, limit)
}

// AccountReader

func (w recReader) Account(ctx context.Context, id string) (store.Account, error) {
	w.rec.note(w.iface)
	return w.r.Account(ctx, id)
}

func (w recReader) AccountByEmail(ctx context.Context, email string) (store.Account, error) {
	w.rec.note(w.iface)
	return w.r.AccountByEmail(ctx, email)
}

func (w recReader) SessionByHash(ctx context.Context, hash []byte) (store.Session, error) {
	w.rec.note(w.iface)
	return w.r.SessionByHash(ctx, hash)
}

func (w recReader) APITokenByHash(ctx context.Context, hash []byte) (store.APIToken, error) {
	w.rec.note(w.iface)
	return w.r.APITokenByHash(ctx, hash)
}

func (w recReader) ListAPITokens(ctx context.Context, accountID string) ([]store.APIToken, error) {
	w.rec.note(w.iface)
	return w.r.ListAPITokens(ctx, accountID)
}

func (w recReader) MembershipsOfAccount(ctx context.Context, accountID string) ([]store.User, error) {
	w.rec.note(w.iface)
	return w.r.MembershipsOfAccount(ctx, accountID)
}

func (w recReader) MemberOfAccount(ctx context.Context, teamID, accountID string) (store.User, error) {
	w.rec.note(w.iface)
	return w.r.MemberOfAccount(ctx, teamID, accountID)
}

func (w recReader) MembersByEmail(ctx context.Context, teamID, email string) ([]store.User, error) {
	w.rec.note(w.iface)
	return w.r.MembersByEmail(ctx, teamID, email)
}

func (w recReader) ListMembers(ctx context.Context, teamID string, q store.MemberQuery) ([]store.User, int, error) {
	w.rec.note(w.iface)
	return w.r.ListMembers(ctx, teamID, q)
}

func (w recReader) InviteDetail(ctx context.Context, teamID, id string) (store.InviteDetail, error) {
	w.rec.note(w.iface)
	return w.r.InviteDetail(ctx, teamID, id)
}

func (w recReader) InviteByTokenHash(ctx context.Context, hash []byte) (store.InviteDetail, error) {
	w.rec.note(w.iface)
	return w.r.InviteByTokenHash(ctx, hash)
}

func (w recReader) ListPendingInvites(ctx context.Context, teamID string) ([]store.InviteDetail, error) {
	w.rec.note(w.iface)
	return w.r.ListPendingInvites(ctx, teamID)
}

// LogReader

func (w recReader) QueryAudit(ctx context.Context, teamID string, q store.AuditQuery) ([]store.AuditEvent, error) {
	w.rec.note(w.iface)
	return w.r.QueryAudit(ctx, teamID, q)
}

func (w recReader) QueryProvisioningLog(ctx context.Context, teamID string, q store.ProvisioningQuery) ([]store.ProvisioningEntry, error) {
	w.rec.note(w.iface)
	return w.r.QueryProvisioningLog(ctx, teamID, q)
}

func (w recReader) ProvisioningLogEntry(ctx context.Context, teamID, id string) (store.ProvisioningEntry, error) {
	w.rec.note(w.iface)
	return w.r.ProvisioningLogEntry(ctx, teamID, id)
}

func (w recReader) ProvisioningActivity(ctx context.Context, teamID string, since, until time.Time) ([]store.HourlyActivity, error) {
	w.rec.note(w.iface)
	return w.r.ProvisioningActivity(ctx, teamID, since, until)
}

// recTx wraps a write transaction's methods.
type recTx struct {
	recReader
	tx store.Tx
}

func (w *recTx) CreateTeam(ctx context.Context, t store.Team) error {
	w.rec.note("Tx")
	return w.tx.CreateTeam(ctx, t)
}

func (w *recTx) LockTeam(ctx context.Context, teamID string) error {
	w.rec.note("Tx")
	return w.tx.LockTeam(ctx, teamID)
}

func (w *recTx) SetSCIMEnabled(ctx context.Context, teamID string, on bool) error {
	w.rec.note("Tx")
	return w.tx.SetSCIMEnabled(ctx, teamID, on)
}

func (w *recTx) SetUserExtension(ctx context.Context, teamID, ext string) error {
	w.rec.note("Tx")
	return w.tx.SetUserExtension(ctx, teamID, ext)
}

func (w *recTx) SetTeamPolicies(ctx context.Context, teamID string, seatLimit int, groupDeleteDeactivates bool) error {
	w.rec.note("Tx")
	return w.tx.SetTeamPolicies(ctx, teamID, seatLimit, groupDeleteDeactivates)
}

func (w *recTx) SetGroupRoles(ctx context.Context, teamID, groupID string, roles []string) error {
	w.rec.note("Tx")
	return w.tx.SetGroupRoles(ctx, teamID, groupID, roles)
}

func (w *recTx) CreateKey(ctx context.Context, k store.SCIMKey) error {
	w.rec.note("Tx")
	return w.tx.CreateKey(ctx, k)
}

func (w *recTx) RevokeKey(ctx context.Context, teamID, id string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.RevokeKey(ctx, teamID, id, at)
}

func (w *recTx) TouchKey(ctx context.Context, teamID, id string, at time.Time, ip string) error {
	w.rec.note("Tx")
	return w.tx.TouchKey(ctx, teamID, id, at, ip)
}

func (w *recTx) CreateUser(ctx context.Context, u store.User) error {
	w.rec.note("Tx")
	return w.tx.CreateUser(ctx, u)
}

func (w *recTx) UpdateUser(ctx context.Context, u store.User) error {
	w.rec.note("Tx")
	return w.tx.UpdateUser(ctx, u)
}

func (w *recTx) DeleteUser(ctx context.Context, teamID, id string) error {
	w.rec.note("Tx")
	return w.tx.DeleteUser(ctx, teamID, id)
}

func (w *recTx) CreateGroup(ctx context.Context, g store.Group) error {
	w.rec.note("Tx")
	return w.tx.CreateGroup(ctx, g)
}

func (w *recTx) UpdateGroup(ctx context.Context, g store.Group) error {
	w.rec.note("Tx")
	return w.tx.UpdateGroup(ctx, g)
}

func (w *recTx) DeleteGroup(ctx context.Context, teamID, id string) error {
	w.rec.note("Tx")
	return w.tx.DeleteGroup(ctx, teamID, id)
}

func (w *recTx) AddMembers(ctx context.Context, teamID, groupID string, userIDs []string) error {
	w.rec.note("Tx")
	return w.tx.AddMembers(ctx, teamID, groupID, userIDs)
}

func (w *recTx) RemoveMembers(ctx context.Context, teamID, groupID string, userIDs []string) error {
	w.rec.note("Tx")
	return w.tx.RemoveMembers(ctx, teamID, groupID, userIDs)
}

func (w *recTx) RemoveAllMembers(ctx context.Context, teamID, groupID string) error {
	w.rec.note("Tx")
	return w.tx.RemoveAllMembers(ctx, teamID, groupID)
}

func (w *recTx) CreateInvite(ctx context.Context, inv store.Invite) error {
	w.rec.note("Tx")
	return w.tx.CreateInvite(ctx, inv)
}

func (w *recTx) CloseInvite(ctx context.Context, teamID, id, status string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.CloseInvite(ctx, teamID, id, status, at)
}

func (w *recTx) SetInviteMember(ctx context.Context, teamID, id, memberID string) error {
	w.rec.note("Tx")
	return w.tx.SetInviteMember(ctx, teamID, id, memberID)
}

func (w *recTx) LinkAccount(ctx context.Context, teamID, userID, accountID string) error {
	w.rec.note("Tx")
	return w.tx.LinkAccount(ctx, teamID, userID, accountID)
}

func (w *recTx) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	w.rec.note("Tx")
	return w.tx.AppendAudit(ctx, e)
}

// AccountTx

func (w *recTx) CreateAccount(ctx context.Context, a store.Account) error {
	w.rec.note("Tx")
	return w.tx.CreateAccount(ctx, a)
}

func (w *recTx) SetAccountPassword(ctx context.Context, id, hash string, mustChange bool, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.SetAccountPassword(ctx, id, hash, mustChange, at)
}

func (w *recTx) SetAccountEmail(ctx context.Context, id, email string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.SetAccountEmail(ctx, id, email, at)
}

func (w *recTx) CreateSession(ctx context.Context, s store.Session) error {
	w.rec.note("Tx")
	return w.tx.CreateSession(ctx, s)
}

func (w *recTx) DeleteSession(ctx context.Context, hash []byte) error {
	w.rec.note("Tx")
	return w.tx.DeleteSession(ctx, hash)
}

func (w *recTx) DeleteAccountSessions(ctx context.Context, accountID string, keep []byte) error {
	w.rec.note("Tx")
	return w.tx.DeleteAccountSessions(ctx, accountID, keep)
}

func (w *recTx) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	w.rec.note("Tx")
	return w.tx.DeleteExpiredSessions(ctx, now)
}

func (w *recTx) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	w.rec.note("Tx")
	return w.tx.CreateAPIToken(ctx, t)
}

func (w *recTx) RevokeAPIToken(ctx context.Context, accountID, id string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.RevokeAPIToken(ctx, accountID, id, at)
}

func (w *recTx) TouchAPIToken(ctx context.Context, id string, at time.Time, ip string) error {
	w.rec.note("Tx")
	return w.tx.TouchAPIToken(ctx, id, at, ip)
}

func (w *recTx) SetInviteLink(ctx context.Context, teamID, id string, hash []byte, sent, expires time.Time, by string) error {
	w.rec.note("Tx")
	return w.tx.SetInviteLink(ctx, teamID, id, hash, sent, expires, by)
}

// LogTx

func (w *recTx) AppendProvisioningLog(ctx context.Context, entries []store.ProvisioningEntry) error {
	w.rec.note("Tx")
	return w.tx.AppendProvisioningLog(ctx, entries)
}

func (w *recTx) PruneProvisioningLog(ctx context.Context, teamID string, before time.Time, keep, limit int) (int, error) {
	w.rec.note("Tx")
	return w.tx.PruneProvisioningLog(ctx, teamID, before, keep, limit)
}

// The proxy implements the whole contract.
var (
	_ store.Store = (*recStore)(nil)
	_ store.Tx    = (*recTx)(nil)
)
