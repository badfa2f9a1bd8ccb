package scimapi

// Metrics and the access log's view of SCIM: route notes the pattern
// this edge's mux matched (httpx.NoteRoute), authed the team and key
// prefix (httpx.NoteCaller), and ServeHTTP counts the finished request as
// one SCIM operation (resource type, operation, outcome).

import (
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
)

// operation names the SCIM resource type and operation of a route
// pattern of this edge ("PATCH /scim/v2/Users/{id}" is Users, patch).
func operation(pattern string) (resource, op string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok { // a pattern for every method, such as /Me
		method, path = "", pattern
	}
	rest := strings.TrimPrefix(path, Prefix+"/")
	resource, sub, _ := strings.Cut(rest, "/")
	switch {
	case resource == "Bulk":
		return resource, "bulk"
	case resource == ".search": // POST /.search, across resource types
		return "all", "search"
	case sub == ".search":
		return resource, "search"
	case method == http.MethodGet && (sub == "" || sub == "{$}"):
		if resource == "Users" || resource == "Groups" {
			return resource, "list"
		}
		return resource, "get" // discovery: ServiceProviderConfig, Schemas, ResourceTypes
	case method == http.MethodGet:
		return resource, "get"
	case method == http.MethodPost:
		return resource, "create"
	case method == http.MethodPut:
		return resource, "replace"
	case method == http.MethodPatch:
		return resource, "patch"
	case method == http.MethodDelete:
		return resource, "delete"
	}
	return resource, "other"
}

// observe counts a SCIM request that matched an endpoint.
func (s *Handler) observe(r *http.Request, rec *httpx.Recorder) {
	n := httpx.NoteOf(r.Context())
	if s.cfg.Metrics == nil || n == nil || n.Pattern == "" {
		return
	}
	status := rec.Status
	if status == 0 {
		status = http.StatusOK
	}
	resource, op := operation(n.Pattern)
	s.cfg.Metrics.SCIMOperation(resource, op, status, n.Team, time.Now())
}
