package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/testwait"
	"github.com/rosterhq/roster/internal/webhooks"
)

// TestWebhooksInTheBrowser: an admin adds a webhook in Team settings →
// Webhooks, copies its secret (shown once: gone after a reload), opens
// its delivery log after the running worker's failed attempt at a
// receiver on loopback (503) and the deliveries once it recovers, and
// replays the first event. Screenshots docs/screenshots/webhooks*.png.
func TestWebhooksInTheBrowser(t *testing.T) {
	needChromium(t)
	e, skew := clockEnv(t)
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		if status.Load() != http.StatusOK {
			_, _ = w.Write([]byte(`{"error":"maintenance window, try again later"}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer recv.Close()
	hookURL := strings.Replace(recv.URL, "127.0.0.1", "localhost", 1) + "/hooks/roster"
	ctx := newBrowser(t)
	run(t, ctx, "sign in",
		chromedp.Navigate(e.url+"/signin"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, e.admin, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, e.pass, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitVisible(`#overview-stats`, chromedp.ByQuery),
		chromedp.Navigate(e.url+"/teams/acme/settings/webhooks"),
		chromedp.WaitVisible(`#webhook-url`, chromedp.ByQuery))

	var secret, copied string
	run(t, ctx, "add a webhook",
		chromedp.SendKeys(`#webhook-url`, hookURL, chromedp.ByQuery),
		chromedp.Click(`input[name="type"][value="member.*"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#webhook-types`, "group.deleted", chromedp.ByQuery),
		chromedp.SendKeys(`#webhook-description`, "CRM: revoke access on deactivation", chromedp.ByQuery),
		chromedp.Click(`#add-webhook`, chromedp.ByQuery),
		chromedp.WaitVisible(`#new-secret`, chromedp.ByQuery),
		chromedp.Value(`#new-secret`, &secret, chromedp.ByQuery),
		chromedp.Click(`#copy-new-secret`, chromedp.ByQuery),
		chromedp.WaitVisible(`#copy-new-secret.copied`, chromedp.ByQuery),
		chromedp.Text(`#copy-new-secret`, &copied, chromedp.ByQuery))
	if !strings.HasPrefix(secret, "whsec_") || copied != "Copied" {
		t.Fatalf("secret %q, copy button %q", secret, copied)
	}
	shot(t, ctx, "webhooks")

	// Shown once: a reload of the list has no secret.
	var html string
	run(t, ctx, "reload", chromedp.Navigate(e.url+"/teams/acme/settings/webhooks"),
		chromedp.WaitVisible(`#webhooks`, chromedp.ByQuery),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery))
	if strings.Contains(html, "whsec_") {
		t.Fatal("the secret is on the page again")
	}

	// The IdP creates members; the receiver answers 503, then 200.
	ctx2 := context.Background()
	caller := adminCaller(t, e)
	hooks, err := e.svc.ListWebhooks(ctx2, caller)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks: %v %v", err, hooks)
	}
	e.seed(3)
	eventually(t, "a failed attempt", func() bool {
		l, _ := e.svc.WebhookDeliveries(ctx2, caller, hooks[0].ID, 10)
		return len(l) > 0
	})
	run(t, ctx, "open the endpoint",
		chromedp.Click(`#webhooks a[href$="`+hooks[0].ID+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#deliveries`, chromedp.ByQuery),
		chromedp.OuterHTML(`#deliveries`, &html, chromedp.ByQuery))
	if !strings.Contains(html, "503") || !strings.Contains(html, "maintenance window") {
		t.Fatalf("delivery log:\n%s", html)
	}
	status.Store(http.StatusOK)
	skew.Store(int64(10 * time.Second)) // the retry is due 5 s after the failure
	eventually(t, "the events delivered", func() bool {
		v, _ := e.svc.GetWebhook(ctx2, caller, hooks[0].ID)
		return v.Pending == 0 && v.Status == "enabled"
	})
	l, _ := e.svc.WebhookDeliveries(ctx2, caller, hooks[0].ID, 100)
	firstSeq := l[len(l)-1].Seq
	var flash string
	run(t, ctx, "replay the event",
		chromedp.Reload(),
		chromedp.WaitVisible(`#replay-seq`, chromedp.ByQuery),
		chromedp.SetValue(`#replay-seq`, "", chromedp.ByQuery),
		chromedp.SendKeys(`#replay-seq`, strconv.FormatInt(firstSeq, 10), chromedp.ByQuery),
		chromedp.Click(`#replay-one`, chromedp.ByQuery),
		chromedp.WaitVisible(`.notice.ok`, chromedp.ByQuery),
		chromedp.Text(`.notice.ok`, &flash, chromedp.ByQuery))
	if !strings.Contains(flash, "queued to be sent again") {
		t.Fatalf("after the replay: %q", flash)
	}
	eventually(t, "the replay delivered", func() bool {
		l, _ := e.svc.WebhookDeliveries(ctx2, caller, hooks[0].ID, 100)
		return len(l) > 0 && l[0].Replay && l[0].Status == http.StatusOK
	})
	run(t, ctx, "the log with the replay", chromedp.Reload(), chromedp.WaitVisible(`#deliveries`, chromedp.ByQuery))
	shot(t, ctx, "webhooks-deliveries")
}

// eventually polls cond until it holds (a deadline, not a sleep).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, 15*time.Second, what, cond)
}

// clockEnv is newEnv with the service on a clock the test moves, and
// webhooks allowed to reach loopback (the worker polls every 10 ms).
func clockEnv(t *testing.T) (*env, *atomic.Int64) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var skew atomic.Int64 // added to the wall clock
	cfg := server.Config{Events: service.EventsConfig{AllowPrivateNetworks: true}, Webhooks: webhooks.Config{Poll: 10 * time.Millisecond}}
	ts := testserver.Start(t, st, testserver.Options{Config: cfg, Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	e := &env{t: t, url: ts.URL, api: ts.API, svc: ts.Svc, st: ts.St, admin: "owner@acme.example"}
	e.team, e.pass = testserver.NewTeamWithAdmin(t, ts.Svc, "Acme", e.admin)
	return e, &skew
}

// adminCaller is the team's admin as the service's caller.
func adminCaller(t *testing.T, e *env) service.Caller {
	t.Helper()
	ctx := context.Background()
	s, err := e.svc.Login(ctx, e.admin, e.pass, "127.0.0.1", "test", time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.TeamCaller(ctx, service.Caller{Account: s.Account, SessionHash: s.Session.Session.TokenHash}, e.team.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
