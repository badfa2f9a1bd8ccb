package sqlstore

import (
	"context"
	"database/sql"

	"github.com/rosterhq/roster/internal/store"
)

// Hooks for the external fuzz tests, which need the real dialects (the
// sqlite and postgres packages import this one).

// ListSQL compiles a list query's filter and order as ListUsers (or,
// with groups set, ListGroups) does.
func ListSQL(d Dialect, groups bool, teamID string, q store.Query) (where string, args []any, order string, orderArgs []any, err error) {
	attrs, alias := userFilterAttrs, "u"
	if groups {
		attrs, alias = groupFilterAttrs, "g"
	}
	return reader{d: d}.listSQL(attrs, alias, teamID, q)
}

// TimeLayout is how timestamps are stored and bound.
const TimeLayout = timeLayout

// RunIdentityMigration runs migration 7's data step again on a migrated
// store, in one transaction, for the test that feeds it old-model data.
func RunIdentityMigration(ctx context.Context, s *Store) error {
	return s.rawTx(ctx, func(tx *sql.Tx) error { return linkAccountsFromAudit(ctx, tx, s.d) })
}
