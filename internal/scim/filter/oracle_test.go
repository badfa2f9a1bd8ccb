package filter

// A differential test against github.com/scim2/filter-parser/v2, used only
// here, as an oracle. Both parsers must agree on accept/reject and on the
// tree for inputs inside the language both implement. Known, deliberate
// differences are kept out of the corpus rather than papered over:
//
//   - barewords (`userName sw O`, `a eq 01`): we accept them as strings,
//     the oracle rejects them;
//   - `attr[f].sub op v` (Entra): we read it as attr[f and sub op v], the
//     oracle rejects it;
//   - filters inside [...]: the oracle allows only `x`, `x and|or y` and
//     `not (...)` of those (x, y comparisons), we allow any filter, as the
//     RFC grammar does (valFilter is built from FILTER);
//   - leading/trailing whitespace, tabs, no space after an operator, or
//     no space between ")" and "and"/"or": we are lenient, the oracle isn't;
//   - schema prefixes: the oracle takes any "x:y:" run as a URI, we
//     require "urn:"; and the oracle allows `a.b[...]`, we reject it;
//   - \u escapes with lower-case hex: JSON allows them, the oracle doesn't;
//   - string values: the oracle keeps escapes raw; the converter below
//     unescapes them before comparing.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	oracle "github.com/scim2/filter-parser/v2"
)

// norm prints our AST with numbers normalised to their float value, so it
// can be compared with the oracle, which turns numbers into int/float64.
func norm(e Expr) string {
	switch t := e.(type) {
	case Compare:
		if t.Op == Pr {
			return "(pr " + sexpPath(t.Path) + ")"
		}
		var v string
		switch t.Value.Kind {
		case String:
			v = strconv.Quote(t.Value.Str)
		case Number:
			v = normNum(t.Value.Num)
		case Bool:
			v = strconv.FormatBool(t.Value.Bool)
		case Null:
			v = "null"
		}
		return "(" + string(t.Op) + " " + sexpPath(t.Path) + " " + v + ")"
	case And:
		return "(and " + norm(t.Left) + " " + norm(t.Right) + ")"
	case Or:
		return "(or " + norm(t.Left) + " " + norm(t.Right) + ")"
	case Not:
		return "(not " + norm(t.X) + ")"
	case ValuePath:
		return "(vp " + sexpPath(t.Path) + " " + norm(t.Filter) + ")"
	}
	return "?"
}

func normNum(f float64) string {
	if f == 0 {
		return "#0" // the oracle turns -0 into int 0
	}
	return "#" + strconv.FormatFloat(f, 'g', -1, 64)
}

// oracleNorm prints the oracle's AST in the same form as norm.
func oracleNorm(t *testing.T, e oracle.Expression) string {
	switch x := e.(type) {
	case *oracle.AttributeExpression:
		return oracleCompare(t, x)
	case *oracle.LogicalExpression:
		return "(" + string(x.Operator) + " " + oracleNorm(t, x.Left) + " " + oracleNorm(t, x.Right) + ")"
	case *oracle.NotExpression:
		return "(not " + oracleNorm(t, x.Expression) + ")"
	case *oracle.ValuePath:
		return "(vp " + oraclePath(x.AttributePath) + " " + oracleNorm(t, x.ValueFilter) + ")"
	}
	t.Fatalf("unexpected oracle node %T", e)
	return ""
}

func oracleCompare(t *testing.T, x *oracle.AttributeExpression) string {
	path := oraclePath(x.AttributePath)
	if x.Operator == oracle.PR {
		return "(pr " + path + ")"
	}
	var v string
	switch c := x.CompareValue.(type) {
	case nil:
		v = "null"
	case bool:
		v = strconv.FormatBool(c)
	case int:
		v = normNum(float64(c))
	case float64:
		v = normNum(c)
	case string:
		var s string
		if err := json.Unmarshal([]byte(`"`+c+`"`), &s); err != nil {
			t.Fatalf("oracle string %q: %v", c, err)
		}
		v = strconv.Quote(s)
	default:
		t.Fatalf("unexpected oracle value %T", c)
	}
	return "(" + string(x.Operator) + " " + path + " " + v + ")"
}

func oraclePath(p oracle.AttributePath) string {
	return sexpPath(AttrPath{URN: p.URI(), Name: p.AttributeName, Sub: p.SubAttributeName()})
}

// differ parses s with both parsers and reports any disagreement.
func differ(t *testing.T, s string) {
	t.Helper()
	ours, err := Parse(s, Limits{})
	theirs, oerr := oracle.ParseFilter([]byte(s))
	switch {
	case err != nil && oerr != nil:
		return
	case err != nil:
		t.Errorf("%q: we reject (%v), the oracle accepts %s", s, err, oracleNorm(t, theirs))
	case oerr != nil:
		t.Errorf("%q: we accept %s, the oracle rejects (%v)", s, norm(ours), oerr)
	default:
		if a, b := norm(ours), oracleNorm(t, theirs); a != b {
			t.Errorf("%q:\n ours   %s\n oracle %s", s, a, b)
		}
	}
}

func TestOracleCorpus(t *testing.T) {
	valid := []string{
		`userName eq "bjensen"`,
		`name.familyName co "O'Malley"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`title pr`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`title pr and userType eq "Employee"`,
		`title pr or userType eq "Intern"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		`a eq 1 or b eq 2 and c eq 3`,
		`a eq 1 and b eq 2 or c eq 3`,
		`a pr or b pr or c pr or d pr`,
		`a pr and b pr and c pr`,
		`not (a pr) and not (b pr)`,
		`not(a pr)`,
		`((a pr))`,
		`( a pr  or  b pr )`,
		`USERNAME EQ "x" AND title PR`,
		`a eq TRUE or b eq False or c eq NULL`,
		`a eq -1.5e3 or b eq 0 or c eq 42 or d eq 3.25 or e eq 1E+2`,
		`a eq "\"q\" \\ \/ \b\f\n\r\t \u00E9"`,
		`a eq "é 日本 (x) [y]"`,
		`members.$ref eq "x"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
		`emails[type eq "work"]`,
		`emails[not (type eq "work")]`,
		`emails[type eq "work" or primary eq true]`,
		`not (emails[type pr])`,
		`emails [ type pr ]`,
		`not pr`,
	}
	invalid := []string{
		``,
		`userName`,
		`userName eq`,
		`userName foo "x"`,
		`userName eq "x`,
		`userName eq "\x"`,
		`(a pr`,
		`a pr)`,
		`a pr and`,
		`emails[type pr`,
		`emails[]`,
		`emails[a[b pr]]`,
		`a.b.c pr`,
		`a..b pr`,
		`1a pr`,
		`a eq 'x'`,
		`a eq "x" b pr`,
		`a pr "x"`,
		"a eq \"\x01\"",
	}
	for _, s := range valid {
		if _, err := oracle.ParseFilter([]byte(s)); err != nil {
			t.Errorf("corpus entry %q is not valid for the oracle: %v", s, err)
		}
		differ(t, s)
	}
	for _, s := range invalid {
		if _, err := Parse(s, Limits{}); err == nil {
			t.Errorf("invalid corpus entry %q parsed", s)
		}
		differ(t, s)
	}
}

// TestOracleRandom compares the parsers on filters from a small seeded
// generator that stays inside the common language (see the file comment).
func TestOracleRandom(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	g := &gen{r: rand.New(rand.NewPCG(7, 2026))}
	for range n {
		g.budget = 1 + g.r.IntN(20)
		s := g.filter(0)
		differ(t, s)
		if t.Failed() {
			return
		}
	}
}

type gen struct {
	r      *rand.Rand
	budget int // nodes left, so filters stay around the oracle's comfort size
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// sp is the mandatory separator: one or more spaces.
func (g *gen) sp() string { return strings.Repeat(" ", 1+g.r.IntN(2)) }

// opt is optional padding inside parentheses and brackets.
func (g *gen) opt() string { return strings.Repeat(" ", g.r.IntN(2)) }

// word randomises the case of a keyword or operator.
func (g *gen) word(w string) string {
	b := []byte(w)
	for i := range b {
		if g.r.IntN(3) == 0 {
			b[i] ^= 0x20
		}
	}
	return string(b)
}

func (g *gen) filter(depth int) string {
	if g.budget <= 2 || depth >= 4 || g.r.IntN(3) == 0 {
		if g.budget >= 2 && g.r.IntN(5) == 0 {
			return g.valuePath()
		}
		return g.attrExp()
	}
	switch g.r.IntN(4) {
	case 0:
		g.budget--
		return g.word("not") + g.opt() + "(" + g.opt() + g.filter(depth+1) + g.opt() + ")"
	case 1:
		return "(" + g.opt() + g.filter(depth+1) + g.opt() + ")"
	default:
		g.budget--
		l := g.filter(depth + 1)
		return l + g.sp() + g.word(g.pick("and", "or")) + g.sp() + g.filter(depth+1)
	}
}

func (g *gen) valuePath() string {
	g.budget--
	attr := g.pick("emails", "addresses", "members", "urn:ietf:params:scim:schemas:core:2.0:User:emails")
	var f string
	switch g.r.IntN(4) {
	case 0:
		f = g.attrExp()
	case 1:
		g.budget--
		f = g.attrExp() + g.sp() + g.word(g.pick("and", "or")) + g.sp() + g.attrExp()
	default:
		g.budget--
		f = g.word("not") + g.opt() + "(" + g.opt() + g.attrExp() + g.opt() + ")"
	}
	return attr + g.opt() + "[" + g.opt() + f + g.opt() + "]"
}

func (g *gen) attrExp() string {
	g.budget--
	path := g.pick("userName", "name.familyName", "emails.value", "title", "x-y_z1", "members.$ref",
		"meta.lastModified", "urn:ietf:params:scim:schemas:core:2.0:User:userName",
		ent+":manager.value", ent+":employeeNumber", "not", "and", "type", "value")
	op := g.pick("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr")
	if op == "pr" {
		return path + g.sp() + g.word(op)
	}
	return path + g.sp() + g.word(op) + g.sp() + g.value()
}

func (g *gen) value() string {
	switch g.r.IntN(3) {
	case 0:
		return g.pick(`"x"`, `""`, `"bjensen@example.com"`, `"O'Malley"`, `"a \"q\" \\ \/ \n\t\u00E9"`,
			`"(not) [and] or"`, `"2011-05-13T04:42:34Z"`, `"日本"`)
	case 1:
		return g.pick("0", "1", "42", "-7", "3.25", "1e3", "-2.5E-2", "1E+2", "10.0")
	}
	return g.word(g.pick("true", "false", "null"))
}

// Make sure the generator's output is not trivially all the same shape.
func TestOracleGeneratorVariety(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(7, 2026))}
	kinds := map[string]bool{}
	for range 500 {
		g.budget = 1 + g.r.IntN(20)
		e, err := Parse(g.filter(0), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		kinds[fmt.Sprintf("%T", e)] = true
	}
	for _, k := range []string{"filter.Compare", "filter.And", "filter.Or", "filter.Not", "filter.ValuePath"} {
		if !kinds[k] {
			t.Errorf("generator never produced a top-level %s", k)
		}
	}
}
