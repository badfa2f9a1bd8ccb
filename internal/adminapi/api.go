// Package adminapi is the admin JSON API under /api/v1: everything an
// admin does in the console, for scripts (described by openapi.json).
// Handlers call the service and return errors; writeAPIError maps them to
// the API's error body in one place, panics included.
package adminapi

// The admin JSON API under /api/v1: a small framework every admin endpoint
// uses. A route is one row of the table in apiRouteTable: method, path,
// who may call it (public, any signed-in account, or an active member of
// the team named by {slug} holding the route's permission) and a handler
// that returns an error. Errors become
//
//	{"error":{"status":403,"code":"forbidden","message":"…","field":"…"}}
//
// Writes happen in the service layer, one store transaction and one audit
// event each, so a refused request changes nothing.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/websession"
)

// APIPrefix is where the admin API lives.
const APIPrefix = httpx.APIPrefix

// Cookie and header names of browser sessions.
const (
	SessionCookie = websession.SessionCookie
	CSRFHeader    = websession.CSRFHeader
)

// API serves the admin API under APIPrefix.
type API struct {
	svc      *service.Service
	log      *slog.Logger
	sessions *websession.Sessions
	mux      *http.ServeMux
	sso      *ssoproto.Tools // api_sso.go (SetSSO)
}

// New builds the admin API over the service and the shared sign-in.
func New(svc *service.Service, log *slog.Logger, sessions *websession.Sessions) *API {
	s := &API{svc: svc, log: log, sessions: sessions, mux: http.NewServeMux()}
	s.apiRoutes()
	return s
}

// Mount registers the admin API on mux.
func (s *API) Mount(mux *http.ServeMux) { mux.Handle(APIPrefix+"/", s) }

// ServeHTTP serves one admin API request: a browser's cross-site write is
// refused first, then the route runs; a panic becomes its JSON 500.
func (s *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	websession.CrossOrigin(httpx.Recover(s.log, s.writeAPIError, s.mux), http.HandlerFunc(s.crossOrigin)).ServeHTTP(w, r)
}

func (s *API) crossOrigin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeAPIError(w, r, &apiError{Status: http.StatusForbidden, Code: "cross_origin",
		Message: "this request came from another site (Origin or Sec-Fetch-Site): the admin API takes writes from this site's pages and from scripts only"})
}

// apiAuth says who may call a route.
type apiAuth int

const (
	// apiPublic: anyone (sign-in, invite acceptance, the OpenAPI document).
	apiPublic apiAuth = iota
	// apiAccount: any signed-in account (session cookie or API token).
	apiAccount
	// apiTeam: an active member of the team named by the {slug} path
	// segment, holding the route's Action (if it names one).
	apiTeam
)

// apiHandler is an admin API handler: it gets the caller (zero for public
// routes) and returns its error instead of writing it.
type apiHandler func(w http.ResponseWriter, r *http.Request, c *service.Caller) error

// apiRoute is one row of the route table.
type apiRoute struct {
	Method string
	Path   string // below APIPrefix, e.g. "/teams/{slug}/members"
	Auth   apiAuth
	// Action is the permission a team route needs (requirePermission);
	// "" lets any active member through, for handlers whose rule depends
	// on the target (e.g. editing your own profile).
	Action service.Action
	Handle apiHandler
}

// apiRouteTable lists every admin API route. Add yours here (or append a
// slice from your own api_*.go file); the OpenAPI test checks each route
// is described in openapi.json.
func (s *API) apiRouteTable() []apiRoute {
	var routes []apiRoute
	routes = append(routes, s.apiAuthRoutes()...)   // api_auth.go
	routes = append(routes, s.apiMemberRoutes()...) // api_members.go
	routes = append(routes, s.apiSCIMRoutes()...)   // api_scim.go
	routes = append(routes, s.apiLogRoutes()...)    // api_logs.go
	routes = append(routes, s.apiSSORoutes()...)    // api_sso.go
	routes = append(routes, s.apiOverviewRoutes()...)
	routes = append(routes, s.apiEventRoutes()...)   // api_events.go
	routes = append(routes, s.apiWebhookRoutes()...) // api_webhooks.go
	routes = append(routes, s.apiGuardRoutes()...)   // api_guard.go
	return routes
}

// apiRoutes registers the admin API on the server's mux; routes() calls it.
func (s *API) apiRoutes() {
	for _, rt := range s.apiRouteTable() {
		s.mux.Handle(rt.Method+" "+APIPrefix+rt.Path, s.apiServe(rt))
	}
	// Anything else under the prefix gets a JSON 404 or 405.
	s.mux.Handle(APIPrefix+"/", http.HandlerFunc(s.apiNoRoute))
}

func (s *API) apiNoRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" && p != APIPrefix+"/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeAPIError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", "))})
		return
	}
	s.writeAPIError(w, r, service.NotFound("no admin API endpoint at %s", r.URL.Path))
}

// apiServe wraps a route: authentication, CSRF, team membership,
// permission, then the handler; any error is written as JSON.
func (s *API) apiServe(rt apiRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.NoteRoute(r, r.Pattern) // the route, for metrics and the access log
		w.Header().Set("Cache-Control", "no-store")
		err := func() error {
			if rt.Auth == apiPublic {
				return rt.Handle(w, r, &service.Caller{})
			}
			c, err := s.apiAuthenticate(r)
			if err != nil {
				return err
			}
			if rt.Auth == apiTeam {
				if c, err = s.svc.TeamCaller(r.Context(), c, r.PathValue("slug")); err != nil {
					return err
				}
				if err := service.RequirePermission(c, rt.Action); err != nil {
					return err
				}
			}
			return rt.Handle(w, r, &c)
		}()
		if err != nil {
			s.writeAPIError(w, r, err)
		}
	})
}

// apiAuthenticate finds the caller: a personal API token (Authorization:
// Bearer rpt_…, no CSRF token needed since browsers never send it on their
// own) or a session cookie, whose state-changing requests must carry the
// session's X-CSRF-Token.
func (s *API) apiAuthenticate(r *http.Request) (service.Caller, error) {
	if h := strings.TrimSpace(r.Header.Get("Authorization")); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if strings.EqualFold(scheme, "Bearer") && service.BearerMistake(tok) != nil {
			// "Bearer Bearer rpt_…": the service says so (and logs it).
			return s.sessions.Token(r, tok)
		}
		if !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(tok, service.APITokenPrefix) {
			return service.Caller{}, service.Unauthorized("the admin API takes a personal API token (Authorization: Bearer %s…) or a session cookie; SCIM keys work only on %s", service.APITokenPrefix, httpx.SCIMPrefix)
		}
		return s.sessions.Token(r, tok)
	}
	c, csrf, ok, err := s.sessions.Cookie(r)
	if !ok {
		return service.Caller{}, service.Unauthorized("sign in first (POST %s/auth/login) or send a personal API token", APIPrefix)
	}
	if err != nil {
		return service.Caller{}, err
	}
	if !websession.Safe(r.Method) && !websession.ValidCSRF(r.Header.Get(CSRFHeader), csrf) {
		return service.Caller{}, &apiError{Status: http.StatusForbidden, Code: "csrf", Message: "missing or wrong " + CSRFHeader + " header: send the csrf_token the sign-in returned"}
	}
	return c, nil
}

// writeAPIError writes an admin API error. A *service.Error goes to the
// client as it is; anything unknown is a 500 whose cause is only logged.
func (s *API) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	e := toAPIError(err)
	if e.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "status", e.Status, "err", err.Error())
	} else {
		s.log.InfoContext(r.Context(), "request refused", "status", e.Status, "code", e.Code, "message", e.Message)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster-api"`)
	}
	body := map[string]any{"status": e.Status, "code": e.Code, "message": e.Message}
	if e.Field != "" {
		body["field"] = e.Field
	}
	writeAPIJSON(w, e.Status, map[string]any{"error": body})
}

// apiError is a refusal as the admin API writes it. The edge makes some
// itself (CSRF, 405, 415); toAPIError makes the rest from domain errors.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Field      string
	RetryAfter time.Duration
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// apiCodes are the admin API's machine codes of the kinds of domain error.
var apiCodes = map[service.Kind]string{
	service.KindInvalid: "bad_request", service.KindUnauthenticated: "unauthorized", service.KindForbidden: "forbidden",
	service.KindNotFound: "not_found", service.KindConflict: "conflict", service.KindGone: "gone",
	service.KindPreconditionFailed: "precondition_failed", service.KindTooLarge: "too_large",
	service.KindRateLimited: "too_many_requests", service.KindUnavailable: "unavailable", service.KindInternal: "internal",
}

// toAPIError is where domain errors become admin API errors: the kind
// gives the status and code; an unknown error is a 500 whose cause is
// only logged.
func toAPIError(err error) *apiError {
	var ae *apiError
	var mbe *http.MaxBytesError
	var se *scim.Error
	if errors.As(err, &ae) {
		return ae
	}
	if service.IsPasswordChangeRequired(err) {
		// Its own code, so a script can tell it from other refusals.
		e, _ := service.AsError(err)
		return &apiError{Status: http.StatusForbidden, Code: "password_change_required", Message: e.Message, Field: e.Field}
	}
	if e, ok := service.AsError(err); ok && e.Kind != service.KindInternal {
		return &apiError{Status: httpx.Status(e.Kind), Code: apiCodes[e.Kind], Message: e.Message, Field: e.Field, RetryAfter: e.RetryAfter}
	}
	switch {
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("the request body is over %d bytes", mbe.Limit)}
	case errors.As(err, &se) && se.Status < 500:
		return &apiError{Status: se.Status, Code: "error", Message: se.Detail}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"status":500,"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// decodeAPIBody reads a JSON object body into v. It wants Content-Type
// application/json (which a cross-site form can't send without a CORS
// preflight) and names the offending field on a 400.
func decodeAPIBody(r *http.Request, v any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the body as JSON with Content-Type: application/json"}
	}
	rd, raw, err := readAPIBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			return service.BadRequest("", "the request body is empty; send a JSON object")
		case errors.As(err, &te):
			if te.Field == "" {
				return service.BadRequest("", "the body must be a JSON object, not a JSON %s", te.Value)
			}
			return service.BadRequest(te.Field, "%s must be %s", te.Field, jsonKind(te.Type))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return service.BadRequest(f, "unknown field %q", f)
		}
		return service.BadRequest("", "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return service.BadRequest("", "the body must hold one JSON object")
	}
	return checkAPIText(raw)
}

// jsonKind names, as JSON does, what a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.String:
		return "a JSON string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a JSON " + t.Kind().String()
}

func timeJSON(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func timePtrJSON(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeJSON(*t)
}
