package filter

import (
	"strconv"
	"strings"
)

// Format prints e as a canonical filter that Parse reads back to an equal
// AST. Operands that are themselves and/or expressions are parenthesised,
// so precedence is explicit in logs and error messages, except that a
// left-nested chain of the same operator prints flat: Or{Or{a, b}, c} is
// `a or b or c`, Or{a, And{b, c}} is `a or (b and c)`. Strings are quoted
// (barewords included), numbers keep their literal text, and keywords and
// operators are lower-case.
//
// Because of the added parentheses the output can nest up to about twice
// as deep as the input did.
func Format(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch t := e.(type) {
	case Compare:
		writeCompare(b, t)
	case And:
		writeChain(b, t, "and")
	case Or:
		writeChain(b, t, "or")
	case Not:
		b.WriteString("not (")
		writeExpr(b, t.X)
		b.WriteByte(')')
	case ValuePath:
		b.WriteString(t.Path.String())
		b.WriteByte('[')
		writeExpr(b, t.Filter)
		b.WriteByte(']')
	case nil:
		b.WriteString("<nil>")
	default:
		b.WriteString("<invalid>")
	}
}

// writeChain prints a left-nested chain of one logical operator flat. The
// chain is collected iteratively so a long or-chain costs no recursion.
func writeChain(b *strings.Builder, e Expr, kw string) {
	var rights []Expr
	for {
		l, r, ok := split(e, kw)
		if !ok {
			break
		}
		rights = append(rights, r)
		e = l
	}
	writeOperand(b, e)
	for i := len(rights) - 1; i >= 0; i-- {
		b.WriteString(" " + kw + " ")
		writeOperand(b, rights[i])
	}
}

// split returns the operands of e if it is the logical operator kw.
func split(e Expr, kw string) (l, r Expr, ok bool) {
	switch t := e.(type) {
	case And:
		return t.Left, t.Right, kw == "and"
	case Or:
		return t.Left, t.Right, kw == "or"
	}
	return nil, nil, false
}

func writeOperand(b *strings.Builder, e Expr) {
	switch e.(type) {
	case And, Or:
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
	default:
		writeExpr(b, e)
	}
}

func writeCompare(b *strings.Builder, c Compare) {
	b.WriteString(c.Path.String())
	b.WriteByte(' ')
	b.WriteString(string(c.Op))
	if c.Op == Pr {
		return
	}
	b.WriteByte(' ')
	writeValue(b, c.Value)
}

func writeValue(b *strings.Builder, v Value) {
	switch v.Kind {
	case Number:
		if v.Str == "" { // built by hand rather than parsed
			b.WriteString(strconv.FormatFloat(v.Num, 'g', -1, 64))
		} else {
			b.WriteString(v.Str)
		}
	case Bool:
		if v.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Null:
		b.WriteString("null")
	default:
		quoteJSON(b, v.Str)
	}
}
