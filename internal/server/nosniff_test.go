package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestNoSniffEverywhere: every answer of the server, of every kind and
// status (SCIM, admin API, console, static files, health, errors, even a
// panic), says X-Content-Type-Options: nosniff, so no browser reads a
// JSON or text answer as HTML or script.
func TestNoSniffEverywhere(t *testing.T) {
	s, _ := newTestServer(t)
	s.mux.HandleFunc("GET /scim/v2/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	for _, tc := range []struct {
		method, path, body string
	}{
		{"GET", "/healthz", ""},
		{"GET", "/scim/v2/ServiceProviderConfig", ""},
		{"GET", "/scim/v2/Users", ""},             // 401
		{"GET", "/scim/v2/Nothing", ""},           // SCIM 404
		{"DELETE", "/scim/v2/Schemas", ""},        // SCIM 405
		{"GET", "/scim/v2/boom", ""},              // 500 from a panic
		{"GET", "/api/v1/openapi.json", ""},       // admin API
		{"GET", "/api/v1/me", ""},                 // 401
		{"POST", "/api/v1/auth/login", "{}"},      // 400 / 415
		{"GET", "/api/v1/nothing", ""},            // API 404
		{"GET", "/signin", ""},                    // console page
		{"GET", "/", ""},                          // console redirect
		{"GET", "/static/console.css", ""},        // static file
		{"GET", "/static/htmx.min.js", ""},        // static script
		{"GET", "/no/such/page", ""},              // console / mux 404
		{"POST", "/signin", "email=a&password=b"}, // console sign-in refused
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.method == "POST" && strings.HasPrefix(tc.path, "/signin") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		s.ServeHTTP(rec, req)
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q", tc.method, tc.path, rec.Code, got)
		}
	}
}
