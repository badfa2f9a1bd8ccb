package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParsePathValid(t *testing.T) {
	eqStr := func(name, v string) Expr {
		return Compare{Path: AttrPath{Name: name}, Op: Eq, Value: Value{Kind: String, Str: v}}
	}
	tests := []struct {
		in   string
		want Path
	}{
		{`userName`, Path{Attr: AttrPath{Name: "userName"}}},
		{`name.familyName`, Path{Attr: AttrPath{Name: "name", Sub: "familyName"}}},
		{`members`, Path{Attr: AttrPath{Name: "members"}}},
		{`members.$ref`, Path{Attr: AttrPath{Name: "members", Sub: "$ref"}}},
		{`members[value eq "2819c223"]`, Path{Attr: AttrPath{Name: "members"}, Filter: eqStr("value", "2819c223")}},
		{`emails[type eq "work"].value`, Path{Attr: AttrPath{Name: "emails"}, Filter: eqStr("type", "work"), Sub: "value"}},
		{`roles[primary eq "True"].value`, Path{Attr: AttrPath{Name: "roles"}, Filter: eqStr("primary", "True"), Sub: "value"}},
		{`addresses[type eq "work"].streetAddress`, Path{Attr: AttrPath{Name: "addresses"}, Filter: eqStr("type", "work"), Sub: "streetAddress"}},
		{`addresses[ type eq "work" ].streetAddress`, Path{Attr: AttrPath{Name: "addresses"}, Filter: eqStr("type", "work"), Sub: "streetAddress"}},
		{ent + `:manager`, Path{Attr: AttrPath{URN: ent, Name: "manager"}}},
		{ent + `:manager.value`, Path{Attr: AttrPath{URN: ent, Name: "manager", Sub: "value"}}},
		{ent + `:employeeNumber`, Path{Attr: AttrPath{URN: ent, Name: "employeeNumber"}}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, Path{
			Attr:   AttrPath{URN: "urn:ietf:params:scim:schemas:core:2.0:User", Name: "emails"},
			Filter: eqStr("type", "work"),
			Sub:    "value",
		}},
		{`emails[type eq "work" and primary eq true]`, Path{Attr: AttrPath{Name: "emails"}, Filter: And{
			Left:  eqStr("type", "work"),
			Right: Compare{Path: AttrPath{Name: "primary"}, Op: Eq, Value: Value{Kind: Bool, Bool: true}},
		}}},
		{`members[value eq 2819c223]`, Path{Attr: AttrPath{Name: "members"}, Filter: eqStr("value", "2819c223")}},
		{`emails[not (type pr)]`, Path{Attr: AttrPath{Name: "emails"}, Filter: Not{X: Compare{Path: AttrPath{Name: "type"}, Op: Pr}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in, Limits{})
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePath(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
			again, err := ParsePath(got.String(), Limits{})
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("ParsePath(%q).String() = %q re-parses to %#v, %v", tt.in, got.String(), again, err)
			}
		})
	}
}

func TestParsePathInvalid(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{``, 0, "expected an attribute path, found end of input"},
		{` userName`, 0, "expected an attribute path"},
		{`userName `, 8, `expected "[", "." or end of path, found " "`},
		{`userName eq "x"`, 8, `expected "[", "." or end of path`},
		{`a..b`, 2, `expected a sub-attribute name after "."`},
		{`a.`, 2, "expected a sub-attribute name"},
		{`a.b.c`, 3, "second sub-attribute"},
		{`a[`, 2, "expected an attribute path"},
		{`a[]`, 2, `expected an attribute path, "(" or "not", found "]"`},
		{`a[b pr`, 6, `"]" to close the "[" at position 1`},
		{`a[b pr]x`, 7, `expected "[", "." or end of path, found "x"`},
		{`a[b pr].`, 8, `expected a sub-attribute name after "]."`},
		{`a[b pr].c.d`, 9, `expected "[", "." or end of path`},
		{`a[b pr][c pr]`, 7, `expected "[", "." or end of path`},
		{`a[b[c pr]]`, 3, "cannot be nested"},
		{`a.b[c pr]`, 3, "not the sub-attribute"},
		{`a[b eq]`, 6, "expected a value"},
		{`1a`, 0, "expected an attribute path"},
		{`urn:x`, 0, "schema URN"},
		{ent + `:`, len(ent) + 1, "expected an attribute name"},
		{`emails[type eq "work"] .value`, 22, `expected "[", "." or end of path`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in, Limits{})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePath(%q) = %#v, %v; want *Error", tt.in, got, err)
			}
			if !reflect.DeepEqual(got, Path{}) {
				t.Errorf("ParsePath(%q) returned %#v with its error", tt.in, got)
			}
			if pe.Pos != tt.pos || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("ParsePath(%q) error = %v; want position %d and %q", tt.in, err, tt.pos, tt.msg)
			}
		})
	}
}
