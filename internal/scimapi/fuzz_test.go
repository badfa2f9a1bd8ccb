package scimapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

const fuzzMaxBulkOps = 8

var bulkSeeds = []string{
	// RFC 7644 §3.7.2: a group referring to users created in the same request.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"ytrewq","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Group A","members":[{"type":"User","value":"bulkId:qwerty"}]}},{"method":"POST","path":"/Users","bulkId":"qwerty","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Alice"}}]}`,
	// RFC 7644 §3.7.3 example request.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[{"method":"POST","path":"/Users","bulkId":"qwerty","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:User"],"userName":"Alice"}},{"method":"PUT","path":"/Users/b7c14771-226c-4d05-8860-134711653041","version":"W/\"3694e05e9dff591\"","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"b7c14771-226c-4d05-8860-134711653041","userName":"Bob"}},{"method":"PATCH","path":"/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc","version":"W/\"edac3253e2c0ef2\"","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"nickName"},{"op":"replace","path":"userName","value":"Dave"}]}},{"method":"DELETE","path":"/Users/e9025315-6bea-44e1-899c-1e07454e468b","version":"W/\"0ee8add0a938e1a\""}]}`,
	// References in the path, cycles, self-references, duplicates.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"PATCH","path":"/Groups/bulkId:g","data":{"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:u"}]}]}},{"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"G"}},{"method":"POST","path":"/Users","bulkId":"u","data":{"userName":"u","manager":"bulkId:g"}}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"a","data":{"members":[{"value":"bulkId:b"}]}},{"method":"POST","path":"/Groups","bulkId":"b","data":{"members":[{"value":"bulkId:a"}]}},{"method":"POST","path":"/Groups","bulkId":"c","data":{"members":[{"value":"bulkId:c"}]}},{"method":"POST","path":"/Users","bulkId":"a","data":{}},{"method":"DELETE","path":"/Users/bulkId:nobody"}]}`,
	// Malformed operations.
	`{"Schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"FAILONERRORS":2,"operations":["POST",{"method":"GET","path":"/Users/1"},{"method":" post ","path":" /users/ ","bulkId":"x","data":{}},{"method":"PUT","path":"/Groups/..","data":{}},{"method":"DELETE","path":"/Users/a/b"},{"method":"PATCH","path":"/Users/1","data":[1]},{"method":"POST","path":"/Users","bulkId":7,"data":{}}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":-1,"Operations":[]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1e400,"Operations":[]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{},{},{},{},{},{},{},{},{}]}`,
	`{"schemas":[],"Operations":{}}`,
	`[]`,
}

// FuzzParseBulkRequest parses arbitrary /Bulk bodies and runs the result
// through runBulk with a stub executor. Envelope errors must be SCIM 400s
// or 413s; operation errors 400s; every valid operation must name a
// resource the mux serves under the same id; references must be exactly
// the bulkIds the operation uses; and runBulk must answer each operation
// at most once, run none before its references resolve (nor with any
// left unsubstituted), and stop only when failOnErrors says so.
func FuzzParseBulkRequest(f *testing.F) {
	for _, s := range bulkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		failOnErrors, ops, err := parseBulkRequest(body, fuzzMaxBulkOps)
		if err != nil {
			var se *scim.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *scim.Error", err, err)
			}
			switch {
			case se.Status == http.StatusBadRequest && (se.ScimType == scim.InvalidSyntax || se.ScimType == scim.InvalidValue):
			case se.Status == http.StatusRequestEntityTooLarge && se.ScimType == "":
			default:
				t.Fatalf("error %d %q: %v", se.Status, se.ScimType, err)
			}
			if ops != nil || se.Detail == "" {
				t.Fatalf("ops %v, detail %q with error %v", ops, se.Detail, err)
			}
			return
		}
		if failOnErrors < 0 || len(ops) > fuzzMaxBulkOps {
			t.Fatalf("failOnErrors %d, %d operations", failOnErrors, len(ops))
		}
		for i, op := range ops {
			checkBulkOp(t, i, op)
		}

		executed := map[int]bool{}
		exec := func(op *bulkOp, ids map[string]string) bulkResult {
			if executed[op.index] {
				t.Fatalf("operation %d ran twice", op.index)
			}
			executed[op.index] = true
			if op.err != nil {
				t.Fatalf("malformed operation %d ran: %v", op.index, op.err)
			}
			for _, ref := range op.refs {
				if _, ok := ids[ref]; !ok {
					t.Fatalf("operation %d ran before bulkId %q resolved", op.index, ref)
				}
			}
			id, _ := substituteBulkIDs(op.id, ids).(string)
			if strings.HasPrefix(id, bulkRefPrefix) {
				t.Fatalf("operation %d runs on unresolved path id %q", op.index, id)
			}
			if s := unresolvedRef(substituteBulkIDs(op.data, ids)); s != "" {
				t.Fatalf("operation %d runs with unresolved %q", op.index, s)
			}
			if _, err := json.Marshal(substituteBulkIDs(op.data, ids)); err != nil {
				t.Fatalf("operation %d: data does not encode: %v", op.index, err)
			}
			if op.method != http.MethodPost {
				return bulkResult{code: http.StatusOK}
			}
			if len(op.bulkID)%3 == 1 { // some POSTs fail, so references to them must
				return errorResult(scim.BadRequest(scim.InvalidValue, "stub failure"))
			}
			return bulkResult{code: http.StatusCreated, createdID: "id-" + strconv.Itoa(op.index)}
		}
		results := runBulk(context.Background(), ops, failOnErrors, exec)
		answered := map[*bulkOp]bool{}
		failed := 0
		for _, r := range results {
			if answered[r.op] {
				t.Fatalf("operation %d answered twice", r.op.index)
			}
			answered[r.op] = true
			if r.Status != strconv.Itoa(r.code) || r.BulkID != r.op.bulkID {
				t.Fatalf("result %+v does not match its operation %+v", r, r.op)
			}
			if r.code >= 400 {
				failed++
				var e struct{ Schemas []string }
				if err := json.Unmarshal(r.Response, &e); err != nil || len(e.Schemas) != 1 || e.Schemas[0] != scim.ErrorURN {
					t.Fatalf("failure response %s is not a SCIM error", r.Response)
				}
			}
			if executed[r.op.index] != (r.op.err == nil && (r.code < 400 || (r.op.method == http.MethodPost && len(r.op.bulkID)%3 == 1 && r.code == 400))) {
				t.Fatalf("operation %d: executed %v, result %d, err %v", r.op.index, executed[r.op.index], r.code, r.op.err)
			}
		}
		if _, err := json.Marshal(bulkResponse{Schemas: []string{BulkResponseURN}, Operations: results}); err != nil {
			t.Fatalf("response does not encode: %v", err)
		}
		if failOnErrors > 0 && failed > failOnErrors {
			t.Fatalf("%d failures processed with failOnErrors %d", failed, failOnErrors)
		}
		if len(results) < len(ops) && (failOnErrors == 0 || failed != failOnErrors) {
			t.Fatalf("%d of %d operations answered with %d failures, failOnErrors %d", len(results), len(ops), failed, failOnErrors)
		}
	})
}

// checkBulkOp checks one parsed operation.
func checkBulkOp(t *testing.T, i int, op *bulkOp) {
	t.Helper()
	if op.index != i {
		t.Fatalf("operation %d has index %d", i, op.index)
	}
	if op.err != nil {
		if op.err.Status != http.StatusBadRequest || op.err.Detail == "" {
			t.Fatalf("operation %d: error %v", i, op.err)
		}
		return
	}
	switch op.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		t.Fatalf("operation %d: method %q", i, op.method)
	}
	if op.resource != "Users" && op.resource != "Groups" {
		t.Fatalf("operation %d: resource %q", i, op.resource)
	}
	if (op.method == http.MethodPost) != (op.id == "") || op.method == http.MethodPost && op.bulkID == "" {
		t.Fatalf("operation %d: %s with id %q, bulkId %q", i, op.method, op.id, op.bulkID)
	}
	if _, ok := op.data.(map[string]any); !ok && op.method != http.MethodDelete {
		t.Fatalf("operation %d: %s with data %#v", i, op.method, op.data)
	}
	// The internal request execBulkOp makes must reach the same resource:
	// a path the mux would not clean or redirect, ending in the id.
	target := Prefix + "/" + op.resource
	if op.id != "" {
		target += "/" + url.PathEscape(op.id)
	}
	req, err := http.NewRequest(op.method, target, nil)
	if err != nil {
		t.Fatalf("operation %d: path %q gives no request: %v", i, op.path, err)
	}
	want := Prefix + "/" + op.resource
	if op.id != "" {
		want += "/" + op.id
	}
	if req.URL.Path != want || path.Clean(req.URL.Path) != req.URL.Path {
		t.Fatalf("operation %d: path %q (id %q) is served as %q", i, op.path, op.id, req.URL.Path)
	}
	// refs are exactly the bulkIds used, each once.
	var used []string
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			if r, ok := strings.CutPrefix(t, bulkRefPrefix); ok && !seen[r] {
				seen[r] = true
				used = append(used, r)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(op.id)
	walk(op.data)
	got := map[string]bool{}
	for _, r := range op.refs {
		if got[r] {
			t.Fatalf("operation %d: refs %q repeat %q", i, op.refs, r)
		}
		got[r] = true
	}
	if !reflect.DeepEqual(got, seen) && len(got)+len(seen) > 0 {
		t.Fatalf("operation %d: refs %q, but it uses %q", i, op.refs, used)
	}
}

// unresolvedRef returns a "bulkId:" string value left in v, or "".
func unresolvedRef(v any) string {
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, bulkRefPrefix) {
			return t
		}
	case []any:
		for _, e := range t {
			if s := unresolvedRef(e); s != "" {
				return s
			}
		}
	case map[string]any:
		for _, e := range t {
			if s := unresolvedRef(e); s != "" {
				return s
			}
		}
	}
	return ""
}

var listSeeds = []struct {
	query string
	body  string
}{
	{`filter=userName+eq+%22test.user%40okta.local%22&startIndex=1&count=100`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":["displayName","userName"],"filter":"displayName sw \"smith\"","startIndex":1,"count":10}`},
	{`filter=externalId+eq+%2200ujl29u0le5T6Aj10h7%22`, `{"filter":"emails[type eq \"work\" and value co \"@example.com\"]","sortBy":"name.familyName","sortOrder":"descending","excludedAttributes":"members"}`},
	{`startindex=0&COUNT=-5&sortBy=userName&sortOrder=Descending`, `{"startIndex":"2","count":1e3}`},
	{`filter=&count=5000&attributes=members,displayName&excludedAttributes=members`, `{"startIndex":null,"count":true}`},
	{`filter=userName+eq&startIndex=x`, `{"filter":42,"sortOrder":"up"}`},
	{`sortOrder=sideways&count=1.5`, `[]`},
	{`%zz=1&filter=a+pr&filter=b+pr`, `{"STARTINDEX":99999999999999999999}`},
}

// FuzzListQuery parses arbitrary list requests, from a query string and
// from a SearchRequest body, with parseList. Failures must be SCIM 400s;
// successes must hold a valid page (startIndex >= 1, 0 <= count <=
// maxResults), the sort order asked for, and a filter exactly when one
// was sent.
func FuzzListQuery(f *testing.F) {
	for _, s := range listSeeds {
		f.Add(s.query, []byte(s.body))
	}
	cfg := Config{}
	cfg.defaults()
	s := &Handler{cfg: cfg}
	f.Fuzz(func(t *testing.T, rawQuery string, body []byte) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: Prefix + "/Users", RawQuery: rawQuery}, Header: http.Header{}}
		checkListQuery(t, s, queryFromURL(r))
		_ = projection(r)

		r = &http.Request{Method: http.MethodPost, URL: &url.URL{Path: Prefix + "/Users/.search"},
			Header: http.Header{"Content-Type": {scim.MediaType}}, Body: io.NopCloser(bytes.NewReader(body))}
		q, err := queryFromSearch(r)
		if err != nil {
			// invalidSyntax for a body that isn't a JSON object; a member
			// of the wrong type is invalidFilter (filter) or invalidValue.
			var se *scim.Error
			if errors.As(err, &se) && (se.ScimType == scim.InvalidFilter || se.ScimType == scim.InvalidValue) {
				wantSCIM400(t, err, se.ScimType)
			} else {
				wantSCIM400(t, err, scim.InvalidSyntax)
			}
			return
		}
		checkListQuery(t, s, q)
	})
}

func checkListQuery(t *testing.T, s *Handler, q listQuery) {
	t.Helper()
	o, err := s.parseList(q)
	if err != nil {
		var se *scim.Error
		if errors.As(err, &se) && se.ScimType == scim.InvalidFilter {
			wantSCIM400(t, err, scim.InvalidFilter)
		} else {
			wantSCIM400(t, err, scim.InvalidValue)
		}
		return
	}
	if o.StartIndex < 1 || o.Count < 0 || o.Count > s.cfg.MaxResults {
		t.Fatalf("%+v gives startIndex %d, count %d", q, o.StartIndex, o.Count)
	}
	if (o.Filter != nil) != (strings.TrimSpace(q.filter) != "") {
		t.Fatalf("%+v gives filter %v", q, o.Filter)
	}
	if o.SortBy != strings.TrimSpace(q.sortBy) || o.Descending != strings.EqualFold(strings.TrimSpace(q.sortOrder), "descending") {
		t.Fatalf("%+v gives sortBy %q descending %v", q, o.SortBy, o.Descending)
	}
}

func wantSCIM400(t *testing.T, err error, scimType string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest || se.ScimType != scimType || se.Detail == "" {
		t.Fatalf("error %v (%T), want a SCIM 400 %s", err, err, scimType)
	}
}

var etagSeeds = []struct {
	header  string
	version int64
}{
	{`W/"3"`, 3},
	{`"3"`, 3},
	{`*`, 1},
	{`W/"1", W/"2" ,W/"3"`, 2},
	{`W/"12"`, 1},
	{`"1"x`, 1},
	{`""1""`, 1},
	{`W/ "1"`, 1},
	{`w/"1"`, 1},
	{`,,  ,`, 0},
	{`W/"-9223372036854775808"`, -9223372036854775808},
	{`W/"3694e05e9dff591"`, 3694},
}

// FuzzETagList compares If-Match (service.ETagMatches) and If-None-Match
// (tagListHas) against RFC 9110's grammar: for a well-formed list both
// answer exactly as weak comparison does; for any list, a match means the
// list holds "*" or the version's number; and a resource's own ETag
// always matches.
func FuzzETagList(f *testing.F) {
	for _, s := range etagSeeds {
		f.Add(s.header, s.version)
	}
	f.Fuzz(func(t *testing.T, header string, version int64) {
		tag := service.ETag(version)
		if !service.ETagMatches(tag, version) || !tagListHas(tag, tag) || !tagListHas(strings.TrimPrefix(tag, "W/"), tag) {
			t.Fatalf("ETag %s does not match itself", tag)
		}
		im, inm := service.ETagMatches(header, version), tagListHas(header, tag)
		num := strconv.FormatInt(version, 10)
		for _, got := range []bool{im, inm} {
			if got && !strings.Contains(header, "*") && !strings.Contains(header, num) {
				t.Fatalf("%q matches version %d", header, version)
			}
		}
		want, ok := rfcWeakMatch(header, num)
		if ok && (im != want || inm != want) {
			t.Fatalf("%q for version %d: If-Match %v, If-None-Match %v, want %v", header, version, im, inm, want)
		}
	})
}

// rfcWeakMatch parses header as RFC 9110's `"*" / #entity-tag` and reports
// whether it names opaque tag num under weak comparison; ok is false when
// the header is not well-formed.
func rfcWeakMatch(header, num string) (match, ok bool) {
	if strings.Trim(header, " \t") == "*" {
		return true, true
	}
	for _, e := range strings.Split(header, ",") {
		e = strings.Trim(e, " \t")
		if e == "" {
			continue // empty list elements are allowed
		}
		e = strings.TrimPrefix(e, "W/")
		if len(e) < 2 || e[0] != '"' || e[len(e)-1] != '"' {
			return false, false
		}
		opaque := e[1 : len(e)-1]
		for i := 0; i < len(opaque); i++ {
			if c := opaque[i]; c == '"' || c < 0x21 || c == 0x7f {
				return false, false
			}
		}
		if opaque == num {
			match = true
		}
	}
	return match, true
}
