package testserver

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Response is an HTTP response read in full, with its body decoded when
// there is one. The suites' own response types convert to and from it.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// Do sets the headers (name, value pairs) on req, sends it with hc and
// reads the whole response. A non-empty body must be a JSON object (the
// test fails otherwise) served as contentType (an error otherwise), such
// as "application/scim+json".
func Do(t testing.TB, hc *http.Client, req *http.Request, contentType string, headers ...string) Response {
	t.Helper()
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	what := req.Method + " " + req.URL.RequestURI()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s: status %d, body is not a JSON object: %v\n%s", what, resp.StatusCode, err, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != contentType {
			t.Errorf("%s: Content-Type %q, want %s", what, ct, contentType)
		}
	}
	return r
}

// Must fails the test unless the response has status.
func (r Response) Must(t testing.TB, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Raw)
	}
}
