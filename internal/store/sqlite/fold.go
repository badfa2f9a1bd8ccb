package sqlite

import (
	"github.com/ncruces/go-sqlite3"

	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// registerFold defines sqlstore.FoldFunction on a new connection: Go's own
// folding (sqlstore.Fold), so a filter or sort on a stored JSON value folds
// exactly as the folded columns and scim.Match do. SQLite's lower() folds
// ASCII only ("ZOË" would not match "Zoë").
//
// It is deterministic (the planner may evaluate it once per value) and
// innocuous (no side effects, safe in any context).
func registerFold(c *sqlite3.Conn) error {
	return c.CreateFunction(sqlstore.FoldFunction, 1, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS, fold)
}

func fold(ctx sqlite3.Context, arg ...sqlite3.Value) {
	if arg[0].Type() == sqlite3.NULL {
		ctx.ResultNull() // an absent JSON value stays absent
		return
	}
	// Text as is; a number or blob as its text, as lower() would.
	ctx.ResultText(sqlstore.Fold(arg[0].Text()))
}
