package provlog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/scim/filter"
)

const notJSONMarker = "…[not valid JSON: the rest is not kept]"

var redactSeeds = []string{
	// Okta, POST /Users.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isaac.brock@example.com","name":{"givenName":"Isaac","familyName":"Brock"},"emails":[{"primary":true,"value":"isaac.brock@example.com","type":"work"}],"displayName":"Isaac Brock","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`,
	// Okta, password change by PATCH.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"t1meMa$heen"}}]}`,
	// Entra, PATCH with path, value first, URN-qualified path.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"value":"Pa55w0rd!","op":"Replace","path":"password"},{"op":"Add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":["p1","p2"]},{"op":"Replace","path":"displayName","value":"kept"}]}`,
	// Bulk with nested data.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"qwerty","data":{"userName":"Alice","password":"bulkpw"}},{"method":"PATCH","path":"/Users/1","data":{"Operations":[{"op":"replace","path":"PASSWORD","value":{"x":"inner"}}]}}]}`,
	// Token-like names at any depth and of any type.
	`{"accessToken":"tok-123","client_secret":{"a":["s1",{"b":"s2"}]},"apiKey":12345,"x-api-key":true,"refresh_token":null,"nested":[{"Secret":"s3"}],"n":1.50e+3}`,
	`{"userName":"a","password":"hunte`,
	`{"Operations":[{"op":"replace","value":"pathpw","pa`,
	`{"userName":"bob" "password":"hunter2"}`,
	`password=hunter2&user=bob`,
	`{"a":1}{"password":"x"}`,
	`"just a string"`,
	`[{"path":"displayName","value":"v","path":"password"}]`,
	`{"displayName":"A \"quoted\" <name> é \u2028","password":"hun\"ter2"}`,
	"{\"bad\":\"\xff\xfe\",\"password\":\"\xff\"}",
}

// FuzzRedactBody checks what RedactBody promises. For every input: no
// panic, valid UTF-8 out. For valid JSON: the output is valid JSON, and
// equals the input with every secret-named member's value, and every
// "value" of an object whose "path" names a secret, replaced by
// "[REDACTED]". And for every cut of valid JSON, as a truncated body or as
// malformed one, no secret string leaks, except where the documentation
// says it can't be known yet (an object "value" whose secret "path" was
// cut off, or follows a harmless "path").
func FuzzRedactBody(f *testing.F) {
	for _, s := range redactSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := RedactBody(body, false)
		outTrunc := RedactBody(body, true)
		for _, o := range []string{out, outTrunc} {
			if !utf8.ValidString(o) {
				t.Fatalf("output is not UTF-8: %q", o)
			}
		}
		if !json.Valid(body) {
			if !strings.HasPrefix(out, outTrunc) {
				t.Fatalf("the truncated flag changed more than the marker:\n%s\n%s", out, outTrunc)
			}
			return
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("valid JSON in, invalid JSON out:\n%s\n%s", body, out)
		}
		if outTrunc != out {
			t.Fatalf("a complete body marked truncated redacts differently:\n%s\n%s", out, outTrunc)
		}
		in, err := decodeTree(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeTree([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		if want := redactTree(in); !reflect.DeepEqual(got, want) {
			t.Fatalf("RedactBody(%s)\n = %s\nwant %s", body, out, encodeTree(want))
		}

		secret, shown := map[string]bool{}, map[string]bool{}
		collectStrings(in, false, secret, shown)
		for s := range shown {
			delete(secret, s)
		}
		delete(secret, Redacted)
		if len(secret) == 0 {
			return
		}
		for _, cut := range cuts(len(body)) {
			for _, truncated := range []bool{true, false} {
				o := RedactBody(body[:cut], truncated)
				if !truncated && !strings.HasSuffix(o, notJSONMarker) && !json.Valid(body[:cut]) && len(bytes.TrimSpace(body[:cut])) > 0 {
					t.Fatalf("cut at %d of %s: malformed input without the marker: %s", cut, body, o)
				}
				o = strings.TrimSuffix(o, notJSONMarker)
				for _, s := range outputStrings(t, o) {
					if secret[s] {
						t.Fatalf("cut at %d (truncated=%v) of\n%s\nleaked %q:\n%s", cut, truncated, body, s, o)
					}
				}
			}
		}
	})
}

// cuts lists every cut of an n-byte body when it is short, else 64 spread
// over it, so each input stays fast.
func cuts(n int) []int {
	if n <= 256 {
		c := make([]int, n)
		for i := range c {
			c[i] = i
		}
		return c
	}
	var c []int
	for i := 0; i < 64; i++ {
		c = append(c, i*n/64)
	}
	return c
}

// jnode is a JSON value that keeps members in order, duplicates included.
type jnode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	s    string
	b    bool
	keys []string
	vals []*jnode
}

func decodeTree(b []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	return n, nil
}

func readNode(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &jnode{kind: 'a'}
		if v == '{' {
			n.kind = 'o'
		}
		for dec.More() {
			if n.kind == 'o' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			e, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, e)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &jnode{kind: 's', s: v}, nil
	case json.Number:
		return &jnode{kind: 'n', s: string(v)}, nil
	case bool:
		return &jnode{kind: 'b', b: v}, nil
	}
	return &jnode{kind: 'z'}, nil
}

func encodeTree(n *jnode) string {
	switch n.kind {
	case 'o', 'a':
		open, close := "[", "]"
		if n.kind == 'o' {
			open, close = "{", "}"
		}
		var b strings.Builder
		b.WriteString(open)
		for i, v := range n.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			if n.kind == 'o' {
				k, _ := json.Marshal(n.keys[i])
				b.Write(k)
				b.WriteByte(':')
			}
			b.WriteString(encodeTree(v))
		}
		b.WriteString(close)
		return b.String()
	case 's':
		s, _ := json.Marshal(n.s)
		return string(s)
	case 'n':
		return n.s
	case 'b':
		if n.b {
			return "true"
		}
		return "false"
	}
	return "null"
}

// redactTree is the reference redaction, written from the documentation.
func redactTree(n *jnode) *jnode {
	switch n.kind {
	case 'a':
		c := &jnode{kind: 'a'}
		for _, v := range n.vals {
			c.vals = append(c.vals, redactTree(v))
		}
		return c
	case 'o':
		c := &jnode{kind: 'o', keys: n.keys}
		secretPath := false
		for i, k := range n.keys {
			if strings.EqualFold(k, "path") && n.vals[i].kind == 's' && IsSecretName(n.vals[i].s) {
				secretPath = true
			}
		}
		for i, k := range n.keys {
			if IsSecretName(k) || secretPath && strings.EqualFold(k, "value") {
				c.vals = append(c.vals, &jnode{kind: 's', s: Redacted})
				continue
			}
			if strings.EqualFold(k, "filter") && n.vals[i].kind == 's' {
				f, _ := RedactFilter(n.vals[i].s) // held to the parser by FuzzRedactQuery
				c.vals = append(c.vals, &jnode{kind: 's', s: f})
				continue
			}
			c.vals = append(c.vals, redactTree(n.vals[i]))
		}
		return c
	}
	return n
}

// collectStrings sorts the strings (keys included) of n into those that
// must never be shown, even when the body is cut anywhere, and the others.
func collectStrings(n *jnode, protected bool, secret, shown map[string]bool) {
	switch n.kind {
	case 's':
		if protected {
			secret[n.s] = true
		} else {
			shown[n.s] = true
		}
	case 'a':
		for _, v := range n.vals {
			collectStrings(v, protected, secret, shown)
		}
	case 'o':
		for i, k := range n.keys {
			if protected {
				secret[k] = true
			} else {
				shown[k] = true
			}
			p := protected || IsSecretName(k) || strings.EqualFold(k, "value") && valueAlwaysRedacted(n, i)
			collectStrings(n.vals[i], p, secret, shown)
		}
	}
}

// valueAlwaysRedacted reports whether member i (a "value") of object n is
// redacted wherever the body is cut after it starts: the object has a
// secret "path", and either it comes first, or the value is not an object
// and no harmless "path" comes before the secret one.
func valueAlwaysRedacted(n *jnode, i int) bool {
	firstPath, firstSecret := -1, -1
	for j, k := range n.keys {
		if !strings.EqualFold(k, "path") || n.vals[j].kind != 's' {
			continue
		}
		if firstPath < 0 {
			firstPath = j
		}
		if IsSecretName(n.vals[j].s) {
			firstSecret = j
			break
		}
	}
	switch {
	case firstSecret < 0:
		return false
	case firstSecret < i:
		return true
	}
	return n.vals[i].kind != 'o' && firstPath == firstSecret
}

// outputStrings lists the strings of a redacted body that may be cut short,
// failing if it is not a prefix of JSON text.
func outputStrings(t *testing.T, s string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return out
		}
		if err != nil {
			t.Fatalf("output is not a JSON prefix (%v): %s", err, s)
		}
		if str, ok := tok.(string); ok {
			out = append(out, str)
		}
	}
}

var querySeeds = []string{
	`filter=userName+eq+%22a%40x.io%22&startIndex=1&count=2`,
	`access_token=abc&count=2`,
	`aadOptscim062020`,
	`api%4Bey=zzz&x-api-key=k&PASSWORD=p&token`,
	`filter=displayName eq "x"&secret=s&secret=t&%zz=1&a=%zz`,
	`pass%77ord=leak&api+key=leak2&;token=x`,
	`=&&==&token==`,
	`filter=password%20eq%20%22hunter2%22&count=1`,
	`FILTER=userName+eq+%22a%22+and+(PassWord+eq+%22x%22+or+emails%5Btype+eq+%22work%22+and+apiKey+co+5%5D)`,
	`%66ilter=urn:ietf:params:scim:schemas:core:2.0:User:password ne "x\"y"&filter=accessToken pr`,
	`filter=emails[type eq "work"].secret sw "s"and not (token eq true)`,
	`filter=password%20eq%20%22hunt%zz%22`,
}

// FuzzRedactQuery checks RedactQuery against url.ParseQuery, which is how
// the server reads a query: every parameter whose name is a secret has
// its value redacted, and every other part of the query is kept as sent.
func FuzzRedactQuery(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := RedactQuery(raw)
		inParts, outParts := strings.Split(raw, "&"), strings.Split(got, "&")
		if len(inParts) != len(outParts) {
			t.Fatalf("RedactQuery(%q) = %q changed the number of parameters", raw, got)
		}
		for i, p := range inParts {
			name, value, _ := strings.Cut(p, "=")
			checkFilterParam(t, raw, name, value, outParts[i])
			if outParts[i] == p {
				continue
			}
			if outParts[i] != name+"="+url.QueryEscape(Redacted) && !isFilterName(name) {
				t.Fatalf("RedactQuery(%q) = %q: %q became %q", raw, got, p, outParts[i])
			}
		}
		q, _ := url.ParseQuery(got)
		for k, vs := range q {
			if !IsSecretName(k) {
				continue
			}
			for _, v := range vs {
				if v != "" && v != Redacted {
					t.Fatalf("RedactQuery(%q) = %q keeps %s=%q", raw, got, k, v)
				}
			}
		}
	})
}

func isFilterName(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	return strings.EqualFold(name, "filter")
}

// checkFilterParam holds the redaction of one filter parameter to the
// filter parser. When the filter the server would have read parses, the
// redacted one parses to the same filter with every value compared with
// a secret attribute replaced by the string "[REDACTED]", and nothing
// else changed. When the redacted filter parses (whatever the input was),
// no secret attribute is compared with anything but "[REDACTED]".
func checkFilterParam(t *testing.T, raw, name, value, out string) {
	t.Helper()
	if !isFilterName(name) || IsSecretName(name) {
		return
	}
	outName, outValue, _ := strings.Cut(out, "=")
	if outName != name {
		t.Fatalf("RedactQuery(%q): filter parameter name %q became %q", raw, name, outName)
	}
	lim := filter.Limits{MaxLength: 1 << 20, MaxNodes: 1 << 20}
	redacted, err := url.QueryUnescape(outValue)
	if err != nil {
		if out != name+"="+value {
			t.Fatalf("RedactQuery(%q): the filter was rewritten into %q, which doesn't decode", raw, outValue)
		}
		return
	}
	outExpr, outErr := filter.Parse(redacted, lim)
	if outErr == nil {
		if s := unredacted(outExpr); s != "" {
			t.Fatalf("RedactQuery(%q) = %q keeps %s", raw, out, s)
		}
	}
	in, err := url.QueryUnescape(value)
	if err != nil {
		return
	}
	inExpr, err := filter.Parse(in, lim)
	if err != nil {
		return
	}
	if outErr != nil {
		t.Fatalf("RedactQuery(%q): filter %q parses, its redaction %q doesn't: %v", raw, in, redacted, outErr)
	}
	if want, got := filter.Format(redactExpr(inExpr)), filter.Format(outExpr); want != got {
		t.Fatalf("RedactQuery(%q): filter %q\nredacted to %s\nwant        %s", raw, in, got, want)
	}
}

// secretPath is how RedactFilter sees an attribute path: its name and
// sub-attribute, without the URN.
func secretPath(p filter.AttrPath) bool {
	n := p.Name
	if p.Sub != "" {
		n += "." + p.Sub
	}
	return IsSecretName(n)
}

// redactExpr is the reference redaction of a parsed filter.
func redactExpr(e filter.Expr) filter.Expr {
	switch t := e.(type) {
	case filter.And:
		return filter.And{Left: redactExpr(t.Left), Right: redactExpr(t.Right)}
	case filter.Or:
		return filter.Or{Left: redactExpr(t.Left), Right: redactExpr(t.Right)}
	case filter.Not:
		return filter.Not{X: redactExpr(t.X)}
	case filter.ValuePath:
		return filter.ValuePath{Path: t.Path, Filter: redactExpr(t.Filter)}
	case filter.Compare:
		if t.Op != filter.Pr && secretPath(t.Path) {
			t.Value = filter.Value{Kind: filter.String, Str: Redacted}
		}
		return t
	}
	return e
}

// unredacted names a comparison of a secret attribute with anything but
// "[REDACTED]", or returns "".
func unredacted(e filter.Expr) string {
	switch t := e.(type) {
	case filter.And:
		return cmp.Or(unredacted(t.Left), unredacted(t.Right))
	case filter.Or:
		return cmp.Or(unredacted(t.Left), unredacted(t.Right))
	case filter.Not:
		return unredacted(t.X)
	case filter.ValuePath:
		return unredacted(t.Filter)
	case filter.Compare:
		if t.Op != filter.Pr && secretPath(t.Path) && (t.Value.Kind != filter.String || t.Value.Str != Redacted) {
			return filter.Format(t)
		}
	}
	return ""
}
