package scim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeObjectRefusesInvalidText(t *testing.T) {
	tests := []struct {
		name, body string
		detail     []string // what the detail must say; nil: accepted
	}{
		{"raw 0xff in a value", "{\"userName\":\"bj\xffensen\"}", []string{`attribute "userName"`, "not valid UTF-8", "byte 15"}},
		{"truncated sequence", "{\"name\":{\"givenName\":\"Bar\xc3\"}}", []string{`"name.givenName"`, "not valid UTF-8"}},
		{"overlong encoding", "{\"displayName\":\"\xc0\xaf\"}", []string{`"displayName"`}},
		{"encoded surrogate", "{\"displayName\":\"\xed\xa0\x80\"}", []string{`"displayName"`}},
		{"in a list element", "{\"emails\":[{\"value\":\"a@x\"},{\"type\":\"work\",\"value\":\"b\xfe@x\"}]}", []string{`"emails[2].value"`}},
		{"in a PATCH value", "{\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[\"u1\",\"u\x802\"]}]}", []string{`"Operations[1].value[2]"`}},
		{"in a member name", "{\"userName\":\"u\",\"ti\xfftle\":\"x\"}", []string{"a member name", "not valid UTF-8"}},
		{"in a nested member name", "{\"name\":{\"given\xffName\":\"x\"}}", []string{`a member name in "name"`}},
		{"lone high surrogate escape", `{"displayName":"a\ud800b"}`, []string{`"displayName"`, `\ud800`, "surrogate"}},
		{"lone low surrogate escape", `{"displayName":"\uDC00"}`, []string{`\uDC00`}},
		{"high surrogate then a non-surrogate", `{"displayName":"\ud83d\u0041"}`, []string{`\ud83d`}},
		{"two high surrogates", `{"displayName":"\ud83d\ud83d"}`, []string{`\ud83d`}},
		{"surrogate at the end", `{"displayName":"x\udbff"}`, []string{`\udbff`}},
		// Accepted.
		{"valid UTF-8", `{"displayName":"Zoë 🎉 日本"}`, nil},
		{"a surrogate pair", `{"displayName":"\ud83c\udf89"}`, nil},
		{"an escaped backslash before u", `{"displayName":"\\ud800"}`, nil},
		{"U+FFFD itself", "{\"displayName\":\"\xef\xbf\xbd \\ufffd\"}", nil},
		{"bytes in a number position are a syntax error", "{\"a\":1\xff}", []string{"not valid JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeObject([]byte(tc.body))
			if tc.detail == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				for _, v := range m {
					if s, ok := v.(string); ok && !utf8.ValidString(s) {
						t.Fatalf("decoded %q", s)
					}
				}
				return
			}
			scimType := InvalidValue
			if strings.Contains(tc.name, "syntax") {
				scimType = InvalidSyntax
			}
			e := wantSCIMError(t, err, http.StatusBadRequest, scimType)
			if m != nil {
				t.Fatalf("a map with the error: %v", m)
			}
			for _, want := range tc.detail {
				if !strings.Contains(e.Detail, want) {
					t.Errorf("detail %q does not say %q", e.Detail, want)
				}
			}
		})
	}
}

// ParsePatch and so Patcher never see the U+FFFD either.
func TestParsePatchRefusesInvalidText(t *testing.T) {
	_, err := ParsePatch([]byte("{\"Operations\":[{\"op\":\"replace\",\"path\":\"title\",\"value\":\"\xff\"}]}"))
	e := wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
	if !strings.Contains(e.Detail, `"Operations[1].value"`) {
		t.Fatalf("detail %q", e.Detail)
	}
}

var textSeeds = []string{
	`{"userName":"a","emails":[{"value":"x"}]}`,
	"{\"a\":\"\xff\"}",
	"{\"\xff\":1}",
	`{"a":"\ud800"}`,
	`{"a":"\ud83c\udf89","b":["\\ud800",{"c":"\udfff"}]}`,
	"[\"a\",\"\xed\xa0\x80\"]",
	"\"\xc3\"",
	`{"a":"\u00e9\uFFFD"}`,
	"{\"a\":\"\\\\\xff\"}",
}

// FuzzCheckText holds CheckText to encoding/json's own decoding: a valid
// JSON document whose decoded strings hold more U+FFFD than the document
// wrote (as bytes or as \ufffd) had text the decoder replaced, and must
// be refused; a refusal must point at a byte that isn't UTF-8 or at a
// surrogate escape; and nothing panics on any input.
func FuzzCheckText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		te := CheckText(doc)
		if te != nil {
			if te.Offset < 0 || te.Offset >= len(doc) {
				t.Fatalf("offset %d out of %d bytes", te.Offset, len(doc))
			}
			rest := doc[te.Offset:]
			if te.Escape != "" {
				if len(rest) < 6 || string(rest[:6]) != te.Escape || rest[0] != '\\' || rest[1] != 'u' || (rest[2]|0x20) != 'd' || !strings.ContainsRune("89abcdefABCDEF", rune(rest[3])) {
					t.Fatalf("escape %q at %d, found %q", te.Escape, te.Offset, rest[:min(6, len(rest))])
				}
			} else if r, size := utf8.DecodeRune(rest); r != utf8.RuneError || size != 1 {
				t.Fatalf("offset %d points at %q, valid UTF-8", te.Offset, rest[:size])
			}
			if te.Error() == "" {
				t.Fatal("empty message")
			}
		}
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		if decoded, written := countFFFD(v), literalFFFD(doc); decoded > written && te == nil {
			t.Fatalf("%q decodes with %d U+FFFD, writes %d, and CheckText passed it", doc, decoded, written)
		} else if decoded < written {
			// Only a repeated member name can drop a string.
			if !hasRepeatedName(doc) {
				t.Fatalf("%q decodes with %d U+FFFD but writes %d", doc, decoded, written)
			}
		}
	})
}

// countFFFD counts U+FFFD in every string and member name of v.
func countFFFD(v any) int {
	switch t := v.(type) {
	case string:
		return strings.Count(t, "\uFFFD")
	case []any:
		n := 0
		for _, e := range t {
			n += countFFFD(e)
		}
		return n
	case map[string]any:
		n := 0
		for k, e := range t {
			n += strings.Count(k, "\uFFFD") + countFFFD(e)
		}
		return n
	}
	return 0
}

// literalFFFD counts the U+FFFD a JSON document writes: as its UTF-8
// bytes, or as a \ufffd escape (one not itself escaped by a backslash).
func literalFFFD(doc []byte) int {
	n := strings.Count(string(doc), "\uFFFD")
	for i := 0; i+5 < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		if doc[i+1] == 'u' && strings.EqualFold(string(doc[i+2:i+6]), "fffd") {
			n++
		}
		i++ // the escaped character is not an escape
	}
	return n
}

// hasRepeatedName reports whether some object of a valid JSON document
// names a member twice, which json.Unmarshal resolves by keeping the last.
func hasRepeatedName(doc []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	type frame struct {
		keys    map[string]bool // nil for a list
		wantKey bool
	}
	var stack []*frame
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				if stack[n-1].keys[k] {
					return true
				}
				stack[n-1].keys[k], stack[n-1].wantKey = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
