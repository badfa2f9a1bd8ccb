package scimapi

import (
	"net/http"
	"strings"
)

// endpoints maps the first path segment after the SCIM base URL, in ASCII
// lower case, to the spelling the routes are registered with. Clients
// send endpoint names in any case (/users, /GROUPS/{id}, /bulk: Microsoft's
// reference server accepts them), and older ones ask for the
// configuration at /serviceConfiguration (SCIM 1.1's name). Only the
// endpoint's name is matched this way: ids stay as sent.
var endpoints = map[string]string{
	"users":                 "Users",
	"groups":                "Groups",
	"bulk":                  "Bulk",
	"me":                    "Me",
	"serviceproviderconfig": "ServiceProviderConfig",
	"serviceconfiguration":  "ServiceProviderConfig",
	"resourcetypes":         "ResourceTypes",
	"schemas":               "Schemas",
}

// canonicalEndpoint returns r with its endpoint name spelled as the routes
// spell it (r itself when it already is, or names no endpoint), so one
// route serves every spelling and the route a metric or log names is the
// canonical one, and the provisioning log names the resource a request was
// about whatever case the client wrote its path in.
func canonicalEndpoint(r *http.Request) *http.Request {
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix+"/")
	if !ok {
		return r
	}
	seg, _, _ := strings.Cut(rest, "/")
	canon, ok := endpoints[asciiLower(seg)]
	if !ok || canon == seg {
		return r
	}
	u := *r.URL
	u.Path = Prefix + "/" + canon + strings.TrimPrefix(rest, seg)
	if u.RawPath != "" {
		// The segment is plain letters, spelled the same escaped.
		if raw, ok := strings.CutPrefix(u.RawPath, Prefix+"/"+seg); ok {
			u.RawPath = Prefix + "/" + canon + raw
		} else {
			u.RawPath = ""
		}
	}
	r2 := r.WithContext(r.Context()) // a shallow copy
	r2.URL = &u
	return r2
}

// asciiLower lower-cases ASCII letters only: endpoint names are ASCII, and
// Unicode's folding would make aliases of them ("bul\u212A", with the Kelvin
// sign, lowers to "bulk").
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
