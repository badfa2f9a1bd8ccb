package service

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Acme":                  "acme",
		"Acme Corp, Inc.":       "acme-corp-inc",
		"  --Weird__Name-- ":    "weird-name",
		"Ünïcode Team":          "n-code-team",
		"!!!":                   "team",
		strings.Repeat("a", 80): strings.Repeat("a", 48),
	} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewTokenAndID(t *testing.T) {
	tok, hash := NewToken()
	if !regexp.MustCompile(`^rsk_[A-Za-z0-9_-]{43}$`).MatchString(tok) {
		t.Fatalf("token %q: want rsk_ and 256 bits of base64url", tok)
	}
	if string(HashToken(tok)) != string(hash) || len(hash) != 32 {
		t.Fatal("hash is not SHA-256 of the token")
	}
	if tok2, _ := NewToken(); tok2 == tok {
		t.Fatal("two tokens alike")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(NewID()) {
		t.Fatal("NewID is not a v4 UUID")
	}
}

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	for _, c := range []struct {
		k    store.SCIMKey
		want string
	}{
		{store.SCIMKey{}, store.KeyActive},
		{store.SCIMKey{ExpiresAt: &future}, store.KeyActive},
		{store.SCIMKey{ExpiresAt: &past}, store.KeyExpired},
		{store.SCIMKey{ExpiresAt: &now}, store.KeyExpired},
		{store.SCIMKey{RevokedAt: &past, ExpiresAt: &past}, store.KeyRevoked},
		{store.SCIMKey{RevokedAt: &future}, store.KeyActive}, // a revocation scheduled for later
	} {
		if got := KeyStatus(c.k, now); got != c.want {
			t.Errorf("%+v: %s, want %s", c.k, got, c.want)
		}
	}
}

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

func TestCreateTeamSlugCollision(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := New(st, nil)
	a := Actor{Kind: "test"}
	t1, err1 := svc.CreateTeam(ctx, "Acme", "a@acme.example", a)
	t2, err2 := svc.CreateTeam(ctx, "ACME", "b@acme.example", a)
	if err1 != nil || err2 != nil || t1.Slug != "acme" || t2.Slug != "acme-2" {
		t.Fatalf("slugs %q %q (%v %v)", t1.Slug, t2.Slug, err1, err2)
	}
	if _, err := svc.CreateTeam(ctx, "X", "not an email", a); err == nil {
		t.Fatal("bad admin email accepted")
	}
	// The first admin is a member of the team, as a Super Admin.
	users, total, err := st.ListUsers(ctx, t1.ID, store.Query{Page: store.Page{Limit: 10}})
	if err != nil || total != 1 || users[0].UserName != "a@acme.example" || users[0].Role != RoleSuperAdmin || users[0].Source != store.SourceManual {
		t.Fatalf("admin member: %+v %v", users, err)
	}
}
