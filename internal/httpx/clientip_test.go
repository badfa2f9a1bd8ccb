package httpx

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func mustProxies(t testing.TB, list string) []netip.Prefix {
	t.Helper()
	p, err := ParseTrustedProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseTrustedProxies(t *testing.T) {
	got := mustProxies(t, " 10.0.0.0/8, 192.0.2.7 ,,fd00::/8, 2001:db8::1, 172.16.5.4/12, ::ffff:198.51.100.0/120 ")
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "fd00::/8", "2001:db8::1/128", "172.16.0.0/12", "198.51.100.0/24"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, got[i], want[i])
		}
	}
	if p := mustProxies(t, ""); len(p) != 0 {
		t.Fatalf("empty list: %v", p)
	}
	for _, bad := range []string{"10.0.0/8", "10.0.0.0/33", "proxy.internal", "10.0.0.0/8;", "fe80::1%eth0", "::ffff:10.0.0.0/8", "*", "10.0.0.0-10.0.0.9"} {
		_, err := ParseTrustedProxies("10.0.0.0/8," + bad)
		if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestResolveClientIP(t *testing.T) {
	proxies := mustProxies(t, "10.0.0.0/8,2001:db8:ffff::/48")
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxies trusted: the peer", "203.0.113.5:4242", []string{"198.51.100.1"}, "203.0.113.5"},
		{"untrusted peer: a forged header is ignored", "203.0.113.5:4242", []string{"10.1.1.1, 198.51.100.1"}, "203.0.113.5"},
		{"trusted peer, no header: the peer", "10.0.0.2:80", nil, "10.0.0.2"},
		{"trusted peer: the client it names", "10.0.0.2:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"the right-most untrusted wins over what the client forged", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops are skipped", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.1, 10.9.9.9, 10.0.0.3"}, "198.51.100.1"},
		{"several headers read as one list", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.1", "10.0.0.3"}, "198.51.100.1"},
		{"all trusted: the left-most", "10.0.0.2:80", []string{"10.0.0.9, 10.0.0.3"}, "10.0.0.9"},
		{"garbage where the client should be: the last trusted hop", "10.0.0.2:80", []string{"unknown, 10.0.0.3"}, "10.0.0.3"},
		{"garbage right away: the peer", "10.0.0.2:80", []string{"1.2.3.4, <script>"}, "10.0.0.2"},
		{"blanks are skipped", "10.0.0.2:80", []string{" , 198.51.100.1 ,, ", ""}, "198.51.100.1"},
		{"ports and brackets", "10.0.0.2:80", []string{"[2001:db8::7]:443, 10.0.0.3:8080"}, "2001:db8::7"},
		{"IPv6 proxies", "[2001:db8:ffff::1]:443", []string{"2001:db8::7, 2001:db8:ffff::2"}, "2001:db8::7"},
		{"IPv4-mapped peer and client", "[::ffff:10.0.0.2]:80", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"zones dropped", "10.0.0.2:80", []string{"fe80::1%eth0"}, "fe80::1"},
		{"a peer without a port", "192.0.2.1", nil, "192.0.2.1"},
		{"a peer that isn't an address is kept as it is", "pipe", []string{"198.51.100.1"}, "pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := proxies
			if strings.HasPrefix(tc.name, "no proxies") {
				p = nil
			}
			if got := resolveClientIP(tc.peer, tc.xff, p); got != tc.want {
				t.Fatalf("resolveClientIP(%q, %q) = %q, want %q", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

// TestClientIPInContext: the layers work the client out once, from the
// trusted proxies, and an in-process request made while serving another
// keeps the outer request's client.
func TestClientIPInContext(t *testing.T) {
	var seen []string
	var h http.Handler
	mux := http.NewServeMux()
	mux.HandleFunc("GET /probe", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, ClientIP(r))
		if r.URL.Query().Get("inner") == "" {
			inner := httptest.NewRequestWithContext(r.Context(), "GET", "/probe?inner=1", nil)
			inner.RemoteAddr = "10.0.0.1:1"
			h.ServeHTTP(httptest.NewRecorder(), inner)
		}
	})
	h = Layers{Log: slog.New(slog.DiscardHandler), TrustedProxies: mustProxies(t, "192.0.2.0/24")}.Wrap(mux)
	req := httptest.NewRequest("GET", "/probe", nil) // from 192.0.2.1
	req.Header.Set("X-Forwarded-For", "198.51.100.23")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if len(seen) != 2 || seen[0] != "198.51.100.23" || seen[1] != "198.51.100.23" {
		t.Fatalf("client IPs %q", seen)
	}
	if got := ClientIP(httptest.NewRequest("GET", "/", nil)); got != "192.0.2.1" {
		t.Fatalf("outside the layers: %q", got)
	}
}

// FuzzClientIP: whatever the peer and the headers, the client is the peer
// or an address the header named; it is another than the peer only when
// the peer is trusted, and every address named to its right is trusted.
//
//	go test ./internal/httpx -run '^$' -fuzz '^FuzzClientIP$' -fuzztime 5m
func FuzzClientIP(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.2:80", "198.51.100.1"},
		{"10.0.0.2:80", "1.2.3.4, 198.51.100.1, 10.0.0.3"},
		{"203.0.113.5:1", "10.0.0.1"},
		{"[2001:db8:ffff::1]:443", "[2001:db8::7]:443, 2001:db8:ffff::2"},
		{"10.0.0.2:80", "unknown, , 10.0.0.3"},
		{"[::ffff:10.0.0.2]:80", "::ffff:198.51.100.1,fe80::1%eth0"},
		{"pipe", ","},
	} {
		f.Add(s[0], s[1], "")
	}
	proxies := mustProxies(f, "10.0.0.0/8,2001:db8:ffff::/48")
	f.Fuzz(func(t *testing.T, peer, xff1, xff2 string) {
		var xff []string
		for _, h := range []string{xff1, xff2} {
			if h != "" {
				xff = append(xff, h)
			}
		}
		got := resolveClientIP(peer, xff, proxies)
		host := peer
		if h, _, err := net.SplitHostPort(peer); err == nil {
			host = h
		}
		peerAddr, peerOK := parseHop(host)
		if !peerOK {
			if got != host {
				t.Fatalf("unparsable peer %q: got %q", peer, got)
			}
			return
		}
		if got == peerAddr.String() {
			return
		}
		if !trusted(proxies, peerAddr) {
			t.Fatalf("untrusted peer %q, but the client is %q (from %q)", peer, got, xff)
		}
		// got must be one of the header's addresses, with only trusted
		// ones to its right.
		var hops []string
		for _, h := range xff {
			hops = append(hops, strings.Split(h, ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			if strings.TrimSpace(hops[i]) == "" {
				continue
			}
			a, ok := parseHop(hops[i])
			if !ok {
				t.Fatalf("walked past %q to %q", hops[i], got)
			}
			if a.String() == got {
				return
			}
			if !trusted(proxies, a) {
				t.Fatalf("walked past the untrusted %s to %q", a, got)
			}
		}
		t.Fatalf("client %q is neither the peer %q nor in %q", got, peer, xff)
	})
}
