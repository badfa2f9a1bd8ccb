package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Export and Import move a whole store between backends (SQLite to
// PostgreSQL and back) as JSON lines: one line per row, {"table": t,
// "row": {column: value}}. They copy every table the migrations made, so
// a table added later is carried without changes here. Binary values
// (key hashes) travel as {"b64": "…"}.

// exportLine is one row of the dump.
type exportLine struct {
	Table string         `json:"table"`
	Row   map[string]any `json:"row"`
}

// tables lists the store's tables: teams first (other rows name them),
// then the rest in name order; the migrations bookkeeping is not data.
func (s *Store) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.d.Numbered {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	names, err := s.strings(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		// team_user_stats (SQLite) is derived: its triggers rebuild it
		// as the users are imported.
		if n != "schema_migrations" && n != "teams" && n != "team_user_stats" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return append([]string{"teams"}, out...), nil
}

// Export writes every row of every table to w.
func (s *Store) Export(ctx context.Context, w io.Writer) error {
	tables, err := s.tables(ctx)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, t := range tables {
		if err := s.exportTable(ctx, enc, t); err != nil {
			return fmt.Errorf("export %s: %w", t, err)
		}
	}
	return bw.Flush()
}

func (s *Store) exportTable(ctx context.Context, enc *json.Encoder, table string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			switch v := vals[i].(type) {
			case []byte:
				row[c] = map[string]string{"b64": base64.StdEncoding.EncodeToString(v)}
			default:
				row[c] = v
			}
		}
		if err := enc.Encode(exportLine{Table: table, Row: row}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Import loads a dump into this store, which must hold no team yet. It
// runs in one transaction: a failure leaves the store as it was.
func (s *Store) Import(ctx context.Context, r io.Reader) (map[string]int, error) {
	known, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	isKnown := map[string]bool{}
	for _, t := range known {
		isKnown[t] = true
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM teams`).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("the target store already holds %d teams; import only into an empty store", n)
	}
	counts := map[string]int{}
	err = s.rawTx(ctx, func(tx *sql.Tx) error {
		dec := json.NewDecoder(bufio.NewReader(r))
		dec.UseNumber()
		for line := 1; ; line++ {
			var l exportLine
			if err := dec.Decode(&l); err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			if !isKnown[l.Table] {
				return fmt.Errorf("line %d: unknown table %q (is the target store migrated to the same version?)", line, l.Table)
			}
			if err := s.importRow(ctx, tx, l); err != nil {
				return fmt.Errorf("line %d (%s): %w", line, l.Table, err)
			}
			counts[l.Table]++
		}
	})
	return counts, err
}

func (s *Store) importRow(ctx context.Context, tx *sql.Tx, l exportLine) error {
	cols := make([]string, 0, len(l.Row))
	for c := range l.Row {
		if strings.ContainsAny(c, "\"'`; ") {
			return fmt.Errorf("bad column name %q", c)
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	args := make([]any, len(cols))
	for i, c := range cols {
		switch v := l.Row[c].(type) {
		case map[string]any:
			b, err := base64.StdEncoding.DecodeString(fmt.Sprint(v["b64"]))
			if err != nil {
				return fmt.Errorf("column %s: %w", c, err)
			}
			args[i] = b
		case json.Number:
			if n, err := v.Int64(); err == nil {
				args[i] = n
			} else {
				f, _ := v.Float64()
				args[i] = f
			}
		case bool:
			args[i] = boolInt(v)
		default:
			args[i] = v
		}
	}
	q := `INSERT INTO ` + l.Table + ` (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) + `)`
	_, err := tx.ExecContext(ctx, s.d.rebind(q), args...)
	return err
}
