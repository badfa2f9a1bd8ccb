package scim

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func renderedUser(t testing.TB) map[string]any {
	t.Helper()
	r := mustNormalize(t, UserType, `{"userName":"bjensen","active":true,"displayName":"Babs",
		"name":{"givenName":"Barbara","familyName":"Jensen"},
		"emails":[{"value":"emailName357","type":"work","primary":true},{"value":"h@x","type":"home"}],
		"`+entURN+`":{"department":"Tour","employeeNumber":"7","manager":{"value":"m"}}}`)
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	return Render(UserType, "u-1", r, Meta{ResourceType: "User", Created: ts, LastModified: ts, Location: "https://x/Users/u-1"},
		map[string]any{"groups": []any{map[string]any{"value": "g1", "display": "G"}}})
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestProjectionApplyUser(t *testing.T) {
	tests := []struct {
		name, attrs, excluded string
		wantKeys              string            // sorted top-level keys
		want                  map[string]string // key -> JSON
	}{
		{name: "no projection returns everything", wantKeys: "active,displayName,emails,groups,id,meta,name,schemas," + entURN + ",userName"},
		{name: "attributes=userName,emails keeps id and schemas (PM-10)", attrs: "userName,emails",
			wantKeys: "emails,id,schemas,userName"},
		{name: "attribute names are case-insensitive", attrs: "USERNAME, Emails",
			wantKeys: "emails,id,schemas,userName"},
		{name: "dotted name.givenName", attrs: "name.givenName",
			wantKeys: "id,name,schemas", want: map[string]string{"name": `{"givenName":"Barbara"}`}},
		{name: "two sub-attributes of one complex attribute", attrs: "name.givenName,name.familyName",
			wantKeys: "id,name,schemas", want: map[string]string{"name": `{"givenName":"Barbara","familyName":"Jensen"}`}},
		{name: "sub-attribute of a multi-valued attribute", attrs: "emails.value",
			wantKeys: "emails,id,schemas", want: map[string]string{"emails": `[{"value":"emailName357"},{"value":"h@x"}]`}},
		{name: "URN-qualified enterprise attribute", attrs: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
			wantKeys: "id,schemas," + entURN, want: map[string]string{entURN: `{"department":"Tour"}`}},
		{name: "URN-qualified core attribute", attrs: "urn:ietf:params:scim:schemas:core:2.0:User:userName",
			wantKeys: "id,schemas,userName"},
		{name: "URN-qualified core sub-attribute", attrs: "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
			wantKeys: "id,name,schemas", want: map[string]string{"name": `{"familyName":"Jensen"}`}},
		{name: "whole extension by URN", attrs: entURN,
			wantKeys: "id,schemas," + entURN},
		{name: "filter inside attributes selects the attribute (PM-39)", attrs: `emails[type eq "work"]`,
			wantKeys: "emails,id,schemas"},
		{name: "sub-attribute missing on some elements", attrs: "emails.primary",
			wantKeys: "emails,id,schemas", want: map[string]string{"emails": `[{"primary":true}]`}},
		{name: "meta sub-attribute", attrs: "meta.created",
			wantKeys: "id,meta,schemas", want: map[string]string{"meta": `{"created":"2024-03-01T12:00:00.000Z"}`}},
		{name: "absent sub-attribute yields no empty object", attrs: "name.middleName,userName",
			wantKeys: "id,schemas,userName"},
		{name: "unknown attribute yields nothing", attrs: "shoeSize",
			wantKeys: "id,schemas"},
		{name: "excludedAttributes=groups", excluded: "groups",
			wantKeys: "active,displayName,emails,id,meta,name,schemas," + entURN + ",userName"},
		{name: "excluded id and schemas are still returned (RFC-12)", excluded: "id,schemas,userName",
			wantKeys: "active,displayName,emails,groups,id,meta,name,schemas," + entURN},
		{name: "excluded sub-attribute", excluded: "name.givenName",
			want: map[string]string{"name": `{"familyName":"Jensen"}`}},
		{name: "excluded sub-attribute of a multi-valued attribute", excluded: "emails.primary,Emails.Type",
			want: map[string]string{"emails": `[{"value":"emailName357"},{"value":"h@x"}]`}},
		{name: "excluded URN-qualified enterprise attribute", excluded: entURN + ":manager",
			want: map[string]string{entURN: `{"department":"Tour","employeeNumber":"7"}`}},
		{name: "excluded whole extension", excluded: entURN,
			wantKeys: "active,displayName,emails,groups,id,meta,name,schemas,userName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := renderedUser(t)
			before := asJSON(t, out)
			got := ParseProjection(tc.attrs, tc.excluded).Apply(UserType, out)
			if asJSON(t, out) != before {
				t.Error("Apply modified the rendered resource")
			}
			if tc.wantKeys != "" && keys(got) != tc.wantKeys {
				t.Errorf("keys = %s\nwant   %s", keys(got), tc.wantKeys)
			}
			for k, w := range tc.want {
				if !sameJSON(t, got[k], w) {
					t.Errorf("%s = %s, want %s", k, asJSON(t, got[k]), w)
				}
			}
			if got["id"] != "u-1" {
				t.Errorf("id = %v", got["id"])
			}
			if !sameJSON(t, got["schemas"], `["`+UserURN+`","`+entURN+`"]`) {
				t.Errorf("schemas = %v", got["schemas"])
			}
		})
	}
}

func TestProjectionGroupMembers(t *testing.T) {
	g := mustNormalize(t, GroupType, `{"displayName":"G","members":[{"value":"u1"}]}`)
	out := Render(GroupType, "g-1", g, Meta{ResourceType: "Group"}, nil)
	tests := []struct {
		attrs, excluded string
		wantMembers     bool
	}{
		{"", "members", false}, // EN-14, MSV-16
		{"", "MEMBERS", false},
		{"", "members.display", true},
		{"", "displayName", true},
		{"displayName", "", false},
		{"members", "", true},
		{"members.value", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		p := ParseProjection(tc.attrs, tc.excluded)
		got := p.Apply(GroupType, out)
		if _, ok := got["members"]; ok != tc.wantMembers {
			t.Errorf("attributes=%q excludedAttributes=%q: members present = %v, want %v", tc.attrs, tc.excluded, ok, tc.wantMembers)
		}
		if r := p.Returns(GroupType, "members"); r != tc.wantMembers {
			t.Errorf("attributes=%q excludedAttributes=%q: Returns(members) = %v, want %v", tc.attrs, tc.excluded, r, tc.wantMembers)
		}
	}
}

func TestProjectionReturnsGroups(t *testing.T) {
	tests := []struct {
		attrs, excluded string
		want            bool
	}{
		{"", "", true},
		{"", "groups", false},
		{"userName", "", false},
		{"groups.display", "", true},
		{"Groups", "", true},
		{"", "groups.value", true},
	}
	for _, tc := range tests {
		if got := ParseProjection(tc.attrs, tc.excluded).Returns(UserType, "groups"); got != tc.want {
			t.Errorf("attributes=%q excludedAttributes=%q: Returns(groups) = %v, want %v", tc.attrs, tc.excluded, got, tc.want)
		}
	}
}

func TestParseProjection(t *testing.T) {
	p := ParseProjection(" userName, ,emails ,", "")
	if strings.Join(p.Attributes, "|") != "userName|emails" || p.Excluded != nil {
		t.Errorf("ParseProjection = %#v", p)
	}
}

func TestRender(t *testing.T) {
	created := time.Date(2024, 3, 1, 13, 0, 0, 123e6, time.FixedZone("CET", 3600))
	modified := created.Add(time.Hour)
	r := mustNormalize(t, UserType, `{"userName":"u","password":"secret","`+entURN+`":{"department":"d"}}`)
	out := Render(UserType, "id-1", r, Meta{ResourceType: "User", Created: created, LastModified: modified, Location: "https://h/Users/id-1", Version: `W/"1"`}, map[string]any{"groups": []any{}})
	if _, ok := out["password"]; ok {
		t.Error("password (returned: never) rendered")
	}
	if out["id"] != "id-1" || out["userName"] != "u" {
		t.Errorf("id/userName = %v %v", out["id"], out["userName"])
	}
	if !sameJSON(t, out["schemas"], `["`+UserURN+`","`+entURN+`"]`) {
		t.Errorf("schemas = %v", out["schemas"])
	}
	if !sameJSON(t, out["meta"], `{"resourceType":"User","created":"2024-03-01T12:00:00.123Z","lastModified":"2024-03-01T13:00:00.123Z","location":"https://h/Users/id-1","version":"W/\"1\""}`) {
		t.Errorf("meta = %s", asJSON(t, out["meta"]))
	}
	if _, ok := r["password"]; !ok {
		t.Error("Render modified the resource")
	}
	plain := Render(UserType, "id-2", Resource{"userName": "v"}, Meta{}, nil)
	if !sameJSON(t, plain["schemas"], `["`+UserURN+`"]`) {
		t.Errorf("schemas without extension = %v", plain["schemas"])
	}
	if _, ok := plain["meta"].(map[string]any)["version"]; ok {
		t.Error("empty version rendered")
	}
}
