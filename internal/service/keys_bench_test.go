package service

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/rosterhq/roster/internal/store/sqlite"
)

// BenchmarkAuthenticate is the work every SCIM request starts with: hash
// the bearer token, find its key, read its team.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a := Actor{Kind: "test"}
	team, err := s.CreateTeam(ctx, "Bench", "admin@bench.example", a)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.SetSCIM(ctx, team.Slug, true, a); err != nil {
		b.Fatal(err)
	}
	k, err := s.CreateKey(ctx, team.Slug, "okta", nil, a)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, k.Token, "127.0.0.1"); err != nil {
			b.Fatal(err)
		}
	}
}
