package scim

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/scim/filter"
)

func str_(s string) filter.Value           { return filter.Value{Kind: filter.String, Str: s} }
func boolV(b bool) filter.Value            { return filter.Value{Kind: filter.Bool, Bool: b} }
func num(s string, f float64) filter.Value { return filter.Value{Kind: filter.Number, Str: s, Num: f} }

func TestCompareValue(t *testing.T) {
	emailValue := UserSchema.Attr("emails").Sub("value") // caseExact false
	primary := UserSchema.Attr("emails").Sub("primary")  // boolean
	created := commonAttributes[2].Sub("created")        // dateTime
	extID := commonAttributes[1]                         // caseExact true
	intAttr := &Attribute{Name: "n", Type: TypeInteger}
	tests := []struct {
		name   string
		a      *Attribute
		actual any
		op     filter.Op
		lit    filter.Value
		want   bool
		err    bool
	}{
		{"caseExact false eq ignores case", emailValue, "Bjensen@Example.com", filter.Eq, str_("bjensen@example.COM"), true, false},
		{"caseExact true eq honours case", extID, "Ext-1", filter.Eq, str_("ext-1"), false, false},
		{"caseExact true eq exact", extID, "Ext-1", filter.Eq, str_("Ext-1"), true, false},
		{"ne", emailValue, "a", filter.Ne, str_("b"), true, false},
		{"ne on missing value is true", emailValue, nil, filter.Ne, str_("b"), true, false},
		{"eq on missing value is false", emailValue, nil, filter.Eq, str_("b"), false, false},
		{"co", emailValue, "user@EXAMPLE.com", filter.Co, str_("example"), true, false},
		{"co no match", emailValue, "user@example.com", filter.Co, str_("example.org"), false, false},
		{"sw", emailValue, "Ore@x", filter.Sw, str_("o"), true, false},
		{"sw no match", emailValue, "ore@x", filter.Sw, str_("x"), false, false},
		{"ew", emailValue, "a@Example.org", filter.Ew, str_(".ORG"), true, false},
		{"ew caseExact", extID, "abc", filter.Ew, str_("C"), false, false},
		{"gt string", emailValue, "b", filter.Gt, str_("A"), true, false},
		{"le string", emailValue, "b", filter.Le, str_("a"), false, false},
		{"pr non-empty", emailValue, "x", filter.Pr, filter.Value{}, true, false},
		{"pr empty string", emailValue, "", filter.Pr, filter.Value{}, false, false},
		{"pr missing", emailValue, nil, filter.Pr, filter.Value{}, false, false},
		{"pr false boolean is present", primary, false, filter.Pr, filter.Value{}, true, false},
		{"pr empty list", emailValue, []any{}, filter.Pr, filter.Value{}, false, false},
		{"boolean eq true", primary, true, filter.Eq, boolV(true), true, false},
		{"boolean eq string True (EN-21, Q3)", primary, true, filter.Eq, str_("True"), true, false},
		{"boolean eq string False", primary, true, filter.Eq, str_("False"), false, false},
		{"boolean ne", primary, false, filter.Ne, boolV(true), true, false},
		{"boolean gt is invalid (RFC-14)", primary, true, filter.Gt, boolV(true), false, true},
		{"boolean co is invalid", primary, true, filter.Co, str_("t"), false, true},
		{"boolean with a non-boolean literal", primary, true, filter.Eq, str_("yes"), false, true},
		{"dateTime gt chronological across zones", created, "2015-10-10T22:00:00Z", filter.Gt, str_("2015-10-10T14:38:21.8617979-07:00"), true, false},
		{"dateTime lt chronological", created, "2015-10-10T21:00:00Z", filter.Lt, str_("2015-10-10T14:38:21-07:00"), true, false},
		{"dateTime eq same instant in another zone", created, "2011-05-13T04:42:34Z", filter.Eq, str_("2011-05-13T06:42:34+02:00"), true, false},
		{"dateTime ge fractional seconds", created, "2011-05-13T04:42:34.500Z", filter.Ge, str_("2011-05-13T04:42:34.5Z"), true, false},
		{"dateTime literal must be a string", created, "2011-05-13T04:42:34Z", filter.Gt, num("1", 1), false, true},
		{"integer gt", intAttr, json.Number("10"), filter.Gt, num("9", 9), true, false},
		{"integer eq string literal", intAttr, json.Number("10"), filter.Eq, str_("10"), true, false},
		{"integer vs garbage", intAttr, json.Number("10"), filter.Eq, str_("ten"), false, true},
		{"string vs number literal", emailValue, "42", filter.Eq, num("42", 42), true, false},
		{"string vs null literal", emailValue, "x", filter.Eq, filter.Value{Kind: filter.Null}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CompareValue(tc.a, tc.actual, tc.op, tc.lit)
			if tc.err {
				wantSCIMError(t, err, http.StatusBadRequest, InvalidFilter)
				return
			}
			if err != nil {
				t.Fatalf("CompareValue: %v", err)
			}
			if got != tc.want {
				t.Errorf("CompareValue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchElement(t *testing.T) {
	emails := UserSchema.Attr("emails")
	roles := UserSchema.Attr("roles")
	workPrimary := map[string]any{"value": "Bjensen@Example.com", "type": "work", "primary": true}
	home := map[string]any{"value": "b@home.org", "type": "home"}
	tests := []struct {
		name   string
		a      *Attribute
		filter string
		elem   map[string]any
		want   bool
		err    bool
	}{
		{"type eq work", emails, `type eq "work"`, workPrimary, true, false},
		{"type eq WORK ignores case", emails, `type eq "WORK"`, workPrimary, true, false},
		{"type eq work on home", emails, `type eq "work"`, home, false, false},
		{"sub-attribute name in any case", emails, `TYPE eq "work"`, workPrimary, true, false},
		{"and", emails, `type eq "work" and value co "example.com"`, workPrimary, true, false},
		{"and false", emails, `type eq "work" and value co "example.org"`, workPrimary, false, false},
		{"or", emails, `type eq "other" or value ew ".org"`, home, true, false},
		{"not", emails, `not (type eq "work")`, home, true, false},
		{"not of a match", emails, `not (type eq "work")`, workPrimary, false, false},
		{"primary eq True string (EN-21)", roles, `primary eq "True"`, map[string]any{"primary": true, "value": "r"}, true, false},
		{"primary eq True on a non-primary", roles, `primary eq "True"`, map[string]any{"value": "r"}, false, false},
		{"pr", emails, `primary pr`, home, false, false},
		{"unknown sub-attribute", emails, `nope eq "x"`, home, false, true},
		{"nested value path", emails, `emails[type eq "work"]`, home, false, true},
		{"dotted sub-attribute", emails, `value.x eq "x"`, home, false, true},
		{"invalid operator on boolean", emails, `primary gt true`, workPrimary, false, true},
		{"not with an error reports false", emails, `not (primary gt true)`, workPrimary, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.Parse(tc.filter, filter.Limits{})
			if err != nil {
				t.Fatalf("filter.Parse(%q): %v", tc.filter, err)
			}
			got, err := MatchElement(tc.a, f, tc.elem)
			if tc.err {
				wantSCIMError(t, err, http.StatusBadRequest, InvalidFilter)
				if got {
					t.Error("a failing match reported true")
				}
				return
			}
			if err != nil {
				t.Fatalf("MatchElement: %v", err)
			}
			if got != tc.want {
				t.Errorf("MatchElement = %v, want %v", got, tc.want)
			}
		})
	}
}
