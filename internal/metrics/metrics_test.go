package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/buildinfo"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestLabels(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /scim/v2/Users/{id}": "/scim/v2/Users/{id}",
		"/api/v1/":                "/api/v1/",
		"":                        "unmatched",
		"POST /signin":            "/signin",
	} {
		if got := Route(pattern); got != want {
			t.Errorf("Route(%q) = %q, want %q", pattern, got, want)
		}
	}
	for in, want := range map[string]string{"GET": "GET", "PATCH": "PATCH", "BREW": "other", "get": "other", "": "other"} {
		if got := Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{200: "2xx", 204: "2xx", 308: "3xx", 404: "4xx", 503: "5xx", 0: "other", 999: "other"} {
		if got := Class(in); got != want {
			t.Errorf("Class(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{200: "success", 201: "success", 304: "success", 401: "denied", 403: "denied",
		429: "rate_limited", 400: "client_error", 404: "client_error", 409: "client_error", 500: "server_error", 503: "server_error"} {
		if got := Outcome(in); got != want {
			t.Errorf("Outcome(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestNilMetricsCountNothing: every method is safe on nil, so a package
// used without metrics (a unit test) needs no guard.
func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.HTTPStart()()
	m.HTTPRequest("GET /x", "GET", 200, time.Millisecond)
	m.SCIMOperation("Users", "list", 200, "acme", time.Now())
	m.SignIn(SignInSuccess)
	m.ObserveTx(time.Millisecond, false)
	m.ObserveGroupCommit(3)
	m.Backup(true, time.Now())
	m.WatchProvisioningLog(Queue{})
	m.WatchDB(nil, "x")
	m.WatchCertificate(time.Now)
	m.WebhookDelivery(WebhookDelivered)
	m.WatchEventQueue(nil, nil)
}

// TestWhatIsCounted: each method moves its series by one, labelled as
// documented; a 429 is also a rate-limit refusal; the build info names
// this build.
func TestWhatIsCounted(t *testing.T) {
	m := New(Config{})
	m.HTTPRequest("GET /scim/v2/Users/{id}", "GET", 404, 3*time.Millisecond)
	m.HTTPRequest("", "BREW", 418, time.Millisecond)
	m.SCIMOperation("Users", "create", 201, "acme", time.Now())
	m.SCIMOperation("Users", "list", 429, "acme", time.Now())
	m.SignIn(SignInBadCredentials)
	m.SignIn(SignInRateLimited)
	m.ObserveTx(2*time.Millisecond, false)
	m.ObserveTx(2*time.Millisecond, true)
	m.ObserveGroupCommit(5)
	m.Backup(true, time.Unix(1700000000, 0))
	m.Backup(false, time.Now())
	m.WatchProvisioningLog(Queue{Depth: func() int { return 7 }, Capacity: 10000, Dropped: func() int64 { return 3 }, Written: func() int64 { return 42 }})
	m.WatchCertificate(func() time.Time { return time.Unix(1800000000, 0) })
	m.WebhookDelivery(WebhookFailed)
	m.WebhookDelivery(WebhookDisabled)
	m.WatchEventQueue(func() int { return 12 }, func() int64 { return 1 })
	out := scrape(t, m)
	bi := buildinfo.Get()
	for _, want := range []string{
		`roster_http_requests_total{code="4xx",method="GET",route="/scim/v2/Users/{id}"} 1`,
		`roster_http_requests_total{code="4xx",method="other",route="unmatched"} 1`,
		`roster_http_request_duration_seconds_count{method="GET",route="/scim/v2/Users/{id}"} 1`,
		`roster_scim_operations_total{operation="create",outcome="success",resource="Users"} 1`,
		`roster_scim_operations_total{operation="list",outcome="rate_limited",resource="Users"} 1`,
		`roster_rate_limited_total{limit="scim"} 1`,
		`roster_rate_limited_total{limit="signin"} 1`,
		`roster_signins_total{outcome="bad_credentials"} 1`,
		`roster_signins_total{outcome="rate_limited"} 1`,
		`roster_store_transaction_duration_seconds_count{outcome="ok"} 1`,
		`roster_store_transaction_duration_seconds_count{outcome="error"} 1`,
		`roster_store_group_commit_batch_size_sum 5`,
		`roster_backups_total{outcome="ok"} 1`,
		`roster_backups_total{outcome="error"} 1`,
		`roster_backup_last_success_timestamp_seconds 1.7e+09`,
		`roster_provlog_queue_depth 7`,
		`roster_provlog_queue_capacity 10000`,
		`roster_provlog_dropped_total 3`,
		`roster_provlog_written_total 42`,
		`roster_tls_certificate_expiry_timestamp_seconds 1.8e+09`,
		`roster_build_info{go_version="` + bi.GoVersion + `",revision="` + bi.Revision + `",version="` + bi.Version + `"} 1`,
		`roster_http_in_flight_requests 0`,
		`roster_webhook_deliveries_total{outcome="failed"} 1`,
		`roster_webhook_deliveries_total{outcome="disabled"} 1`,
		`roster_event_queue_depth 12`,
		`roster_event_queue_dropped_total 1`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	// Without --metrics-per-team, no series names a team.
	if strings.Contains(out, "acme") || strings.Contains(out, "roster_scim_team_") {
		t.Error("team series without PerTeam")
	}
}

func TestPerTeam(t *testing.T) {
	m := New(Config{PerTeam: true, NoProcess: true})
	m.SCIMOperation("Users", "create", 201, "acme", time.Unix(1700000000, 0))
	m.SCIMOperation("Users", "get", 404, "acme", time.Unix(1700000100, 0))
	m.SCIMOperation("Users", "get", 401, "", time.Now()) // an unknown key names no team
	out := scrape(t, m)
	for _, want := range []string{
		`roster_scim_team_operations_total{outcome="success",team="acme"} 1`,
		`roster_scim_team_operations_total{outcome="client_error",team="acme"} 1`,
		`roster_scim_team_last_success_timestamp_seconds{team="acme"} 1.7e+09`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(out, `team=""`) || strings.Contains(out, "go_goroutines") {
		t.Errorf("unexpected series:\n%s", out)
	}
}

func TestHandlerServesTheExpositionFormat(t *testing.T) {
	srv := httptest.NewServer(New(Config{NoProcess: true}).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
}
