package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// The filter compiler turns a parsed SCIM filter into a parameterised SQL
// condition. Values are always bound as arguments, never spliced into the
// SQL text; the only names in the text are column names and attribute
// names taken from the schema definitions, never from the request.
//
// Attributes IdPs look resources up by (userName, externalId, id,
// emails.value, displayName, active, meta dates, group members) have
// columns or child tables with indexes. Every other attribute the schema
// defines is read from the stored JSON, which works but scans the team's
// rows. An attribute the schema doesn't define gets an
// UnsupportedFilterError, answered with 400 invalidFilter.

type colKind int

const (
	exactText  colKind = iota // compared as stored (id, externalId)
	foldedText                // stored case-folded (userName); literals are folded too
	boolean
	timestamp
)

type column struct {
	name string
	kind colKind
	// optional columns hold '' when the attribute is absent; they follow
	// the absent-value rules of scim.Match.
	optional bool
}

// childTable maps a multi-valued attribute to rows of its own.
type childTable struct {
	table string
	fk    string            // the child's column holding the parent id
	subs  map[string]column // sub-attribute (lower-case) to column
}

type filterAttrs struct {
	rt     *scim.ResourceType
	simple map[string]column // "username", "meta.created", …
	child  map[string]childTable
}

var userFilterAttrs = filterAttrs{
	rt: scim.UserType,
	simple: map[string]column{
		"id":                {"id", exactText, false},
		"username":          {"user_name_key", foldedText, false},
		"externalid":        {"external_id", exactText, true},
		"displayname":       {"display_name_key", foldedText, true},
		"active":            {"active", boolean, false},
		"meta.created":      {"created", timestamp, false},
		"meta.lastmodified": {"modified", timestamp, false},
	},
	child: map[string]childTable{
		// emails.primary is read from the JSON: the is_primary column can't
		// tell "false" from "absent", and filters must.
		"emails": {table: "user_emails", fk: "user_id", subs: map[string]column{
			"value": {"value_key", foldedText, false},
			"type":  {"type_key", foldedText, true},
		}},
		"groups": {table: "group_members", fk: "user_id", subs: map[string]column{
			"value": {"group_id", exactText, false},
		}},
	},
}

var groupFilterAttrs = filterAttrs{
	rt: scim.GroupType,
	simple: map[string]column{
		"id":                {"id", exactText, false},
		"displayname":       {"display_name_key", foldedText, false},
		"externalid":        {"external_id", exactText, true},
		"meta.created":      {"created", timestamp, false},
		"meta.lastmodified": {"modified", timestamp, false},
	},
	child: map[string]childTable{
		"members": {table: "group_members", fk: "group_id", subs: map[string]column{
			"value": {"user_id", exactText, false},
		}},
	},
}

type compiler struct {
	d      Dialect
	attrs  filterAttrs
	alias  string
	teamID string
	// pinned: the filter finds its rows through an index of the
	// resource's own table (userName eq, id eq, …), so conditions on child
	// rows are checked per row found (childOpen).
	pinned bool
	args   []any
	sb     strings.Builder
}

func newCompiler(d Dialect, attrs filterAttrs, alias, teamID string, rt *scim.ResourceType) *compiler {
	if rt != nil {
		attrs.rt = rt
	}
	return &compiler{d: d, attrs: attrs, alias: alias, teamID: teamID}
}

// compileFilter returns " AND (cond)" and its arguments, or "" for no filter.
func compileFilter(d Dialect, attrs filterAttrs, alias, teamID string, rt *scim.ResourceType, f filter.Expr) (string, []any, error) {
	if f == nil {
		return "", nil, nil
	}
	c := newCompiler(d, attrs, alias, teamID, rt)
	c.pinned = pinned(c.attrs, f)
	c.sb.WriteString(" AND (")
	if err := c.expr(f); err != nil {
		return "", nil, err
	}
	c.sb.WriteString(")")
	for _, a := range c.args {
		if s, ok := a.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return "", nil, unsupported("filter values can't contain a NUL character (U+0000)")
		}
	}
	return c.sb.String(), c.args, nil
}

func unsupported(format string, args ...any) error {
	return &store.UnsupportedFilterError{Reason: fmt.Sprintf(format, args...)}
}

func (c *compiler) expr(e filter.Expr) error {
	switch t := e.(type) {
	case filter.And:
		return c.binary(t.Left, " AND ", t.Right)
	case filter.Or:
		return c.binary(t.Left, " OR ", t.Right)
	case filter.Not:
		c.sb.WriteString("NOT (")
		if err := c.expr(t.X); err != nil {
			return err
		}
		c.sb.WriteString(")")
		return nil
	case filter.Compare:
		return c.compare(t)
	case filter.ValuePath:
		return c.valuePath(t)
	}
	return unsupported("unsupported filter expression")
}

func (c *compiler) binary(l filter.Expr, op string, r filter.Expr) error {
	c.sb.WriteString("(")
	if err := c.expr(l); err != nil {
		return err
	}
	c.sb.WriteString(op)
	if err := c.expr(r); err != nil {
		return err
	}
	c.sb.WriteString(")")
	return nil
}

// target is what a filter path resolves to.
type target struct {
	col   *column     // a column of the resource's own table
	child *childTable // a child table (multi-valued)
	attr  *scim.Attribute
	json  []string // JSON path of the attribute inside attrs
	sub   *scim.Attribute
	// constant is the value every row has (meta.resourceType).
	constant *any
}

// resolve finds where an attribute path lives. Names match
// case-insensitively; the schema gives their canonical spelling.
func (c *compiler) resolve(p filter.AttrPath) (target, error) {
	rt := c.attrs.rt
	coreQualified := p.URN == "" || rt.Schema.Is(p.URN)
	name, sub := strings.ToLower(p.Name), strings.ToLower(p.Sub)
	if coreQualified {
		key := name
		if sub != "" {
			key += "." + sub
		}
		if col, ok := c.attrs.simple[key]; ok {
			return target{col: &col}, nil
		}
		if key == "meta.resourcetype" {
			var v any = rt.Name
			return target{constant: &v, sub: scim.MetaResourceTypeAttr}, nil
		}
		if ct, ok := c.attrs.child[name]; ok {
			ct := ct
			a := rt.Schema.Attr(name)
			t := target{child: &ct, attr: a, json: []string{a.Name}}
			if p.Sub != "" {
				if t.sub = a.Sub(p.Sub); t.sub == nil {
					return target{}, unsupported("can't filter on %q: %q has no sub-attribute %q", p.String(), a.Name, p.Sub)
				}
			}
			return t, nil
		}
	}
	schema := rt.Schema
	var prefix []string
	if !coreQualified {
		ext := rt.Extension(p.URN)
		if ext == nil {
			return target{}, unsupported("unknown schema %q in filter", p.URN)
		}
		schema, prefix = ext, []string{ext.ID}
	}
	a := schema.Attr(p.Name)
	if a == nil {
		return target{}, unsupported("can't filter on %q: %ss have no such attribute", p.String(), rt.Name)
	}
	if a.Mutability == scim.WriteOnly {
		return target{}, unsupported("can't filter on %q: it is write-only", p.String())
	}
	t := target{attr: a, json: append(prefix, a.Name)}
	if p.Sub != "" {
		if t.sub = a.Sub(p.Sub); t.sub == nil {
			return target{}, unsupported("can't filter on %q: %q has no sub-attribute %q", p.String(), a.Name, p.Sub)
		}
	}
	return t, nil
}

func (c *compiler) compare(t filter.Compare) error {
	tg, err := c.resolve(t.Path)
	if err != nil {
		return err
	}
	where := t.Path.String()
	if tg.constant != nil {
		// meta.resourceType is the same for every row: decide it here.
		ok, err := scim.CompareValue(tg.sub, *tg.constant, t.Op, t.Value)
		if err != nil {
			return unsupported("%s", err.Error())
		}
		c.sb.WriteString(map[bool]string{true: "1 = 1", false: "1 = 0"}[ok])
		return nil
	}
	switch {
	case tg.col != nil:
		return c.columnCond(c.alias+"."+tg.col.name, *tg.col, t.Op, t.Value, where)
	case tg.child != nil:
		sub := strings.ToLower(t.Path.Sub)
		if sub == "" {
			sub = "value" // `emails co "x"` compares each element's value
		}
		col, ok := tg.child.subs[sub]
		if !ok {
			if tg.attr.Mutability == scim.ReadOnly {
				// Derived attributes (a user's groups) aren't in the JSON.
				return unsupported("can't filter on %q", t.Path.String())
			}
			// Sub-attributes without a column live in the JSON.
			return c.jsonMulti(tg, t)
		}
		c.childOpen(tg.child)
		if err := c.columnCond("x."+col.name, col, t.Op, t.Value, where); err != nil {
			return err
		}
		c.childClose()
		return nil
	case tg.attr.MultiValued:
		return c.jsonMulti(tg, t)
	}
	a := tg.attr
	path := tg.json
	if a.Type == scim.TypeComplex {
		if tg.sub == nil {
			if t.Op == filter.Pr {
				c.sb.WriteString(c.d.JSONValue(c.alias+".attrs", path) + " IS NOT NULL")
				return nil
			}
			return unsupported("can't compare the complex attribute %q; name a sub-attribute such as %s.%s", a.Name, a.Name, a.SubAttributes[0].Name)
		}
		a, path = tg.sub, append(path, tg.sub.Name)
	}
	return c.jsonCond(c.d.JSONValue(c.alias+".attrs", path), a, t.Op, t.Value, where)
}

// childOpen starts a condition on a resource's child rows; the caller
// writes the terms on x, then childClose.
//
// Alone, it is `alias.id IN (SELECT fk FROM child x WHERE team_id = ? AND`:
// a non-correlated IN lets the database drive the lookup from the child's
// index (groups.value eq: the group's rows; members.value eq: the user's)
// instead of probing it once per row of the team. When the filter is
// pinned by the resource's own index (userName eq … and groups.value eq
// …), the IN would first list every match of the child condition, as many
// as the team's largest group has members; the condition is then checked
// on each row found instead, by a correlated count: unlike EXISTS, which
// PostgreSQL turns into a join whose order it picks from statistics, a
// scalar subquery stays a probe of the child's index per row.
func (c *compiler) childOpen(ct *childTable) {
	if c.pinned {
		fmt.Fprintf(&c.sb, "(SELECT count(*) FROM %s x WHERE x.team_id = %s.team_id AND x.%s = %s.id AND ", ct.table, c.alias, ct.fk, c.alias)
		return
	}
	fmt.Fprintf(&c.sb, "%s.id IN (SELECT x.%s FROM %s x WHERE x.team_id = ? AND ", c.alias, ct.fk, ct.table)
	c.args = append(c.args, c.teamID)
}

// childClose ends what childOpen started.
func (c *compiler) childClose() {
	if c.pinned {
		c.sb.WriteString(") > 0")
		return
	}
	c.sb.WriteString(")")
}

// jsonMulti compares the elements of a multi-valued attribute stored in
// the JSON: true when any element matches.
func (c *compiler) jsonMulti(tg target, t filter.Compare) error {
	a := tg.attr
	sub := tg.sub
	if sub == nil && a.Type == scim.TypeComplex {
		sub = a.Sub("value")
	}
	from, elem := c.d.JSONEach(c.alias+".attrs", tg.json, "j")
	c.sb.WriteString("EXISTS (SELECT 1 FROM " + from + " WHERE ")
	var err error
	if sub == nil {
		err = c.jsonCond(elem(nil), a, t.Op, t.Value, t.Path.String())
	} else {
		err = c.jsonCond(elem([]string{sub.Name}), sub, t.Op, t.Value, t.Path.String())
	}
	c.sb.WriteString(")")
	return err
}

// valuePath compiles emails[type eq "work" and value eq "x"] so that all
// terms hold for the same element.
func (c *compiler) valuePath(t filter.ValuePath) error {
	tg, err := c.resolve(t.Path)
	if err != nil {
		return err
	}
	if tg.attr == nil || !tg.attr.MultiValued || tg.attr.Type != scim.TypeComplex {
		return unsupported("a value filter needs a multi-valued complex attribute; %q is not one", t.Path.String())
	}
	if tg.child != nil && c.childCovers(tg.child, t.Filter) {
		c.childOpen(tg.child)
		if err := c.inner(t.Filter, tg.attr, func(sub string) (string, column, bool) {
			col, ok := tg.child.subs[sub]
			return "x." + col.name, col, ok
		}); err != nil {
			return err
		}
		c.childClose()
		return nil
	}
	if tg.attr.Mutability == scim.ReadOnly {
		return unsupported("value filters on %q can only use its value", t.Path.String())
	}
	from, elem := c.d.JSONEach(c.alias+".attrs", tg.json, "j")
	c.sb.WriteString("EXISTS (SELECT 1 FROM " + from + " WHERE ")
	if err := c.inner(t.Filter, tg.attr, func(sub string) (string, column, bool) {
		sa := tg.attr.Sub(sub)
		if sa == nil {
			return "", column{}, false
		}
		return elem([]string{sa.Name}), column{kind: -1}, true
	}); err != nil {
		return err
	}
	c.sb.WriteString(")")
	return nil
}

// childCovers reports whether every term of f names a column of ct.
func (c *compiler) childCovers(ct *childTable, f filter.Expr) bool {
	switch t := f.(type) {
	case filter.And:
		return c.childCovers(ct, t.Left) && c.childCovers(ct, t.Right)
	case filter.Or:
		return c.childCovers(ct, t.Left) && c.childCovers(ct, t.Right)
	case filter.Not:
		return c.childCovers(ct, t.X)
	case filter.Compare:
		_, ok := ct.subs[strings.ToLower(t.Path.Name)]
		return ok && t.Path.Sub == "" && t.Path.URN == ""
	}
	return false
}

// inner compiles the filter inside [...]; lookup maps a sub-attribute to
// an SQL expression and its column kind (-1: a JSON value).
func (c *compiler) inner(e filter.Expr, parent *scim.Attribute, lookup func(sub string) (string, column, bool)) error {
	switch t := e.(type) {
	case filter.And, filter.Or:
		var l, r filter.Expr
		op := " AND "
		if a, ok := t.(filter.And); ok {
			l, r = a.Left, a.Right
		} else {
			o := t.(filter.Or)
			l, r, op = o.Left, o.Right, " OR "
		}
		c.sb.WriteString("(")
		if err := c.inner(l, parent, lookup); err != nil {
			return err
		}
		c.sb.WriteString(op)
		if err := c.inner(r, parent, lookup); err != nil {
			return err
		}
		c.sb.WriteString(")")
		return nil
	case filter.Not:
		c.sb.WriteString("NOT (")
		if err := c.inner(t.X, parent, lookup); err != nil {
			return err
		}
		c.sb.WriteString(")")
		return nil
	case filter.Compare:
		where := parent.Name + "." + t.Path.Name
		if t.Path.Sub != "" || t.Path.URN != "" {
			return unsupported("can't filter on %s.%s inside a value filter", parent.Name, t.Path.String())
		}
		expr, col, ok := lookup(strings.ToLower(t.Path.Name))
		if !ok {
			return unsupported("can't filter on %q: %q has no sub-attribute %q", where, parent.Name, t.Path.Name)
		}
		if col.kind == -1 {
			return c.jsonCond(expr, parent.Sub(t.Path.Name), t.Op, t.Value, where)
		}
		return c.columnCond(expr, col, t.Op, t.Value, where)
	}
	return unsupported("value filters can't be nested")
}

// columnCond writes one comparison on a dedicated column.
func (c *compiler) columnCond(col string, k column, op filter.Op, v filter.Value, attr string) error {
	if op == filter.Pr {
		switch k.kind {
		case boolean, timestamp:
			c.sb.WriteString(col + " IS NOT NULL")
		default:
			c.sb.WriteString(col + " <> ''")
		}
		return nil
	}
	switch k.kind {
	case boolean:
		b, ok := boolValue(v)
		if !ok || (op != filter.Eq && op != filter.Ne) {
			return unsupported("%s is a boolean: use eq or ne with true or false", attr)
		}
		if op == filter.Ne {
			b = !b
		}
		c.sb.WriteString(col + " = ?")
		c.args = append(c.args, boolInt(b))
		return nil
	case timestamp:
		ts, err := timeLiteral(v, attr)
		if err != nil {
			return err
		}
		return c.textOp(col, op, formatTime(ts), attr)
	}
	if v.Kind == filter.Null {
		if op != filter.Eq && op != filter.Ne {
			return unsupported("null can only be compared with eq or ne (%s)", attr)
		}
		switch {
		case !k.optional:
			// Never absent: eq null matches none, ne null all.
			c.sb.WriteString(map[bool]string{true: "1 = 0", false: "1 = 1"}[op == filter.Eq])
		case op == filter.Eq:
			c.sb.WriteString(col + " = ''")
		default:
			c.sb.WriteString(col + " <> ''")
		}
		return nil
	}
	s := literalText(v)
	if k.kind == foldedText {
		s = Fold(s)
	}
	if !k.optional {
		return c.textOp(col, op, s, attr)
	}
	// '' stands for absent: it matches ne and nothing else.
	if op == filter.Ne {
		c.sb.WriteString("(" + col + " = '' OR ")
	} else {
		c.sb.WriteString("(" + col + " <> '' AND ")
	}
	if err := c.textOp(col, op, s, attr); err != nil {
		return err
	}
	c.sb.WriteString(")")
	return nil
}

func timeLiteral(v filter.Value, attr string) (time.Time, error) {
	if v.Kind != filter.String {
		return time.Time{}, unsupported("%s is a dateTime: compare it with a quoted RFC 3339 timestamp", attr)
	}
	ts, err := time.Parse(time.RFC3339Nano, v.Str)
	if err != nil {
		return time.Time{}, unsupported("%s is a dateTime, and %q is not an RFC 3339 timestamp", attr, v.Str)
	}
	// Timestamps are stored as fixed-width text, which orders only the
	// years 0000-9999: "10000-…" would sort before "2026-…".
	if y := ts.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, unsupported("%s is a dateTime, and %q is not between the years 0000 and 9999 in UTC", attr, v.Str)
	}
	return ts, nil
}

func literalText(v filter.Value) string {
	switch v.Kind {
	case filter.Bool:
		return fmt.Sprint(v.Bool)
	}
	return v.Str
}

// jsonCond writes one comparison on a value read from the stored JSON,
// typed by its schema attribute. A JSON value may be absent (NULL), and SQL
// would make the comparison unknown, which NOT can't turn into true. So
// every condition here is two-valued, as scim.Match defines: an absent
// value matches ne and nothing else.
func (c *compiler) jsonCond(expr string, a *scim.Attribute, op filter.Op, v filter.Value, attr string) error {
	if op == filter.Pr || v.Kind == filter.Null {
		return c.jsonCondRaw(expr, a, op, v, attr)
	}
	if op == filter.Ne {
		c.sb.WriteString("(" + expr + " IS NULL OR ")
	} else {
		c.sb.WriteString("(" + expr + " IS NOT NULL AND ")
	}
	if err := c.jsonCondRaw(expr, a, op, v, attr); err != nil {
		return err
	}
	c.sb.WriteString(")")
	return nil
}

func (c *compiler) jsonCondRaw(expr string, a *scim.Attribute, op filter.Op, v filter.Value, attr string) error {
	if op == filter.Pr {
		if a.Type == scim.TypeBoolean || a.Type == scim.TypeInteger || a.Type == scim.TypeDecimal {
			c.sb.WriteString(expr + " IS NOT NULL")
		} else {
			c.sb.WriteString("(" + expr + " IS NOT NULL AND " + expr + " <> '')")
		}
		return nil
	}
	if v.Kind == filter.Null {
		switch op {
		case filter.Eq:
			c.sb.WriteString(expr + " IS NULL")
		case filter.Ne:
			c.sb.WriteString(expr + " IS NOT NULL")
		default:
			return unsupported("null can only be compared with eq or ne (%s)", attr)
		}
		return nil
	}
	switch a.Type {
	case scim.TypeBoolean:
		b, ok := boolValue(v)
		if !ok || (op != filter.Eq && op != filter.Ne) {
			return unsupported("%s is a boolean: use eq or ne with true or false", attr)
		}
		if op == filter.Ne {
			b = !b
		}
		c.sb.WriteString(c.d.JSONBoolIs(expr, b))
		return nil
	case scim.TypeInteger, scim.TypeDecimal:
		if v.Kind != filter.Number {
			return unsupported("%s is a number: compare it with a number", attr)
		}
		sqlOp, ok := orderOps[op]
		if !ok {
			return unsupported("operator %q does not apply to the number %s", op, attr)
		}
		c.sb.WriteString(c.d.JSONNumber(expr) + " " + sqlOp + " ?")
		c.args = append(c.args, v.Num)
		return nil
	case scim.TypeBinary:
		if op != filter.Eq && op != filter.Ne {
			return unsupported("%s is binary: only eq, ne and pr apply", attr)
		}
	case scim.TypeDateTime:
		if _, err := timeLiteral(v, attr); err != nil {
			return err
		}
	}
	s := literalText(v)
	if !a.CaseExact {
		// The stored value is folded in SQL by FoldFunction, the literal
		// here by Fold: the same mapping (fold.go), on both backends.
		return c.textOp(foldSQL(expr), op, Fold(s), attr)
	}
	return c.textOp(expr, op, s, attr)
}

var orderOps = map[filter.Op]string{filter.Eq: "=", filter.Ne: "<>", filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<="}

// textOp compares col with the literal s, bound as an argument.
func (c *compiler) textOp(col string, op filter.Op, s, attr string) error {
	const ph = "?"
	switch op {
	case filter.Eq, filter.Ne, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		c.sb.WriteString(col + " " + orderOps[op] + " " + ph)
		c.args = append(c.args, s)
	case filter.Co:
		c.sb.WriteString(c.d.Contains(col, ph))
		c.args = append(c.args, s)
	case filter.Sw:
		// substr, not LIKE: neither LIKE's wildcards nor its case rules
		// may change the meaning.
		c.sb.WriteString("substr(" + col + ", 1, length(" + ph + ")) = " + ph)
		c.args = append(c.args, s, s)
	case filter.Ew:
		c.sb.WriteString("(length(" + col + ") >= length(" + ph + ") AND substr(" + col + ", length(" + col + ") - length(" + ph + ") + 1) = " + ph + ")")
		c.args = append(c.args, s, s, s)
	default:
		return unsupported("operator %q is not supported on %s", op, attr)
	}
	return nil
}

func boolValue(v filter.Value) (bool, bool) {
	switch v.Kind {
	case filter.Bool:
		return v.Bool, true
	case filter.String:
		return scim.ParseBool(v.Str)
	}
	return false, false
}

// Selective reports whether f pins its matches through an index: some
// conjunct at the top is an equality on an indexed column (userName,
// externalId, id, displayName) or on an indexed child value (emails.value,
// members.value, groups.value).
func selective(attrs filterAttrs, f filter.Expr) bool {
	switch t := f.(type) {
	case filter.And:
		return selective(attrs, t.Left) || selective(attrs, t.Right)
	case filter.Compare:
		if t.Op != filter.Eq || (t.Path.URN != "" && !attrs.rt.Schema.Is(t.Path.URN)) {
			return false
		}
		name := strings.ToLower(t.Path.Name)
		if t.Path.Sub == "" {
			switch name {
			case "id", "username", "externalid", "displayname":
				_, ok := attrs.simple[name]
				return ok
			}
		}
		_, ok := attrs.child[name]
		return ok && (t.Path.Sub == "" || strings.EqualFold(t.Path.Sub, "value"))
	case filter.ValuePath:
		_, ok := attrs.child[strings.ToLower(t.Path.Name)]
		return ok && valueEq(t.Filter)
	}
	return false
}

// pinned reports whether some conjunct at the top of f is an equality on
// an indexed column of the resource's own table (id, userName, externalId,
// displayName) with a value (eq null matches every row without one).
func pinned(attrs filterAttrs, f filter.Expr) bool {
	switch t := f.(type) {
	case filter.And:
		return pinned(attrs, t.Left) || pinned(attrs, t.Right)
	case filter.Compare:
		if t.Op != filter.Eq || t.Value.Kind == filter.Null || t.Path.Sub != "" || (t.Path.URN != "" && !attrs.rt.Schema.Is(t.Path.URN)) {
			return false
		}
		switch name := strings.ToLower(t.Path.Name); name {
		case "id", "username", "externalid", "displayname":
			_, ok := attrs.simple[name]
			return ok
		}
	}
	return false
}

// valueEq reports whether a value filter's top conjuncts include value eq.
func valueEq(f filter.Expr) bool {
	switch t := f.(type) {
	case filter.And:
		return valueEq(t.Left) || valueEq(t.Right)
	case filter.Compare:
		return t.Op == filter.Eq && strings.EqualFold(t.Path.Name, "value") && t.Path.Sub == ""
	}
	return false
}

// orderBy compiles a sortBy attribute into an ORDER BY clause. Strings that
// are not caseExact sort case-insensitively; a multi-valued attribute sorts
// by its primary (else first) value; resources without the attribute sort
// last either way. Creation time and id always end the order, so pages are
// stable.
func orderBy(d Dialect, attrs filterAttrs, alias, teamID string, rt *scim.ResourceType, sortBy string, desc bool, selective bool) (string, []any, error) {
	tail := alias + ".created, " + alias + ".id"
	if selective && d.UnindexedOrder != nil {
		// The filter pins a few rows through an index; ordering them is
		// cheap, and walking the team in order to find them is not.
		tail = d.UnindexedOrder(alias+".created") + ", " + d.UnindexedOrder(alias+".id")
	}
	if sortBy == "" {
		return " ORDER BY " + tail, nil, nil
	}
	p, err := filter.ParsePath(sortBy, filter.Limits{})
	if err != nil || p.Filter != nil {
		return "", nil, &store.InvalidSortError{Reason: fmt.Sprintf("sortBy %q is not an attribute path", sortBy)}
	}
	c := newCompiler(d, attrs, alias, teamID, rt)
	tg, err := c.resolve(p.Attr)
	if err != nil {
		return "", nil, &store.InvalidSortError{Reason: strings.Replace(err.Error(), "filter", "sort", 1)}
	}
	var expr string
	switch {
	case tg.col != nil:
		expr = alias + "." + tg.col.name
		if tg.col.optional {
			// '' stands for absent, which sorts last like a missing
			// JSON value.
			expr = "NULLIF(" + expr + ", '')"
		}
	case tg.child != nil && tg.child.table == "user_emails":
		expr = "(SELECT x.value_key FROM user_emails x WHERE x.team_id = " + alias + ".team_id AND x.user_id = " + alias + ".id ORDER BY x.is_primary DESC, x.value_key LIMIT 1)"
	case tg.attr != nil && tg.attr.MultiValued && tg.attr.Type == scim.TypeComplex && tg.json != nil:
		sub := tg.sub
		if sub == nil {
			sub = tg.attr.Sub("value")
		}
		if sub == nil { // addresses has no value to sort by
			return "", nil, &store.InvalidSortError{Reason: fmt.Sprintf("sortBy %q names a complex attribute; name a sub-attribute", sortBy)}
		}
		from, elem := d.JSONEach(alias+".attrs", tg.json, "j")
		v := elem([]string{sub.Name})
		if !sub.CaseExact && sub.Type == scim.TypeString {
			v = foldSQL(v)
		}
		expr = "(SELECT " + v + " FROM " + from + " ORDER BY " + d.JSONBoolIs(elem([]string{"primary"}), true) + " DESC LIMIT 1)"
	case tg.attr != nil && !tg.attr.MultiValued && tg.json != nil:
		a, path := tg.attr, tg.json
		if a.Type == scim.TypeComplex {
			if tg.sub == nil {
				return "", nil, &store.InvalidSortError{Reason: fmt.Sprintf("sortBy %q names a complex attribute; name a sub-attribute", sortBy)}
			}
			a, path = tg.sub, append(path, tg.sub.Name)
		}
		expr = d.JSONValue(alias+".attrs", path)
		if !a.CaseExact && a.Type == scim.TypeString {
			expr = foldSQL(expr)
		}
	default:
		return "", nil, &store.InvalidSortError{Reason: fmt.Sprintf("can't sort by %q", sortBy)}
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return " ORDER BY (" + expr + ") IS NULL, " + expr + dir + ", " + tail, c.args, nil
}
