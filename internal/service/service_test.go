package service

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestAuthenticate walks a key through its life with a fake clock.
func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := New(st, nil)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	a := Actor{Kind: "test"}
	team, err := svc.CreateTeam(ctx, "Acme", "admin@acme.example", a)
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(time.Hour)
	k, err := svc.CreateKey(ctx, team.Slug, "okta", &exp, a)
	if err != nil {
		t.Fatal(err)
	}
	status := func(token string) (int, string) {
		_, err := svc.Authenticate(ctx, token, "192.0.2.7")
		if err == nil {
			return 200, ""
		}
		e, ok := AsError(err)
		if !ok {
			t.Fatalf("not a domain error %v", err)
		}
		return map[Kind]int{KindUnauthenticated: 401, KindForbidden: 403}[e.Kind], e.Message
	}
	if code, detail := status(k.Token); code != http.StatusForbidden || !strings.Contains(detail, "disabled") {
		t.Fatalf("SCIM off: %d %q", code, detail)
	}
	if _, err := svc.SetSCIM(ctx, team.Slug, true, a); err != nil {
		t.Fatal(err)
	}
	if code, _ := status(k.Token); code != 200 {
		t.Fatalf("valid key: %d", code)
	}
	keys, _ := svc.ListKeys(ctx, team.Slug)
	if keys[0].LastUsedAt == nil || keys[0].LastUsedIP != "192.0.2.7" {
		t.Fatalf("last use not recorded: %+v", keys[0])
	}
	for _, c := range []struct {
		token, want string
	}{{"", "missing"}, {"rsk_unknown", "invalid"}, {k.Token + "x", "invalid"}} {
		if code, detail := status(c.token); code != 401 || !strings.Contains(detail, c.want) {
			t.Errorf("token %q: %d %q", c.token, code, detail)
		}
	}
	now = now.Add(2 * time.Hour)
	if code, detail := status(k.Token); code != 401 || !strings.Contains(detail, "expired") {
		t.Fatalf("after expiry: %d %q", code, detail)
	}
	k2, _ := svc.CreateKey(ctx, team.Slug, "entra", nil, a)
	if err := svc.RevokeKey(ctx, team.Slug, k2.Key.ID, a); err != nil {
		t.Fatal(err)
	}
	if code, detail := status(k2.Token); code != 401 || !strings.Contains(detail, "revoked") || strings.Contains(detail, team.ID) {
		t.Fatalf("revoked: %d %q", code, detail)
	}
}
