package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// The filter compiler turns a parsed SCIM filter into a parameterised SQL
// condition. Values are always bound as arguments, never spliced into the
// SQL text. An attribute without a column gets an UnsupportedFilterError,
// which the SCIM layer answers with 400 invalidFilter: never a scan that
// silently returns nothing.

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
}

// multiTable maps a multi-valued attribute to its child table.
type multiTable struct {
	table string
	fk    string            // the child's column holding the parent id
	subs  map[string]column // sub-attribute (lower-case) to column
}

type filterAttrs struct {
	resource string
	coreURN  string
	simple   map[string]column // "username", "meta.created", …
	multi    map[string]multiTable
}

var userFilterAttrs = filterAttrs{
	resource: "User",
	coreURN:  "urn:ietf:params:scim:schemas:core:2.0:user",
	simple: map[string]column{
		"id":                {"id", exactText},
		"username":          {"user_name_key", foldedText},
		"externalid":        {"external_id", exactText},
		"displayname":       {"display_name_key", foldedText},
		"active":            {"active", boolean},
		"meta.created":      {"created", timestamp},
		"meta.lastmodified": {"modified", timestamp},
	},
	multi: map[string]multiTable{
		"emails": {table: "user_emails", fk: "user_id", subs: map[string]column{
			"value": {"value_key", foldedText},
		}},
	},
}

var groupFilterAttrs = filterAttrs{
	resource: "Group",
	coreURN:  "urn:ietf:params:scim:schemas:core:2.0:group",
	simple: map[string]column{
		"id":                {"id", exactText},
		"displayname":       {"display_name_key", foldedText},
		"externalid":        {"external_id", exactText},
		"meta.created":      {"created", timestamp},
		"meta.lastmodified": {"modified", timestamp},
	},
	multi: map[string]multiTable{
		"members": {table: "group_members", fk: "group_id", subs: map[string]column{
			"value": {"user_id", exactText},
		}},
	},
}

type compiler struct {
	d     Dialect
	attrs filterAttrs
	alias string
	args  []any
	sb    strings.Builder
}

// compileFilter returns " AND (cond)" and its arguments, or "" for no filter.
func compileFilter(d Dialect, attrs filterAttrs, alias string, f filter.Expr) (string, []any, error) {
	if f == nil {
		return "", nil, nil
	}
	c := &compiler{d: d, attrs: attrs, alias: alias}
	c.sb.WriteString(" AND (")
	if err := c.expr(f); err != nil {
		return "", nil, err
	}
	c.sb.WriteString(")")
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

// attrKey resolves a path to the lower-case key of the attribute maps.
func (c *compiler) attrKey(p filter.AttrPath) (string, string, error) {
	if p.URN != "" && !strings.EqualFold(p.URN, c.attrs.coreURN) {
		return "", "", unsupported("filtering on %q is not supported", p.String())
	}
	return strings.ToLower(p.Name), strings.ToLower(p.Sub), nil
}

func (c *compiler) compare(t filter.Compare) error {
	name, sub, err := c.attrKey(t.Path)
	if err != nil {
		return err
	}
	full := name
	if sub != "" {
		full += "." + sub
	}
	if col, ok := c.attrs.simple[full]; ok {
		return c.cond(c.alias+"."+col.name, col, t.Op, t.Value, t.Path.String())
	}
	if mt, ok := c.attrs.multi[name]; ok {
		if sub == "" {
			sub = "value" // `emails co "x"` compares each element's value
		}
		col, ok := mt.subs[sub]
		if !ok {
			return unsupported("filtering on %q is not supported", t.Path.String())
		}
		c.existsOpen(mt)
		if err := c.cond("x."+col.name, col, t.Op, t.Value, t.Path.String()); err != nil {
			return err
		}
		c.sb.WriteString(")")
		return nil
	}
	return unsupported("filtering on %q is not supported for %ss", t.Path.String(), c.attrs.resource)
}

func (c *compiler) existsOpen(mt multiTable) {
	fmt.Fprintf(&c.sb, "EXISTS (SELECT 1 FROM %s x WHERE x.team_id = %s.team_id AND x.%s = %s.id AND ", mt.table, c.alias, mt.fk, c.alias)
}

// valuePath compiles emails[type eq "work" and value eq "x"] into one
// EXISTS over the child table, so all terms hold for the same element.
func (c *compiler) valuePath(t filter.ValuePath) error {
	name, _, err := c.attrKey(t.Path)
	if err != nil {
		return err
	}
	mt, ok := c.attrs.multi[name]
	if !ok {
		return unsupported("value filters on %q are not supported", t.Path.String())
	}
	c.existsOpen(mt)
	if err := c.inner(mt, t.Filter, t.Path.Name); err != nil {
		return err
	}
	c.sb.WriteString(")")
	return nil
}

func (c *compiler) inner(mt multiTable, e filter.Expr, parent string) error {
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
		if err := c.inner(mt, l, parent); err != nil {
			return err
		}
		c.sb.WriteString(op)
		if err := c.inner(mt, r, parent); err != nil {
			return err
		}
		c.sb.WriteString(")")
		return nil
	case filter.Not:
		c.sb.WriteString("NOT (")
		if err := c.inner(mt, t.X, parent); err != nil {
			return err
		}
		c.sb.WriteString(")")
		return nil
	case filter.Compare:
		col, ok := mt.subs[strings.ToLower(t.Path.Name)]
		if !ok || t.Path.Sub != "" || t.Path.URN != "" {
			return unsupported("filtering on %s.%s is not supported", parent, t.Path.String())
		}
		return c.cond("x."+col.name, col, t.Op, t.Value, parent+"."+t.Path.Name)
	}
	return unsupported("value filters can't be nested")
}

// cond writes one comparison on one column.
func (c *compiler) cond(col string, k column, op filter.Op, v filter.Value, attr string) error {
	if op == filter.Pr {
		switch k.kind {
		case boolean:
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
		sqlOp := "="
		if op == filter.Ne {
			sqlOp = "<>"
		}
		c.sb.WriteString(col + " " + sqlOp + " ?")
		c.args = append(c.args, boolInt(b))
		return nil
	case timestamp:
		if v.Kind != filter.String {
			return unsupported("%s is a dateTime: compare it with a quoted RFC 3339 timestamp", attr)
		}
		ts, err := time.Parse(time.RFC3339Nano, v.Str)
		if err != nil {
			return unsupported("%s is a dateTime, and %q is not an RFC 3339 timestamp", attr, v.Str)
		}
		return c.textOp(col, op, formatTime(ts), attr)
	}
	var s string
	switch v.Kind {
	case filter.String:
		s = v.Str
	case filter.Number:
		s = v.Str
	case filter.Bool:
		s = fmt.Sprint(v.Bool)
	case filter.Null:
		// Stored strings are never null: eq null matches none, ne null all.
		if op == filter.Eq {
			c.sb.WriteString("1 = 0")
		} else {
			c.sb.WriteString("1 = 1")
		}
		return nil
	}
	if k.kind == foldedText {
		s = Fold(s)
	}
	return c.textOp(col, op, s, attr)
}

func (c *compiler) textOp(col string, op filter.Op, s, attr string) error {
	switch op {
	case filter.Eq, filter.Ne, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		sqlOp := map[filter.Op]string{filter.Eq: "=", filter.Ne: "<>", filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<="}[op]
		c.sb.WriteString(col + " " + sqlOp + " ?")
		c.args = append(c.args, s)
	case filter.Co:
		c.sb.WriteString(c.d.Contains(col, "?"))
		c.args = append(c.args, s)
	case filter.Sw:
		// A prefix is compared on substr so that neither LIKE's wildcards
		// nor its case rules interfere.
		c.sb.WriteString("substr(" + col + ", 1, length(?)) = ?")
		c.args = append(c.args, s, s)
	case filter.Ew:
		c.sb.WriteString("(length(" + col + ") >= length(?) AND substr(" + col + ", length(" + col + ") - length(?) + 1) = ?)")
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
		switch strings.ToLower(v.Str) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
