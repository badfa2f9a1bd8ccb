package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// exporter is what the backends' stores offer for moving data.
type exporter interface {
	Export(ctx context.Context, w io.Writer) error
	Import(ctx context.Context, r io.Reader) (map[string]int, error)
}

var _ exporter = (*sqlstore.Store)(nil)

func openMover(ctx context.Context, sf storeFlags) (exporter, func() error, error) {
	st, err := sf.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	ex, ok := st.(exporter)
	if !ok {
		st.Close()
		return nil, nil, errors.New("this store can't export or import")
	}
	return ex, st.Close, nil
}

// migrate applies the schema migrations explicitly. Every command and
// serve also apply them at start; this lets an operator do it first, once,
// before rolling out new replicas.
func migrateCmd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("migrate", stdout)
	c.store.create = true
	if err := c.parse(args); err != nil {
		return err
	}
	st, err := c.store.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "schema up to date (%s)\n", c.store.where())
	return nil
}

func exportCmd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("export", stdout)
	out := c.fs.String("out", "-", "file to write (- for standard output)")
	if err := c.parse(args); err != nil {
		return err
	}
	ex, closeFn, err := openMover(ctx, c.store)
	if err != nil {
		return err
	}
	defer closeFn()
	w := stdout
	if *out != "-" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return ex.Export(ctx, w)
}

func importCmd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("import", stdout)
	c.store.create = true
	in := c.fs.String("in", "-", "dump to read (- for standard input)")
	if err := c.parse(args); err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	ex, closeFn, err := openMover(ctx, c.store)
	if err != nil {
		return err
	}
	defer closeFn()
	counts, err := ex.Import(ctx, r)
	if err != nil {
		return err
	}
	var tables []string
	for t := range counts {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(stdout, "%s\t%d\n", t, counts[t])
	}
	return nil
}
