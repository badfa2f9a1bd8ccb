package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// overviewData is the team's home page.
type overviewData struct {
	O       service.Overview
	BaseURL string
	Chart   *chart
	// Days sums the chart per day, for a table beside it.
	Days []daySum
	// ErrorsLink lists the errors of the last 24 hours; LastLink opens
	// the newest request.
	ErrorsLink, LastLink string
	// Steps say what to do next while SCIM isn't connected (nil once
	// the IdP's requests arrive).
	Steps []step
	Now   time.Time
	// ActivityDays is how far back the chart reaches.
	ActivityDays int
	// WebhookAlerts are the team's webhooks switched off after failing
	// (pages_webhooks.go), for those who manage webhooks.
	WebhookAlerts []service.WebhookView
	// Paused is the deprovisioning guard while it holds changes, for
	// those who may confirm or reject them.
	Paused *service.GuardView
}

type step struct {
	Done           bool
	Text           string
	Link, LinkText string
}

type daySum struct {
	Day              time.Time
	Requests, Errors int
}

// overviewPage is the team's home: members, groups, SCIM and the IdP's
// traffic, each as far as the member may see it.
func (c *Console) overviewPage(w http.ResponseWriter, r *http.Request, p *page) error {
	o, err := c.svc.Overview(r.Context(), p.Caller)
	if err != nil {
		return err
	}
	d := &overviewData{O: o, BaseURL: c.baseURL(r), Now: c.svc.Now(), ActivityDays: service.ActivityDays}
	if a := o.Activity; a != nil {
		d.Chart = newChart(a.Hours)
		d.Days = perDay(a.Hours)
		d.ErrorsLink = p.T() + "/logs/provisioning?" + url.Values{"status": {"error"}, "since": {a.Since24h.UTC().Format(time.RFC3339)}}.Encode()
		if a.Last != nil {
			d.LastLink = p.T() + "/logs/provisioning/" + url.PathEscape(a.Last.ID)
		}
	}
	d.Steps = nextSteps(p, o, d.BaseURL)
	if d.WebhookAlerts, err = c.webhookAlerts(r, p); err != nil {
		return err
	}
	if d.Paused, err = c.guardPaused(r, p); err != nil {
		return err
	}
	p.Title, p.Nav, p.Data = o.Team.Name, "overview", d
	p.notice()
	return c.render(w, "overview", p)
}

// nextSteps is the way to a working SCIM connection, for those who may
// set it up, until the IdP's first request arrives.
func nextSteps(p *page, o service.Overview, baseURL string) []step {
	if o.SCIM == nil || (o.SCIM.Enabled && o.Activity.Connected()) {
		return nil
	}
	auth := p.T() + "/settings/authentication"
	used := o.SCIM.KeyInUse != nil
	return []step{
		{Done: o.SCIM.Enabled, Text: "Turn SCIM provisioning on.", Link: auth, LinkText: "Authentication"},
		{Done: o.SCIM.ActiveKeys > 0, Text: "Generate a SCIM API key (it is shown once: copy it).", Link: auth, LinkText: "Authentication"},
		{Done: used, Text: "In your identity provider, set the SCIM base URL to " + baseURL + " and paste the key as the bearer token.",
			Link: p.T() + "/settings/guides", LinkText: "Setup guides"},
		{Done: used, Text: "Test the connection, from the IdP or from Roster.", Link: auth + "#test-h", LinkText: "Test connection"},
		{Done: o.Activity.Connected(), Text: "Assign people and groups to the app in your IdP: they appear here as members."},
	}
}

func perDay(hours []store.HourlyActivity) []daySum {
	var out []daySum
	for _, h := range hours {
		day := h.Hour.UTC().Truncate(24 * time.Hour)
		if len(out) == 0 || !out[len(out)-1].Day.Equal(day) {
			out = append(out, daySum{Day: day})
		}
		out[len(out)-1].Requests += h.Requests
		out[len(out)-1].Errors += h.Errors
	}
	return out
}

// chart is the SVG bar chart of requests and errors per hour, drawn on
// the server: one bar per hour, its error part at the bottom, days
// marked along the bottom, the scale on the left. It needs no script and
// no inline style (the page's CSP allows neither): its colours are
// console.css's classes.
type chart struct {
	Width, Height         int
	Left, Top, PlotBottom float64
	PlotWidth             float64
	Bars                  []chartBar
	Days                  []chartDay
	Ticks                 []chartTick
	Title, Desc           string
}

type chartBar struct {
	X, W              float64
	ReqY, ReqH        float64
	ErrY, ErrH        float64
	Label             string
	HasReq, HasErrors bool
}

type chartDay struct {
	X, LabelX float64
	Label     string
}

type chartTick struct {
	Y     float64
	Label string
}

// Chart geometry, in the SVG's own units (it scales to the page).
const (
	chartBarW   = 5.0
	chartLeft   = 44.0
	chartRight  = 8.0
	chartTop    = 10.0
	chartPlotH  = 140.0
	chartBottom = 28.0
)

func newChart(hours []store.HourlyActivity) *chart {
	ch := &chart{Left: chartLeft, Top: chartTop, PlotBottom: chartTop + chartPlotH, PlotWidth: chartBarW * float64(len(hours))}
	ch.Width = int(chartLeft + ch.PlotWidth + chartRight)
	ch.Height = int(chartTop + chartPlotH + chartBottom)
	peak, total, errs := 0, 0, 0
	var busiest store.HourlyActivity
	for _, h := range hours {
		total += h.Requests
		errs += h.Errors
		if h.Requests > peak {
			peak, busiest = h.Requests, h
		}
	}
	top := niceCeil(peak)
	scale := chartPlotH / float64(top)
	for i, h := range hours {
		x := chartLeft + float64(i)*chartBarW
		reqH, errH := float64(h.Requests)*scale, float64(h.Errors)*scale
		if h.Requests > 0 && reqH < 1 {
			reqH = 1 // a single request still shows
		}
		if h.Errors > 0 && errH < 1 {
			errH = 1
		}
		b := chartBar{X: x, W: chartBarW - 1, ReqY: ch.PlotBottom - reqH, ReqH: reqH, ErrY: ch.PlotBottom - errH, ErrH: errH,
			HasReq: h.Requests > 0, HasErrors: h.Errors > 0,
			Label: fmt.Sprintf("%s–%s:59 UTC: %s, %s", h.Hour.UTC().Format("Mon 2 Jan 15:00"), h.Hour.UTC().Format("15"), plural(h.Requests, "request"), plural(h.Errors, "error"))}
		ch.Bars = append(ch.Bars, b)
		if h.Hour.UTC().Hour() == 0 || i == 0 {
			// A day starts: a line at midnight, its name under its noon.
			noon := x + float64(24-h.Hour.UTC().Hour())*chartBarW/2
			if i == 0 && h.Hour.UTC().Hour() > 18 {
				noon = -1 // too little of the first day to name it
			}
			ch.Days = append(ch.Days, chartDay{X: x, LabelX: noon, Label: h.Hour.UTC().Format("Mon 2 Jan")})
		}
	}
	for _, v := range []int{0, top / 2, top} {
		if v == top/2 && top%2 != 0 {
			continue
		}
		ch.Ticks = append(ch.Ticks, chartTick{Y: ch.PlotBottom - float64(v)*scale, Label: shortNum(v)})
	}
	ch.Title = fmt.Sprintf("SCIM requests per hour, last %d days (UTC)", len(hours)/24)
	ch.Desc = fmt.Sprintf("%s and %s in the last %d days.", plural(total, "request"), plural(errs, "error"), len(hours)/24)
	if peak > 0 {
		ch.Desc += fmt.Sprintf(" Busiest hour: %s with %s.", busiest.Hour.UTC().Format("Mon 2 Jan 15:00 UTC"), plural(peak, "request"))
	}
	return ch
}

// niceCeil is the smallest 1, 2 or 5 × 10^k at or above n (at least 1).
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// shortNum writes 1500 as 1.5k and 2000000 as 2M, for the chart's scale.
func shortNum(n int) string {
	switch {
	case n >= 1_000_000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e6), ".0") + "M"
	case n >= 1000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e3), ".0") + "k"
	}
	return fmt.Sprint(n)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%s %ss", commas(n), word)
}

// commas writes 12345 as 12,345.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ago says how long before now t was, the way people read it.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return "less than a minute ago"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}
