package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testLogs checks the audit and provisioning log queries: filters, newest
// first order, cursor and offset paging, tenant isolation and pruning.
func testLogs(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "other")

	// Audit: 12 events a minute apart, two at the same instant.
	actions := []string{"user.create", "user.update", "group.create", "user.deactivate", "scim_key.create", "user.create",
		"group.update", "user.delete", "team.policy", "user.create", "usera.odd", "user.update"}
	for i, a := range actions {
		at := base.Add(time.Duration(i) * time.Minute)
		if i == 11 {
			at = base.Add(10 * time.Minute) // same instant as event 10
		}
		actor := "scim-key:okta"
		if i%3 == 0 {
			actor = "cli:operator"
		}
		e := store.AuditEvent{TeamID: tm.ID, ID: fmt.Sprintf("ev-%02d", i), At: at, Actor: actor, Action: a,
			TargetType: "user", TargetID: fmt.Sprintf("u%d", i%4), Detail: "{}"}
		if a[0] == 'g' {
			e.TargetType = "group"
		}
		tx(t, s, func(tx store.Tx) error { return tx.AppendAudit(ctx, e) })
	}
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendAudit(ctx, store.AuditEvent{TeamID: other.ID, ID: "ev-other", At: base, Actor: "cli:operator", Action: "user.create", Detail: "{}"})
	})
	ids := func(es []store.AuditEvent) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	auditTests := []struct {
		name string
		q    store.AuditQuery
		want []string
	}{
		{"all newest first, ties by id", store.AuditQuery{Limit: 4}, []string{"ev-11", "ev-10", "ev-09", "ev-08"}},
		{"since and until", store.AuditQuery{Since: base.Add(2 * time.Minute), Until: base.Add(5 * time.Minute)}, []string{"ev-04", "ev-03", "ev-02"}},
		{"actor", store.AuditQuery{Actor: "cli:operator"}, []string{"ev-09", "ev-06", "ev-03", "ev-00"}},
		{"action prefix", store.AuditQuery{ActionPrefix: "user."}, []string{"ev-11", "ev-09", "ev-07", "ev-05", "ev-03", "ev-01", "ev-00"}},
		{"action prefix is case-exact", store.AuditQuery{ActionPrefix: "USER."}, []string{}},
		{"exact action", store.AuditQuery{ActionPrefix: "user.delete"}, []string{"ev-07"}},
		{"target type", store.AuditQuery{TargetType: "group"}, []string{"ev-06", "ev-02"}},
		{"target", store.AuditQuery{TargetType: "user", TargetID: "u1"}, []string{"ev-09", "ev-05", "ev-01"}},
		{"cursor", store.AuditQuery{After: &store.LogCursor{At: base.Add(10 * time.Minute), ID: "ev-11"}, Limit: 2}, []string{"ev-10", "ev-09"}},
		{"offset", store.AuditQuery{Offset: 10, Limit: 5}, []string{"ev-01", "ev-00"}},
		{"combined", store.AuditQuery{ActionPrefix: "user.", Actor: "scim-key:okta", Since: base.Add(5 * time.Minute)}, []string{"ev-11", "ev-07", "ev-05"}},
	}
	for _, tc := range auditTests {
		got, err := s.QueryAudit(ctx, tm.ID, tc.q)
		if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("QueryAudit %s = %v, %v; want %v", tc.name, ids(got), err, tc.want)
		}
	}
	// Walking the whole log by cursor visits every event once.
	var walked []string
	q := store.AuditQuery{Limit: 5}
	for {
		page, err := s.QueryAudit(ctx, tm.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, ids(page)...)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &store.LogCursor{At: last.At, ID: last.ID}
	}
	if len(walked) != len(actions) || walked[0] != "ev-11" || walked[len(walked)-1] != "ev-00" {
		t.Errorf("cursor walk = %v", walked)
	}

	// Provisioning log.
	var entries []store.ProvisioningEntry
	reqs := []struct {
		method, path string
		status       int
	}{
		{"GET", "/scim/v2/Users", 200}, {"POST", "/scim/v2/Users", 201}, {"PATCH", "/scim/v2/Users/u-1", 200},
		{"POST", "/scim/v2/Users", 409}, {"GET", "/scim/v2/Users/u-1", 404}, {"PUT", "/scim/v2/Groups/g-1", 200},
		{"PATCH", "/scim/v2/Users/u-1", 400}, {"GET", "/scim/v2/Users", 401}, {"DELETE", "/scim/v2/Users/u-2", 500},
	}
	for i, r := range reqs {
		e := store.ProvisioningEntry{TeamID: tm.ID, ID: fmt.Sprintf("pl-%02d", i), At: base.Add(time.Duration(i) * time.Second),
			Method: r.method, Path: r.path, Query: "filter=userName+eq+%22x%22", Status: r.status, Latency: 1500 * time.Microsecond,
			UserAgent: "Okta SCIM Client 1.0.0", KeyID: "k1", KeyName: "okta", RequestID: fmt.Sprint("rq", i), IP: "10.0.0.1",
			ResourceType: map[bool]string{true: "Groups", false: "Users"}[r.path[9] == 'G'], RequestBody: `{"userName":"x"}`, BodyBytes: 16}
		if n := len("/scim/v2/Users/"); len(r.path) > n {
			e.ResourceID = r.path[n:]
		}
		if r.status >= 400 {
			e.ErrorDetail = fmt.Sprintf("detail %d", r.status)
			e.ErrorBody = `{"status":"` + fmt.Sprint(r.status) + `"}`
		}
		entries = append(entries, e)
	}
	tx(t, s, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, entries) })
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendProvisioningLog(ctx, []store.ProvisioningEntry{{TeamID: other.ID, ID: "pl-other", At: base, Method: "GET", Path: "/scim/v2/Users", Status: 500}})
	})
	pids := func(es []store.ProvisioningEntry) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	provTests := []struct {
		name string
		q    store.ProvisioningQuery
		want []string
	}{
		{"all newest first", store.ProvisioningQuery{Limit: 3}, []string{"pl-08", "pl-07", "pl-06"}},
		{"errors", store.ProvisioningQuery{MinStatus: 400}, []string{"pl-08", "pl-07", "pl-06", "pl-04", "pl-03"}},
		{"4xx", store.ProvisioningQuery{MinStatus: 400, MaxStatus: 499}, []string{"pl-07", "pl-06", "pl-04", "pl-03"}},
		{"method", store.ProvisioningQuery{Method: "patch"}, []string{"pl-06", "pl-02"}},
		{"path substring", store.ProvisioningQuery{PathContains: "Groups"}, []string{"pl-05"}},
		{"resource id", store.ProvisioningQuery{ResourceID: "u-1"}, []string{"pl-06", "pl-04", "pl-02"}},
		{"time range", store.ProvisioningQuery{Since: base.Add(2 * time.Second), Until: base.Add(4 * time.Second)}, []string{"pl-03", "pl-02"}},
		{"cursor", store.ProvisioningQuery{After: &store.LogCursor{At: base.Add(3 * time.Second), ID: "pl-03"}, Limit: 2}, []string{"pl-02", "pl-01"}},
		{"errors about one user", store.ProvisioningQuery{MinStatus: 400, ResourceID: "u-1", Method: "PATCH"}, []string{"pl-06"}},
	}
	for _, tc := range provTests {
		got, err := s.QueryProvisioningLog(ctx, tm.ID, tc.q)
		if err != nil || fmt.Sprint(pids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("QueryProvisioningLog %s = %v, %v; want %v", tc.name, pids(got), err, tc.want)
		}
	}
	got, err := s.ProvisioningLogEntry(ctx, tm.ID, "pl-04")
	want := entries[4]
	if err != nil || got.Status != 404 || got.ErrorDetail != "detail 404" || got.ErrorBody != want.ErrorBody || !got.At.Equal(want.At) ||
		got.Latency != want.Latency || got.UserAgent != want.UserAgent || got.KeyName != "okta" || got.RequestBody != want.RequestBody ||
		got.Query != want.Query || got.ResourceType != "Users" || got.ResourceID != "u-1" || got.BodyBytes != 16 || got.RequestID != "rq4" || got.IP != "10.0.0.1" {
		t.Errorf("ProvisioningLogEntry = %+v, %v", got, err)
	}
	if _, err := s.ProvisioningLogEntry(ctx, other.ID, "pl-04"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another team's entry: %v, want ErrNotFound", err)
	}
	// A batch written twice (a retried transaction) adds nothing.
	tx(t, s, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, entries[:2]) })

	// Pruning: older than base+3s, or beyond the newest 4.
	var deleted int
	tx(t, s, func(tx store.Tx) error {
		var err error
		deleted, err = tx.PruneProvisioningLog(ctx, tm.ID, base.Add(3*time.Second), 0, 100)
		return err
	})
	if deleted != 3 {
		t.Errorf("prune by age deleted %d, want 3", deleted)
	}
	tx(t, s, func(tx store.Tx) error {
		var err error
		deleted, err = tx.PruneProvisioningLog(ctx, tm.ID, base, 4, 1) // at most 1 at a time
		return err
	})
	if deleted != 1 {
		t.Errorf("limited prune deleted %d, want 1", deleted)
	}
	tx(t, s, func(tx store.Tx) error {
		var err error
		deleted, err = tx.PruneProvisioningLog(ctx, tm.ID, base, 4, 100)
		return err
	})
	left, _ := s.QueryProvisioningLog(ctx, tm.ID, store.ProvisioningQuery{})
	if deleted != 1 || fmt.Sprint(pids(left)) != "[pl-08 pl-07 pl-06 pl-05]" {
		t.Errorf("prune by rows deleted %d, left %v", deleted, pids(left))
	}
	if o, _ := s.QueryProvisioningLog(ctx, other.ID, store.ProvisioningQuery{}); len(o) != 1 {
		t.Errorf("the other team's log was pruned: %v", pids(o))
	}
}
