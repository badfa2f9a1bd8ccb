package sqlstore_test

// One migration history per backend that can't silently diverge: the
// shared SQL, Export/Import (which copy rows column by column between the
// backends) and the conformance suite all assume that SQLite and
// PostgreSQL hold the same tables with the same columns, keys and indexes.
// The migrations are written twice, once per dialect, so these tests hold
// the two copies together:
//
//   - TestMigrationHistories compares the migration files: the same
//     numbers with the same names, each number once.
//   - TestSchemasMatch migrates a fresh store of each backend and compares
//     what the databases report (SQLite: sqlite_master and the table_info,
//     index_list, index_info and foreign_key_list pragmas; PostgreSQL:
//     information_schema.columns and pg_index for current_schema()):
//     tables, column names, types, nullability and defaults, primary keys,
//     unique indexes (by table and columns, partial predicates included),
//     other indexes (by name too, since later migrations drop them by
//     name), foreign keys and triggers; and what only PostgreSQL has to
//     get right to behave as SQLite does: text columns in the "C"
//     collation, integers 64 bits wide.
//   - TestMigrationProblemsCatches and TestSchemaDiffCatches, and a live
//     control at the end of TestSchemasMatch, feed the comparisons the
//     divergences they exist to catch.
//
// What one backend has on purpose and the other lacks is listed below,
// each with its reason, and each entry must still name something that
// exists; anything else that differs fails the test.

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// sqliteOnly lists SQLite's objects PostgreSQL has no counterpart for.
var sqliteOnly = map[string]string{
	// Migration 0006: SQLite walks a whole index to count a team's users
	// and to skip an OFFSET, so it keeps each team's count and a change
	// counter in triggers (sqlstore/userstats.go). PostgreSQL needs
	// neither; the dialect flag TeamUserStats is off there.
	"migration 0006_team_user_stats.sql": "team_user_stats: SQLite's count cache",
	"table team_user_stats":              "team_user_stats: SQLite's count cache",
	"trigger team_user_stats_insert":     "team_user_stats: SQLite's count cache",
	"trigger team_user_stats_delete":     "team_user_stats: SQLite's count cache",
	"trigger team_user_stats_move":       "team_user_stats: SQLite's count cache",
}

// postgresOnly lists PostgreSQL's objects SQLite has no counterpart for.
var postgresOnly = map[string]string{}

// pgCollation is the collation of every PostgreSQL text column: "C"
// compares and sorts by byte, as SQLite's BINARY does, so filters, sorts
// and the indexes serving them agree on both backends whatever the
// database's locale. SQLite's columns keep BINARY (no COLLATE at all).
const pgCollation = "C"

// pgOtherCollation lists the PostgreSQL text columns left in the
// database's default collation, and why that is harmless.
var pgOtherCollation = map[string]string{
	// Migration 0002 added it without COLLATE "C". It holds the team's
	// custom attributes as JSON, read and written whole: never compared,
	// sorted or indexed.
	"teams.user_extension": "JSON read whole, never compared",
	// The bookkeeping table Migrate creates with the same statement on
	// both backends; only its integer version is ever compared.
	"schema_migrations.name":    "migration bookkeeping",
	"schema_migrations.applied": "migration bookkeeping",
}

// pgNarrowInts lists the PostgreSQL integer columns narrower than
// SQLite's INTEGER (always 64-bit), and why every value the store writes
// there fits in 32 bits: a value that doesn't is stored on SQLite and
// refused on PostgreSQL.
var pgNarrowInts = map[string]string{
	"teams.scim_enabled":              "a boolean, 0 or 1",
	"teams.group_delete_deactivates":  "a boolean, 0 or 1",
	"users.active":                    "a boolean, 0 or 1",
	"user_emails.is_primary":          "a boolean, 0 or 1",
	"scim_keys.privileged":            "a boolean, 0 or 1",
	"accounts.must_change_password":   "a boolean, 0 or 1",
	"provisioning_log.body_truncated": "a boolean, 0 or 1",
	"provisioning_log.status":         "an HTTP status",
	"schema_migrations.version":       "a migration's number",
	// The service bounds it (service.MaxSeatLimit, 100,000,000), well
	// within PostgreSQL's 32-bit integer.
	"teams.seat_limit": "a seat count, at most service.MaxSeatLimit",
}

func TestMigrationHistories(t *testing.T) {
	for _, problem := range migrationProblems(os.DirFS("migrations"), sqliteOnly, postgresOnly) {
		t.Error(problem)
	}
}

// migrationProblems compares the migration files of the two backends in
// fsys (sqlite/, postgres/): the same numbers with the same names, each
// number once, but for what the lists of backend-only objects name.
func migrationProblems(fsys fs.FS, sqliteOnly, postgresOnly map[string]string) []string {
	var out []string
	files := map[string]map[int]string{} // backend → version → name
	for _, backend := range []string{"sqlite", "postgres"} {
		entries, err := fs.ReadDir(fsys, backend)
		if err != nil {
			return append(out, err.Error())
		}
		files[backend] = map[int]string{}
		for _, e := range entries {
			var v int
			if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil || !strings.HasSuffix(e.Name(), ".sql") {
				out = append(out, fmt.Sprintf("migrations/%s/%s: a migration is named NNNN_description.sql", backend, e.Name()))
				continue
			}
			// Migrate records applied versions by number: of two files
			// with one number, the second would be skipped silently.
			if prev, ok := files[backend][v]; ok {
				out = append(out, fmt.Sprintf("migrations/%s: %s and %s share the number %d; each number is one migration", backend, prev, e.Name(), v))
			}
			files[backend][v] = e.Name()
		}
	}
	for _, v := range sortedKeys(files["sqlite"]) {
		name := files["sqlite"][v]
		pg, ok := files["postgres"][v]
		switch {
		case !ok && sqliteOnly["migration "+name] == "":
			out = append(out, fmt.Sprintf("migrations/sqlite/%s has no PostgreSQL counterpart (migrations/postgres/%s); if it is SQLite-only on purpose, list it in sqliteOnly with why", name, name))
		case ok && pg != name:
			out = append(out, fmt.Sprintf("migration %d is %s on SQLite but %s on PostgreSQL: one change, one name", v, name, pg))
		}
	}
	for _, v := range sortedKeys(files["postgres"]) {
		name := files["postgres"][v]
		if _, ok := files["sqlite"][v]; !ok && postgresOnly["migration "+name] == "" {
			out = append(out, fmt.Sprintf("migrations/postgres/%s has no SQLite counterpart (migrations/sqlite/%s); if it is PostgreSQL-only on purpose, list it in postgresOnly with why", name, name))
		}
	}
	for backend, only := range map[string]map[string]string{"sqlite": sqliteOnly, "postgres": postgresOnly} {
		for _, key := range sortedKeys(only) {
			if name, ok := strings.CutPrefix(key, "migration "); ok && !slices.Contains(slices.Collect(maps.Values(files[backend])), name) {
				out = append(out, fmt.Sprintf("the %s-only list names %s, which is gone: remove it from the list", backend, key))
			}
		}
	}
	return out
}

func TestMigrationProblemsCatches(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	good := fstest.MapFS{
		"sqlite/0001_init.sql": file, "sqlite/0002_more.sql": file, "sqlite/0003_cache.sql": file,
		"postgres/0001_init.sql": file, "postgres/0002_more.sql": file,
	}
	only := map[string]string{"migration 0003_cache.sql": "SQLite's cache"}
	if p := migrationProblems(good, only, nil); len(p) != 0 {
		t.Fatalf("matching histories: %v", p)
	}
	cases := map[string]struct {
		fsys fs.FS
		only map[string]string
		want string
	}{
		"a number taken twice": {with(good, "sqlite/0002_other.sql", "postgres/0002_other.sql"), only, "share the number 2"},
		"no counterpart":       {with(good, "postgres/0004_new.sql"), only, "migrations/postgres/0004_new.sql has no SQLite counterpart"},
		"unlisted SQLite-only": {good, nil, "migrations/sqlite/0003_cache.sql has no PostgreSQL counterpart"},
		"names differ":         {with(without(good, "postgres/0002_more.sql"), "postgres/0002_more_pg.sql"), only, "migration 2 is 0002_more.sql on SQLite but 0002_more_pg.sql on PostgreSQL"},
		"a stale exception":    {good, map[string]string{"migration 0003_cache.sql": "", "migration 0009_gone.sql": "x"}, "names migration 0009_gone.sql, which is gone"},
		"a bad name":           {with(good, "sqlite/readme.txt"), only, "migrations/sqlite/readme.txt: a migration is named"},
	}
	for name, c := range cases {
		if p := strings.Join(migrationProblems(c.fsys, c.only, nil), "\n"); !strings.Contains(p, c.want) {
			t.Errorf("%s: reported %q, want %q", name, p, c.want)
		}
	}
}

func with(fsys fstest.MapFS, names ...string) fstest.MapFS {
	out := maps.Clone(fsys)
	for _, n := range names {
		out[n] = &fstest.MapFile{Data: []byte("SELECT 1;")}
	}
	return out
}

func without(fsys fstest.MapFS, name string) fstest.MapFS {
	out := maps.Clone(fsys)
	delete(out, name)
	return out
}

// column is one column as both backends can describe it.
type column struct {
	typ      string // text, integer or blob
	notNull  bool
	dflt     string // the default's SQL, without PostgreSQL's ::type casts
	collates string // PostgreSQL only
	bits     int    // an integer's width on PostgreSQL; SQLite's are 64-bit
}

// schema is a database's tables, indexes, foreign keys and triggers.
type schema struct {
	columns  map[string]map[string]column // table → column → description
	objects  map[string]string            // "index …", "foreign key …", "trigger …" descriptions → their table
	problems []string                     // what is wrong on this backend alone
}

var pgCast = regexp.MustCompile(`::[a-z ]+(\[\])?`)

// normDefault strips the casts PostgreSQL adds to a default (::text) and
// spacing.
func normDefault(s string) string {
	return strings.TrimSpace(pgCast.ReplaceAllString(s, ""))
}

// normPredicate makes a partial index's WHERE comparable: PostgreSQL
// gives "(account_id IS NOT NULL)", SQLite the text as written.
func normPredicate(s string) string {
	s = strings.NewReplacer("(", " ", ")", " ").Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}

// indexKey describes an index so the same index reads the same on both
// backends: primary keys and unique indexes (whether made by a UNIQUE
// constraint or CREATE UNIQUE INDEX) by table and columns, other indexes
// by name too.
func indexKey(table, name string, primary, unique bool, cols []string, where string) string {
	k := fmt.Sprintf("%s (%s)", table, strings.Join(cols, ", "))
	switch {
	case primary:
		k = "primary key " + k
	case unique:
		k = "unique index " + k
	default:
		k = "index " + name + " on " + k
	}
	if where != "" {
		k += " where " + normPredicate(where)
	}
	return k
}

func sqliteSchema(t *testing.T, db *sql.DB) schema {
	t.Helper()
	ctx := context.Background()
	sc := schema{columns: map[string]map[string]column{}, objects: map[string]string{}}
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	indexSQL := map[string]string{}
	for rows.Next() {
		var typ, name, table, text string
		if err := rows.Scan(&typ, &name, &table, &text); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToUpper(text), "COLLATE") {
			sc.problems = append(sc.problems, fmt.Sprintf("SQLite %s %s declares a collation: SQLite's text compares by byte (BINARY), as PostgreSQL's \"C\" does; a collation here makes the backends disagree: %s", typ, name, text))
		}
		switch typ {
		case "table":
			tables = append(tables, name)
		case "index":
			indexSQL[name] = text
		default: // triggers, views
			sc.objects[typ+" "+name] = table
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, table := range tables {
		sc.columns[table] = map[string]column{}
		pk := map[int]string{}
		query(t, db, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, []any{table}, func(scan func(...any) error) {
			var name, typ string
			var notNull bool
			var dflt sql.NullString
			var pkPos int
			if err := scan(&name, &typ, &notNull, &dflt, &pkPos); err != nil {
				t.Fatal(err)
			}
			// A primary key column counts as NOT NULL, as it is on
			// PostgreSQL. (SQLite, for compatibility with its early
			// versions, lets a NULL into a TEXT or BLOB primary key of a
			// rowid table; the store binds only Go strings and byte
			// slices there, never NULL.)
			sc.columns[table][name] = column{typ: sqliteType(typ), notNull: notNull || pkPos > 0, dflt: normDefault(dflt.String)}
			if pkPos > 0 {
				pk[pkPos] = name
			}
		})
		if len(pk) > 0 {
			cols := make([]string, len(pk))
			for i := range cols {
				cols[i] = pk[i+1]
			}
			sc.objects[indexKey(table, "", true, false, cols, "")] = table
		}
		type idx struct {
			name    string
			unique  bool
			origin  string
			partial bool
		}
		var idxs []idx
		query(t, db, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, []any{table}, func(scan func(...any) error) {
			var x idx
			if err := scan(&x.name, &x.unique, &x.origin, &x.partial); err != nil {
				t.Fatal(err)
			}
			idxs = append(idxs, x)
		})
		for _, x := range idxs {
			if x.origin == "pk" {
				continue // the primary key, from table_info above
			}
			var cols []string
			query(t, db, `SELECT coalesce(name, '<expression>') FROM pragma_index_info(?) ORDER BY seqno`, []any{x.name}, func(scan func(...any) error) {
				var c string
				if err := scan(&c); err != nil {
					t.Fatal(err)
				}
				cols = append(cols, c)
			})
			where := ""
			if x.partial {
				_, where, _ = strings.Cut(indexSQL[x.name], " WHERE ")
				if where == "" {
					t.Fatalf("SQLite partial index %s: no WHERE in %q", x.name, indexSQL[x.name])
				}
			}
			sc.objects[indexKey(table, x.name, false, x.unique, cols, where)] = table
		}
		fks := map[int][]string{}
		var fkIDs []int
		query(t, db, `SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, []any{table}, func(scan func(...any) error) {
			var id int
			var ref, from, to string
			if err := scan(&id, &ref, &from, &to); err != nil {
				t.Fatal(err)
			}
			if _, ok := fks[id]; !ok {
				fkIDs = append(fkIDs, id)
				fks[id] = []string{ref, "", ""}
			}
			fks[id][1] = strings.TrimPrefix(fks[id][1]+", "+from, ", ")
			fks[id][2] = strings.TrimPrefix(fks[id][2]+", "+to, ", ")
		})
		for _, id := range fkIDs {
			fk := fks[id]
			sc.objects[fmt.Sprintf("foreign key %s (%s) references %s (%s)", table, fk[1], fk[0], fk[2])] = table
		}
	}
	return sc
}

func sqliteType(decl string) string {
	switch strings.ToUpper(decl) {
	case "TEXT":
		return "text"
	case "INTEGER":
		return "integer"
	case "BLOB":
		return "blob"
	}
	return "sqlite:" + decl
}

func postgresType(dataType string) string {
	switch dataType {
	case "text":
		return "text"
	case "integer", "bigint", "smallint": // SQLite's INTEGER holds any of them
		return "integer"
	case "bytea":
		return "blob"
	}
	return "postgres:" + dataType
}

func postgresSchema(t *testing.T, db *sql.DB) schema {
	t.Helper()
	sc := schema{columns: map[string]map[string]column{}, objects: map[string]string{}}
	query(t, db, `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO', coalesce(c.column_default, ''), coalesce(c.collation_name, '')
		FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`, nil, func(scan func(...any) error) {
		var table, name, typ, dflt, coll string
		var notNull bool
		if err := scan(&table, &name, &typ, &notNull, &dflt, &coll); err != nil {
			t.Fatal(err)
		}
		if sc.columns[table] == nil {
			sc.columns[table] = map[string]column{}
		}
		sc.columns[table][name] = column{typ: postgresType(typ), notNull: notNull, dflt: normDefault(dflt), collates: coll,
			bits: map[string]int{"smallint": 16, "integer": 32, "bigint": 64}[typ]}
	})
	query(t, db, `SELECT t.relname, i.relname, ix.indisprimary, ix.indisunique, coalesce(pg_get_expr(ix.indpred, ix.indrelid), ''),
			coalesce((SELECT string_agg(coalesce(a.attname, '<expression>'), ',' ORDER BY k.ord)
				FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
				LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum), '')
		FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
		WHERE t.relnamespace = current_schema()::regnamespace`, nil, func(scan func(...any) error) {
		var table, name, where, cols string
		var primary, unique bool
		if err := scan(&table, &name, &primary, &unique, &where, &cols); err != nil {
			t.Fatal(err)
		}
		sc.objects[indexKey(table, name, primary, unique, strings.Split(cols, ","), where)] = table
	})
	query(t, db, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
			(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
			(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum)
		FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`, nil, func(scan func(...any) error) {
		var table, ref, from, to string
		if err := scan(&table, &ref, &from, &to); err != nil {
			t.Fatal(err)
		}
		sc.objects[fmt.Sprintf("foreign key %s (%s) references %s (%s)", table, from, ref, to)] = table
	})
	query(t, db, `SELECT tg.tgname, c.relname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
		WHERE NOT tg.tgisinternal AND c.relnamespace = current_schema()::regnamespace`, nil, func(scan func(...any) error) {
		var name, table string
		if err := scan(&name, &table); err != nil {
			t.Fatal(err)
		}
		sc.objects["trigger "+name] = table
	})
	query(t, db, `SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()`, nil, func(scan func(...any) error) {
		var name string
		if err := scan(&name); err != nil {
			t.Fatal(err)
		}
		sc.objects["view "+name] = name
	})
	return sc
}

func query(t *testing.T, db *sql.DB, q string, args []any, each func(scan func(...any) error)) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		each(rows.Scan)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// diffSchemas lists every difference between the SQLite and PostgreSQL
// schemas that neither exception list explains.
func diffSchemas(lite, pg schema) []string {
	out := slices.Concat(lite.problems, pg.problems)
	for _, table := range sortedKeys(lite.columns) {
		if _, ok := pg.columns[table]; !ok {
			if sqliteOnly["table "+table] == "" {
				out = append(out, fmt.Sprintf("table %s: on SQLite only", table))
			}
			continue
		}
		for _, name := range sortedKeys(lite.columns[table]) {
			l := lite.columns[table][name]
			p, ok := pg.columns[table][name]
			if !ok {
				out = append(out, fmt.Sprintf("column %s.%s: on SQLite only", table, name))
				continue
			}
			if l.typ != p.typ {
				out = append(out, fmt.Sprintf("column %s.%s: type %s on SQLite, %s on PostgreSQL", table, name, l.typ, p.typ))
			}
			if l.notNull != p.notNull {
				out = append(out, fmt.Sprintf("column %s.%s: NOT NULL %v on SQLite, %v on PostgreSQL", table, name, l.notNull, p.notNull))
			}
			if l.dflt != p.dflt {
				out = append(out, fmt.Sprintf("column %s.%s: default %q on SQLite, %q on PostgreSQL", table, name, l.dflt, p.dflt))
			}
		}
		for _, name := range sortedKeys(pg.columns[table]) {
			if _, ok := lite.columns[table][name]; !ok {
				out = append(out, fmt.Sprintf("column %s.%s: on PostgreSQL only", table, name))
			}
		}
	}
	for _, table := range sortedKeys(pg.columns) {
		if _, ok := lite.columns[table]; !ok && postgresOnly["table "+table] == "" {
			out = append(out, fmt.Sprintf("table %s: on PostgreSQL only", table))
		}
	}
	for _, table := range sortedKeys(pg.columns) {
		for _, name := range sortedKeys(pg.columns[table]) {
			c := pg.columns[table][name]
			if c.typ == "text" && c.collates != pgCollation && pgOtherCollation[table+"."+name] == "" {
				out = append(out, fmt.Sprintf("column %s.%s: PostgreSQL collation %q, want COLLATE %q (byte order, as on SQLite)", table, name, c.collates, pgCollation))
			}
			if c.typ == "integer" && c.bits < 64 && pgNarrowInts[table+"."+name] == "" {
				out = append(out, fmt.Sprintf("column %s.%s: a %d-bit integer on PostgreSQL, 64-bit on SQLite: make it BIGINT, or list it in pgNarrowInts with why its values fit", table, name, c.bits))
			}
		}
	}
	// An object of a table only one backend has goes with that table.
	for _, o := range sortedKeys(lite.objects) {
		if _, ok := pg.objects[o]; !ok && sqliteOnly[o] == "" && sqliteOnly["table "+lite.objects[o]] == "" {
			out = append(out, o+": on SQLite only")
		}
	}
	for _, o := range sortedKeys(pg.objects) {
		if _, ok := lite.objects[o]; !ok && postgresOnly[o] == "" && postgresOnly["table "+pg.objects[o]] == "" {
			out = append(out, o+": on PostgreSQL only")
		}
	}
	return out
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func TestSchemasMatch(t *testing.T) {
	ctx := context.Background()
	pgURL := pgtest.NewSchemaURL(t) // skips without PostgreSQL (fails under CI=true)
	lite, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	ls, ps := sqliteSchema(t, lite.DB()), postgresSchema(t, pg.DB())
	if len(ls.columns) < 10 || len(ps.columns) < 10 {
		t.Fatalf("read %d SQLite and %d PostgreSQL tables: the schema queries found too little", len(ls.columns), len(ps.columns))
	}
	for _, d := range diffSchemas(ls, ps) {
		t.Error(d)
	}
	// Every exception names something that exists, so the lists can't
	// outlive what they excuse.
	for _, only := range []struct {
		name   string
		list   map[string]string
		schema schema
	}{{"sqliteOnly", sqliteOnly, ls}, {"postgresOnly", postgresOnly, ps}} {
		for key, why := range only.list {
			exists := true
			if table, ok := strings.CutPrefix(key, "table "); ok {
				exists = only.schema.columns[table] != nil
			} else if !strings.HasPrefix(key, "migration ") { // TestMigrationHistories checks those
				_, exists = only.schema.objects[key]
			}
			if !exists {
				t.Errorf("%s lists %s (%s), which is gone: remove it from the list", only.name, key, why)
			}
		}
	}
	for key, why := range pgOtherCollation {
		table, col, _ := strings.Cut(key, ".")
		if c, ok := ps.columns[table][col]; !ok || c.collates == pgCollation {
			t.Errorf("pgOtherCollation lists %s (%s), which is gone or now COLLATE %q: remove it from the list", key, why, pgCollation)
		}
	}
	for key, why := range pgNarrowInts {
		table, col, _ := strings.Cut(key, ".")
		if c, ok := ps.columns[table][col]; !ok || c.bits == 64 {
			t.Errorf("pgNarrowInts lists %s (%s), which is gone or now BIGINT: remove it from the list", key, why)
		}
	}
	if t.Failed() {
		t.Logf("SQLite objects: %s", strings.Join(sortedKeys(ls.objects), "; "))
		t.Logf("PostgreSQL objects: %s", strings.Join(sortedKeys(ps.objects), "; "))
		return
	}

	// A live control: divergences made in the two databases are reported,
	// so the catalog queries above do see what they compare.
	for _, stmt := range []string{
		`CREATE INDEX users_nocase ON users (user_name COLLATE NOCASE)`,
		`CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END`,
	} {
		if _, err := lite.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range []string{
		`ALTER TABLE users ADD COLUMN nick TEXT COLLATE "C"`,
		`ALTER TABLE scim_groups ALTER COLUMN version TYPE INTEGER`,
		`CREATE UNIQUE INDEX users_nick ON users (team_id, nick)`,
		`ALTER TABLE invites ALTER COLUMN role DROP NOT NULL`,
		`ALTER TABLE sessions ALTER COLUMN ip SET DEFAULT 'none'`,
		`ALTER TABLE group_roles ALTER COLUMN role TYPE TEXT COLLATE "POSIX"`,
		`ALTER TABLE audit_events ALTER COLUMN detail TYPE BYTEA USING detail::bytea`,
		`DROP INDEX users_modified`,
	} {
		if _, err := pg.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(diffSchemas(sqliteSchema(t, lite.DB()), postgresSchema(t, pg.DB())), "\n")
	for _, want := range []string{
		"SQLite index users_nocase declares a collation",
		"index users_nocase on users (user_name): on SQLite only",
		"trigger users_touch: on SQLite only",
		"column users.nick: on PostgreSQL only",
		"column scim_groups.version: a 32-bit integer on PostgreSQL",
		"unique index users (team_id, nick): on PostgreSQL only",
		"column invites.role: NOT NULL true on SQLite, false on PostgreSQL",
		`column sessions.ip: default "''" on SQLite, "'none'" on PostgreSQL`,
		`column group_roles.role: PostgreSQL collation "POSIX"`,
		"column audit_events.detail: type text on SQLite, blob on PostgreSQL",
		"index users_modified on users (team_id, modified): on SQLite only",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("a divergence made on purpose is not reported: %q\nreported:\n%s", want, got)
		}
	}
}

// TestSchemaDiffCatches feeds diffSchemas the divergences it exists to
// catch, so a comparison that silently stopped comparing fails here.
func TestSchemaDiffCatches(t *testing.T) {
	uniqueNote := indexKey("users", "users_note", false, true, []string{"note"}, "(note IS NOT NULL)")
	byNote := indexKey("users", "users_by_note", false, false, []string{"note", "id"}, "")
	pgSchema := func() schema {
		return schema{
			columns: map[string]map[string]column{"users": {
				"id":   {typ: "text", notNull: true, collates: pgCollation},
				"note": {typ: "text", dflt: "''", collates: pgCollation},
				"n":    {typ: "integer", notNull: true, bits: 64},
			}},
			objects: map[string]string{
				indexKey("users", "", true, false, []string{"id"}, ""): "users",
				uniqueNote: "users",
				byNote:     "users",
			},
		}
	}
	// SQLite: the same, its own collation, and its listed extras.
	lite := pgSchema()
	for _, c := range []string{"id", "note"} {
		col := lite.columns["users"][c]
		col.collates = ""
		lite.columns["users"][c] = col
	}
	lite.columns["team_user_stats"] = map[string]column{"team_id": {typ: "text", notNull: true}}
	lite.objects[indexKey("team_user_stats", "", true, false, []string{"team_id"}, "")] = "team_user_stats"
	lite.objects["trigger team_user_stats_insert"] = "users"
	if d := diffSchemas(lite, pgSchema()); len(d) != 0 {
		t.Fatalf("schemas that differ only by what is listed: %v", d)
	}
	swap := func(pg *schema, from, to string) {
		delete(pg.objects, from)
		pg.objects[to] = "users"
	}
	cases := map[string]func(pg *schema){
		"a table":          func(pg *schema) { pg.columns["extra"] = map[string]column{"x": {typ: "integer"}} },
		"a column missing": func(pg *schema) { delete(pg.columns["users"], "note") },
		"an extra column":  func(pg *schema) { pg.columns["users"]["more"] = column{typ: "integer"} },
		"a type":           func(pg *schema) { pg.columns["users"]["note"] = column{typ: "blob", dflt: "''"} },
		"nullability": func(pg *schema) {
			pg.columns["users"]["note"] = column{typ: "text", notNull: true, dflt: "''", collates: pgCollation}
		},
		"a narrow integer": func(pg *schema) { pg.columns["users"]["n"] = column{typ: "integer", notNull: true, bits: 32} },
		"a default":        func(pg *schema) { pg.columns["users"]["note"] = column{typ: "text", collates: pgCollation} },
		"a collation": func(pg *schema) {
			pg.columns["users"]["note"] = column{typ: "text", dflt: "''", collates: "en_US.utf8"}
		},
		"a primary key": func(pg *schema) {
			swap(pg, indexKey("users", "", true, false, []string{"id"}, ""), indexKey("users", "", true, false, []string{"id", "note"}, ""))
		},
		"a unique index's columns": func(pg *schema) {
			swap(pg, uniqueNote, indexKey("users", "users_note", false, true, []string{"note", "id"}, "(note IS NOT NULL)"))
		},
		"a unique index made plain": func(pg *schema) {
			swap(pg, uniqueNote, indexKey("users", "users_note", false, false, []string{"note"}, "(note IS NOT NULL)"))
		},
		"a partial index made whole": func(pg *schema) {
			swap(pg, uniqueNote, indexKey("users", "users_note", false, true, []string{"note"}, ""))
		},
		"an index renamed": func(pg *schema) {
			swap(pg, byNote, indexKey("users", "users_note_id", false, false, []string{"note", "id"}, ""))
		},
		"an index missing": func(pg *schema) { delete(pg.objects, byNote) },
		"a trigger":        func(pg *schema) { pg.objects["trigger audit_users"] = "users" },
		"a foreign key":    func(pg *schema) { pg.objects["foreign key users (id) references teams (id)"] = "users" },
	}
	for name, mutate := range cases {
		pg := pgSchema()
		mutate(&pg)
		if d := diffSchemas(lite, pg); len(d) == 0 {
			t.Errorf("%s: no difference reported", name)
		}
	}
	// What the backends report for the same thing reads alike.
	if a, b := normPredicate("account_id IS NOT NULL"), normPredicate("(account_id IS NOT NULL)"); a != b {
		t.Errorf("predicates differ: %q, %q", a, b)
	}
	if got := normDefault("''::text"); got != "''" {
		t.Errorf("normDefault(''::text) = %q", got)
	}
}
