package scimapi

// POST /Bulk (RFC 7644 §3.7). Each operation is dispatched as an internal
// request through the same mux and handlers as a direct call, so it gets
// exactly the same authentication, validation, audit and error behaviour.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

// URNs of the bulk messages (RFC 7644 §3.7).
const (
	BulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

// bulkRefPrefix marks a reference to the resource a POST of the same
// request creates: "bulkId:qwerty" (RFC 7644 §3.7.2).
const bulkRefPrefix = "bulkId:"

// bulkOp is one parsed operation of a BulkRequest.
type bulkOp struct {
	index     int
	rawMethod string // as sent
	method    string // upper-cased
	path      string // as sent
	resource  string // "Users" or "Groups"
	id        string // path id, possibly "bulkId:…"
	bulkID    string
	version   string
	data      any         // decoded (json.Number for numbers); nil when absent
	err       *scim.Error // set when the operation itself is malformed
	refs      []string    // bulkIds referenced by path and data, first-seen order
}

// bulkResult is one entry of the BulkResponse.
type bulkResult struct {
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Location string          `json:"location,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`

	code      int     // HTTP status of the operation
	createdID string  // id of the resource a successful POST created
	op        *bulkOp // the operation answered
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// bulkPayloadLimit is the effective /Bulk body limit: MaxBodyBytes caps
// every body, so the advertised maxPayloadSize is the smaller of the two.
func (s *Handler) bulkPayloadLimit() int64 {
	return min(s.cfg.MaxBulkPayload, s.cfg.MaxBodyBytes)
}

func (s *Handler) bulk(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBulkBody(r)
	if err != nil {
		return err
	}
	failOnErrors, ops, err := parseBulkRequest(body, s.cfg.MaxBulkOperations)
	if err != nil {
		return err
	}
	results := runBulk(r.Context(), ops, failOnErrors, func(op *bulkOp, ids map[string]string) bulkResult {
		return s.execBulkOp(r, op, ids)
	})
	failed := 0
	base := s.BaseURL(r)
	for i := range results {
		res := &results[i]
		if res.code >= 400 {
			failed++
		}
		// location is required except for a failed POST (RFC 7644 §3.7.3).
		if res.Location == "" && res.op.method != http.MethodPost && res.op.resource != "" && res.op.id != "" &&
			!strings.HasPrefix(res.op.id, bulkRefPrefix) {
			res.Location = base + "/" + res.op.resource + "/" + url.PathEscape(res.op.id)
		}
	}
	s.log.InfoContext(r.Context(), "bulk request", "operations", len(ops), "processed", len(results), "failed", failed)
	if results == nil {
		results = []bulkResult{}
	}
	writeJSON(w, http.StatusOK, bulkResponse{Schemas: []string{BulkResponseURN}, Operations: results})
	return nil
}

// readBulkBody reads the BulkRequest body, enforcing the bulk payload limit
// on its own (413, RFC 7644 §3.7.4).
func (s *Handler) readBulkBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != scim.MediaType && mt != "application/json") {
			return nil, scim.Errorf(http.StatusUnsupportedMediaType, "", "Content-Type %q is not supported; send application/scim+json or application/json", ct)
		}
	}
	limit := s.bulkPayloadLimit()
	tooLarge := scim.Errorf(http.StatusRequestEntityTooLarge, "",
		"the size of the bulk request exceeds the maxPayloadSize of %d bytes", limit)
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, scim.BadRequest(scim.InvalidSyntax, "could not read the request body: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// parseBulkRequest checks the BulkRequest envelope. Errors in the envelope
// fail the whole request; errors in one operation are recorded on it.
// Member names match case-insensitively (RFC 7643 §2.1).
func parseBulkRequest(body []byte, maxOps int) (int, []*bulkOp, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return 0, nil, scim.BadRequest(scim.InvalidSyntax, "request body is not valid JSON: %v", err)
	}
	if te := scim.CheckText(body); te != nil {
		// The decoder replaced it with U+FFFD; no operation may store that.
		return 0, nil, scim.BadRequest(scim.InvalidValue, "%s; send text as UTF-8", te.Error())
	}
	top, ok := v.(map[string]any)
	if !ok {
		return 0, nil, scim.BadRequest(scim.InvalidSyntax, "request body must be a JSON object")
	}
	var schemas, failOn, opsV any
	var haveOps bool
	for k, v := range top {
		switch strings.ToLower(k) {
		case "schemas":
			schemas = v
		case "failonerrors":
			failOn = v
		case "operations":
			opsV, haveOps = v, true
		}
	}
	if !hasURN(schemas, BulkRequestURN) {
		return 0, nil, scim.BadRequest(scim.InvalidSyntax, "schemas must contain %q", BulkRequestURN)
	}
	failOnErrors := 0 // 0 (or absent): process every operation
	if failOn != nil {
		n, _ := failOn.(json.Number)
		i, err := n.Int64()
		if err != nil || i < 0 {
			return 0, nil, scim.BadRequest(scim.InvalidValue, "failOnErrors must be a non-negative integer, got %v", failOn)
		}
		failOnErrors = int(min(i, int64(1<<31-1)))
	}
	list, ok := opsV.([]any)
	if !haveOps || !ok {
		return 0, nil, scim.BadRequest(scim.InvalidSyntax, "a BulkRequest needs an Operations array")
	}
	if len(list) > maxOps {
		return 0, nil, scim.Errorf(http.StatusRequestEntityTooLarge, "",
			"the bulk request has %d operations, more than the maxOperations of %d", len(list), maxOps)
	}
	ops := make([]*bulkOp, len(list))
	for i, raw := range list {
		ops[i] = parseBulkOp(i, raw)
	}
	return failOnErrors, ops, nil
}

func hasURN(v any, urn string) bool {
	l, _ := v.([]any)
	for _, e := range l {
		if s, ok := e.(string); ok && strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

func parseBulkOp(i int, raw any) *bulkOp {
	op := &bulkOp{index: i}
	m, ok := raw.(map[string]any)
	if !ok {
		op.err = scim.BadRequest(scim.InvalidSyntax, "operation %d is not a JSON object", i+1)
		return op
	}
	var methodV, pathV, bulkIDV, versionV any
	for k, v := range m {
		switch strings.ToLower(k) {
		case "method":
			methodV = v
		case "path":
			pathV = v
		case "bulkid":
			bulkIDV = v
		case "version":
			versionV = v
		case "data":
			op.data = v
		}
	}
	op.rawMethod, _ = methodV.(string)
	op.path, _ = pathV.(string)
	op.bulkID, _ = bulkIDV.(string)
	op.version, _ = versionV.(string)
	bad := func(scimType, format string, args ...any) *bulkOp {
		op.err = scim.BadRequest(scimType, format, args...)
		return op
	}
	if _, ok := bulkIDV.(string); bulkIDV != nil && !ok {
		return bad(scim.InvalidSyntax, "bulkId must be a string")
	}
	op.method = strings.ToUpper(strings.TrimSpace(op.rawMethod))
	switch op.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	case "":
		return bad(scim.InvalidSyntax, "operation %d has no method", i+1)
	default:
		return bad(scim.InvalidSyntax, "method %q is not supported in a bulk operation; use POST, PUT, PATCH or DELETE", op.rawMethod)
	}
	res, id, ok := parseBulkPath(op.path)
	if !ok {
		return bad(scim.InvalidSyntax, "path %q is not a bulk operation path; use /Users, /Groups, /Users/{id} or /Groups/{id}", op.path)
	}
	op.resource, op.id = res, id
	if op.method == http.MethodPost {
		if id != "" {
			return bad(scim.InvalidSyntax, "POST needs a resource type path such as /Users, not %q", op.path)
		}
		if op.bulkID == "" {
			return bad(scim.InvalidSyntax, "a POST operation must carry a bulkId")
		}
	} else if id == "" {
		return bad(scim.InvalidSyntax, "%s needs a resource path such as /%s/{id}, not %q", op.method, res, op.path)
	}
	if op.method != http.MethodDelete {
		if _, ok := op.data.(map[string]any); !ok {
			if op.data == nil {
				return bad(scim.InvalidSyntax, "a %s operation needs data", op.method)
			}
			return bad(scim.InvalidSyntax, "data must be a JSON object")
		}
	}
	op.refs = bulkRefs(op.id, op.data)
	return op
}

// parseBulkPath splits "/Users" or "/Groups/{id}" (resource type matched
// case-insensitively, a trailing slash tolerated).
func parseBulkPath(p string) (resource, id string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(p), "/")
	if !ok {
		return "", "", false
	}
	res, id, _ := strings.Cut(rest, "/")
	switch {
	case strings.EqualFold(res, "Users"):
		res = "Users"
	case strings.EqualFold(res, "Groups"):
		res = "Groups"
	default:
		return "", "", false
	}
	id = strings.TrimSuffix(id, "/")
	// "." and ".." would be cleaned away by the mux into another path.
	if strings.Contains(id, "/") || id == "." || id == ".." {
		return "", "", false
	}
	return res, id, true
}

// bulkRefs lists the bulkIds a path id and data refer to, each once, in
// first-seen order. Map keys are visited sorted so the order is stable.
func bulkRefs(pathID string, data any) []string {
	var refs []string
	seen := map[string]bool{}
	add := func(s string) {
		if ref, ok := strings.CutPrefix(s, bulkRefPrefix); ok && !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	add(pathID)
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			add(t)
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(t)) {
				walk(t[k])
			}
		}
	}
	walk(data)
	return refs
}

// substituteBulkIDs returns a copy of v in which every string
// "bulkId:<x>" with x in ids is replaced by ids[x]. v is not modified.
func substituteBulkIDs(v any, ids map[string]string) any {
	switch t := v.(type) {
	case string:
		if ref, ok := strings.CutPrefix(t, bulkRefPrefix); ok {
			if id, ok := ids[ref]; ok {
				return id
			}
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = substituteBulkIDs(e, ids)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = substituteBulkIDs(e, ids)
		}
		return out
	}
	return v
}

// runBulk processes ops in an order that satisfies their bulkId references
// (RFC 7644 §3.7.2 allows any order): passes over the pending operations
// run each one whose references are all resolved and defer the others.
// References that can never resolve — an unknown bulkId, one whose POST
// failed, a self-reference or a cycle — fail with 409. Processing stops
// once failOnErrors (if > 0) errors occurred or ctx is done; results are in
// processing order and omit unprocessed operations. exec runs one ready
// operation given the ids resolved so far.
func runBulk(ctx context.Context, ops []*bulkOp, failOnErrors int, exec func(op *bulkOp, ids map[string]string) bulkResult) []bulkResult {
	defs := map[string]int{} // bulkId -> index of the POST that defines it
	for i, op := range ops {
		if op.method != http.MethodPost || op.bulkID == "" {
			continue
		}
		if first, dup := defs[op.bulkID]; dup {
			if op.err == nil {
				op.err = scim.BadRequest(scim.InvalidValue, "bulkId %q is already used by operation %d", op.bulkID, first+1)
			}
			continue
		}
		defs[op.bulkID] = i
	}
	ids := map[string]string{}  // resolved bulkId -> created id
	failed := map[string]bool{} // bulkIds whose POST did not create anything
	var results []bulkResult
	errCount := 0
	// record appends a result; it reports false once processing must stop.
	record := func(op *bulkOp, res bulkResult) bool {
		res.op = op
		res.Status = strconv.Itoa(res.code)
		if res.Method == "" {
			res.Method = op.method
			if res.Method == "" {
				res.Method = op.rawMethod
			}
		}
		if res.BulkID == "" {
			res.BulkID = op.bulkID
		}
		results = append(results, res)
		if op.method == http.MethodPost && op.bulkID != "" && defs[op.bulkID] == op.index {
			if res.code < 300 && res.createdID != "" {
				ids[op.bulkID] = res.createdID
			} else {
				failed[op.bulkID] = true
			}
		}
		if res.code >= 400 {
			errCount++
			if failOnErrors > 0 && errCount >= failOnErrors {
				return false
			}
		}
		return true
	}
	pending := make([]*bulkOp, len(ops))
	copy(pending, ops)
	for len(pending) > 0 {
		var next []*bulkOp
		for _, op := range pending {
			if ctx.Err() != nil {
				return results
			}
			var res bulkResult
			switch blocked, err := checkRefs(op, defs, ids, failed); {
			case op.err != nil:
				res = errorResult(op.err)
			case err != nil:
				res = errorResult(err)
			case blocked:
				next = append(next, op)
				continue
			default:
				res = exec(op, ids)
			}
			if !record(op, res) {
				return results
			}
		}
		if len(next) == len(pending) {
			// No progress: every remaining operation waits, directly or
			// through others, on a cycle of bulkId references.
			for _, op := range next {
				ref := firstUnresolved(op, ids)
				err := scim.Errorf(http.StatusConflict, "", "bulkId %q cannot be resolved: circular reference", ref)
				if !record(op, errorResult(err)) {
					return results
				}
			}
			return results
		}
		pending = next
	}
	return results
}

// checkRefs reports whether op must wait for another operation, or the
// error that makes it fail because a reference can never resolve.
func checkRefs(op *bulkOp, defs map[string]int, ids map[string]string, failed map[string]bool) (blocked bool, err *scim.Error) {
	if op.err != nil {
		return false, nil
	}
	for _, ref := range op.refs {
		if _, ok := ids[ref]; ok {
			continue
		}
		if ref == op.bulkID && op.method == http.MethodPost {
			return false, scim.Errorf(http.StatusConflict, "", "bulkId %q refers to the operation's own resource: circular reference", ref)
		}
		if _, ok := defs[ref]; !ok {
			return false, scim.Errorf(http.StatusConflict, "", "bulkId %q is not defined by any POST operation of this request", ref)
		}
		if failed[ref] {
			return false, scim.Errorf(http.StatusConflict, "", "bulkId %q cannot be resolved: the operation that defines it failed", ref)
		}
		blocked = true
	}
	return blocked, nil
}

func firstUnresolved(op *bulkOp, ids map[string]string) string {
	for _, ref := range op.refs {
		if _, ok := ids[ref]; !ok {
			return ref
		}
	}
	return ""
}

func errorResult(e *scim.Error) bulkResult {
	b, _ := json.Marshal(e)
	return bulkResult{code: e.Status, Response: b}
}

// refusedResult is an operation the service (or the rate limit) refused,
// its error body written as the SCIM endpoint writes one.
func refusedResult(e *scim.Error) bulkResult {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e)
	return bulkResult{code: e.Status, Response: bytes.TrimSpace(buf.Bytes())}
}

// execBulkOp runs one operation by calling the service, as the endpoint
// for its method and path does, with the bulk request's key, team and
// client. Its data is decoded exactly as a request body is. A panic fails
// only this operation.
func (s *Handler) execBulkOp(r *http.Request, op *bulkOp, ids map[string]string) (res bulkResult) {
	ctx := r.Context()
	id, _ := substituteBulkIDs(op.id, ids).(string)
	var body []byte
	if op.data != nil {
		b, err := json.Marshal(substituteBulkIDs(op.data, ids))
		if err != nil {
			return errorResult(scim.BadRequest(scim.InvalidSyntax, "data cannot be encoded: %v", err))
		}
		body = b
	}
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			res = refusedResult(&scim.Error{Status: http.StatusInternalServerError, Detail: "internal error"})
		}
		path := Prefix + "/" + op.resource
		if id != "" {
			path += "/" + id
		}
		s.log.InfoContext(ctx, "bulk operation", "method", op.method, "path", path, "status", res.code)
	}()
	p := principal(r)
	if _, err := s.spend(p, true); err != nil {
		return refusedResult(toSCIMError(err))
	}
	status, meta, err := s.bulkCall(r, p, op, id, body)
	if err != nil {
		se := toSCIMError(err)
		s.logRefusal(r, se)
		return refusedResult(se)
	}
	res = bulkResult{code: status, Location: meta.Location, Version: meta.Version}
	if op.method == http.MethodPost {
		res.createdID = meta.id
	}
	return res
}

// bulkMeta is what a bulk answer tells of the resource an operation wrote.
type bulkMeta struct{ id, Location, Version string }

// bulkCall is the service call of one operation.
func (s *Handler) bulkCall(r *http.Request, p service.Principal, op *bulkOp, id string, body []byte) (int, bulkMeta, error) {
	ctx, a, base := r.Context(), s.actor(r), s.BaseURL(r)
	userMeta := func(v service.UserView) bulkMeta {
		return bulkMeta{v.User.ID, base + "/Users/" + v.User.ID, etag(v.User.Version)}
	}
	groupMeta := func(v service.GroupView) bulkMeta {
		return bulkMeta{v.Group.ID, base + "/Groups/" + v.Group.ID, etag(v.Group.Version)}
	}
	decode := func() (map[string]any, error) { return scim.DecodeObject(body) }
	patchOps := func() ([]scim.PatchOperation, error) {
		m, err := decode()
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(m)
		return scim.ParsePatch(b)
	}
	users := op.resource == "Users"
	switch op.method {
	case http.MethodPost:
		m, err := decode()
		if err != nil {
			return 0, bulkMeta{}, err
		}
		if users {
			v, err := s.svc.CreateUser(ctx, p, a, m)
			return http.StatusCreated, userMeta(v), err
		}
		v, err := s.svc.CreateGroup(ctx, p, a, m)
		return http.StatusCreated, groupMeta(v), err
	case http.MethodPut:
		m, err := decode()
		if err != nil {
			return 0, bulkMeta{}, err
		}
		if users {
			v, err := s.svc.ReplaceUser(ctx, p, a, id, op.version, m)
			return http.StatusOK, userMeta(v), err
		}
		v, err := s.svc.ReplaceGroup(ctx, p, a, id, op.version, m)
		return http.StatusOK, groupMeta(v), err
	case http.MethodPatch:
		ops, err := patchOps()
		if err != nil {
			return 0, bulkMeta{}, err
		}
		if users {
			v, err := s.svc.PatchUser(ctx, p, a, id, op.version, ops)
			return http.StatusOK, userMeta(v), err
		}
		v, err := s.svc.PatchGroup(ctx, p, a, id, op.version, ops, false)
		return http.StatusOK, groupMeta(v), err
	}
	if users {
		return http.StatusNoContent, bulkMeta{}, s.svc.DeleteUser(ctx, p, a, id, op.version)
	}
	return http.StatusNoContent, bulkMeta{}, s.svc.DeleteGroup(ctx, p, a, id, op.version)
}
