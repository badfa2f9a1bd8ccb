package console_test

import (
	"net/http"
	"strings"
	"testing"
)

// /static/ serves its files and nothing else: the directory itself (which
// http.FileServer would list) and anything that isn't a file is a 404,
// signed in or not, with the console's headers and no caching.
func TestStaticDoesNotListItsDirectory(t *testing.T) {
	e := newEnv(t)
	for _, b := range []*browser{e.browser(), e.signIn(e.admin, e.adminP)} {
		for _, path := range []string{"/static/", "/static/console.css/", "/static/nope.js", "/static/static/", "/static/%2e/"} {
			r := b.get(path)
			if r.StatusCode != http.StatusNotFound {
				t.Fatalf("GET %s: %d, want 404\n%s", path, r.StatusCode, r.body)
			}
			for _, name := range []string{"console.css", "console.js", "htmx.min.js", "htmx.LICENSE.txt"} {
				if strings.Contains(r.body, name) {
					t.Fatalf("GET %s lists %s:\n%s", path, name, r.body)
				}
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Cache-Control") != "" {
				t.Errorf("GET %s: headers %v", path, r.Header)
			}
		}
		// /static without the slash is redirected to /static/, the 404 above.
		if r := b.get("/static"); r.StatusCode/100 != 3 || r.Header.Get("Location") != "/static/" {
			t.Fatalf("GET /static: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		r := b.get("/static/console.css")
		want(t, r, http.StatusOK)
		if r.Header.Get("Cache-Control") != "public, max-age=3600" {
			t.Errorf("console.css Cache-Control %q", r.Header.Get("Cache-Control"))
		}
	}
}
