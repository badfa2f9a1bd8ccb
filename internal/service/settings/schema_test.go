package settings

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
)

// TestApplyCustomAttributes: a declarative schema file adds, updates and
// (with prune) removes attributes in one step, and a refused file
// changes nothing.
func TestApplyCustomAttributes(t *testing.T) {
	ctx := context.Background()
	svc, _ := testService(t)
	a := domain.Actor{Kind: "test"}
	if err := svc.AddCustomAttribute(ctx, "acme", scim.CustomAttribute{Name: "costCode", Type: "string"}, a); err != nil {
		t.Fatal(err)
	}
	names := func() string {
		list, err := svc.CustomAttributes(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list {
			out = append(out, fmt.Sprintf("%s:%s:%v:%s", c.Name, c.Type, c.MultiValued, c.Description))
		}
		return strings.Join(out, " ")
	}

	plan, err := svc.ApplyCustomAttributes(ctx, "acme", []scim.CustomAttribute{
		{Name: "costCode", Type: "string", Description: "finance code"},
		{Name: "level", Type: "integer", MultiValued: true},
		{Name: "badge"}, // type defaults to string
	}, false, a)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(plan.Added, plan.Updated, plan.Removed) != "[level badge] [costCode] []" {
		t.Fatalf("plan %+v", plan)
	}
	if got := names(); got != "costCode:string:false:finance code level:integer:true: badge:string:false:" {
		t.Fatalf("after apply: %s", got)
	}

	for _, c := range []struct {
		name string
		want []scim.CustomAttribute
		err  string
	}{
		{"type change", []scim.CustomAttribute{{Name: "level", Type: "string", MultiValued: true}}, `"level" integer, multi-valued; the file says "level" string, multi-valued`},
		{"twice", []scim.CustomAttribute{{Name: "x", Type: "string"}, {Name: "X", Type: "string"}}, "declared twice"},
		{"bad name", []scim.CustomAttribute{{Name: "9lives", Type: "string"}}, "must start with a letter"},
		{"bad type", []scim.CustomAttribute{{Name: "x", Type: "blob"}}, "not one of"},
	} {
		before := names()
		if _, err := svc.ApplyCustomAttributes(ctx, "acme", c.want, true, a); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
		if after := names(); after != before {
			t.Errorf("%s: a refused file changed the schema: %s", c.name, after)
		}
	}

	plan, err = svc.ApplyCustomAttributes(ctx, "acme", []scim.CustomAttribute{{Name: "level", Type: "integer", MultiValued: true}}, true, a)
	if err != nil || fmt.Sprint(plan.Removed, plan.Unchanged) != "[costCode badge] [level]" {
		t.Fatalf("prune: %+v, %v", plan, err)
	}
	if got := names(); got != "level:integer:true:" {
		t.Fatalf("after prune: %s", got)
	}
	if _, err := svc.ApplyCustomAttributes(ctx, "nope", nil, false, a); err == nil {
		t.Fatal("unknown team accepted")
	}
}
