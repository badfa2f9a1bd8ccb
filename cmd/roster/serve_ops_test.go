package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestShutdownDrainsWorkersInOrder: workers registered with onShutdown
// drain in order, after the HTTP server stopped and while the
// provisioning log still runs (their last writes may be logged); a
// failing one is logged and the shutdown goes on; serve returns nil.
func TestShutdownDrainsWorkersInOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var o opsFlags
	o.register(fs)
	sf := storeFlags{dataDir: dir}
	if err := parse(fs, []string{"--metrics-addr", "off"}); err != nil {
		t.Fatal(err)
	}
	if err := o.check(fs, sf, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewJSONHandler(writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(b)
	}), nil))
	p, err := o.setup(sf, st, log)
	if err != nil {
		t.Fatal(err)
	}
	api := server.New(service.New(st, log), log, p.config(server.Config{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPServer(ln.Addr().String(), api, log)
	api.SetReady(true)

	var order []string
	p.onShutdown("event delivery", func(ctx context.Context) error {
		if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			order = append(order, "HTTP still listening")
		}
		if err := api.ProvisioningLog().Check(ctx); err != nil {
			order = append(order, "provisioning log already stopped")
		}
		order = append(order, "event delivery")
		return nil
	})
	p.onShutdown("broken worker", func(context.Context) error {
		order = append(order, "broken worker")
		return errors.New("it would not stop")
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.run(runCtx, srv, ln, api) }()
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if strings.Join(order, ", ") != "event delivery, broken worker" {
		t.Fatalf("drains: %v", order)
	}
	if err := api.ProvisioningLog().Check(ctx); err == nil {
		t.Fatal("the provisioning log still runs after the shutdown")
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, want := range []string{`"msg":"shutdown: event delivery drained"`, `"msg":"shutdown: broken worker","err":"it would not stop"`, `"msg":"shutdown: SQLite checkpointed"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, logs.String())
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
