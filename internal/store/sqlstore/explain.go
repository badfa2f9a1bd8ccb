package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// Statement is one SQL statement a store call ran, as sent to the
// database (rebound for the dialect), and the database's plan for it.
type Statement struct {
	Query string
	Args  []any
	Plan  string
}

// recorder is a querier that notes every statement it runs.
type recorder struct {
	q     querier
	calls *[]Statement
}

func (r recorder) note(q string, args []any) {
	*r.calls = append(*r.calls, Statement{Query: q, Args: args})
}

func (r recorder) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r.note(q, args)
	return r.q.ExecContext(ctx, q, args...)
}

func (r recorder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.note(q, args)
	return r.q.QueryContext(ctx, q, args...)
}

func (r recorder) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	r.note(q, args)
	return r.q.QueryRowContext(ctx, q, args...)
}

// errExplained rolls back the transaction ExplainCalls ran.
var errExplained = errors.New("explained")

// ExplainCalls runs fn in a write transaction that is always rolled back,
// records every statement the store runs for it, and returns them with
// the database's plan for each: prefix (e.g. "EXPLAIN QUERY PLAN" or
// "EXPLAIN (FORMAT JSON)") run before the statement, with the same
// arguments, once fn has returned. Tests pin query plans with it on the
// SQL the store really runs, not on a copy of it. fn's error, if any, is
// returned with the statements recorded so far.
func (s *Store) ExplainCalls(ctx context.Context, prefix string, fn func(store.Tx) error) ([]Statement, error) {
	var calls []Statement
	var fnErr error
	err := s.rawTx(ctx, func(tx *sql.Tx) error {
		// No statement cache: every statement goes through the recorder.
		t := &txStore{reader: reader{q: recorder{q: tx, calls: &calls}, d: s.d, lock: s.d.RowLock, tx: tx}}
		if fnErr = fn(t); fnErr != nil {
			return fnErr
		}
		for i := range calls {
			plan, err := explain(ctx, tx, prefix+" "+calls[i].Query, calls[i].Args)
			if err != nil {
				return fmt.Errorf("explain %q: %w", calls[i].Query, err)
			}
			calls[i].Plan = plan
		}
		return errExplained
	})
	if fnErr != nil {
		return calls, fnErr
	}
	if !errors.Is(err, errExplained) {
		return calls, err
	}
	return calls, nil
}

// explain runs an EXPLAIN statement and returns its rows as text, one
// line per row.
func explain(ctx context.Context, q querier, query string, args []any) (string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(' ')
			}
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprint(&b, v)
		}
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}
