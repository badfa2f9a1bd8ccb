package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSCIM is the baseline: a minimal in-memory SCIM server holding maps
// behind one mutex, with no persistence, no audit, no schema and only what
// the scenarios need (list with a userName eq filter and paging, POST,
// GET, PUT, PATCH of active and group member add). It answers with the
// same JSON shapes as Roster, encoded with encoding/json, so the ratio to
// it measures what Roster adds on top of HTTP and JSON on this machine.
type memSCIM struct {
	token string

	mu     sync.RWMutex
	users  map[string]*memUser // by id
	byName map[string]string   // lower-cased userName → id
	order  []string            // ids in creation order, for paging
	groups map[string]*memGroup
	seq    int
}

// memUser is immutable once published: writers replace the pointer, so a
// reader may encode it outside the lock.
type memUser struct {
	id       string
	attrs    map[string]any
	created  time.Time
	modified time.Time
	version  int
}

type memGroup struct {
	id          string
	displayName string
	members     map[string]struct{}
	created     time.Time
	modified    time.Time
	version     int
}

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	listURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

func newMemSCIM(token string) *memSCIM {
	return &memSCIM{token: token, users: map[string]*memUser{}, byName: map[string]string{}, groups: map[string]*memGroup{}}
}

func (m *memSCIM) handler() http.Handler {
	mux := http.NewServeMux()
	p := "/scim/v2"
	mux.HandleFunc("GET "+p+"/Users", m.listUsers)
	mux.HandleFunc("POST "+p+"/Users", m.createUser)
	mux.HandleFunc("GET "+p+"/Users/{id}", m.getUser)
	mux.HandleFunc("PUT "+p+"/Users/{id}", m.putUser)
	mux.HandleFunc("PATCH "+p+"/Users/{id}", m.patchUser)
	mux.HandleFunc("POST "+p+"/Groups", m.createGroup)
	mux.HandleFunc("GET "+p+"/Groups/{id}", m.getGroup)
	mux.HandleFunc("PATCH "+p+"/Groups/{id}", m.patchGroup)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+m.token {
			memError(w, http.StatusUnauthorized, "bad token")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (m *memSCIM) newID() string {
	m.seq++
	return "mem-" + strconv.Itoa(m.seq)
}

// seed inserts a user directly, as the store seeding does for Roster.
func (m *memSCIM) seed(attrs map[string]any) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	id := m.newID()
	name, _ := attrs["userName"].(string)
	m.users[id] = &memUser{id: id, attrs: attrs, created: now, modified: now, version: 1}
	m.byName[strings.ToLower(name)] = id
	m.order = append(m.order, id)
	return id
}

func memError(w http.ResponseWriter, status int, detail string) {
	writeJSONResp(w, status, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  strconv.Itoa(status), "detail": detail,
	})
}

func writeJSONResp(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (m *memSCIM) render(r *http.Request, u *memUser) map[string]any {
	out := make(map[string]any, len(u.attrs)+3)
	for k, v := range u.attrs {
		if k != "password" {
			out[k] = v
		}
	}
	out["schemas"] = []string{userURN}
	out["id"] = u.id
	out["meta"] = map[string]any{
		"resourceType": "User",
		"created":      u.created.UTC().Format(time.RFC3339Nano),
		"lastModified": u.modified.UTC().Format(time.RFC3339Nano),
		"location":     "http://" + r.Host + "/scim/v2/Users/" + u.id,
		"version":      `W/"` + strconv.Itoa(u.version) + `"`,
	}
	return out
}

func readJSON(r *http.Request) (map[string]any, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// parseUserNameEq understands only `userName eq "…"`.
func parseUserNameEq(f string) (string, bool) {
	f = strings.TrimSpace(f)
	const pfx = "username eq "
	if len(f) < len(pfx) || !strings.EqualFold(f[:len(pfx)], pfx) {
		return "", false
	}
	s, err := strconv.Unquote(strings.TrimSpace(f[len(pfx):]))
	return s, err == nil
}

func (m *memSCIM) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startIndex"))
	start = max(start, 1)
	count := 100
	if c := q.Get("count"); c != "" {
		count, _ = strconv.Atoi(c)
		count = min(max(count, 0), 1000)
	}
	var page []*memUser
	total := 0
	if f := q.Get("filter"); f != "" {
		name, ok := parseUserNameEq(f)
		if !ok {
			memError(w, http.StatusBadRequest, "unsupported filter")
			return
		}
		m.mu.RLock()
		if id, ok := m.byName[strings.ToLower(name)]; ok {
			total = 1
			if start == 1 && count > 0 {
				page = append(page, m.users[id])
			}
		}
		m.mu.RUnlock()
	} else {
		m.mu.RLock()
		total = len(m.order)
		for i := start - 1; i < len(m.order) && len(page) < count; i++ {
			page = append(page, m.users[m.order[i]])
		}
		m.mu.RUnlock()
	}
	res := make([]any, len(page))
	for i, u := range page {
		res[i] = m.render(r, u)
	}
	writeJSONResp(w, http.StatusOK, map[string]any{
		"schemas": []string{listURN}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(res), "Resources": res,
	})
}

func (m *memSCIM) createUser(w http.ResponseWriter, r *http.Request) {
	body, err := readJSON(r)
	if err != nil {
		memError(w, http.StatusBadRequest, err.Error())
		return
	}
	name, _ := body["userName"].(string)
	if name == "" {
		memError(w, http.StatusBadRequest, "userName is required")
		return
	}
	delete(body, "schemas")
	delete(body, "id")
	delete(body, "meta")
	delete(body, "groups")
	if _, ok := body["active"]; !ok {
		body["active"] = true
	}
	m.mu.Lock()
	if _, dup := m.byName[strings.ToLower(name)]; dup {
		m.mu.Unlock()
		memError(w, http.StatusConflict, "userName taken")
		return
	}
	now := time.Now()
	u := &memUser{id: m.newID(), attrs: body, created: now, modified: now, version: 1}
	m.users[u.id] = u
	m.byName[strings.ToLower(name)] = u.id
	m.order = append(m.order, u.id)
	m.mu.Unlock()
	w.Header().Set("Location", "http://"+r.Host+"/scim/v2/Users/"+u.id)
	writeJSONResp(w, http.StatusCreated, m.render(r, u))
}

func (m *memSCIM) getUser(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	u := m.users[r.PathValue("id")]
	m.mu.RUnlock()
	if u == nil {
		memError(w, http.StatusNotFound, "no such user")
		return
	}
	writeJSONResp(w, http.StatusOK, m.render(r, u))
}

// update replaces a user with change(copy of its attributes).
func (m *memSCIM) update(w http.ResponseWriter, r *http.Request, change func(map[string]any) map[string]any) {
	id := r.PathValue("id")
	m.mu.Lock()
	u := m.users[id]
	if u == nil {
		m.mu.Unlock()
		memError(w, http.StatusNotFound, "no such user")
		return
	}
	attrs := change(u.attrs)
	oldName, _ := u.attrs["userName"].(string)
	newName, _ := attrs["userName"].(string)
	if !strings.EqualFold(oldName, newName) {
		if _, dup := m.byName[strings.ToLower(newName)]; dup || newName == "" {
			m.mu.Unlock()
			memError(w, http.StatusConflict, "userName taken")
			return
		}
		delete(m.byName, strings.ToLower(oldName))
		m.byName[strings.ToLower(newName)] = id
	}
	nu := &memUser{id: id, attrs: attrs, created: u.created, modified: time.Now(), version: u.version + 1}
	m.users[id] = nu
	m.mu.Unlock()
	writeJSONResp(w, http.StatusOK, m.render(r, nu))
}

func (m *memSCIM) putUser(w http.ResponseWriter, r *http.Request) {
	body, err := readJSON(r)
	if err != nil {
		memError(w, http.StatusBadRequest, err.Error())
		return
	}
	delete(body, "schemas")
	delete(body, "id")
	delete(body, "meta")
	delete(body, "groups")
	m.update(w, r, func(cur map[string]any) map[string]any {
		if _, ok := body["active"]; !ok {
			body["active"] = cur["active"]
		}
		return body
	})
}

type memPatch struct {
	Operations []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
}

func (m *memSCIM) patchUser(w http.ResponseWriter, r *http.Request) {
	var p memPatch
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		memError(w, http.StatusBadRequest, err.Error())
		return
	}
	m.update(w, r, func(cur map[string]any) map[string]any {
		next := make(map[string]any, len(cur))
		for k, v := range cur {
			next[k] = v
		}
		for _, op := range p.Operations {
			if op.Path != "" {
				next[op.Path] = op.Value
				continue
			}
			if vm, ok := op.Value.(map[string]any); ok {
				for k, v := range vm {
					next[k] = v
				}
			}
		}
		return next
	})
}

func (m *memSCIM) renderGroup(r *http.Request, g *memGroup) map[string]any {
	return map[string]any{
		"schemas": []string{groupURN}, "id": g.id, "displayName": g.displayName,
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      g.created.UTC().Format(time.RFC3339Nano),
			"lastModified": g.modified.UTC().Format(time.RFC3339Nano),
			"location":     "http://" + r.Host + "/scim/v2/Groups/" + g.id,
			"version":      `W/"` + strconv.Itoa(g.version) + `"`,
		},
	}
}

func (m *memSCIM) createGroup(w http.ResponseWriter, r *http.Request) {
	body, err := readJSON(r)
	if err != nil {
		memError(w, http.StatusBadRequest, err.Error())
		return
	}
	name, _ := body["displayName"].(string)
	m.mu.Lock()
	now := time.Now()
	g := &memGroup{id: m.newID(), displayName: name, members: map[string]struct{}{}, created: now, modified: now, version: 1}
	m.groups[g.id] = g
	out := m.renderGroup(r, g)
	m.mu.Unlock()
	writeJSONResp(w, http.StatusCreated, out)
}

func (m *memSCIM) getGroup(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	g := m.groups[r.PathValue("id")]
	var out map[string]any
	if g != nil {
		out = m.renderGroup(r, g)
	}
	m.mu.RUnlock()
	if g == nil {
		memError(w, http.StatusNotFound, "no such group")
		return
	}
	writeJSONResp(w, http.StatusOK, out)
}

func (m *memSCIM) patchGroup(w http.ResponseWriter, r *http.Request) {
	var p memPatch
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		memError(w, http.StatusBadRequest, err.Error())
		return
	}
	m.mu.Lock()
	g := m.groups[r.PathValue("id")]
	if g == nil {
		m.mu.Unlock()
		memError(w, http.StatusNotFound, "no such group")
		return
	}
	for _, op := range p.Operations {
		if !strings.EqualFold(op.Op, "add") || !strings.EqualFold(op.Path, "members") {
			continue
		}
		list, _ := op.Value.([]any)
		for _, e := range list {
			em, _ := e.(map[string]any)
			if id, _ := em["value"].(string); id != "" {
				if _, ok := m.users[id]; !ok {
					m.mu.Unlock()
					memError(w, http.StatusBadRequest, "no such member")
					return
				}
				g.members[id] = struct{}{}
			}
		}
	}
	g.modified = time.Now()
	g.version++
	out := m.renderGroup(r, g)
	m.mu.Unlock()
	writeJSONResp(w, http.StatusOK, out)
}
