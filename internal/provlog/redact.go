package provlog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces every secret value.
const Redacted = "[REDACTED]"

// MaxBody is how much of a request body the log keeps.
const MaxBody = 64 << 10

// IsSecretName reports whether a JSON key or query parameter names a
// secret: it contains password, token, secret or key, in any case
// ("password", "accessToken", "clientSecret", "apiKey", "x-api-key").
func IsSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "token", "secret", "key"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactQuery redacts the values of query parameters named like secrets,
// and in a filter parameter (named "filter" in any case, as the server
// reads it) the values compared with secret attributes (RedactFilter):
// `filter=password eq "x"` is kept as `filter=password+eq+"[REDACTED]"`,
// URL-encoded. The rest (the rest of the filter, startIndex, count, …) is
// kept as sent: it is what an admin needs to see what the IdP asked for.
func RedactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, value, hasValue := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		switch {
		case !hasValue:
		case IsSecretName(name):
			parts[i] = p[:strings.IndexByte(p, '=')+1] + url.QueryEscape(Redacted)
		case strings.EqualFold(name, "filter"):
			if v, changed := redactFilterParam(value); changed {
				parts[i] = p[:strings.IndexByte(p, '=')+1] + v
			}
		}
	}
	return strings.Join(parts, "&")
}

// RedactBody returns a JSON body with every secret replaced by
// "[REDACTED]", compact and in the order it was sent:
//
//   - the value of every member whose name is a secret name (IsSecretName),
//     at any depth, whatever its type (an object or array goes whole);
//   - the "value" of an object whose "path" names a secret, as in a PATCH
//     operation {"op":"replace","path":"password","value":"x"}, whichever
//     of path and value comes first;
//   - in the string of a member named "filter" (a SearchRequest's), the
//     values compared with secret attributes (RedactFilter).
//
// truncated says the body was cut (at MaxBody), so its last objects never
// close: their scalar or array "value" members are redacted unless a
// harmless "path" came first, since the path that would name a secret may
// be in the part that was cut. Input that is not JSON is kept up to the
// first syntax error and the rest dropped: a password in a malformed body
// must not leak either.
func RedactBody(body []byte, truncated bool) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	r := redactor{dec: json.NewDecoder(bytes.NewReader(body))}
	r.dec.UseNumber()
	complete := r.run()
	// Objects still open: the body ended (or broke) inside them.
	for i := len(r.stack) - 1; i >= 0; i-- {
		f := &r.stack[i]
		if f.object && !f.sawPath || f.pathSecret {
			r.redactSpans(f, true)
		}
	}
	out := r.applyCuts()
	if !complete && !truncated {
		out += "…[not valid JSON: the rest is not kept]"
	}
	return out
}

type span struct {
	start, end int  // byte range in out; end -1 while the value is open
	isObject   bool // the value is an object
}

type frame struct {
	object     bool
	expectKey  bool
	n          int // members or elements so far
	sawPath    bool
	pathSecret bool
	values     []span // the "value" members, which a later path may redact
	// pending says what the next value is: a plain value, a secret to
	// redact, a "path" (whose string is checked) or a "value" member.
	pending int
}

const (
	plain = iota
	secret
	pathMember
	valueMember
	filterMember
)

type redactor struct {
	dec   *json.Decoder
	out   bytes.Buffer
	stack []frame
	skip  int // >0: inside a redacted object or array, at this depth
	// cuts are the spans of out to replace by "[REDACTED]", applied once
	// at the end (applyCuts): out is never rewritten while it grows, so
	// redacting costs O(n), however many objects have a secret "path".
	cuts []span
	// enc writes one JSON value into tmp (writeJSON).
	enc *json.Encoder
	tmp bytes.Buffer
}

func (r *redactor) writeJSON(v any) {
	if r.enc == nil {
		r.enc = json.NewEncoder(&r.tmp)
		r.enc.SetEscapeHTML(false) // "<name>" stays readable
	}
	r.tmp.Reset()
	_ = r.enc.Encode(v)
	r.out.Write(bytes.TrimSuffix(r.tmp.Bytes(), []byte("\n")))
}

// beforeValue writes the separator of a new value in the current
// container and returns what the value is.
func (r *redactor) beforeValue() int {
	if len(r.stack) == 0 {
		return plain
	}
	f := &r.stack[len(r.stack)-1]
	if !f.object {
		if f.n > 0 {
			r.out.WriteByte(',')
		}
		f.n++
		return plain
	}
	k := f.pending
	f.pending = plain
	f.expectKey = true
	return k
}

func (r *redactor) top() *frame {
	if len(r.stack) == 0 {
		return nil
	}
	return &r.stack[len(r.stack)-1]
}

// run copies tokens until the input ends; it reports whether it ended
// cleanly (rather than on a syntax error or a cut).
func (r *redactor) run() bool {
	for {
		tok, err := r.dec.Token()
		if errors.Is(err, io.EOF) {
			return len(r.stack) == 0
		}
		if err != nil {
			return false
		}
		if r.skip > 0 {
			if d, ok := tok.(json.Delim); ok {
				if d == '{' || d == '[' {
					r.skip++
				} else {
					r.skip--
				}
			}
			continue
		}
		f := r.top()
		// A key.
		if f != nil && f.object && f.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				r.closeObject()
				continue
			}
			key, _ := tok.(string)
			if f.n > 0 {
				r.out.WriteByte(',')
			}
			f.n++
			r.writeJSON(key)
			r.out.WriteByte(':')
			f.expectKey = false
			switch {
			case IsSecretName(key):
				f.pending = secret
			case strings.EqualFold(key, "path"):
				f.pending = pathMember
			case strings.EqualFold(key, "value"):
				f.pending = valueMember
			case strings.EqualFold(key, "filter"):
				f.pending = filterMember
			default:
				f.pending = plain
			}
			continue
		}
		if d, ok := tok.(json.Delim); ok && d == ']' {
			r.out.WriteByte(']')
			r.stack = r.stack[:len(r.stack)-1]
			r.closeValue()
			continue
		}
		kind := r.beforeValue()
		if kind == secret {
			r.writeJSON(Redacted)
			if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
				r.skip = 1
			}
			continue
		}
		if kind == valueMember {
			_, isObj := tok.(json.Delim)
			isObj = isObj && tok.(json.Delim) == '{'
			f.values = append(f.values, span{start: r.out.Len(), end: -1, isObject: isObj})
		}
		switch v := tok.(type) {
		case json.Delim: // { or [
			r.out.WriteByte(byte(v))
			r.stack = append(r.stack, frame{object: v == '{', expectKey: v == '{'})
			continue
		case string:
			if kind == pathMember {
				f.sawPath = true
				if IsSecretName(v) {
					f.pathSecret = true
				}
			}
			if kind == filterMember {
				v, _ = RedactFilter(v)
			}
			r.writeJSON(v)
		case json.Number:
			r.out.WriteString(v.String())
		case bool:
			r.writeJSON(v)
		case nil:
			r.out.WriteString("null")
		}
		if kind == valueMember {
			f.values[len(f.values)-1].end = r.out.Len()
		}
	}
}

// closeValue ends an object or array value in the enclosing object,
// closing the "value" span it may be.
func (r *redactor) closeValue() {
	f := r.top()
	if f == nil || !f.object || len(f.values) == 0 {
		return
	}
	if v := &f.values[len(f.values)-1]; v.end == -1 {
		v.end = r.out.Len()
	}
}

func (r *redactor) closeObject() {
	f := r.top()
	if f.pathSecret {
		r.redactSpans(f, false)
	}
	r.out.WriteByte('}')
	r.stack = r.stack[:len(r.stack)-1]
	r.closeValue()
}

// redactSpans marks the frame's "value" members for redaction. For an
// object cut short (open), a value that is itself an object is kept: its
// members were redacted by name already, and no path applied to it.
func (r *redactor) redactSpans(f *frame, open bool) {
	for _, v := range f.values {
		if open && !f.pathSecret && v.isObject {
			continue
		}
		if v.end == -1 {
			v.end = r.out.Len() // open: runs to the end
		}
		r.cuts = append(r.cuts, v)
	}
	f.values = nil
}

// applyCuts returns out with every cut span replaced by "[REDACTED]". Two
// spans are JSON values, so they are disjoint or one holds the other; the
// outer one is replaced whole.
func (r *redactor) applyCuts() string {
	b := r.out.Bytes()
	if len(r.cuts) == 0 {
		return string(b)
	}
	slices.SortFunc(r.cuts, func(x, y span) int {
		if x.start != y.start {
			return cmp.Compare(x.start, y.start)
		}
		return cmp.Compare(y.end, x.end) // the outer first
	})
	var out strings.Builder
	out.Grow(len(b))
	done := 0 // b[:done] is written or replaced
	for _, c := range r.cuts {
		if c.start < done {
			continue // inside a span already replaced
		}
		out.Write(b[done:c.start])
		out.WriteString(`"` + Redacted + `"`)
		done = c.end
	}
	out.Write(b[done:])
	return out.String()
}
