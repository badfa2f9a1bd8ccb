package scimapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalEndpoint(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/scim/v2/users", "/scim/v2/Users"},
		{"/scim/v2/USERS/", "/scim/v2/Users/"},
		{"/scim/v2/Users/abc-DEF", "/scim/v2/Users/abc-DEF"}, // already canonical, id untouched
		{"/scim/v2/groups/Abc/extra", "/scim/v2/Groups/Abc/extra"},
		{"/scim/v2/gRoUpS/.search", "/scim/v2/Groups/.search"},
		{"/scim/v2/serviceConfiguration", "/scim/v2/ServiceProviderConfig"},
		{"/scim/v2/SERVICEPROVIDERCONFIG", "/scim/v2/ServiceProviderConfig"},
		{"/scim/v2/resourcetypes/user", "/scim/v2/ResourceTypes/user"},
		{"/scim/v2/schemas/urn:x", "/scim/v2/Schemas/urn:x"},
		{"/scim/v2/bulk", "/scim/v2/Bulk"},
		{"/scim/v2/ME", "/scim/v2/Me"},
		{"/scim/v2/.search", "/scim/v2/.search"},
		{"/scim/v2/userz", "/scim/v2/userz"},
		{"/scim/v2/bul\u212a", "/scim/v2/bul\u212a"}, // the Kelvin sign is no "k"
		{"/scim/v2", "/scim/v2"},
		{"/other/users", "/other/users"},
	} {
		r := httptest.NewRequest("GET", "http://h"+(&url.URL{Path: c.in}).EscapedPath(), nil)
		got := canonicalEndpoint(r)
		if got.URL.Path != c.want {
			t.Errorf("%s: %s, want %s", c.in, got.URL.Path, c.want)
		}
		if got.URL.Path == r.URL.Path && got != r {
			t.Errorf("%s: copied the request without changing it", c.in)
		}
		if r.URL.Path != c.in {
			t.Errorf("%s: the original request was changed to %s", c.in, r.URL.Path)
		}
	}
	// An escaped id keeps its escaping.
	r := httptest.NewRequest("GET", "http://h/scim/v2/users/a%2Fb", nil)
	got := canonicalEndpoint(r)
	if got.URL.EscapedPath() != "/scim/v2/Users/a%2Fb" || got.URL.Path != "/scim/v2/Users/a/b" {
		t.Errorf("escaped: %s (%s)", got.URL.EscapedPath(), got.URL.Path)
	}
}

// FuzzCanonicalEndpoint: the rewrite changes at most the letter case of
// the endpoint's name, keeps the escaped and unescaped paths in step, and
// is idempotent.
func FuzzCanonicalEndpoint(f *testing.F) {
	for _, s := range []string{"/scim/v2/users/x", "/scim/v2/GROUPS/a%2Fb/c", "/scim/v2/serviceConfiguration", "/scim/v2/bul%E2%84%AA", "/scim/v2//users", "/scim/v2/Users%2Fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil || !strings.HasPrefix(raw, "/") {
			return
		}
		r := httptest.NewRequest("GET", "http://h/", nil)
		r.URL = u
		got := canonicalEndpoint(r)
		if p, err := url.PathUnescape(got.URL.EscapedPath()); err != nil || p != got.URL.Path {
			t.Fatalf("%q: escaped %q unescapes to %q (%v), not %q", raw, got.URL.EscapedPath(), p, err, got.URL.Path)
		}
		if got.URL.Path != u.Path {
			rest := strings.TrimPrefix(u.Path, Prefix+"/")
			seg, _, _ := strings.Cut(rest, "/")
			if len(got.URL.Path) != len(u.Path) && !strings.EqualFold(seg, "serviceConfiguration") {
				t.Fatalf("%q: %q changed length", u.Path, got.URL.Path)
			}
			if !strings.HasSuffix(got.URL.Path, strings.TrimPrefix(rest, seg)) {
				t.Fatalf("%q: %q changed past the endpoint's name", u.Path, got.URL.Path)
			}
		}
		if again := canonicalEndpoint(got); again.URL.Path != got.URL.Path || again.URL.EscapedPath() != got.URL.EscapedPath() {
			t.Fatalf("%q: not idempotent: %q then %q", raw, got.URL.Path, again.URL.Path)
		}
	})
}
