package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// checkPublicURL checks a --public-url: an absolute http or https URL of
// an origin, such as https://roster.example.com ("" is none).
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	bad := func(why string) error {
		return fmt.Errorf("--public-url %q %s: expected an absolute http(s) URL of the origin, such as https://roster.example.com", s, why)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return bad("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("has no http:// or https:// scheme")
	case u.Host == "" || u.Hostname() == "":
		return bad("has no host")
	case u.User != nil:
		return bad("holds a user name or password")
	case u.Path != "" && u.Path != "/", u.RawPath != "":
		return bad("has a path (Roster serves from the root)")
	case u.RawQuery != "" || u.ForceQuery:
		return bad("has a query")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return bad("has a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("has a bad port")
		}
	}
	return nil
}

// checkAddr checks a listen address: host:port, where the host may be
// empty (every interface) and the port a number or a service name.
func checkAddr(s string) error {
	host, port, err := net.SplitHostPort(s)
	bad := func(why string) error {
		return fmt.Errorf("--addr %q %s: expected host:port, such as 127.0.0.1:8080, :8080 (every interface) or [::1]:8080", s, why)
	}
	if err != nil {
		return bad("is not host:port")
	}
	if port == "" {
		return bad("has no port")
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return bad("has a port beyond 65535")
		}
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		return bad("has an unknown port")
	}
	if strings.ContainsAny(host, "/ ") {
		return bad("has a bad host")
	}
	return nil
}

// publicOrigin is the origin Roster prints for people to use: the
// --public-url, else the listen address. An address on every interface
// (no host, 0.0.0.0, ::) can't be pasted into an IdP: the machine's
// hostname (or 127.0.0.1) stands in, and everywhere says so.
func publicOrigin(listen net.Addr, addrFlag, publicURL string) (origin string, everywhere bool) {
	if publicURL != "" {
		return strings.TrimSuffix(publicURL, "/"), false
	}
	host, _, _ := net.SplitHostPort(addrFlag)
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return "http://" + listen.String(), false
	}
	_, port, _ := net.SplitHostPort(listen.String())
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(name, port), true
}
