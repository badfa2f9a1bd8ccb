package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// LogPage is the size of a log page in the console.
const LogPage = 50

// cursorPager links the first page and the next one of a newest-first,
// cursor-paged log.
type cursorPager struct {
	First, Next string
	Paged       bool // this isn't the first page
}

func newCursorPager(r *http.Request, next string) cursorPager {
	q := r.URL.Query()
	cp := cursorPager{Paged: q.Get("cursor") != ""}
	q.Del("cursor")
	q.Del("done")
	cp.First = r.URL.Path
	if e := q.Encode(); e != "" {
		cp.First += "?" + e
	}
	if next != "" {
		q.Set("cursor", next)
		cp.Next = r.URL.Path + "?" + q.Encode()
	}
	return cp
}

// dayParam reads a date (2026-01-02) or an RFC 3339 time; until dates
// include their whole day.
func dayParam(r *http.Request, name string, endOfDay bool) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if endOfDay {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, service.BadRequest(name, "%s must be a date such as 2026-01-02, got %q", name, v)
	}
	return t, nil
}

type auditData struct {
	Actor, Action, Target, Since, Until string
	Events                              []service.AuditView
	Pager                               cursorPager
	Filtered                            bool
	// ExportCSV and ExportJSONL download the whole filtered log.
	ExportCSV, ExportJSONL string
}

// auditQuery reads the audit page's filters (dates, not times: the
// form's date inputs) into a store query.
func auditQuery(r *http.Request) (*auditData, store.AuditQuery, error) {
	qv := r.URL.Query()
	d := &auditData{Actor: strings.TrimSpace(qv.Get("actor")), Action: strings.TrimSpace(qv.Get("action")),
		Target: strings.TrimSpace(qv.Get("target")), Since: qv.Get("since"), Until: qv.Get("until")}
	d.Filtered = d.Actor != "" || d.Action != "" || d.Target != "" || d.Since != "" || d.Until != ""
	q := store.AuditQuery{Actor: d.Actor, ActionPrefix: d.Action, Limit: LogPage}
	q.TargetType, q.TargetID, _ = strings.Cut(d.Target, ":")
	var err error
	if q.Since, err = dayParam(r, "since", false); err != nil {
		return nil, q, err
	}
	if q.Until, err = dayParam(r, "until", true); err != nil {
		return nil, q, err
	}
	q.After, err = service.DecodeCursor(qv.Get("cursor"))
	return d, q, err
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, p *page) error {
	d, q, err := auditQuery(r)
	if err != nil {
		return err
	}
	ap, err := c.svc.QueryAudit(r.Context(), p.Team.ID, q)
	if err != nil {
		return err
	}
	if d.Events, err = c.svc.AuditViews(r.Context(), p.Team.ID, ap.Events); err != nil {
		return err
	}
	d.Pager = newCursorPager(r, ap.Next)
	exp := r.URL.Query()
	exp.Del("cursor")
	exp.Set("format", "csv")
	d.ExportCSV = p.T() + "/logs/audit/export?" + exp.Encode()
	exp.Set("format", "jsonl")
	d.ExportJSONL = p.T() + "/logs/audit/export?" + exp.Encode()
	p.Title, p.Nav, p.Data = "Audit log", "audit", d
	return c.render(w, "audit", p)
}

// auditExport downloads the whole filtered audit log as CSV or JSON lines.
func (c *Console) auditExport(w http.ResponseWriter, r *http.Request, p *page) error {
	_, q, err := auditQuery(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	ct := map[string]string{"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}[format]
	if ct == "" {
		return service.BadRequest("format", "format must be csv or jsonl")
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="audit-`+p.Team.Slug+`.`+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	// Once rows are out the status is sent; a later failure can only cut
	// the download short, so it is logged.
	if err := c.svc.ExportAudit(r.Context(), p.Team.ID, q, format, w); err != nil {
		c.log.ErrorContext(r.Context(), "audit export failed", "err", err.Error())
	}
	return nil
}

type provData struct {
	Status, Method, Path, Resource, Since, Until string
	Entries                                      []service.ProvisioningView
	Pager                                        cursorPager
	Filtered                                     bool
	Statuses, Methods                            []option
}

var provStatuses = []option{{"", "Any status"}, {"error", "Errors (4xx and 5xx)"}, {"2xx", "Success (2xx)"}, {"4xx", "Client errors (4xx)"}, {"5xx", "Server errors (5xx)"}}
var provMethods = []option{{"", "Any method"}, {"GET", "GET"}, {"POST", "POST"}, {"PUT", "PUT"}, {"PATCH", "PATCH"}, {"DELETE", "DELETE"}}

func (c *Console) provLogPage(w http.ResponseWriter, r *http.Request, p *page) error {
	qv := r.URL.Query()
	d := &provData{Status: qv.Get("status"), Method: qv.Get("method"), Path: strings.TrimSpace(qv.Get("path")),
		Resource: strings.TrimSpace(qv.Get("resource")), Since: qv.Get("since"), Until: qv.Get("until"),
		Statuses: provStatuses, Methods: provMethods}
	q := store.ProvisioningQuery{Method: d.Method, PathContains: d.Path, ResourceID: d.Resource, Limit: LogPage}
	var err error
	if q.MinStatus, q.MaxStatus, err = service.ParseStatusFilter(d.Status); err != nil {
		return err
	}
	if q.Since, err = dayParam(r, "since", false); err != nil {
		return err
	}
	if q.Until, err = dayParam(r, "until", true); err != nil {
		return err
	}
	if q.After, err = service.DecodeCursor(qv.Get("cursor")); err != nil {
		return err
	}
	pp, err := c.svc.ProvisioningLog(r.Context(), p.Team.ID, q)
	if err != nil {
		return err
	}
	if d.Entries, err = c.svc.ProvisioningViews(r.Context(), p.Team.ID, pp.Entries); err != nil {
		return err
	}
	d.Pager = newCursorPager(r, pp.Next)
	d.Filtered = d.Status != "" || d.Method != "" || d.Path != "" || d.Resource != "" || d.Since != "" || d.Until != ""
	p.Title, p.Nav, p.Data = "Provisioning log", "provisioning", d
	return c.render(w, "provlog", p)
}

type provEntryData struct {
	E         service.ProvisioningView
	Request   string
	ErrorBody string
	Back      string
}

// pretty indents a JSON body; anything else is shown as it is.
func pretty(s string) string {
	if s == "" {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

func (c *Console) provEntryPage(w http.ResponseWriter, r *http.Request, p *page) error {
	e, err := c.svc.ProvisioningEntry(r.Context(), p.Team.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	views, err := c.svc.ProvisioningViews(r.Context(), p.Team.ID, []store.ProvisioningEntry{e})
	if err != nil {
		return err
	}
	d := &provEntryData{E: views[0], Request: pretty(e.RequestBody), ErrorBody: pretty(e.ErrorBody), Back: p.T() + "/logs/provisioning"}
	if e.ResourceID != "" {
		d.Back += "?resource=" + url.QueryEscape(e.ResourceID)
	}
	p.Title, p.Nav, p.Data = e.Method+" "+e.Path, "provisioning", d
	return c.render(w, "proventry", p)
}
