package provlog

import (
	"net/url"
	"strings"
)

// RedactFilter replaces, in a SCIM filter, the value compared with every
// attribute whose name is a secret name (IsSecretName: password, token,
// secret, key, in any case; URN-qualified, as a sub-attribute, inside
// and/or/not and value paths) by "[REDACTED]", and reports whether it
// replaced any: `userName eq "a" and PASSWORD eq "x"` becomes
// `userName eq "a" and PASSWORD eq "[REDACTED]"`. Everything else is kept
// as written, so the log still shows what the IdP asked for.
//
// It reads the filter the way the filter parser does, but never fails: a
// malformed filter (which the server refused) is still redacted where it
// names a secret: the value runs to the next space, parenthesis or
// bracket outside a string, or to the end of an unterminated string.
func RedactFilter(f string) (string, bool) {
	const (
		wantAttr = iota
		wantOp
		wantValue
	)
	var out strings.Builder
	state, secret, changed, last := wantAttr, false, false, 0
	for i := 0; i < len(f); {
		c := f[i]
		switch {
		case isFilterSpace(c):
			i++
			continue
		case c == '(' || c == ')' || c == '[' || c == ']':
			state = wantAttr // a group, a value path or its end
			i++
			continue
		}
		if state == wantValue || (state == wantOp && secret && c == '"') {
			// The value (or, in a filter missing its operator, a quoted
			// string right after a secret attribute).
			end := valueEnd(f, i)
			if secret {
				out.WriteString(f[last:i])
				out.WriteString(`"` + Redacted + `"`)
				last, changed = end, true
			}
			state, i = wantAttr, end
			continue
		}
		if c == '"' {
			i = stringEnd(f, i) // a string where none belongs: skipped
			continue
		}
		end := i
		for end < len(f) && !isFilterSpace(f[end]) && !strings.ContainsRune(`()[]"`, rune(f[end])) {
			end++
		}
		word := f[i:end]
		switch state {
		case wantAttr:
			switch strings.ToLower(word) {
			case "and", "or", "not":
			default:
				state, secret = wantOp, isSecretAttr(word)
			}
		case wantOp:
			// The operator is the word's run of name characters, as the
			// parser reads it: in `eq!x` the value "!x" follows at once.
			op := word
			for j := 0; j < len(word); j++ {
				if c := word[j]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
					op = word[:j]
					break
				}
			}
			switch strings.ToLower(op) {
			case "pr":
				state, end = wantAttr, i+len(op)
			case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
				state, end = wantValue, i+len(op)
			default:
				if secret {
					// No operator: this may be the value.
					out.WriteString(f[last:i])
					out.WriteString(`"` + Redacted + `"`)
					end = valueEnd(f, i)
					last, changed = end, true
				}
				state = wantAttr
			}
		}
		i = end
	}
	if !changed {
		return f, false
	}
	out.WriteString(f[last:])
	return out.String(), true
}

func isFilterSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isSecretAttr reports whether an attribute path names a secret: its
// attribute (and sub-attribute) after any schema URN, and after the "."
// of `emails[...].sub`.
func isSecretAttr(path string) bool {
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		path = path[i+1:]
	}
	return IsSecretName(path)
}

// valueEnd returns where the value starting at f[i] ends: after its
// closing quote for a string (the parser reads `"x"and` as a string and
// "and"), else at a space, parenthesis or bracket outside a string: a
// bareword with a string stuck to it (`hun"ter2"`, which the parser
// refuses) is one value, so no part of it escapes.
func valueEnd(f string, i int) int {
	if i < len(f) && f[i] == '"' {
		return stringEnd(f, i)
	}
	for i < len(f) {
		switch c := f[i]; {
		case c == '"':
			i = stringEnd(f, i)
		case isFilterSpace(c) || c == '(' || c == ')' || c == '[' || c == ']':
			return i
		default:
			i++
		}
	}
	return i
}

// stringEnd returns the offset after the string literal starting at f[i]
// (a quote): after its closing quote, or len(f) when it has none.
func stringEnd(f string, i int) int {
	for i++; i < len(f); i++ {
		switch f[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(f)
}

// redactFilterParam redacts a raw (URL-encoded) filter parameter value,
// re-encoding it when anything was redacted.
func redactFilterParam(raw string) (string, bool) {
	f, changed := RedactFilter(unescapeLenient(raw))
	if !changed {
		return raw, false
	}
	return url.QueryEscape(f), true
}

// unescapeLenient decodes a query value as the server does (+ is a space,
// %XX a byte), but keeps a malformed % escape as written instead of
// failing: the server ignores such a parameter, and the log must not show
// the secret in it either.
func unescapeLenient(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
