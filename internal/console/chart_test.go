package console

import (
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func TestChart(t *testing.T) {
	start := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC) // a Sunday, 20:00
	hours := make([]store.HourlyActivity, 7*24)
	for i := range hours {
		hours[i].Hour = start.Add(time.Duration(i) * time.Hour)
	}
	hours[100].Requests, hours[100].Errors = 7, 3
	hours[101].Requests = 1
	ch := newChart(hours)
	if ch.Width != int(chartLeft+7*24*chartBarW+chartRight) || len(ch.Bars) != 168 {
		t.Fatalf("size %d, %d bars", ch.Width, len(ch.Bars))
	}
	// The scale tops at 10 (7 rounded up to 1, 2 or 5 × 10^k).
	b := ch.Bars[100]
	if !b.HasReq || !b.HasErrors || b.ReqH != 7*chartPlotH/10 || b.ErrH != 3*chartPlotH/10 || b.ReqY != ch.PlotBottom-b.ReqH || b.X != chartLeft+100*chartBarW {
		t.Fatalf("bar %+v", b)
	}
	// One request still shows; an empty hour draws nothing.
	if one := ch.Bars[101]; one.ReqH < 1 || one.HasErrors || ch.Bars[0].HasReq {
		t.Fatalf("bars %+v %+v", one, ch.Bars[0])
	}
	if !strings.Contains(b.Label, "Fri 6 Mar 00:00–00:59 UTC: 7 requests, 3 errors") {
		t.Fatalf("label %q", b.Label)
	}
	var ticks []string
	for _, tk := range ch.Ticks {
		ticks = append(ticks, tk.Label)
	}
	if strings.Join(ticks, ",") != "0,5,10" {
		t.Fatalf("ticks %v", ticks)
	}
	// Days: a line at each midnight; the first day (4 hours) isn't named.
	if len(ch.Days) != 8 || ch.Days[0].LabelX >= 0 || ch.Days[1].Label != "Mon 2 Mar" || ch.Days[1].X != chartLeft+4*chartBarW {
		t.Fatalf("days %+v", ch.Days)
	}
	if ch.Desc != "8 requests and 3 errors in the last 7 days. Busiest hour: Fri 6 Mar 00:00 UTC with 7 requests." {
		t.Fatalf("desc %q", ch.Desc)
	}
}

func TestChartNumbers(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 5, 7: 10, 10: 10, 11: 20, 180: 200, 501: 1000, 123456: 200000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1500: "1.5k", 2000: "2k", 2_000_000: "2M"} {
		if got := shortNum(n); got != want {
			t.Errorf("shortNum(%d) = %q, want %q", n, got, want)
		}
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{-time.Second: "just now", 30 * time.Second: "less than a minute ago", time.Minute: "1 minute ago",
		5 * time.Minute: "5 minutes ago", 3 * time.Hour: "3 hours ago", 72 * time.Hour: "3 days ago"} {
		if got := ago(now, now.Add(-d)); got != want {
			t.Errorf("ago(%v) = %q, want %q", d, got, want)
		}
	}
}
