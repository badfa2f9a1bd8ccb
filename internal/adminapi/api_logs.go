package adminapi

// Admin API handlers of the audit log and the provisioning log:
//
//	GET /api/v1/teams/{slug}/audit                   ?since&until&actor&action&target&limit&cursor&offset&format=json|jsonl|csv
//	GET /api/v1/teams/{slug}/provisioning-log        ?since&until&status&errors&method&path&resource_id&limit&cursor
//	GET /api/v1/teams/{slug}/provisioning-log/{id}
//
// Each handler takes the team id its caller was already authorised for;
// apiLogRoutes adapts them to the route table (api.go).

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// apiLogRoutes are the log routes for apiRouteTable. Reading either log
// takes audit.read (admins).
func (s *API) apiLogRoutes() []apiRoute {
	const t = "/teams/{slug}"
	team := func(h func(http.ResponseWriter, *http.Request, string) error) apiHandler {
		return func(w http.ResponseWriter, r *http.Request, c *service.Caller) error { return h(w, r, c.Team.ID) }
	}
	return []apiRoute{
		{Method: "GET", Path: t + "/audit", Auth: apiTeam, Action: service.ActAuditRead, Handle: team(s.AuditLog)},
		{Method: "GET", Path: t + "/provisioning-log", Auth: apiTeam, Action: service.ActAuditRead, Handle: team(s.ProvisioningLogList)},
		{Method: "GET", Path: t + "/provisioning-log/{id}", Auth: apiTeam, Action: service.ActAuditRead, Handle: team(s.ProvisioningLogEntry)},
	}
}

// LogHandler adapts a log handler to a plain http.HandlerFunc for a
// router that authorises the caller itself: teamID returns the team the
// request may read ("" refuses it with 404). Errors are written as the
// admin API's JSON errors.
func (s *API) LogHandler(h func(http.ResponseWriter, *http.Request, string) error, teamID func(*http.Request) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		id := teamID(r)
		if id == "" {
			s.writeAPIError(w, r, service.NotFound("no such team"))
			return
		}
		if err := h(w, r, id); err != nil {
			s.writeAPIError(w, r, err)
		}
	}
}

func queryTime(r *http.Request, name string) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, service.BadRequest(name, "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", name, v)
	}
	// The store keeps times as fixed-width text, which orders only the
	// years 0000-9999 ("10000-…" would sort before "2026-…").
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, service.BadRequest(name, "%s must be a time between the years 0000 and 9999 in UTC, got %q", name, v)
	}
	return t, nil
}

// queryRange reads the since and until filters every log query has.
func queryRange(r *http.Request) (since, until time.Time, err error) {
	if since, err = queryTime(r, "since"); err != nil {
		return since, until, err
	}
	until, err = queryTime(r, "until")
	return since, until, err
}

func queryInt(r *http.Request, name string, lo, hi int) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, service.BadRequest(name, "%s must be an integer from %d to %d, got %q", name, lo, hi, v)
	}
	return n, nil
}

// AuditQueryFromURL reads the audit filters: since, until (RFC 3339),
// actor (exact), action (prefix: "user." matches user.create…), target
// ("type:id", or a bare type), limit (1–1000, default 100), cursor (from
// next_cursor) and offset.
func AuditQueryFromURL(r *http.Request) (store.AuditQuery, error) {
	var q store.AuditQuery
	var err error
	if q.Since, q.Until, err = queryRange(r); err != nil {
		return q, err
	}
	v := r.URL.Query()
	q.Actor = v.Get("actor")
	q.ActionPrefix = v.Get("action")
	q.TargetType, q.TargetID = ParseTarget(v.Get("target"))
	if tt := v.Get("target_type"); tt != "" {
		q.TargetType = tt
	}
	if ti := v.Get("target_id"); ti != "" {
		q.TargetID = ti
	}
	if q.Limit, err = queryInt(r, "limit", 1, service.MaxLogPage); err != nil {
		return q, err
	}
	if q.Offset, err = queryInt(r, "offset", 0, 1<<30); err != nil {
		return q, err
	}
	q.After, err = service.DecodeCursor(v.Get("cursor"))
	return q, err
}

// ParseTarget splits "type:id"; a value without ":" is a type.
func ParseTarget(s string) (typ, id string) {
	typ, id, _ = strings.Cut(strings.TrimSpace(s), ":")
	return typ, id
}

// AuditLog answers GET …/audit: a JSON page {"events": […],
// "next_cursor": "…"}, or with format=jsonl or format=csv the whole
// filtered log as a download (limit and cursor then ignored).
func (s *API) AuditLog(w http.ResponseWriter, r *http.Request, teamID string) error {
	q, err := AuditQueryFromURL(r)
	if err != nil {
		return err
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
	case "jsonl", "csv":
		ct, ext := "application/jsonl; charset=utf-8", "jsonl"
		if format == "csv" {
			ct, ext = "text/csv; charset=utf-8", "csv"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="audit.`+ext+`"`)
		w.Header().Set("Cache-Control", "no-store")
		// Once rows are out the status is sent; a later failure can only
		// cut the download short (and is logged).
		if err := s.svc.ExportAudit(r.Context(), teamID, q, format, w); err != nil {
			s.log.ErrorContext(r.Context(), "audit export failed", "err", err.Error())
		}
		return nil
	default:
		return service.BadRequest("format", "format must be json, jsonl or csv, got %q", format)
	}
	p, err := s.svc.QueryAudit(r.Context(), teamID, q)
	if err != nil {
		return err
	}
	events := make([]any, 0, len(p.Events))
	for _, e := range p.Events {
		events = append(events, service.AuditRecord(e))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"events": events, "next_cursor": p.Next})
	return nil
}

// ProvisioningQueryFromURL reads the provisioning log filters: since,
// until, status (a code such as 409, a class such as 4xx, or "error" for
// every status >= 400), errors=true (the same as status=error), method,
// path (substring), resource_id (or user_id, group_id: the id in the
// path), limit (1–1000, default 100) and cursor.
func ProvisioningQueryFromURL(r *http.Request) (store.ProvisioningQuery, error) {
	var q store.ProvisioningQuery
	var err error
	if q.Since, q.Until, err = queryRange(r); err != nil {
		return q, err
	}
	v := r.URL.Query()
	if q.MinStatus, q.MaxStatus, err = service.ParseStatusFilter(v.Get("status")); err != nil {
		return q, err
	}
	if b, _ := strconv.ParseBool(v.Get("errors")); b {
		if q.MaxStatus != 0 && q.MaxStatus < 400 {
			return q, service.BadRequest("status", "status=%s asks for successes and errors=true for failures: no request is both", v.Get("status"))
		}
		if q.MinStatus < 400 {
			q.MinStatus = 400
		}
	}
	q.Method = v.Get("method")
	q.PathContains = v.Get("path")
	for _, name := range []string{"resource_id", "user_id", "group_id"} {
		if id := v.Get(name); id != "" {
			q.ResourceID = id
		}
	}
	if q.Limit, err = queryInt(r, "limit", 1, service.MaxLogPage); err != nil {
		return q, err
	}
	q.After, err = service.DecodeCursor(v.Get("cursor"))
	return q, err
}

// ProvisioningLogList answers GET …/provisioning-log: {"entries": […],
// "next_cursor": "…"}, newest first; bodies are in the single-entry view.
func (s *API) ProvisioningLogList(w http.ResponseWriter, r *http.Request, teamID string) error {
	q, err := ProvisioningQueryFromURL(r)
	if err != nil {
		return err
	}
	p, err := s.svc.ProvisioningLog(r.Context(), teamID, q)
	if err != nil {
		return err
	}
	entries := make([]any, 0, len(p.Entries))
	for _, e := range p.Entries {
		entries = append(entries, service.ProvisioningRecord(e, false))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"entries": entries, "next_cursor": p.Next})
	return nil
}

// ProvisioningLogEntry answers GET …/provisioning-log/{id}: one entry with
// its redacted request body and, for errors, the error response.
func (s *API) ProvisioningLogEntry(w http.ResponseWriter, r *http.Request, teamID string) error {
	e, err := s.svc.ProvisioningEntry(r.Context(), teamID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, service.ProvisioningRecord(e, true))
	return nil
}
