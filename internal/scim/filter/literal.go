package filter

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseString parses a JSON string literal at the cursor (which is at the
// opening quote) and returns it unescaped.
func (p *parser) parseString() (string, error) {
	open := p.pos
	p.pos++
	// Fast path: most strings have no escapes and need no copy.
	if i := strings.IndexAny(p.s[p.pos:], "\"\\"); i >= 0 && p.s[p.pos+i] == '"' && !hasControl(p.s[p.pos:p.pos+i]) {
		s := p.s[p.pos : p.pos+i]
		p.pos += i + 1
		return s, nil
	}
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			if err := p.parseEscape(&b); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.errorf(p.pos, "control character %q in string; JSON strings must escape it", rune(c))
		default:
			// Copy the run of ordinary bytes in one go.
			i := p.pos
			for i < len(p.s) && p.s[i] != '"' && p.s[i] != '\\' && p.s[i] >= 0x20 {
				i++
			}
			b.WriteString(p.s[p.pos:i])
			p.pos = i
		}
	}
	return "", p.errorf(open, `unterminated string: expected a closing '"' for the string that starts here, found end of input`)
}

// parseEscape parses one backslash escape at the cursor into b.
func (p *parser) parseEscape(b *strings.Builder) error {
	at := p.pos
	p.pos++ // the backslash
	if p.eof() {
		return p.errorf(at, `unterminated escape sequence: expected one of \" \\ \/ \b \f \n \r \t \uXXXX, found end of input`)
	}
	c := p.s[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, err := p.parseUnicodeEscape(at)
		if err != nil {
			return err
		}
		b.WriteRune(r)
	default:
		p.pos = at
		return p.errorf(at, `invalid escape sequence: expected one of \" \\ \/ \b \f \n \r \t \uXXXX, found %s`, p.found())
	}
	return nil
}

// parseUnicodeEscape parses the XXXX of \uXXXX (the cursor is after the u),
// joining a UTF-16 surrogate pair when a second \uXXXX follows. Lone
// surrogates become U+FFFD, as encoding/json does.
func (p *parser) parseUnicodeEscape(at int) (rune, error) {
	r, ok := hex4(p.s[p.pos:])
	if !ok {
		return 0, p.errorf(at, `invalid \u escape: expected four hex digits`)
	}
	p.pos += 4
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	rest := p.s[p.pos:]
	if len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
		if r2, ok := hex4(rest[2:]); ok {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				p.pos += 6
				return dec, nil
			}
		}
	}
	return utf8.RuneError, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 {
			return true
		}
	}
	return false
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := range 4 {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// isJSONNumber reports whether s is exactly a JSON number (RFC 8259 §6):
// -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// quoteJSON writes s as a JSON string literal that parseString reads back
// to s. Unlike strconv.Quote it uses only JSON escapes, and it leaves
// non-ASCII (and even invalid UTF-8) bytes as they are, since the parser
// copies such bytes through unchanged.
func quoteJSON(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
