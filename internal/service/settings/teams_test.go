package settings

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
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

func TestCreateTeamSlugCollision(t *testing.T) {
	ctx := context.Background()
	svc, st := open(t)
	a := domain.Actor{Kind: "test"}
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
	if err != nil || total != 1 || users[0].UserName != "a@acme.example" || users[0].Role != domain.RoleSuperAdmin || users[0].Source != store.SourceManual {
		t.Fatalf("admin member: %+v %v", users, err)
	}
}
