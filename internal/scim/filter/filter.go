// Package filter parses SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths
// (RFC 7644 §3.5.2) into a small AST.
//
// The parser is hand-written and bounded: input length, AST node count and
// nesting depth are all limited before or while parsing, so hostile input
// (deep parentheses, huge strings, long or-chains) yields an *Error instead
// of exhausting the stack or the CPU.
//
// It is deliberately a little more lenient than the RFC grammar, because
// real identity providers send filters that the RFC does not allow:
//   - an unquoted bareword value that is not true/false/null or a number is
//     taken as a string (`userName sw O`,
//     `meta.created gt 2015-10-10T14:38:21.86-07:00`);
//   - `attr[f].sub op v` (sent by Microsoft Entra) is read as
//     `attr[f and sub op v]`;
//   - spaces and tabs may repeat, surround the filter, and pad the inside of
//     parentheses and brackets.
package filter

import (
	"fmt"
	"strings"
)

// Limits bound the work a hostile filter can cause.
type Limits struct {
	MaxLength int // bytes; 0 means DefaultMaxLength (8192)
	MaxNodes  int // AST nodes (comparisons + logical nodes + value paths); 0 means DefaultMaxNodes (200)
}

const (
	// DefaultMaxLength is the input length limit used when Limits.MaxLength is 0.
	DefaultMaxLength = 8192
	// DefaultMaxNodes is the AST node limit used when Limits.MaxNodes is 0.
	DefaultMaxNodes = 200
	// MaxDepth bounds nesting of parentheses, not(...) and value-path
	// brackets. The parser recurses once per level, so this is what keeps
	// 100,000 nested "(" from overflowing the goroutine stack.
	MaxDepth = 64
)

// normalize returns the effective limits; zero or negative means default.
func (l Limits) normalize() (maxLength, maxNodes int) {
	maxLength, maxNodes = l.MaxLength, l.MaxNodes
	if maxLength <= 0 {
		maxLength = DefaultMaxLength
	}
	if maxNodes <= 0 {
		maxNodes = DefaultMaxNodes
	}
	return maxLength, maxNodes
}

// AttrPath names an attribute: optional schema URN, attribute name, optional sub-attribute.
// Names keep the case the client wrote; callers compare case-insensitively.
type AttrPath struct {
	URN  string // e.g. "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"; "" when not qualified
	Name string // e.g. "emails", "userName", "employeeNumber", "meta"
	Sub  string // e.g. "value" in emails.value, "familyName" in name.familyName; "" when none
}

// String returns the canonical text form: "urn:...:Name.Sub", "Name.Sub" or "Name".
func (p AttrPath) String() string {
	s := p.Name
	if p.URN != "" {
		s = p.URN + ":" + s
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// Expr is a filter AST node: Compare, And, Or, Not or ValuePath.
type Expr interface{ expr() }

// Op is a comparison operator; always lower-case.
type Op string

// Comparison operators of RFC 7644 §3.4.2.2.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
	Pr Op = "pr"
)

// ValueKind says which field of a Value is meaningful.
type ValueKind int

// Kinds of comparison value.
const (
	String ValueKind = iota
	Number
	Bool
	Null
)

// Value is a comparison literal.
type Value struct {
	Kind ValueKind
	Str  string  // String: the unescaped string; Number: the literal text as written (e.g. "42", "-1.5e3")
	Num  float64 // Number
	Bool bool    // Bool
}

// Compare is `path op value`, or `path pr` with a zero Value.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value Value // zero for pr
}

// And is `Left and Right`.
type And struct{ Left, Right Expr }

// Or is `Left or Right`.
type Or struct{ Left, Right Expr }

// Not is `not (X)`.
type Not struct{ X Expr }

// ValuePath is attr[filter] used as a filter term, e.g. emails[type eq "work" and value co "@x.com"].
// Paths inside Filter are relative to the complex attribute: `type` parses as AttrPath{Name:"type"}.
//
// The non-standard term `attr[f].sub op v` parses as ValuePath{attr, And{f, sub op v}},
// i.e. as `attr[f and sub op v]`.
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (Compare) expr()   {}
func (And) expr()       {}
func (Or) expr()        {}
func (Not) expr()       {}
func (ValuePath) expr() {}

// Error is returned for every parse failure; Pos is a 0-based byte offset into the input.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg) }

// Path is a PATCH operation path (RFC 7644 §3.5.2): attrPath / valuePath [ "." subAttr ].
type Path struct {
	Attr   AttrPath // Attr.Sub set for `attr.sub`
	Filter Expr     // non-nil for attr[filter]
	Sub    string   // sub-attribute after the ] in attr[filter].sub
}

// String returns the canonical text form of the path, which ParsePath
// reads back to an equal Path.
func (p Path) String() string {
	if p.Filter == nil {
		return p.Attr.String()
	}
	var b strings.Builder
	b.WriteString(p.Attr.String())
	b.WriteByte('[')
	writeExpr(&b, p.Filter)
	b.WriteByte(']')
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}
