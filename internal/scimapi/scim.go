package scimapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

type principalKey struct{}

func principal(r *http.Request) service.Principal {
	p, _ := r.Context().Value(principalKey{}).(service.Principal)
	return p
}

// authed authenticates the team's SCIM key before h runs; every handler
// behind it sees only its key's team.
func (s *Handler) authed(h handler) http.Handler {
	return s.serve(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.svc.Authenticate(r.Context(), bearerToken(r), httpx.ClientIP(r))
		provNote(r, p) // a refused but known key still names its team
		httpx.NoteCaller(r.Context(), p.Team.Slug, p.Key.Prefix)
		if err != nil {
			return err
		}
		if err := s.rateLimit(w, r, p); err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		return h(w, r.WithContext(ctx))
	})
}

// ifMatch is the request's If-Match precondition, for the write it guards.
func ifMatch(r *http.Request) string { return r.Header.Get("If-Match") }

// bearerToken reads "Authorization: Bearer <key>". Okta's header-token
// mode may send the key bare, without the scheme, so that is accepted too.
func bearerToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(rest)
	}
	if strings.HasPrefix(h, service.TokenPrefix) {
		return h
	}
	return ""
}

func (s *Handler) actor(r *http.Request) service.Actor {
	p := principal(r)
	return service.Actor{Kind: "scim-key", ID: p.Key.ID, Name: p.Key.Name, RequestID: httpx.RequestID(r.Context()), IP: httpx.ClientIP(r)}
}

// readBody reads a JSON request body. application/scim+json and
// application/json are accepted with or without a charset, and so is a
// missing Content-Type (early Okta tests omit it).
func readBody(r *http.Request) (map[string]any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != scim.MediaType && mt != "application/json") {
			return nil, scim.Errorf(http.StatusUnsupportedMediaType, "", "Content-Type %q is not supported; send application/scim+json or application/json", ct)
		}
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, scim.Errorf(http.StatusRequestEntityTooLarge, "", "request body is larger than the limit of %d bytes", mbe.Limit)
		}
		return nil, scim.BadRequest(scim.InvalidSyntax, "could not read the request body: %v", err)
	}
	return scim.DecodeObject(b)
}

func readPatch(r *http.Request) ([]scim.PatchOperation, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(body)
	return scim.ParsePatch(b)
}

// listQuery is a list request from the query string or a SearchRequest.
type listQuery struct {
	filter     string
	startIndex string
	count      string
	attributes string
	excluded   string
	sortBy     string
	sortOrder  string
}

func queryFromURL(r *http.Request) listQuery {
	q := r.URL.Query()
	// Parameter names are matched case-insensitively: MS-PM2 sends startindex.
	get := func(name string) string {
		for k, v := range q {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	return listQuery{get("filter"), get("startIndex"), get("count"), get("attributes"), get("excludedAttributes"), get("sortBy"), get("sortOrder")}
}

func queryFromSearch(r *http.Request) (listQuery, error) {
	body, err := readBody(r)
	if err != nil {
		return listQuery{}, err
	}
	var q listQuery
	for k, v := range body {
		if v == nil {
			continue // null means absent (RFC 7643 §2.5)
		}
		name := strings.ToLower(k)
		var err error
		switch name {
		case "filter":
			f, ok := v.(string)
			if !ok {
				return q, scim.BadRequest(scim.InvalidFilter, "SearchRequest %q must be a string, got %s", k, scimKind(v))
			}
			q.filter = f
		case "startindex":
			q.startIndex, err = searchNumber(k, v)
		case "count":
			q.count, err = searchNumber(k, v)
		case "attributes":
			q.attributes, err = joinList(k, v)
		case "excludedattributes":
			q.excluded, err = joinList(k, v)
		case "sortby":
			q.sortBy, err = searchString(k, v)
		case "sortorder":
			q.sortOrder, err = searchString(k, v)
		}
		if err != nil {
			return q, err
		}
	}
	return q, nil
}

// A SearchRequest member of the wrong type is refused, not ignored: a
// filter sent as a number must not silently list everything.
func searchString(k string, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", scim.BadRequest(scim.InvalidValue, "SearchRequest %q must be a string, got %s", k, scimKind(v))
}

func searchNumber(k string, v any) (string, error) {
	switch t := v.(type) {
	case json.Number:
		return t.String(), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case string:
		return t, nil
	}
	return "", scim.BadRequest(scim.InvalidValue, "SearchRequest %q must be a number, got %s", k, scimKind(v))
}

func joinList(k string, v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return "", scim.BadRequest(scim.InvalidValue, "SearchRequest %q must list attribute names as strings, got %s", k, scimKind(e))
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", scim.BadRequest(scim.InvalidValue, "SearchRequest %q must be a list of attribute names, got %s", k, scimKind(v))
}

// scimKind names a JSON value's type for an error message.
func scimKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// parseList applies RFC 7644 §3.4.2.4: startIndex below 1 is 1, count
// below 0 is 0, and count above maxResults is capped.
func (s *Handler) parseList(q listQuery) (service.ListOptions, error) {
	o := service.ListOptions{StartIndex: 1, Count: s.cfg.DefaultCount}
	if q.startIndex != "" {
		n, err := strconv.Atoi(strings.TrimSpace(q.startIndex))
		if err != nil {
			return o, scim.BadRequest(scim.InvalidValue, "startIndex must be an integer, got %q", q.startIndex)
		}
		o.StartIndex = max(n, 1)
	}
	if q.count != "" {
		n, err := strconv.Atoi(strings.TrimSpace(q.count))
		if err != nil {
			return o, scim.BadRequest(scim.InvalidValue, "count must be an integer, got %q", q.count)
		}
		o.Count = min(max(n, 0), s.cfg.MaxResults)
	}
	o.SortBy = strings.TrimSpace(q.sortBy)
	switch strings.ToLower(strings.TrimSpace(q.sortOrder)) {
	case "", "ascending":
	case "descending":
		o.Descending = true
	default:
		return o, scim.BadRequest(scim.InvalidValue, "sortOrder must be \"ascending\" or \"descending\", got %q", q.sortOrder)
	}
	if strings.TrimSpace(q.filter) != "" {
		f, err := filter.Parse(q.filter, filter.Limits{})
		if err != nil {
			return o, scim.BadRequest(scim.InvalidFilter, "invalid filter: %v", err)
		}
		o.Filter = f
	}
	return o, nil
}

// resourceHandlers are the endpoints of one resource type.
type resourceHandlers struct {
	list, search, create, get, replace, patch, delete handler
}

func (s *Handler) respond(w http.ResponseWriter, r *http.Request, status int, rt *scim.ResourceType, out map[string]any) error {
	proj := scim.ParseProjection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if m, ok := out["meta"].(map[string]any); ok {
		if status == http.StatusCreated {
			w.Header().Set("Location", fmt.Sprint(m["location"]))
		}
		if v, ok := m["version"].(string); ok {
			w.Header().Set("ETag", v)
			// If-None-Match with the current version: the client's copy is
			// fresh (RFC 7644 §3.14).
			if inm := r.Header.Get("If-None-Match"); r.Method == http.MethodGet && inm != "" && tagListHas(inm, v) {
				w.WriteHeader(http.StatusNotModified)
				return nil
			}
		}
	}
	writeJSON(w, status, proj.Apply(rt, out))
	return nil
}

func (s *Handler) renderUser(r *http.Request, v service.UserView) map[string]any {
	base := s.BaseURL(r)
	var extra map[string]any
	if len(v.Groups) > 0 {
		groups := make([]any, len(v.Groups))
		for i, g := range v.Groups {
			groups[i] = map[string]any{"value": g.GroupID, "display": g.Display, "$ref": base + "/Groups/" + g.GroupID, "type": "direct"}
		}
		extra = map[string]any{"groups": groups}
	}
	rt := s.svc.UserType(principal(r).Team)
	return scim.Render(rt, v.User.ID, scim.DropUndeclared(rt, v.Attrs), scim.Meta{
		ResourceType: "User", Created: v.User.Created, LastModified: v.User.Modified,
		Location: base + "/Users/" + v.User.ID, Version: etag(v.User.Version),
	}, extra)
}

func (s *Handler) renderGroup(r *http.Request, v service.GroupView) map[string]any {
	base := s.BaseURL(r)
	var extra map[string]any
	if v.Members != nil {
		members := make([]any, len(v.Members))
		for i, m := range v.Members {
			members[i] = map[string]any{"value": m.UserID, "display": m.Display, "$ref": base + "/Users/" + m.UserID, "type": "User"}
		}
		extra = map[string]any{"members": members}
	}
	return scim.Render(scim.GroupType, v.Group.ID, v.Attrs, scim.Meta{
		ResourceType: "Group", Created: v.Group.Created, LastModified: v.Group.Modified,
		Location: base + "/Groups/" + v.Group.ID, Version: etag(v.Group.Version),
	}, extra)
}

func etag(version int64) string { return service.ETag(version) }

// tagListHas reports whether an If-None-Match list names etag, comparing
// weakly as RFC 9110 §13.1.2 asks for GET.
func tagListHas(list, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

func projection(r *http.Request) scim.Projection {
	return scim.ParseProjection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
}

func (s *Handler) userHandlers() resourceHandlers {
	list := func(w http.ResponseWriter, r *http.Request, q listQuery) error {
		rt := s.svc.UserType(principal(r).Team)
		o, err := s.parseList(q)
		if err != nil {
			return err
		}
		proj := scim.ParseProjection(q.attributes, q.excluded)
		o.WithRelated = proj.Returns(rt, "groups")
		users, total, err := s.svc.ListUsers(r.Context(), principal(r), o)
		if err != nil {
			return err
		}
		res := make([]any, len(users))
		for i, u := range users {
			res[i] = proj.Apply(rt, s.renderUser(r, u))
		}
		writeJSON(w, http.StatusOK, scim.NewList(total, o.StartIndex, res))
		return nil
	}
	return resourceHandlers{
		list: func(w http.ResponseWriter, r *http.Request) error { return list(w, r, queryFromURL(r)) },
		search: func(w http.ResponseWriter, r *http.Request) error {
			q, err := queryFromSearch(r)
			if err != nil {
				return err
			}
			return list(w, r, q)
		},
		create: func(w http.ResponseWriter, r *http.Request) error {
			body, err := readBody(r)
			if err != nil {
				return err
			}
			v, err := s.svc.CreateUser(r.Context(), principal(r), s.actor(r), body)
			if err != nil {
				return err
			}
			return s.respond(w, r, http.StatusCreated, s.svc.UserType(principal(r).Team), s.renderUser(r, v))
		},
		get: func(w http.ResponseWriter, r *http.Request) error {
			rt := s.svc.UserType(principal(r).Team)
			v, err := s.svc.GetUser(r.Context(), principal(r), r.PathValue("id"), projection(r).Returns(rt, "groups"))
			if err != nil {
				return err
			}
			return s.respond(w, r, http.StatusOK, rt, s.renderUser(r, v))
		},
		replace: func(w http.ResponseWriter, r *http.Request) error {
			body, err := readBody(r)
			if err != nil {
				return err
			}
			v, err := s.svc.ReplaceUser(r.Context(), principal(r), s.actor(r), r.PathValue("id"), ifMatch(r), body)
			if err != nil {
				return err
			}
			return s.userWithGroups(w, r, v)
		},
		patch: func(w http.ResponseWriter, r *http.Request) error {
			ops, err := readPatch(r)
			if err != nil {
				return err
			}
			v, err := s.svc.PatchUser(r.Context(), principal(r), s.actor(r), r.PathValue("id"), ifMatch(r), ops)
			if err != nil {
				return err
			}
			return s.userWithGroups(w, r, v)
		},
		delete: func(w http.ResponseWriter, r *http.Request) error {
			if err := s.svc.DeleteUser(r.Context(), principal(r), s.actor(r), r.PathValue("id"), ifMatch(r)); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		},
	}
}

// userWithGroups answers a write with the full user, groups included. The
// user is the record the write committed (as a create answers); only its
// groups, when the answer shows them, are read.
func (s *Handler) userWithGroups(w http.ResponseWriter, r *http.Request, v service.UserView) error {
	rt := s.svc.UserType(principal(r).Team)
	if projection(r).Returns(rt, "groups") {
		var err error
		if v.Groups, err = s.svc.GroupsOfUser(r.Context(), principal(r), v.User.ID); err != nil {
			return err
		}
	}
	return s.respond(w, r, http.StatusOK, rt, s.renderUser(r, v))
}

// patchResponseMembers is the largest group whose PATCH response lists its
// members without being asked to by name.
const patchResponseMembers = 1000

func (s *Handler) groupHandlers() resourceHandlers {
	rt := scim.GroupType
	list := func(w http.ResponseWriter, r *http.Request, q listQuery) error {
		o, err := s.parseList(q)
		if err != nil {
			return err
		}
		proj := scim.ParseProjection(q.attributes, q.excluded)
		o.WithRelated = proj.Returns(rt, "members")
		groups, total, err := s.svc.ListGroups(r.Context(), principal(r), o)
		if err != nil {
			return err
		}
		res := make([]any, len(groups))
		for i, g := range groups {
			if o.WithRelated && g.Members == nil {
				g.Members = []store.MemberRef{}
			}
			res[i] = proj.Apply(rt, s.renderGroup(r, g))
		}
		writeJSON(w, http.StatusOK, scim.NewList(total, o.StartIndex, res))
		return nil
	}
	return resourceHandlers{
		list: func(w http.ResponseWriter, r *http.Request) error { return list(w, r, queryFromURL(r)) },
		search: func(w http.ResponseWriter, r *http.Request) error {
			q, err := queryFromSearch(r)
			if err != nil {
				return err
			}
			return list(w, r, q)
		},
		create: func(w http.ResponseWriter, r *http.Request) error {
			body, err := readBody(r)
			if err != nil {
				return err
			}
			v, err := s.svc.CreateGroup(r.Context(), principal(r), s.actor(r), body)
			if err != nil {
				return err
			}
			return s.respond(w, r, http.StatusCreated, rt, s.renderGroup(r, v))
		},
		get: func(w http.ResponseWriter, r *http.Request) error {
			v, err := s.svc.GetGroup(r.Context(), principal(r), r.PathValue("id"), projection(r).Returns(rt, "members"))
			if err != nil {
				return err
			}
			return s.respond(w, r, http.StatusOK, rt, s.renderGroup(r, v))
		},
		replace: func(w http.ResponseWriter, r *http.Request) error {
			body, err := readBody(r)
			if err != nil {
				return err
			}
			v, err := s.svc.ReplaceGroup(r.Context(), principal(r), s.actor(r), r.PathValue("id"), ifMatch(r), body)
			if err != nil {
				return err
			}
			return s.respond(w, r, http.StatusOK, rt, s.renderGroup(r, v))
		},
		patch: func(w http.ResponseWriter, r *http.Request) error {
			ops, err := readPatch(r)
			if err != nil {
				return err
			}
			v, err := s.svc.PatchGroup(r.Context(), principal(r), s.actor(r), r.PathValue("id"), ifMatch(r), ops, false)
			if err != nil {
				return err
			}
			// One member added to a huge group must not cost a read of the
			// whole list: the answer lists members when asked for by name,
			// or when the group is small enough (IdPs ignore them here).
			// The count stops past the threshold, so it costs the same at
			// any group size.
			proj := projection(r)
			if proj.Returns(rt, "members") {
				list := proj.Names(rt, "members")
				if !list {
					n, err := s.svc.MemberCountUpTo(r.Context(), principal(r), v.Group.ID, patchResponseMembers+1)
					if err != nil {
						return err
					}
					list = n <= patchResponseMembers
				}
				if list {
					if v.Members, err = s.svc.Members(r.Context(), principal(r), v.Group.ID); err != nil {
						return err
					}
				}
			}
			return s.respond(w, r, http.StatusOK, rt, s.renderGroup(r, v))
		},
		delete: func(w http.ResponseWriter, r *http.Request) error {
			if err := s.svc.DeleteGroup(r.Context(), principal(r), s.actor(r), r.PathValue("id"), ifMatch(r)); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		},
	}
}

// ---- discovery ----

func (s *Handler) caps() scim.Capabilities {
	return scim.Capabilities{MaxResults: s.cfg.MaxResults, MaxPayloadSize: int(s.cfg.MaxBodyBytes),
		MaxBulkOperations: s.cfg.MaxBulkOperations, MaxBulkPayload: int(s.bulkPayloadLimit())}
}

// noFilter refuses a filter on discovery endpoints (RFC 7644 §4).
func noFilter(r *http.Request) error {
	if r.URL.Query().Get("filter") != "" {
		return scim.Errorf(http.StatusForbidden, "", "filtering is not supported on discovery endpoints")
	}
	return nil
}

func (s *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) error {
	if err := noFilter(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, scim.ServiceProviderConfig(s.BaseURL(r), s.caps()))
	return nil
}

// discoveryTypes are the resource types a discovery request sees. Discovery
// needs no key; with a valid one, the key's team sees its own custom User
// attributes too.
func (s *Handler) discoveryTypes(r *http.Request) []*scim.ResourceType {
	if tok := bearerToken(r); tok != "" {
		if p, err := s.svc.Authenticate(r.Context(), tok, httpx.ClientIP(r)); err == nil {
			return []*scim.ResourceType{s.svc.UserType(p.Team), scim.GroupType}
		}
	}
	return scim.ResourceTypes
}

// discoverySchemas lists every schema of the given types once, in order.
func discoverySchemas(types []*scim.ResourceType) []*scim.Schema {
	var out []*scim.Schema
	seen := map[string]bool{}
	for _, rt := range types {
		for _, sc := range rt.Schemas() {
			if !seen[sc.ID] {
				seen[sc.ID] = true
				out = append(out, sc)
			}
		}
	}
	return out
}

func (s *Handler) resourceTypes(w http.ResponseWriter, r *http.Request) error {
	if err := noFilter(r); err != nil {
		return err
	}
	var out []any
	for _, rt := range s.discoveryTypes(r) {
		out = append(out, scim.ResourceTypeDoc(s.BaseURL(r), rt))
	}
	writeJSON(w, http.StatusOK, scim.NewList(len(out), 1, out))
	return nil
}

func (s *Handler) resourceType(w http.ResponseWriter, r *http.Request) error {
	for _, rt := range s.discoveryTypes(r) {
		if strings.EqualFold(rt.ID, r.PathValue("id")) {
			writeJSON(w, http.StatusOK, scim.ResourceTypeDoc(s.BaseURL(r), rt))
			return nil
		}
	}
	return scim.NotFound("resource type", r.PathValue("id"))
}

func (s *Handler) schemas(w http.ResponseWriter, r *http.Request) error {
	if err := noFilter(r); err != nil {
		return err
	}
	var out []any
	for _, sc := range discoverySchemas(s.discoveryTypes(r)) {
		out = append(out, scim.SchemaDoc(s.BaseURL(r), sc))
	}
	writeJSON(w, http.StatusOK, scim.NewList(len(out), 1, out))
	return nil
}

func (s *Handler) schema(w http.ResponseWriter, r *http.Request) error {
	for _, sc := range discoverySchemas(s.discoveryTypes(r)) {
		if strings.EqualFold(sc.ID, r.PathValue("id")) {
			writeJSON(w, http.StatusOK, scim.SchemaDoc(s.BaseURL(r), sc))
			return nil
		}
	}
	return scim.NotFound("schema", r.PathValue("id"))
}

// rateLimit spends one token of the team's read or write bucket, or answers
// 429 with Retry-After and a SCIM error that says which limit was hit.
func (s *Handler) rateLimit(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	write := r.Method != http.MethodGet && !strings.HasSuffix(r.URL.Path, "/.search")
	secs, err := s.spend(p, write)
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return err
}

// spend takes one token of the team's read or write bucket; when none is
// left, the error says which limit was hit and secs when to retry.
func (s *Handler) spend(p service.Principal, write bool) (secs int, err error) {
	l, kind, rate := s.readLimit, "reads", s.cfg.SCIMReadRate
	if write {
		l, kind, rate = s.writeLimit, "writes", s.cfg.SCIMWriteRate
	}
	ok, wait := l.allow(p.Team.ID)
	if ok {
		return 0, nil
	}
	secs = max(int(math.Ceil(wait.Seconds())), 1)
	return secs, scim.Errorf(http.StatusTooManyRequests, "", "rate limit: team %q may make %g SCIM %s per second; retry after %d s", p.Team.Slug, rate, kind, secs)
}
