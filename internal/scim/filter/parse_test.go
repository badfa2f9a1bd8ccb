package filter

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sexp prints an AST as an S-expression for table tests. It is independent
// of Format so that the two check each other, and it shows what Format
// hides: the URN/Name/Sub split and the kind of each value.
func sexp(e Expr) string {
	switch t := e.(type) {
	case Compare:
		if t.Op == Pr {
			return "(pr " + sexpPath(t.Path) + ")"
		}
		return "(" + string(t.Op) + " " + sexpPath(t.Path) + " " + sexpValue(t.Value) + ")"
	case And:
		return "(and " + sexp(t.Left) + " " + sexp(t.Right) + ")"
	case Or:
		return "(or " + sexp(t.Left) + " " + sexp(t.Right) + ")"
	case Not:
		return "(not " + sexp(t.X) + ")"
	case ValuePath:
		return "(vp " + sexpPath(t.Path) + " " + sexp(t.Filter) + ")"
	}
	return "?"
}

func sexpPath(p AttrPath) string {
	s := p.Name
	if p.URN != "" {
		s = "<" + p.URN + ">" + s
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

func sexpValue(v Value) string {
	switch v.Kind {
	case String:
		return strconv.Quote(v.Str)
	case Number:
		return "#" + v.Str
	case Bool:
		return strconv.FormatBool(v.Bool)
	case Null:
		return "null"
	}
	return "?"
}

// checkValues asserts the invariants of Value that sexp does not show:
// Num matches the literal text, and unused fields are zero.
func checkValues(t *testing.T, e Expr) {
	t.Helper()
	walk(e, func(c Compare) {
		v := c.Value
		switch v.Kind {
		case Number:
			want, _ := strconv.ParseFloat(v.Str, 64)
			if v.Num != want || v.Bool {
				t.Errorf("number value %+v: Num should be %v", v, want)
			}
		case String:
			if v.Num != 0 || v.Bool {
				t.Errorf("string value %+v has stray fields", v)
			}
		default:
			if v.Str != "" || v.Num != 0 {
				t.Errorf("value %+v has stray fields", v)
			}
		}
		if c.Op == Pr && v != (Value{}) {
			t.Errorf("pr has a value: %+v", v)
		}
	})
}

func walk(e Expr, f func(Compare)) {
	switch t := e.(type) {
	case Compare:
		f(t)
	case And:
		walk(t.Left, f)
		walk(t.Right, f)
	case Or:
		walk(t.Left, f)
		walk(t.Right, f)
	case Not:
		walk(t.X, f)
	case ValuePath:
		walk(t.Filter, f)
	}
}

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestParseValid(t *testing.T) {
	tests := []struct{ in, want string }{
		// RFC 7644 §3.4.2.2 examples.
		{`userName eq "bjensen"`, `(eq userName "bjensen")`},
		{`name.familyName co "O'Malley"`, `(co name.familyName "O'Malley")`},
		{`userName sw "J"`, `(sw userName "J")`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, `(sw <urn:ietf:params:scim:schemas:core:2.0:User>userName "J")`},
		{`title pr`, `(pr title)`},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, `(gt meta.lastModified "2011-05-13T04:42:34Z")`},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, `(ge meta.lastModified "2011-05-13T04:42:34Z")`},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, `(lt meta.lastModified "2011-05-13T04:42:34Z")`},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, `(le meta.lastModified "2011-05-13T04:42:34Z")`},
		{`title pr and userType eq "Employee"`, `(and (pr title) (eq userType "Employee"))`},
		{`title pr or userType eq "Intern"`, `(or (pr title) (eq userType "Intern"))`},
		{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, `(eq schemas "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")`},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			`(and (eq userType "Employee") (or (co emails "example.com") (co emails.value "example.org")))`},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			`(and (ne userType "Employee") (not (or (co emails "example.com") (co emails.value "example.org"))))`},
		{`userType eq "Employee" and (emails.type eq "work")`, `(and (eq userType "Employee") (eq emails.type "work"))`},
		{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			`(and (eq userType "Employee") (vp emails (and (eq type "work") (co value "@example.com"))))`},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			`(or (vp emails (and (eq type "work") (co value "@example.com"))) (vp ims (and (eq type "xmpp") (co value "@foo.com"))))`},

		// Precedence and associativity: not > and > or, left-associative.
		{`a eq 1 or b eq 2 and c eq 3`, `(or (eq a #1) (and (eq b #2) (eq c #3)))`},
		{`a eq 1 and b eq 2 or c eq 3`, `(or (and (eq a #1) (eq b #2)) (eq c #3))`},
		{`a pr or b pr or c pr`, `(or (or (pr a) (pr b)) (pr c))`},
		{`a pr and b pr and c pr`, `(and (and (pr a) (pr b)) (pr c))`},
		{`a pr and (b pr or c pr)`, `(and (pr a) (or (pr b) (pr c)))`},
		{`(a pr or b pr) and c pr`, `(and (or (pr a) (pr b)) (pr c))`},
		{`a pr or (b pr or c pr)`, `(or (pr a) (or (pr b) (pr c)))`},
		{`not (a pr) and b pr`, `(and (not (pr a)) (pr b))`},
		{`not (a pr) or not (b pr) and c pr`, `(or (not (pr a)) (and (not (pr b)) (pr c)))`},
		{`not(a pr)`, `(not (pr a))`},
		{`not  (  not (a pr) )`, `(not (not (pr a)))`},
		{`((((a pr))))`, `(pr a)`},
		{`( a pr )`, `(pr a)`},

		// Case-insensitive keywords and operators; names keep their case.
		{`USERNAME EQ "x"`, `(eq USERNAME "x")`},
		{`userName Eq "x" AND title PR Or NOT (a Sw "y")`, `(or (and (eq userName "x") (pr title)) (not (sw a "y")))`},
		{`a eq TRUE or b ne False or c eq NULL`, `(or (or (eq a true) (ne b false)) (eq c null))`},
		{`a gE 1 and b Lt 2 and c LE 3 and d gt 4 and e ew "z" and f CO "w"`,
			`(and (and (and (and (and (ge a #1) (lt b #2)) (le c #3)) (gt d #4)) (ew e "z")) (co f "w"))`},

		// Whitespace: tabs and repeated spaces, around the filter too.
		{"  a\teq\t\"x\"   and\t\tb pr  ", `(and (eq a "x") (pr b))`},
		{`emails [ type eq "work" ]`, `(vp emails (eq type "work"))`},

		// Literals.
		{`a eq 0`, `(eq a #0)`},
		{`a eq -1.5e3`, `(eq a #-1.5e3)`},
		{`a eq 1E+2`, `(eq a #1E+2)`},
		{`a eq 3.25`, `(eq a #3.25)`},
		{`a eq -0`, `(eq a #-0)`},
		{`a eq true`, `(eq a true)`},
		{`a eq false`, `(eq a false)`},
		{`a eq null`, `(eq a null)`},
		{`a eq ""`, `(eq a "")`},
		{`a eq "true"`, `(eq a "true")`},
		{`a eq "42"`, `(eq a "42")`},
		{`a eq "\"q\" \\ \/ \b\f\n\r\t"`, `(eq a "\"q\" \\ / \b\f\n\r\t")`},
		{`a eq "\u00e9\u00E9"`, `(eq a "éé")`},
		{`a eq "\ud83d\ude00"`, `(eq a "😀")`},
		{`a eq "\ud83d"`, "(eq a \"\uFFFD\")"},
		{`a eq "é 日本"`, `(eq a "é 日本")`},
		{`a eq "(not) [and] or"`, `(eq a "(not) [and] or")`},

		// Lenient barewords.
		{`userName sw O`, `(sw userName "O")`},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, `(gt meta.Created "2015-10-10T14:38:21.8617979-07:00")`},
		{`a eq 01`, `(eq a "01")`},
		{`a eq 1.`, `(eq a "1.")`},
		{`a eq +1`, `(eq a "+1")`},
		{`a eq x and b eq y`, `(and (eq a "x") (eq b "y"))`},
		{`(a eq x)`, `(eq a "x")`},
		{`e[a eq x]`, `(vp e (eq a "x"))`},
		{`a eq trueish`, `(eq a "trueish")`},

		// Attribute names.
		{`members.$ref eq "x"`, `(eq members.$ref "x")`},
		{`$ref pr`, `(pr $ref)`},
		{`x-custom_attr2 pr`, `(pr x-custom_attr2)`},
		{`not pr`, `(pr not)`},
		{`not eq "x"`, `(eq not "x")`},
		{`and pr and or pr`, `(and (pr and) (pr or))`},
		{`notes pr`, `(pr notes)`},

		// URN-qualified paths.
		{ent + `:employeeNumber eq "701984"`, `(eq <` + ent + `>employeeNumber "701984")`},
		{ent + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, `(eq <` + ent + `>manager.value "26118915-6090-4610-87e4-49d8ca9f808d")`},
		{`URN:IETF:params:scim:schemas:core:2.0:User:name.givenName pr`, `(pr <URN:IETF:params:scim:schemas:core:2.0:User>name.givenName)`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]`, `(vp <urn:ietf:params:scim:schemas:core:2.0:User>emails (eq type "work"))`},

		// Value paths.
		{`emails[type eq "work"]`, `(vp emails (eq type "work"))`},
		{`emails[not (type eq "work")]`, `(vp emails (not (eq type "work")))`},
		{`emails[type eq "work" or (primary eq true and value pr)]`, `(vp emails (or (eq type "work") (and (eq primary true) (pr value))))`},
		{`not (emails[type eq "work"])`, `(not (vp emails (eq type "work")))`},
		{`emails[type eq "work"] and emails[type eq "home"]`, `(and (vp emails (eq type "work")) (vp emails (eq type "home")))`},
		{`emails[value ew "@x.com"] or userName eq "x"`, `(or (vp emails (ew value "@x.com")) (eq userName "x"))`},

		// The Entra extension: attr[f].sub op v ≡ attr[f and sub op v].
		{`emails[type eq "work"].value eq "x@y.com"`, `(vp emails (and (eq type "work") (eq value "x@y.com")))`},
		{`emails[type eq "work" or type eq "home"].value co "@y"`, `(vp emails (and (or (eq type "work") (eq type "home")) (co value "@y")))`},
		{`addresses[type eq "work"].streetAddress pr and userName eq "u"`, `(and (vp addresses (and (eq type "work") (pr streetAddress))) (eq userName "u"))`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := sexp(e); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			checkValues(t, e)
			assertRoundTrip(t, tt.in, e)
		})
	}
}

// TestParseAST pins a few results as full Go values, so that what callers
// type-switch on (value types, exact fields) is covered, not just sexp.
func TestParseAST(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		{`userName eq "bjensen"`, Compare{Path: AttrPath{Name: "userName"}, Op: Eq, Value: Value{Kind: String, Str: "bjensen"}}},
		{`title pr`, Compare{Path: AttrPath{Name: "title"}, Op: Pr}},
		{`a ge -1.5e3`, Compare{Path: AttrPath{Name: "a"}, Op: Ge, Value: Value{Kind: Number, Str: "-1.5e3", Num: -1500}}},
		{`a eq True`, Compare{Path: AttrPath{Name: "a"}, Op: Eq, Value: Value{Kind: Bool, Bool: true}}},
		{`a ne null`, Compare{Path: AttrPath{Name: "a"}, Op: Ne, Value: Value{Kind: Null}}},
		{ent + `:manager.value eq "x"`, Compare{Path: AttrPath{URN: ent, Name: "manager", Sub: "value"}, Op: Eq, Value: Value{Kind: String, Str: "x"}}},
		{`a pr or b pr and not (c pr)`, Or{
			Left: Compare{Path: AttrPath{Name: "a"}, Op: Pr},
			Right: And{
				Left:  Compare{Path: AttrPath{Name: "b"}, Op: Pr},
				Right: Not{X: Compare{Path: AttrPath{Name: "c"}, Op: Pr}},
			},
		}},
		{`emails[type eq "work"].value eq "x"`, ValuePath{
			Path: AttrPath{Name: "emails"},
			Filter: And{
				Left:  Compare{Path: AttrPath{Name: "type"}, Op: Eq, Value: Value{Kind: String, Str: "work"}},
				Right: Compare{Path: AttrPath{Name: "value"}, Op: Eq, Value: Value{Kind: String, Str: "x"}},
			},
		}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, Limits{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in   string
		pos  int
		msgs []string // substrings the message must contain
	}{
		{``, 0, []string{"expected an attribute path", "found end of input"}},
		{`   `, 3, []string{"expected an attribute path"}},
		{`userName`, 8, []string{"expected a comparison operator", `after "userName"`, "found end of input"}},
		{`userName foo "x"`, 9, []string{`expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName", found "foo"`}},
		{`userName eq`, 11, []string{"expected a value", `after "eq"`}},
		{`userName eq `, 12, []string{"expected a value"}},
		{`userName eq )`, 12, []string{"expected a value", `found ")"`}},
		{`userName eq "x`, 12, []string{"unterminated string"}},
		{`userName eq "x\"`, 12, []string{"unterminated string"}},
		{`userName eq "x\`, 14, []string{"unterminated escape"}},
		{`userName eq "\x"`, 13, []string{"invalid escape"}},
		{`userName eq "\u12"`, 13, []string{`invalid \u escape`}},
		{"userName eq \"a\nb\"", 14, []string{"control character"}},
		{`userName eq 'x'`, 12, []string{"single-quoted"}},
		{`userName eq "x" garbage`, 16, []string{`expected "and", "or" or end of filter`, `found "garbage"`}},
		{`userName eq "x")`, 15, []string{`found ")"`}},
		{`userName eq "x"]`, 15, []string{`found "]"`}},
		{`userName eq "x" and`, 19, []string{"expected an attribute path"}},
		{`userName eq "x" or `, 19, []string{"expected an attribute path"}},
		{`and`, 3, []string{"expected a comparison operator"}},
		{`(userName eq "x"`, 16, []string{`")" to close the "(" at position 0`}},
		{`((a pr)`, 7, []string{`")" to close the "(" at position 0`}},
		{`()`, 1, []string{"expected an attribute path"}},
		{`not a pr`, 4, []string{"expected a comparison operator", `after "not"`}},
		{`not (a pr`, 9, []string{`to close the "(" at position 4`}},
		{`emails[type eq "work"`, 21, []string{`"]" to close the "[" at position 6`}},
		{`emails[]`, 7, []string{"expected an attribute path", `found "]"`}},
		{`emails[type eq "work"]]`, 22, []string{`found "]"`}},
		{`emails[type eq "work")`, 21, []string{`"]" to close`}},
		{`emails[type eq "w"] eq "x"`, 20, []string{`expected "and", "or" or end of filter`}},
		{`emails[value[type pr]]`, 12, []string{"value paths cannot be nested"}},
		{`emails[(x[y pr])]`, 9, []string{"cannot be nested"}},
		{`emails[type eq "work"].value[x pr]`, 28, []string{"expected a comparison operator", `found "["`}},
		{`emails[type eq "w"].`, 20, []string{`expected a sub-attribute name after "]."`}},
		{`emails[type eq "w"].value`, 25, []string{"expected a comparison operator"}},
		{`name.familyName[x pr]`, 15, []string{"not the sub-attribute"}},
		{`a.b.c pr`, 3, []string{"second sub-attribute"}},
		{`a..b pr`, 2, []string{`expected a sub-attribute name after "."`}},
		{`a. pr`, 2, []string{"expected a sub-attribute name"}},
		{`1abc pr`, 0, []string{"expected an attribute path"}},
		{`-a pr`, 0, []string{"expected an attribute path"}},
		{`"userName" eq "x"`, 0, []string{"expected an attribute path"}},
		{`a:b eq "x"`, 1, []string{"expected a comparison operator", `found ":b"`}},
		{`urn:foo eq "x"`, 0, []string{"schema URN"}},
		{`urn::x:a pr`, 0, []string{"malformed schema URN"}},
		{ent + `: pr`, len(ent) + 1, []string{"expected an attribute name"}},
		{`a eq 1e999`, 5, []string{"out of range"}},
		{`a eq x"y"`, 6, []string{`found "\""`}},
		{`a pr "x"`, 5, []string{`expected "and", "or" or end of filter`}},
		{`a eq1 "x"`, 2, []string{"expected a comparison operator", `found "eq1"`}},
		{`aeq "x"`, 4, []string{"expected a comparison operator", `after "aeq"`}},
		{`a(eq "x")`, 1, []string{"expected a comparison operator", `found "("`}},
		{`a pr andb pr`, 5, []string{`expected "and", "or" or end of filter`}},
		{`a pr + b pr`, 5, []string{`found "+"`}}, // '+' is not special: the HTTP layer decoded it already
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %s, %v; want *Error", tt.in, sexp(e), err)
			}
			if e != nil {
				t.Errorf("Parse(%q) returned an AST with its error", tt.in)
			}
			if pe.Pos != tt.pos {
				t.Errorf("Parse(%q): Pos = %d, want %d (%v)", tt.in, pe.Pos, tt.pos, err)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(pe.Msg, m) {
					t.Errorf("Parse(%q): message %q lacks %q", tt.in, pe.Msg, m)
				}
			}
			if want := "at position " + strconv.Itoa(pe.Pos) + ": " + pe.Msg; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestAttrPathString(t *testing.T) {
	tests := []struct {
		p    AttrPath
		want string
	}{
		{AttrPath{Name: "userName"}, "userName"},
		{AttrPath{Name: "name", Sub: "familyName"}, "name.familyName"},
		{AttrPath{URN: ent, Name: "manager", Sub: "value"}, ent + ":manager.value"},
		{AttrPath{URN: ent, Name: "employeeNumber"}, ent + ":employeeNumber"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{`USERNAME EQ "x"`, `USERNAME eq "x"`},
		{`a eq 1 or b eq 2 and c eq 3`, `a eq 1 or (b eq 2 and c eq 3)`},
		{`(a pr or b pr) and c pr`, `(a pr or b pr) and c pr`},
		{`a pr or b pr or c pr`, `a pr or b pr or c pr`},
		{`a pr or (b pr or c pr)`, `a pr or (b pr or c pr)`},
		{`a pr and (b pr and c pr)`, `a pr and (b pr and c pr)`},
		{`not(a pr)`, `not (a pr)`},
		{`userName sw O`, `userName sw "O"`},
		{`a eq -1.50E3 and b eq TRUE and c eq Null`, `a eq -1.50E3 and b eq true and c eq null`},
		{`a eq "tab\there \"q\" \u0001 \/"`, `a eq "tab\there \"q\" \u0001 /"`},
		{`emails[type eq "work"].value eq "x"`, `emails[type eq "work" and value eq "x"]`},
		{`emails[type eq "a" or type eq "b"].value pr`, `emails[(type eq "a" or type eq "b") and value pr]`},
		{ent + `:manager.value eq "x"`, ent + `:manager.value eq "x"`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in, Limits{})
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := Format(e); got != tt.want {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
	built := And{
		Left:  Compare{Path: AttrPath{Name: "a"}, Op: Gt, Value: Value{Kind: Number, Num: 2.5}},
		Right: Compare{Path: AttrPath{URN: ent, Name: "manager"}, Op: Eq, Value: Value{Kind: String, Str: "x\"y"}},
	}
	if got, want := Format(built), `a gt 2.5 and `+ent+`:manager eq "x\"y"`; got != want {
		t.Errorf("Format(hand-built) = %q, want %q", got, want)
	}
	if got := Format(nil); got != "<nil>" {
		t.Errorf("Format(nil) = %q", got)
	}
}

// assertRoundTrip checks that Format(e) parses back to e. Format adds
// parentheses, so the re-parse allows twice the depth (see Format).
func assertRoundTrip(t testing.TB, in string, e Expr) {
	t.Helper()
	out := Format(e)
	e2, err := parse(out, Limits{MaxLength: math.MaxInt, MaxNodes: DefaultMaxNodes * 4}, 2*MaxDepth+2)
	if err != nil {
		t.Fatalf("Format(Parse(%q)) = %q does not re-parse: %v", in, out, err)
	}
	if !reflect.DeepEqual(e, e2) {
		t.Fatalf("round trip of %q via %q changed the AST:\n%s\n%s", in, out, sexp(e), sexp(e2))
	}
}
