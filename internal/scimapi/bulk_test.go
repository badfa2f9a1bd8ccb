package scimapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestBulkRefs(t *testing.T) {
	for _, tc := range []struct {
		name, pathID, data string
		want               []string
	}{
		{"none", "", `{"userName":"a","emails":[{"value":"a@x"}]}`, nil},
		{"member value", "", `{"members":[{"type":"User","value":"bulkId:qwerty"}]}`, []string{"qwerty"}},
		{"path", "bulkId:g1", `{"schemas":[]}`, []string{"g1"}},
		{"path and data, deduplicated", "bulkId:g1", `{"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:u1"},{"value":"bulkId:g1"},{"value":"bulkId:u1"}]}]}`, []string{"g1", "u1"}},
		{"nested deep, keys visited sorted", "", `{"z":"bulkId:b","a":{"x":["bulkId:a"]}}`, []string{"a", "b"}},
		{"prefix only at start, case-sensitive", "", `{"a":"x bulkId:a","b":"bulkid:b","c":"BULKID:c"}`, nil},
		{"empty bulkId", "", `{"a":"bulkId:"}`, []string{""}},
		{"non-strings ignored", "", `{"a":1,"b":true,"c":null}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := bulkRefs(tc.pathID, mustDecode(t, tc.data))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("refs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSubstituteBulkIDs(t *testing.T) {
	ids := map[string]string{"qwerty": "u-123", "ytrewq": "g-456"}
	for _, tc := range []struct{ name, in, want string }{
		{"member value", `{"members":[{"type":"User","value":"bulkId:qwerty"}]}`, `{"members":[{"type":"User","value":"u-123"}]}`},
		{"several and nested", `{"a":["bulkId:qwerty",{"b":"bulkId:ytrewq"}],"c":"bulkId:qwerty"}`, `{"a":["u-123",{"b":"g-456"}],"c":"u-123"}`},
		{"unknown left as is", `{"value":"bulkId:nope"}`, `{"value":"bulkId:nope"}`},
		{"only whole values", `{"value":"see bulkId:qwerty"}`, `{"value":"see bulkId:qwerty"}`},
		{"keys untouched", `{"bulkId:qwerty":"x"}`, `{"bulkId:qwerty":"x"}`},
		{"numbers kept exactly", `{"n":12345678901234567890,"f":1.50}`, `{"n":12345678901234567890,"f":1.50}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := mustDecode(t, tc.in)
			before, _ := json.Marshal(in)
			got, err := json.Marshal(substituteBulkIDs(in, ids))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mustDecode(t, string(got)), mustDecode(t, tc.want)) {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if after, _ := json.Marshal(in); string(after) != string(before) {
				t.Fatalf("input modified: %s -> %s", before, after)
			}
		})
	}
	if got := substituteBulkIDs("bulkId:ytrewq", ids); got != "g-456" {
		t.Fatalf("path id: %v", got)
	}
}

func TestParseBulkRequest(t *testing.T) {
	const urn = `"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]`
	for _, tc := range []struct {
		name, body string
		status     int
		scimType   string
	}{
		{"not json", `{`, 400, "invalidSyntax"},
		{"no schemas", `{"Operations":[]}`, 400, "invalidSyntax"},
		{"wrong schema", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, 400, "invalidSyntax"},
		{"no operations", `{` + urn + `}`, 400, "invalidSyntax"},
		{"operations not an array", `{` + urn + `,"Operations":{}}`, 400, "invalidSyntax"},
		{"failOnErrors not an integer", `{` + urn + `,"failOnErrors":"1","Operations":[]}`, 400, "invalidValue"},
		{"failOnErrors fractional", `{` + urn + `,"failOnErrors":1.5,"Operations":[]}`, 400, "invalidValue"},
		{"failOnErrors negative", `{` + urn + `,"failOnErrors":-1,"Operations":[]}`, 400, "invalidValue"},
		{"too many operations", `{` + urn + `,"Operations":[{},{},{}]}`, 413, ""},
		{"ok, names case-insensitive", `{"Schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"FAILONERRORS":2,"operations":[{},{}]}`, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseBulkRequest([]byte(tc.body), 2)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %d", tc.status)
			}
			se, ok := err.(*scim.Error)
			if !ok || se.Status != tc.status || se.ScimType != tc.scimType || se.Detail == "" {
				t.Fatalf("error %v, want %d %s", err, tc.status, tc.scimType)
			}
		})
	}
}

func TestParseBulkOp(t *testing.T) {
	for _, tc := range []struct {
		name, op string
		wantErr  string // substring of the error; "" = valid
		resource string
		id       string
	}{
		{"post", `{"method":"post","path":"/Users","bulkId":"a","data":{}}`, "", "Users", ""},
		{"lower-case resource, trailing slash", `{"Method":"PUT","Path":"/groups/g1/","Data":{}}`, "", "Groups", "g1"},
		{"delete needs no data", `{"method":"DELETE","path":"/Users/u1"}`, "", "Users", "u1"},
		{"bulkId in path", `{"method":"PATCH","path":"/Groups/bulkId:g","data":{}}`, "", "Groups", "bulkId:g"},
		{"not an object", `"POST"`, "not a JSON object", "", ""},
		{"no method", `{"path":"/Users","bulkId":"a","data":{}}`, "no method", "", ""},
		{"GET refused", `{"method":"GET","path":"/Users/u1"}`, "not supported", "", ""},
		{"unknown method", `{"method":"FROB","path":"/Users"}`, "not supported", "", ""},
		{"unknown resource", `{"method":"POST","path":"/Things","bulkId":"a","data":{}}`, "not a bulk operation path", "", ""},
		{"no leading slash", `{"method":"POST","path":"Users","bulkId":"a","data":{}}`, "not a bulk operation path", "", ""},
		{"dot-dot id", `{"method":"DELETE","path":"/Users/.."}`, "not a bulk operation path", "", ""},
		{"too deep", `{"method":"DELETE","path":"/Users/a/b"}`, "not a bulk operation path", "", ""},
		{"post to an id", `{"method":"POST","path":"/Users/u1","bulkId":"a","data":{}}`, "resource type path", "", ""},
		{"post without bulkId", `{"method":"POST","path":"/Users","data":{}}`, "must carry a bulkId", "", ""},
		{"bulkId not a string", `{"method":"POST","path":"/Users","bulkId":1,"data":{}}`, "bulkId must be a string", "", ""},
		{"put without id", `{"method":"PUT","path":"/Users","data":{}}`, "needs a resource path", "", ""},
		{"patch without data", `{"method":"PATCH","path":"/Users/u1"}`, "needs data", "", ""},
		{"data not an object", `{"method":"POST","path":"/Users","bulkId":"a","data":[1]}`, "must be a JSON object", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := parseBulkOp(0, mustDecode(t, tc.op))
			if tc.wantErr == "" {
				if op.err != nil {
					t.Fatalf("unexpected error %v", op.err)
				}
				if op.resource != tc.resource || op.id != tc.id {
					t.Fatalf("resource %q id %q, want %q %q", op.resource, op.id, tc.resource, tc.id)
				}
				return
			}
			if op.err == nil || op.err.Status != 400 || !strings.Contains(op.err.Detail, tc.wantErr) {
				t.Fatalf("err = %v, want a 400 containing %q", op.err, tc.wantErr)
			}
		})
	}
}

// TestRunBulk checks the order of processing, bulkId resolution, the 409s
// for references that can never resolve, and failOnErrors.
func TestRunBulk(t *testing.T) {
	post := func(bulkID string, data string) string {
		return fmt.Sprintf(`{"method":"POST","path":"/Groups","bulkId":%q,"data":%s}`, bulkID, data)
	}
	members := func(refs ...string) string {
		var m []string
		for _, r := range refs {
			m = append(m, fmt.Sprintf(`{"value":"bulkId:%s"}`, r))
		}
		return `{"members":[` + strings.Join(m, ",") + `]}`
	}
	for _, tc := range []struct {
		name         string
		ops          []string
		failOnErrors int
		failing      map[string]bool // bulkIds whose POST the stub fails with 400
		// want lists "label status" in processing order; label is the
		// bulkId, or the path for operations without one.
		want []string
		// detail, by label, is a substring the failure's detail must hold.
		detail map[string]string
	}{
		{
			name: "no references keep request order",
			ops:  []string{post("a", `{}`), post("b", `{}`), `{"method":"DELETE","path":"/Users/x"}`},
			want: []string{"a 201", "b 201", "/Users/x 200"},
		},
		{
			name: "backward reference",
			ops:  []string{post("u", `{}`), post("g", members("u"))},
			want: []string{"u 201", "g 201"},
		},
		{
			name: "forward reference is deferred",
			ops:  []string{post("g", members("u")), post("u", `{}`)},
			want: []string{"u 201", "g 201"},
		},
		{
			name: "chain in reverse order",
			ops:  []string{post("c", members("b")), post("b", members("a")), post("a", `{}`)},
			want: []string{"a 201", "b 201", "c 201"},
		},
		{
			name: "reference in path",
			ops:  []string{`{"method":"PATCH","path":"/Groups/bulkId:g","data":{}}`, post("g", `{}`)},
			want: []string{"g 201", "/Groups/bulkId:g 200"},
		},
		{
			name:   "unknown bulkId",
			ops:    []string{post("g", members("nobody")), post("h", `{}`)},
			want:   []string{"g 409", "h 201"},
			detail: map[string]string{"g": `"nobody" is not defined`},
		},
		{
			name:   "self reference",
			ops:    []string{post("g", members("g"))},
			want:   []string{"g 409"},
			detail: map[string]string{"g": "circular reference"},
		},
		{
			name:   "two-cycle",
			ops:    []string{post("g1", members("g2")), post("g2", members("g1")), post("ok", `{}`)},
			want:   []string{"ok 201", "g1 409", "g2 409"},
			detail: map[string]string{"g1": `"g2" cannot be resolved: circular reference`, "g2": `"g1" cannot be resolved: circular reference`},
		},
		{
			name:   "three-cycle and a dependant",
			ops:    []string{post("d", members("a")), post("a", members("c")), post("b", members("a")), post("c", members("b"))},
			want:   []string{"d 409", "a 409", "b 409", "c 409"},
			detail: map[string]string{"d": "circular reference", "a": "circular reference"},
		},
		{
			name:    "reference to a failed POST",
			ops:     []string{post("g", members("u")), post("u", `{}`)},
			failing: map[string]bool{"u": true},
			want:    []string{"u 400", "g 409"},
			detail:  map[string]string{"g": `"u" cannot be resolved: the operation that defines it failed`},
		},
		{
			name:   "reference to a malformed POST",
			ops:    []string{`{"method":"POST","path":"/Nope","bulkId":"u","data":{}}`, post("g", members("u"))},
			want:   []string{"u 400", "g 409"},
			detail: map[string]string{"u": "not a bulk operation path"},
		},
		{
			name:   "duplicate bulkId",
			ops:    []string{post("a", `{}`), post("a", `{}`)},
			want:   []string{"a 201", "a 400"},
			detail: map[string]string{"a": "already used by operation 1"},
		},
		{
			name:         "failOnErrors stops processing",
			ops:          []string{post("a", `{}`), post("b", `{}`), post("c", `{}`), post("d", `{}`)},
			failOnErrors: 2,
			failing:      map[string]bool{"a": true, "c": true},
			want:         []string{"a 400", "b 201", "c 400"},
		},
		{
			name:         "failOnErrors counts 409s of cycles",
			ops:          []string{post("g1", members("g2")), post("g2", members("g1"))},
			failOnErrors: 1,
			want:         []string{"g1 409"},
		},
		{
			name:    "failOnErrors 0 processes everything",
			ops:     []string{post("a", `{}`), post("b", `{}`)},
			failing: map[string]bool{"a": true, "b": true},
			want:    []string{"a 400", "b 400"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ops := make([]*bulkOp, len(tc.ops))
			for i, s := range tc.ops {
				ops[i] = parseBulkOp(i, mustDecode(t, s))
			}
			exec := func(op *bulkOp, ids map[string]string) bulkResult {
				// Every reference must be resolved by the time op runs.
				for _, ref := range op.refs {
					if _, ok := ids[ref]; !ok {
						t.Fatalf("%s ran before bulkId %q was resolved", op.bulkID, ref)
					}
				}
				b, _ := json.Marshal(substituteBulkIDs(op.data, ids))
				if strings.Contains(string(b), "bulkId:") {
					t.Fatalf("unsubstituted data: %s", b)
				}
				if op.method != http.MethodPost {
					return bulkResult{code: 200}
				}
				if tc.failing[op.bulkID] {
					return errorResult(scim.BadRequest(scim.InvalidValue, "stub failure"))
				}
				return bulkResult{code: 201, createdID: "id-" + op.bulkID}
			}
			res := runBulk(context.Background(), ops, tc.failOnErrors, exec)
			var got []string
			for _, r := range res {
				label := r.BulkID
				if label == "" {
					label = r.op.path
				}
				got = append(got, label+" "+r.Status)
				if r.code < 400 {
					continue
				}
				var body struct{ Status, Detail string }
				if err := json.Unmarshal(r.Response, &body); err != nil || body.Status != r.Status {
					t.Errorf("%s: response %s is not a SCIM error with status %s", label, r.Response, r.Status)
				}
				if want, ok := tc.detail[label]; ok && !strings.Contains(body.Detail, want) {
					t.Errorf("%s: detail %q lacks %q", label, body.Detail, want)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("processed %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRunBulkStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ops := []*bulkOp{
		parseBulkOp(0, mustDecode(t, `{"method":"DELETE","path":"/Users/a"}`)),
		parseBulkOp(1, mustDecode(t, `{"method":"DELETE","path":"/Users/b"}`)),
	}
	res := runBulk(ctx, ops, 0, func(*bulkOp, map[string]string) bulkResult {
		cancel()
		return bulkResult{code: 204}
	})
	if len(res) != 1 {
		t.Fatalf("%d results after cancel, want 1", len(res))
	}
}
