package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func TestBearerMistake(t *testing.T) {
	for _, c := range []struct {
		token string
		bad   bool
	}{
		{"rsk_abc", false}, {"", false}, {"Bearer", false}, {"Bearerrsk_abc", false},
		{"Bearer rsk_abc", true}, {"bearer  rpt_abc", true}, {"BEARER x", true},
	} {
		err := BearerMistake(c.token)
		if (err != nil) != c.bad {
			t.Errorf("%q: %v", c.token, err)
			continue
		}
		if err != nil {
			e, _ := AsError(err)
			if e.Kind != KindUnauthenticated || strings.Contains(e.Message, "abc") {
				t.Errorf("%q: %+v (the secret must not show)", c.token, e)
			}
		}
	}
}

func TestRequireOwnPassword(t *testing.T) {
	if err := RequireOwnPassword(Caller{}); err != nil {
		t.Fatal(err)
	}
	err := RequireOwnPassword(Caller{Account: store.Account{MustChangePassword: true}})
	if !IsPasswordChangeRequired(err) || !errors.Is(fmt.Errorf("wrapped: %w", err), ErrPasswordChangeRequired) {
		t.Fatalf("%v", err)
	}
	if e, _ := AsError(err); e.Kind != KindForbidden {
		t.Fatalf("kind %v", e.Kind)
	}
}

// TestAuthFailures: one line per address per Every, the next one counting
// what was left out; addresses beyond MaxAddrs share one line.
func TestAuthFailures(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	f := &AuthFailures{Every: time.Minute, MaxAddrs: 3, addrs: map[string]*failureLine{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lines := func() []string { return strings.Split(strings.TrimSpace(buf.String()), "\n") }
	for i := range 10 {
		f.Note(context.Background(), log, "SCIM API key", "192.0.2.1", "no key", t0.Add(time.Duration(i)*time.Second))
	}
	if l := lines(); len(l) != 1 || !strings.Contains(l[0], "level=WARN") || !strings.Contains(l[0], "client_ip=192.0.2.1") || !strings.Contains(l[0], "suppressed=0") {
		t.Fatalf("after 10 from one address: %q", l)
	}
	f.Note(context.Background(), log, "SCIM API key", "192.0.2.2", "no key", t0.Add(10*time.Second)) // another address: its own line
	f.Note(context.Background(), log, "SCIM API key", "192.0.2.1", "no key", t0.Add(time.Minute))    // a minute on: due, with 9 left out
	if l := lines(); len(l) != 3 || !strings.Contains(l[1], "client_ip=192.0.2.2") || !strings.Contains(l[2], "suppressed=9") {
		t.Fatalf("lines %q", l)
	}
	// Full (3 addresses, none stale): a flood of new addresses shares one line.
	buf.Reset()
	at := t0.Add(61 * time.Second)
	f.Note(context.Background(), log, "SCIM API key", "192.0.2.3", "no key", at)
	for i := range 100 {
		f.Note(context.Background(), log, "SCIM API key", fmt.Sprintf("198.51.100.%d", i), "no key", at)
	}
	if l := lines(); len(l) != 2 || !strings.Contains(l[1], "share this line") || len(f.addrs) > 3 {
		t.Fatalf("flood of addresses: %d addresses kept, lines %q", len(f.addrs), l)
	}
	// Later, stale addresses are forgotten to make room.
	buf.Reset()
	f.Note(context.Background(), log, "SCIM API key", "203.0.113.9", "no key", at.Add(2*time.Minute))
	if l := lines(); len(l) != 1 || !strings.Contains(l[0], "client_ip=203.0.113.9") || strings.Contains(l[0], "share") {
		t.Fatalf("after the sweep: %q (%d kept)", l, len(f.addrs))
	}
	var nilF *AuthFailures
	nilF.Note(context.Background(), log, "x", "ip", "r", at) // no logger configured: nothing, no panic
}
