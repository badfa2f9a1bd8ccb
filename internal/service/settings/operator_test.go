package settings

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90d":    90 * Day,
		"1d12h":  36 * time.Hour,
		"1.5d":   36 * time.Hour,
		".5d":    12 * time.Hour,
		"0d":     0,
		"2160h":  2160 * time.Hour,
		"90m":    90 * time.Minute,
		"1h30m":  90 * time.Minute,
		"0":      0,
		"1d0.5h": 24*time.Hour + 30*time.Minute,
		"-5h":    -5 * time.Hour, // Go's own syntax; callers refuse negatives
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "90x", "90", "-1d", "+1d", "1d-5h", "1d1d", "1d 2h", "1.d", "1..5d", "1e3d", "NaNd",
		"106752d", "106751d24h", " 90d", "90D", "1h2d"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), "such as 90d") {
			t.Errorf("ParseDuration(%q): the error doesn't say what is expected: %v", in, err)
		}
	}
	// The admin API's grace period takes days too, within its cap.
	if g, err := ParseGrace("2d"); err != nil || g != 48*time.Hour {
		t.Fatalf("ParseGrace(2d) = %v %v", g, err)
	}
	if _, err := ParseGrace("31d"); err == nil {
		t.Fatal("ParseGrace(31d) passed the 30-day cap")
	}
}

func TestTeamSlugAnyCase(t *testing.T) {
	ctx := context.Background()
	svc, _ := open(t)
	a := domain.Actor{Kind: "cli"}
	for _, name := range []string{"Acme", "Acme Corp", "Globex"} {
		if _, err := svc.CreateTeam(ctx, name, "admin@example.com", a); err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"ACME", "Acme", " acme "} {
		if tm, err := svc.Team(ctx, slug); err != nil || tm.Slug != "acme" {
			t.Errorf("Team(%q) = %q, %v", slug, tm.Slug, err)
		}
		if id, err := svc.TeamID(ctx, slug); err != nil || id == "" {
			t.Errorf("TeamID(%q) = %q, %v", slug, id, err)
		}
	}
	if _, err := svc.CreateKey(ctx, "ACME-CORP", "okta", nil, a); err != nil {
		t.Fatalf("CreateKey with an upper-case slug: %v", err)
	}
	if keys, err := svc.ListKeys(ctx, "Acme-Corp"); err != nil || len(keys) != 1 {
		t.Fatalf("ListKeys: %v %v", keys, err)
	}
	// Only ASCII letters fold: the Kelvin sign is no "k".
	if CanonicalSlug("\u212Acme") == "kcme" {
		t.Fatal("Unicode folding makes slug aliases")
	}

	// The operator's lookup suggests a near slug, and only a near one.
	for slug, want := range map[string]string{
		"acmee":     `no team "acmee"; did you mean "acme"?`,
		"ACM":       `no team "ACM"; did you mean "acme"?`,
		"acme-crop": `no team "acme-crop"; did you mean "acme-corp"?`,
		"globx":     `no team "globx"; did you mean "globex"?`,
		"initech":   `team not found: no team with slug "initech"`,
		"ac":        `team not found: no team with slug "ac"`,
	} {
		_, err := svc.OperatorTeam(ctx, slug)
		e, ok := domain.AsError(err)
		if !ok || e.Kind != domain.KindNotFound || e.Message != want || !errors.Is(err, domain.ErrTeamNotFound) {
			t.Errorf("OperatorTeam(%q): %v, want %q", slug, err, want)
		}
	}
	// The lookups every caller makes suggest nothing: a team's admin
	// must not learn the slugs of other teams.
	if _, err := svc.Team(ctx, "acmee"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Fatalf("Team(acmee): %v", err)
	}
}

func TestClosestSlug(t *testing.T) {
	slugs := []string{"acme", "acme-2", "beta", "gamma"}
	for in, want := range map[string]string{"acm": "acme", "acme-3": "acme-2", "bet": "beta", "gama": "gamma", "zeta": "beta", "omega": "", "": ""} {
		if got := ClosestSlug(in, slugs); got != want {
			t.Errorf("ClosestSlug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeyNamesAreUniqueAmongActiveKeys(t *testing.T) {
	ctx := context.Background()
	svc, teamID := testService(t)
	a := domain.Actor{Kind: "cli"}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	svc.env.Now = func() time.Time { return now }
	first, err := svc.CreateKey(ctx, "acme", "okta", nil, a)
	if err != nil {
		t.Fatal(err)
	}
	// The same name, in any case, is refused while the key is active,
	// naming the field, and nothing is written.
	for _, name := range []string{"okta", " OKTA "} {
		_, err := svc.CreateKey(ctx, "acme", name, nil, a)
		e, ok := domain.AsError(err)
		if !ok || e.Kind != domain.KindConflict || e.Field != "name" || !strings.Contains(e.Message, `active key named "okta"`) {
			t.Fatalf("duplicate %q: %v", name, err)
		}
	}
	if keys, _ := svc.ListKeys(ctx, "acme"); len(keys) != 1 {
		t.Fatalf("a refused key was stored: %d keys", len(keys))
	}
	// Another team may use the name.
	if _, err := svc.CreateTeam(ctx, "Beta", "b@beta.example", a); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateKey(ctx, "beta", "okta", nil, a); err != nil {
		t.Fatalf("another team's key named okta: %v", err)
	}
	// Rotation keeps the name: both keys are active through the grace
	// period, and the name stays taken until neither is.
	rotated, err := svc.RotateKey(ctx, "acme", first.Key.ID, time.Hour, a)
	if err != nil || rotated.Key.Name != "okta" {
		t.Fatalf("rotate: %v %v", rotated.Key.Name, err)
	}
	if _, err := svc.CreateKey(ctx, "acme", "okta", nil, a); err == nil {
		t.Fatal("a third active key named okta during the grace period")
	}
	if err := svc.RevokeKey(ctx, "acme", rotated.Key.ID, a); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour) // the old key's grace is over
	if _, err := svc.CreateKey(ctx, "acme", "okta", nil, a); err != nil {
		t.Fatalf("the name of revoked and expired keys is free again: %v", err)
	}
	// An expired key frees its name too.
	exp := now.Add(time.Minute)
	if _, err := svc.CreateKey(ctx, "acme", "entra", &exp, a); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := svc.CreateKey(ctx, "acme", "entra", nil, a); err != nil {
		t.Fatalf("an expired key's name: %v", err)
	}
	_ = teamID
}

func TestCreateTeamAdminName(t *testing.T) {
	ctx := context.Background()
	svc, st := open(t)
	a := domain.Actor{Kind: "cli"}
	nameOf := func(slug string) map[string]any {
		t.Helper()
		tm, err := svc.Team(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		users, _, err := st.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Limit: 10}})
		if err != nil || len(users) != 1 {
			t.Fatalf("%v %v", users, err)
		}
		var attrs map[string]any
		if err := json.Unmarshal(users[0].Attrs, &attrs); err != nil {
			t.Fatal(err)
		}
		n, _ := attrs["name"].(map[string]any)
		return n
	}
	if _, err := svc.CreateTeamWithAdmin(ctx, "Acme", "admin@acme.example", "Ada Lovelace", a); err != nil {
		t.Fatal(err)
	}
	if n := nameOf("acme"); n["givenName"] != "Ada" || n["familyName"] != "Lovelace" || n["formatted"] != "Ada Lovelace" {
		t.Fatalf("named admin: %v", n)
	}
	if _, err := svc.CreateTeam(ctx, "Beta", "grace.hopper@beta.example", a); err != nil {
		t.Fatal(err)
	}
	if n := nameOf("beta"); n["givenName"] != "Grace" || n["familyName"] != "Hopper" {
		t.Fatalf("admin named from the email: %v", n)
	}
	for _, bad := range []string{strings.Repeat("x", MaxPersonName+1), "Ada\nLovelace", "Ada \xff"} {
		_, err := svc.CreateTeamWithAdmin(ctx, "Gamma", "g@gamma.example", bad, a)
		if e, ok := domain.AsError(err); !ok || e.Kind != domain.KindInvalid || e.Field != "admin_name" {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	if _, err := svc.Team(ctx, "gamma"); err == nil {
		t.Fatal("a refused team was created")
	}
}

// FuzzParseDuration: the admin API's grace and expires_in reach
// ParseDuration unchecked. It never panics; without days it is exactly
// time.ParseDuration; with days, the days and the rest add up; every
// refusal says what is expected.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "1d12h", "1.5d", ".5d", "2160h", "-5h", "d", "1d-1h", "106751d", "1e3d", "0.000000001d", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDuration(s)
		if err != nil {
			if !strings.Contains(err.Error(), "such as 90d") {
				t.Fatalf("ParseDuration(%q): %v", s, err)
			}
			return
		}
		days, rest, withDays := strings.Cut(s, "d")
		if !withDays {
			if want, werr := time.ParseDuration(s); werr != nil || want != got {
				t.Fatalf("ParseDuration(%q) = %v, time.ParseDuration: %v %v", s, got, want, werr)
			}
			return
		}
		if got < 0 {
			t.Fatalf("ParseDuration(%q) = %v with days", s, got)
		}
		whole, err := ParseDuration(days + "d")
		if err != nil || whole > got {
			t.Fatalf("ParseDuration(%q) = %v, its days %v %v", s, got, whole, err)
		}
		if rest != "" {
			r, err := time.ParseDuration(rest)
			if err != nil || whole+r != got {
				t.Fatalf("ParseDuration(%q) = %v, days %v + rest %v (%v)", s, got, whole, r, err)
			}
		}
	})
}
