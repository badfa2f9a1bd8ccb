package scimapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// newTestHandler is the SCIM handler over a fresh embedded store, logging
// to the returned buffer, with a provisioning log writer.
func newTestHandler(t *testing.T) (*Handler, *bytes.Buffer, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(httpx.ContextHandler{Handler: slog.NewJSONHandler(&logs, nil)})
	svc := service.New(st, log)
	prov := svc.StartProvisioningLog(log, provlog.Config{})
	t.Cleanup(func() { prov.Close(); st.Close() })
	return New(svc, log, Config{}, prov), &logs, st
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	return m
}

func TestPanicBecomesSCIMErrorAndServerKeepsServing(t *testing.T) {
	s, logs, _ := newTestHandler(t)
	s.mux.HandleFunc("GET /scim/v2/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/scim/v2/boom", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	body := decode(t, rec)
	if body["status"] != "500" || strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatalf("body %v leaks the panic or lacks the status", body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatal("panic and stack not logged")
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/scim/v2/ServiceProviderConfig", nil))
	if rec.Code != 200 {
		t.Fatalf("SCIM after panic: %d", rec.Code)
	}
}

func TestUnknownSCIMRoutesGetSCIMErrors(t *testing.T) {
	s, _, _ := newTestHandler(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/scim/v2/Nope", 404, ""},
		{"DELETE", "/scim/v2/Users", 405, "GET, POST"},
		{"POST", "/scim/v2/ServiceProviderConfig", 405, "GET"},
		{"GET", "/scim/v2/Bulk", 405, "POST"},
		{"GET", "/scim/v2/Me", 501, ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || rec.Header().Get("Content-Type") != "application/scim+json" {
			t.Errorf("%s %s: %d %q", c.method, c.path, rec.Code, rec.Header().Get("Content-Type"))
			continue
		}
		if body := decode(t, rec); body["status"] != itoa(c.status) || body["detail"] == "" {
			t.Errorf("%s %s: body %v", c.method, c.path, body)
		}
		if c.allow != "" && rec.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, rec.Header().Get("Allow"), c.allow)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestBearerToken(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"Bearer rsk_abc", "rsk_abc"},
		{"bearer   rsk_abc ", "rsk_abc"},
		{"rsk_abc", "rsk_abc"}, // Okta's header mode with the bare key
		{"Basic dXNlcjpwYXNz", ""},
		{"", ""},
		{"Token rsk_abc", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if got := bearerToken(r); got != c.want {
			t.Errorf("%q: got %q, want %q", c.header, got, c.want)
		}
	}
}

func TestParseListEdgeCases(t *testing.T) {
	s, _, _ := newTestHandler(t)
	for _, c := range []struct {
		q             listQuery
		start, count  int
		wantErrString string
	}{
		{listQuery{}, 1, 100, ""},
		{listQuery{startIndex: "0", count: "-5"}, 1, 0, ""},
		{listQuery{startIndex: "-3", count: "5000"}, 1, 1000, ""},
		{listQuery{startIndex: "21", count: "5"}, 21, 5, ""},
		{listQuery{startIndex: "x"}, 0, 0, "startIndex"},
		{listQuery{count: "1.5"}, 0, 0, "count"},
		{listQuery{filter: "userName eq"}, 0, 0, "invalid filter"},
	} {
		o, err := s.parseList(c.q)
		if c.wantErrString != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErrString) {
				t.Errorf("%+v: err %v, want one about %s", c.q, err, c.wantErrString)
			}
			continue
		}
		if err != nil || o.StartIndex != c.start || o.Count != c.count {
			t.Errorf("%+v: got start %d count %d err %v", c.q, o.StartIndex, o.Count, err)
		}
	}
}

// The body capture leaves the handler's body intact, and a request that
// never reached a team is not logged.
func TestProvisioningCaptureKeepsBody(t *testing.T) {
	s, _, _ := newTestHandler(t)
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.io","password":"pw-123"}`
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", Prefix+"/Users", strings.NewReader(body)))
	if rec.Code != 401 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if err := s.prov.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.prov.Written() != 0 {
		t.Fatal("a request with no key was logged")
	}
	r := httptest.NewRequest("POST", Prefix+"/Users", strings.NewReader(body))
	r2, pr := s.provBegin(r)
	b := make([]byte, len(body)+10)
	n, _ := r2.Body.Read(b)
	if string(b[:n]) != body || string(pr.body.buf) != body || pr.body.n != int64(len(body)) || pr.body.truncated {
		t.Fatalf("handler read %q, captured %q", b[:n], pr.body.buf)
	}
	big := strings.Repeat("x", 70<<10)
	r3, pr3 := s.provBegin(httptest.NewRequest("POST", Prefix+"/Users", strings.NewReader(big)))
	all := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		n, err := r3.Body.Read(buf)
		all.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	if all.Len() != len(big) || len(pr3.body.buf) != 64<<10 || !pr3.body.truncated || pr3.body.n != int64(len(big)) {
		t.Fatalf("read %d, captured %d, truncated %v", all.Len(), len(pr3.body.buf), pr3.body.truncated)
	}
}
