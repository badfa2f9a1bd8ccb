// Package domain is the vocabulary every feature of the service shares,
// and the rules more than one feature applies. It decides:
//
//   - errors.go: what went wrong (Error, Kind), in the domain's terms;
//   - actor.go: who acts: an Actor in the audit trail, a Caller of the
//     admin API, a Principal (a team's SCIM key);
//   - permissions.go: the roles and the permission matrix;
//   - superadmin.go: the Super Admin rules, on every path;
//   - seats.go: the seat rule;
//   - records.go: a member's stored record and its SCIM view;
//   - etag.go: versions, If-Match and retries of stale writes;
//   - ids.go: ids, secrets, token hashes and a key's status;
//   - audit.go: the audit writer, and Env, the clock and logger every
//     feature reads.
//
// It holds no use case: the features (provisioning, accounts, members,
// settings, logs) do, and package service puts them together.
package domain

import (
	"context"

	"github.com/rosterhq/roster/internal/store"
)

// Narrowed hands a feature the whole store through its narrow interface:
// reads are store.Store's own, and Tx gives the transaction as the
// feature's Tx type T (an interface every store.Tx satisfies).
type Narrowed[T any] struct{ store.Store }

// Tx runs fn in one write transaction of the store.
func (n Narrowed[T]) Tx(ctx context.Context, fn func(T) error) error {
	return n.Store.Tx(ctx, func(tx store.Tx) error { return fn(any(tx).(T)) })
}
