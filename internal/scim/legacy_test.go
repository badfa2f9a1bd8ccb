package scim

import (
	"testing"

	"github.com/rosterhq/roster/internal/scim/filter"
)

// OneLogin's pre-RFC URNs are read as the RFC ones wherever a request
// names a schema; what is stored and answered uses the RFC URNs only.
func TestLegacyURNsAreAliases(t *testing.T) {
	in := map[string]any{
		"schemas":                           []any{LegacyCoreURN, LegacyEnterpriseURN},
		"userName":                          "ada@x.example",
		LegacyEnterpriseURN:                 map[string]any{"department": "Eng", "employeeNumber": "7"},
		LegacyEnterpriseURN + ":costCenter": "CC-1",
		LegacyCoreURN + ":title":            "Countess",
		"URN:SCIM:SCHEMAS:CORE:2.0:USER":    map[string]any{"nickName": "Ada"},
	}
	r, err := Normalize(UserType, in)
	if err != nil {
		t.Fatal(err)
	}
	ent, _ := r[EnterpriseUserURN].(map[string]any)
	if ent["department"] != "Eng" || ent["employeeNumber"] != "7" || ent["costCenter"] != "CC-1" || r["title"] != "Countess" || r["nickName"] != "Ada" {
		t.Fatalf("normalised: %v", r)
	}
	for k := range r {
		if k == LegacyEnterpriseURN || k == LegacyCoreURN {
			t.Fatalf("a legacy key is kept: %v", r)
		}
	}
	// ":User" is the longest URN that fits: its department, not an
	// attribute "User" of the URN without it.
	r2, err := Normalize(UserType, map[string]any{"userName": "b", LegacyEnterpriseURN + ":User:department": "Ops"})
	if err != nil || r2[EnterpriseUserURN].(map[string]any)["department"] != "Ops" {
		t.Fatalf("%v %v", r2, err)
	}
	// PATCH paths and path-less keys.
	p := Patcher{Type: UserType, ID: "u1"}
	out, err := p.Apply(r, []PatchOperation{
		{Op: "replace", Path: LegacyEnterpriseURN + ":department", Value: "Research"},
		{Op: "replace", Value: map[string]any{LegacyEnterpriseURN + ":User": map[string]any{"division": "R&D"}}},
		{Op: "remove", Path: LegacyEnterpriseURN + ":User:costCenter"},
		{Op: "replace", Path: LegacyCoreURN + ":User:title", Value: "Lady"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ent = out[EnterpriseUserURN].(map[string]any)
	if ent["department"] != "Research" || ent["division"] != "R&D" || ent["costCenter"] != nil || out["title"] != "Lady" {
		t.Fatalf("patched: %v", out)
	}
	if out, err = p.Apply(out, []PatchOperation{{Op: "remove", Path: LegacyEnterpriseURN}}); err != nil || out[EnterpriseUserURN] != nil {
		t.Fatalf("remove the legacy extension: %v %v", out, err)
	}
	// Filters, and what they apply to.
	res := map[string]any{"userName": "ada", EnterpriseUserURN: map[string]any{"department": "Eng"}}
	for _, src := range []string{
		LegacyEnterpriseURN + `:department eq "eng"`,
		LegacyEnterpriseURN + `:User:department eq "ENG"`,
		LegacyCoreURN + `:userName eq "ADA"`,
		LegacyCoreURN + `:User:userName eq "ada"`,
	} {
		f, err := filter.Parse(src, filter.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := Match(UserType, res, f); !ok || err != nil {
			t.Errorf("%s: %v %v", src, ok, err)
		}
		if !FilterApplies(UserType, f) {
			t.Errorf("%s does not apply to Users", src)
		}
	}
	// Projections.
	proj := ParseProjection(LegacyEnterpriseURN+":department", "")
	got := proj.Apply(UserType, map[string]any{"id": "1", "userName": "ada", EnterpriseUserURN: map[string]any{"department": "Eng", "division": "X"}})
	if got["userName"] != nil || got[EnterpriseUserURN].(map[string]any)["department"] != "Eng" || got[EnterpriseUserURN].(map[string]any)["division"] != nil {
		t.Fatalf("projection: %v", got)
	}
	// Groups: the core alias with ":Group", never ":User".
	if !GroupSchema.Is(LegacyCoreURN+":group") || GroupSchema.Is(LegacyCoreURN+":User") || UserSchema.Is(LegacyCoreURN+":Group") {
		t.Fatal("core aliases cross resource types")
	}
	// The URNs a schema is known by are never written out.
	if doc := SchemaDoc("https://h", EnterpriseUserSchema); doc["id"] != EnterpriseUserURN {
		t.Fatalf("schema id %v", doc["id"])
	}
}

func TestFilterApplies(t *testing.T) {
	for _, c := range []struct {
		src         string
		user, group bool
	}{
		{`displayName eq "x"`, true, true},
		{`meta.lastModified gt "2020-01-01T00:00:00Z" and id pr`, true, true},
		{`externalId eq "x" or meta.resourceType eq "User"`, true, true},
		{`userName eq "x"`, true, false},
		{`members.value eq "x"`, false, true},
		{`members[value eq "x"]`, false, true},
		{`members[type eq "x"]`, false, true},
		{`emails[type eq "work" and value co "@"]`, true, false},
		{`emails[nope eq "x"]`, false, false},
		{`name.nope eq "x"`, false, false},
		{`userName eq "x" or members pr`, false, false},
		{`not (userName pr)`, true, false},
		{EnterpriseUserURN + `:manager.value eq "m"`, true, false},
		{`urn:example:other:attr eq 1`, false, false},
		{GroupURN + `:displayName eq "x"`, false, true},
	} {
		f, err := filter.Parse(c.src, filter.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := FilterApplies(UserType, f); got != c.user {
			t.Errorf("%s: applies to Users = %v", c.src, got)
		}
		if got := FilterApplies(GroupType, f); got != c.group {
			t.Errorf("%s: applies to Groups = %v", c.src, got)
		}
	}
}
