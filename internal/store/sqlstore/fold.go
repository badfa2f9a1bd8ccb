package sqlstore

// FoldFunction is the SQL function that folds text as scim.Fold does (Go's
// strings.ToLower), for what has no folded column: values read from the
// stored JSON (name.givenName, title, a team's custom attributes…), in
// filters and in sorts. Literals are folded in Go before they are bound,
// so only the stored side is folded in SQL.
//
// The database's own lower() would not do: SQLite's folds ASCII only,
// and PostgreSQL's depends on the collation (under "C", which every text
// column uses, ASCII only; under a locale, that locale's rules). So:
//   - SQLite: package sqlite registers FoldFunction on every connection
//     it opens, running Fold itself (deterministic, innocuous);
//   - PostgreSQL: migration 0009_fold creates it in SQL, from Go's
//     Unicode tables (foldMigrationSQL in fold_test.go generates it;
//     TestFoldMigrationCurrent fails when Go's tables change, and
//     TestFoldSQL compares it with Fold on every code point).
//
// Its result keeps its argument's collation ("C" on PostgreSQL), so
// ordered comparisons and sorts stay by byte, as Match's strings.Compare.
const FoldFunction = "roster_fold"

// foldSQL folds a stored text expression as Fold folds a literal.
func foldSQL(expr string) string { return FoldFunction + "(" + expr + ")" }
