package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// TextError reports a JSON string that isn't Unicode text: raw bytes that
// aren't UTF-8, or a \u escape of half a UTF-16 surrogate pair. Go's JSON
// decoder turns both into U+FFFD without a word, so a body holding them
// would be stored changed; CheckText finds them first.
type TextError struct {
	// Path is where the string is, as attribute names and 1-based list
	// positions: "emails[2].value", "Operations[1].value.displayName";
	// "" for a top-level string.
	Path string
	// Key says the string is a member name of the object at Path, not
	// the value at Path.
	Key bool
	// Offset is the byte offset of the offending byte or escape.
	Offset int
	// Escape is the \uXXXX escape of a lone surrogate, "" for bad bytes.
	Escape string
}

func (e *TextError) Error() string {
	what := "is not valid UTF-8"
	if e.Escape != "" {
		what = fmt.Sprintf("holds %s, half of a UTF-16 surrogate pair without its other half, which is not a character", e.Escape)
	} else {
		what += fmt.Sprintf(" (at byte %d of the body)", e.Offset)
	}
	switch {
	case e.Key && e.Path == "":
		return "a member name " + what
	case e.Key:
		return fmt.Sprintf("a member name in %q %s", e.Path, what)
	case e.Path == "":
		return "the body's string " + what
	}
	return fmt.Sprintf("attribute %q %s", e.Path, what)
}

// CheckText returns a *TextError for the first string in the JSON
// document doc that isn't Unicode text, and nil when every string is. doc
// should be valid JSON (decode it first: a syntax error is a different
// answer); on anything else it returns without panicking and may miss
// what the syntax error hides. It runs in time linear in len(doc), and a
// document of valid UTF-8 without "\uD8" to "\uDF" escapes costs one
// utf8.Valid pass.
func CheckText(doc []byte) *TextError {
	if utf8.Valid(doc) && !mayHaveSurrogateEscape(doc) {
		return nil
	}
	type frame struct {
		object  bool
		wantKey bool
		key     string
		n       int // list position, from 0
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if f.wantKey {
					break // the key of this member isn't read yet
				}
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
				continue
			}
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.n + 1))
			b.WriteByte(']')
		}
		return b.String()
	}
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 {
				f := &stack[len(stack)-1]
				if f.object {
					f.wantKey = true
				} else {
					f.n++
				}
			}
		case '"':
			end, bad, esc := scanString(doc, i)
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			if bad >= 0 {
				// While a key is awaited, path() names the object it is in.
				return &TextError{Path: path(), Key: isKey, Offset: bad, Escape: esc}
			}
			if isKey {
				f := &stack[len(stack)-1]
				var k string
				if json.Unmarshal(doc[i:end], &k) != nil {
					k = string(doc[i+1 : max(i+1, end-1)])
				}
				f.key, f.wantKey = k, false
			}
			i = end
			continue
		}
		i++
	}
	return nil
}

// mayHaveSurrogateEscape reports whether doc may hold a \u escape of a
// surrogate (\uD800 to \uDFFF). It may say yes for a "\\uD800" that is
// an escaped backslash; CheckText's scan tells them apart.
func mayHaveSurrogateEscape(doc []byte) bool {
	for i := 0; i+3 < len(doc); i++ {
		if doc[i] == '\\' && doc[i+1] == 'u' && (doc[i+2]|0x20) == 'd' {
			switch doc[i+3] | 0x20 {
			case '8', '9', 'a', 'b', 'c', 'd', 'e', 'f':
				return true
			}
		}
	}
	return false
}

// scanString reads the JSON string starting at doc[i] (a quote). It
// returns the offset after its closing quote (len(doc) when it has none),
// and the offset of the first byte that isn't UTF-8 or lone surrogate
// escape (-1 when there is none), with the escape's text for the latter.
func scanString(doc []byte, i int) (end, bad int, esc string) {
	j := i + 1
	for j < len(doc) {
		c := doc[j]
		switch {
		case c == '"':
			return j + 1, -1, ""
		case c == '\\':
			if j+1 < len(doc) && doc[j+1] == 'u' {
				r, ok := hex4(doc, j+2)
				if !ok {
					j += 2
					continue
				}
				if !utf16.IsSurrogate(r) {
					j += 6
					continue
				}
				if r < 0xDC00 && j+11 < len(doc) && doc[j+6] == '\\' && doc[j+7] == 'u' {
					if r2, ok := hex4(doc, j+8); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
						j += 12 // a high and a low surrogate: one character
						continue
					}
				}
				return scanEnd(doc, j), j, string(doc[j : j+6])
			}
			j += 2
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(doc[j:])
			if r == utf8.RuneError && size <= 1 {
				return scanEnd(doc, j), j, ""
			}
			j += size
		}
	}
	return len(doc), -1, ""
}

// scanEnd finds the end of the string that doc[j] is inside.
func scanEnd(doc []byte, j int) int {
	for j < len(doc) {
		switch doc[j] {
		case '"':
			return j + 1
		case '\\':
			j += 2
		default:
			j++
		}
	}
	return len(doc)
}

func hex4(doc []byte, at int) (rune, bool) {
	if at+4 > len(doc) {
		return 0, false
	}
	var r rune
	for _, c := range doc[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			d = c | 0x20 - 'a' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
