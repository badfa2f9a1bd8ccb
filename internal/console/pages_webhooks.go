package console

// Team settings → Webhooks: the team's endpoints (URL, event types, on or
// off and why, how far delivery got, failing since when), adding one (its
// signing secret shown once, with a copy button), switching one on or off,
// rotating its secret (the new one shown once), deleting it, its delivery
// log (attempt, status, latency, the answer's start) and replaying one
// event or everything since a seq. An endpoint the delivery worker
// switched off after days of failures is named on the overview too.
//
// Team settings → Deprovisioning: the guard against mass deprovisioning
// (its switch, share, minimum and window) and, while it holds changes,
// the reason, the held changes and Confirm / Reject.
//
// Every rule (who may, the URL's rules, the bounds) is the service's; the
// pages parse forms, call it and render.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

func (c *Console) eventRoutes() map[string]http.Handler {
	const t = "/teams/{slug}"
	return map[string]http.Handler{
		"GET " + t + "/settings/webhooks":                c.team(service.ActWebhooksManage, c.webhooksPage),
		"POST " + t + "/settings/webhooks":               c.team(service.ActWebhooksManage, c.createWebhook),
		"GET " + t + "/settings/webhooks/{id}":           c.team(service.ActWebhooksManage, c.webhookPage),
		"POST " + t + "/settings/webhooks/{id}":          c.team(service.ActWebhooksManage, c.updateWebhook),
		"POST " + t + "/settings/webhooks/{id}/rotate":   c.team(service.ActWebhooksManage, c.rotateWebhook),
		"POST " + t + "/settings/webhooks/{id}/replay":   c.team(service.ActWebhooksManage, c.replayWebhook),
		"GET " + t + "/settings/deprovisioning":          c.team(service.ActSCIMManage, c.guardPage),
		"POST " + t + "/settings/deprovisioning":         c.team(service.ActSCIMManage, c.setGuard),
		"POST " + t + "/settings/deprovisioning/confirm": c.team(service.ActSCIMManage, c.decideGuard(true)),
		"POST " + t + "/settings/deprovisioning/reject":  c.team(service.ActSCIMManage, c.decideGuard(false)),
	}
}

func init() {
	funcs["rfc"] = rfcTime
	funcs["add64"] = func(a int64, b int) int64 { return a + int64(b) }
}

// rfcTime shows one of the service's RFC 3339 times as the console shows
// times, to the second ("—" for none).
func rfcTime(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case *string:
		if x != nil {
			s = *x
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if s == "" || err != nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// failedOff reports whether the delivery worker switched an endpoint off
// (after days of failures), rather than an admin.
func failedOff(v service.WebhookView) bool {
	return !v.Enabled && !strings.HasPrefix(v.DisabledReason, "disabled by ")
}

// webhookAlerts are the team's endpoints switched off after failing, for
// the notice on the overview and the webhooks page (nil for those who
// may not manage webhooks).
func (c *Console) webhookAlerts(r *http.Request, p *page) ([]service.WebhookView, error) {
	if !p.Can(string(service.ActWebhooksManage)) {
		return nil, nil
	}
	list, err := c.svc.ListWebhooks(r.Context(), p.Caller)
	if err != nil {
		return nil, err
	}
	var out []service.WebhookView
	for _, v := range list {
		if failedOff(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// guardPaused is the team's guard while it holds changes, for the notice
// on the overview (nil otherwise, and for those who may not decide).
func (c *Console) guardPaused(r *http.Request, p *page) (*service.GuardView, error) {
	if !p.Can(string(service.ActSCIMManage)) {
		return nil, nil
	}
	g, err := c.svc.DeprovisionGuard(r.Context(), p.Caller)
	if err != nil || !g.Paused {
		return nil, err
	}
	return &g, nil
}

type webhooksData struct {
	Hooks  []service.WebhookView
	Alerts []service.WebhookView
	// New is the endpoint just added, with its secret: shown this once.
	New *service.NewWebhook
	// The add form, kept on a refusal.
	URL, Types, Description string
	EventTypes              []string
	Families                []string
}

func (c *Console) webhooksPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showWebhooks(w, r, p, nil)
}

func (c *Console) showWebhooks(w http.ResponseWriter, r *http.Request, p *page, edit func(*webhooksData)) error {
	d := &webhooksData{EventTypes: service.EventTypes, Families: eventFamilies()}
	var err error
	if d.Hooks, err = c.svc.ListWebhooks(r.Context(), p.Caller); err != nil {
		return err
	}
	for _, v := range d.Hooks {
		if failedOff(v) {
			d.Alerts = append(d.Alerts, v)
		}
	}
	if edit != nil {
		edit(d)
	}
	p.Title, p.Nav, p.Data = "Webhooks", "webhooks", d
	p.notice()
	if p.Flash == "" {
		p.Flash = eventNotices[r.URL.Query().Get("done")]
	}
	return c.render(w, "webhooks", p)
}

// eventFamilies are the type patterns "member.*", "group.*", … of the
// event types.
func eventFamilies() []string {
	var out []string
	for _, t := range service.EventTypes {
		fam, _, _ := strings.Cut(t, ".")
		if p := fam + ".*"; !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var eventNotices = map[string]string{
	"webhook-enabled":  "The webhook is on: delivery goes on from the event it stopped at.",
	"webhook-disabled": "The webhook is off: events wait for it until it is switched on again.",
	"webhook-deleted":  "The webhook was deleted, with its delivery log.",
	"guard-saved":      "The deprovisioning guard's settings were saved.",
}

// typesOf reads the form's event types: the checked families and types,
// and the free-text field (comma-separated).
func typesOf(r *http.Request) []string {
	var out []string
	for _, v := range r.PostForm["type"] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	if s := strings.TrimSpace(r.PostFormValue("types")); s != "" {
		out = append(out, s)
	}
	return out
}

func (c *Console) createWebhook(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := r.ParseForm(); err != nil {
		return service.BadRequest("", "the form could not be read")
	}
	in := service.WebhookInput{URL: strings.TrimSpace(r.PostFormValue("url")), Types: typesOf(r), Description: r.PostFormValue("description")}
	keep := func(d *webhooksData) {
		d.URL, d.Types, d.Description = in.URL, strings.Join(in.Types, ", "), in.Description
	}
	nw, err := c.svc.CreateWebhook(r.Context(), p.Caller, in)
	if err != nil {
		formError(p, err)
		return c.showWebhooks(w, r, p, keep)
	}
	// The page shows the secret: it must never be stored anywhere.
	w.Header().Set("Cache-Control", "no-store")
	p.Status = http.StatusCreated
	p.Flash = "The webhook was added. It receives the events committed from now on."
	return c.showWebhooks(w, r, p, func(d *webhooksData) { d.New = &nw })
}

type webhookData struct {
	Hook       service.WebhookView
	Deliveries []service.DeliveryView
	// Secret is the rotated-in secret, shown this once; Rotated says until
	// when the old one signs too.
	Secret  string
	Rotated string
	Graces  []option
	// The replay forms, kept on a refusal.
	Seq, SinceSeq string
}

var webhookGraces = []option{{"0s", "Stop signing with the old secret now"}, {"1h", "Sign with both for 1 hour"},
	{"24h", "Sign with both for 24 hours"}, {"168h", "Sign with both for 7 days"}}

func (c *Console) webhookPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showWebhook(w, r, p, nil)
}

func (c *Console) showWebhook(w http.ResponseWriter, r *http.Request, p *page, edit func(*webhookData)) error {
	id := r.PathValue("id")
	d := &webhookData{Graces: webhookGraces}
	var err error
	if d.Hook, err = c.svc.GetWebhook(r.Context(), p.Caller, id); err != nil {
		return err
	}
	if d.Deliveries, err = c.svc.WebhookDeliveries(r.Context(), p.Caller, id, 100); err != nil {
		return err
	}
	if edit != nil {
		edit(d)
	}
	p.Title, p.Nav, p.Data = "Webhook", "webhooks", d
	p.notice()
	q := r.URL.Query()
	if p.Flash == "" {
		p.Flash = eventNotices[q.Get("done")]
	}
	if p.Flash == "" && q.Get("done") == "replayed" {
		from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
		through, _ := strconv.ParseInt(q.Get("through"), 10, 64)
		if from > 0 && from == through && q.Get("one") == "1" {
			p.Flash = fmt.Sprintf("Event %d is queued to be sent again, before the stream goes on.", from)
		} else if from > 0 {
			p.Flash = fmt.Sprintf("Events %d to %d are queued to be sent again, in order.", from, through)
		}
	}
	return c.render(w, "webhook", p)
}

// updateWebhook switches an endpoint on or off, or deletes it.
func (c *Console) updateWebhook(w http.ResponseWriter, r *http.Request, p *page) error {
	ctx, id := r.Context(), r.PathValue("id")
	var err error
	done := ""
	switch r.PostFormValue("action") {
	case "enable", "disable":
		on := r.PostFormValue("action") == "enable"
		done = "webhook-disabled"
		if on {
			done = "webhook-enabled"
		}
		_, err = c.svc.UpdateWebhook(ctx, p.Caller, id, service.WebhookPatch{Enabled: &on})
	case "delete":
		if err = c.svc.DeleteWebhook(ctx, p.Caller, id); err == nil {
			return redirect(w, r, p.T()+"/settings/webhooks", "webhook-deleted")
		}
	default:
		err = service.BadRequest("action", "unknown action %q: enable, disable or delete", r.PostFormValue("action"))
	}
	if err != nil {
		formError(p, err)
		return c.showWebhook(w, r, p, nil)
	}
	return redirect(w, r, p.T()+"/settings/webhooks/"+url.PathEscape(id), done)
}

func (c *Console) rotateWebhook(w http.ResponseWriter, r *http.Request, p *page) error {
	raw := r.PostFormValue("grace")
	grace, err := time.ParseDuration(raw)
	if raw == "" || err != nil {
		formError(p, service.BadRequest("grace", "choose how long the old secret keeps signing from the list"))
		return c.showWebhook(w, r, p, nil)
	}
	nw, err := c.svc.RotateWebhookSecret(r.Context(), p.Caller, r.PathValue("id"), grace)
	if err != nil {
		formError(p, err)
		return c.showWebhook(w, r, p, nil)
	}
	w.Header().Set("Cache-Control", "no-store")
	p.Status = http.StatusCreated
	rotated := "The old secret stopped signing at once."
	if nw.SecretRotatingUntil != nil {
		rotated = "Until " + rfcTime(nw.SecretRotatingUntil) + " each delivery carries two signatures, one with each secret: switch the receiver over before then."
	}
	return c.showWebhook(w, r, p, func(d *webhookData) { d.Secret, d.Rotated = nw.Secret, rotated })
}

func (c *Console) replayWebhook(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("id")
	seqRaw, sinceRaw := strings.TrimSpace(r.PostFormValue("seq")), strings.TrimSpace(r.PostFormValue("since_seq"))
	keep := func(d *webhookData) { d.Seq, d.SinceSeq = seqRaw, sinceRaw }
	var rp service.WebhookReplay
	for _, f := range []struct {
		name, raw string
		to        *int64
	}{{"seq", seqRaw, &rp.Seq}, {"since_seq", sinceRaw, &rp.SinceSeq}} {
		if f.raw == "" {
			continue
		}
		n, err := strconv.ParseInt(f.raw, 10, 64)
		if err != nil || n < 1 {
			formError(p, service.BadRequest(f.name, "%q is not an event's seq: a whole number from 1 on", f.raw))
			return c.showWebhook(w, r, p, keep)
		}
		*f.to = n
	}
	res, err := c.svc.ReplayWebhook(r.Context(), p.Caller, id, rp)
	if err != nil {
		formError(p, err)
		return c.showWebhook(w, r, p, keep)
	}
	q := url.Values{"from": {strconv.FormatInt(res.From, 10)}, "through": {strconv.FormatInt(res.Through, 10)}}
	if rp.Seq > 0 {
		q.Set("one", "1")
	}
	return redirect(w, r, p.T()+"/settings/webhooks/"+url.PathEscape(id)+"?"+q.Encode(), "replayed")
}

// guardMaxMinutes is the service's bound on the guard's window (7 days),
// checked here first so the refusal speaks of minutes, as the form does.
const guardMaxMinutes = 7 * 24 * 60

// guardData is Team settings → Deprovisioning.
type guardData struct {
	G service.GuardView
	// The settings form's values (kept on a refusal).
	Enabled                   bool
	Percent, MinCount, Window string
	// Decision is what Confirm or Reject just did.
	Decision *service.GuardDecision
}

func (c *Console) guardPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showGuard(w, r, p, nil)
}

func (c *Console) showGuard(w http.ResponseWriter, r *http.Request, p *page, edit func(*guardData)) error {
	g, err := c.svc.DeprovisionGuard(r.Context(), p.Caller)
	if err != nil {
		return err
	}
	d := &guardData{G: g, Enabled: g.Enabled, Percent: strconv.Itoa(g.Percent), MinCount: strconv.Itoa(g.MinCount),
		Window: strconv.Itoa(g.WindowSeconds / 60)}
	if edit != nil {
		edit(d)
	}
	p.Title, p.Nav, p.Data = "Deprovisioning", "deprovisioning", d
	p.notice()
	if p.Flash == "" {
		p.Flash = eventNotices[r.URL.Query().Get("done")]
	}
	return c.render(w, "deprovisioning", p)
}

func (c *Console) setGuard(w http.ResponseWriter, r *http.Request, p *page) error {
	on := r.PostFormValue("enabled") == "true"
	f := struct{ percent, min, window string }{strings.TrimSpace(r.PostFormValue("percent")), strings.TrimSpace(r.PostFormValue("min_count")),
		strings.TrimSpace(r.PostFormValue("window_minutes"))}
	keep := func(d *guardData) { d.Enabled, d.Percent, d.MinCount, d.Window = on, f.percent, f.min, f.window }
	patch := service.GuardPatch{Enabled: &on}
	for _, x := range []struct {
		field, raw, what string
		to               **int
	}{{"percent", f.percent, "a share in percent (1 to 100)", &patch.Percent}, {"min_count", f.min, "a number of people", &patch.MinCount},
		{"window_minutes", f.window, "a number of minutes", nil}} {
		if x.raw == "" {
			continue
		}
		n, err := strconv.Atoi(x.raw)
		if err != nil {
			formError(p, service.BadRequest(x.field, "%q is not %s: give a whole number", x.raw, x.what))
			return c.showGuard(w, r, p, keep)
		}
		if x.to != nil {
			*x.to = &n
		} else {
			win := time.Duration(n) * time.Minute
			if n < 1 || n > guardMaxMinutes {
				formError(p, service.BadRequest(x.field, "the window is from 1 minute to 7 days (10080 minutes), not %d", n))
				return c.showGuard(w, r, p, keep)
			}
			patch.Window = &win
		}
	}
	if _, err := c.svc.SetDeprovisionGuard(r.Context(), p.Caller, patch); err != nil {
		formError(p, err)
		return c.showGuard(w, r, p, keep)
	}
	return redirect(w, r, p.T()+"/settings/deprovisioning", "guard-saved")
}

// decideGuard confirms (applies) or rejects (drops) the held changes, and
// shows what happened to each.
func (c *Console) decideGuard(confirm bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *page) error {
		var dec service.GuardDecision
		var err error
		if confirm {
			dec, err = c.svc.ConfirmDeprovisioning(r.Context(), p.Caller)
		} else {
			dec, err = c.svc.RejectDeprovisioning(r.Context(), p.Caller)
		}
		if err != nil {
			formError(p, err)
			return c.showGuard(w, r, p, nil)
		}
		if confirm {
			p.Flash = fmt.Sprintf("Confirmed: %s applied, %s skipped. Deprovisioning goes on, counted afresh.",
				plural(len(dec.Applied), "held change"), plural(len(dec.Skipped), "change"))
		} else {
			p.Flash = fmt.Sprintf("Rejected: %s dropped. Deprovisioning goes on, counted afresh; fix the IdP's assignments, or it may send them again.",
				plural(len(dec.Dropped), "held change"))
		}
		return c.showGuard(w, r, p, func(d *guardData) { d.Decision = &dec })
	}
}
