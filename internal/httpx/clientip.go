package httpx

// Who the client is, behind a reverse proxy: roster serve
// --trusted-proxies names the peers (the TLS proxy, a load balancer) whose
// X-Forwarded-For is believed. The client IP feeds the sign-in limits,
// the logs, the audit trail and the last-use IP of keys and tokens.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of CIDRs (10.0.0.0/8,
// fd00::/8) or single addresses (192.0.2.7, meaning /32 or /128). Blanks
// between commas are ignored; anything else that is not an address or a
// CIDR is an error naming it.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil {
				if a.Zone() != "" {
					err = fmt.Errorf("zones are not allowed")
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not a CIDR (such as 10.0.0.0/8 or fd00::/8) or an IP address: %v", item, err)
		}
		if p.Addr().Is4In6() { // ::ffff:10.0.0.0/104 is 10.0.0.0/8: clients are unmapped too
			if p.Bits() < 96 {
				return nil, fmt.Errorf("trusted proxy %q is not a CIDR: an IPv4-mapped prefix needs at least 96 bits (or write it as IPv4)", item)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusted reports whether a is in one of the prefixes.
func trusted(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For element: an address, with or without
// a port ("192.0.2.1", "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]",
// "[2001:db8::1]:443"). IPv4-mapped IPv6 is unmapped; zones are dropped.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
				a, err = netip.ParseAddr(s[1 : len(s)-1])
			}
			if err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.Unmap().WithZone(""), true
}

// resolveClientIP is the client's address for a request from peer
// (RemoteAddr) carrying the X-Forwarded-For headers xff (in order). When
// the peer is a trusted proxy, X-Forwarded-For is read from the right:
// each trusted address is a proxy of ours and is skipped, and the first
// address that isn't trusted is the client (anything to its left was
// written by the client and is ignored). If every address is trusted, the
// left-most is the client. An element that is not an address where the
// client should be stops the walk at the last trusted hop seen. From any
// other peer, or without the header, the client is the peer.
func resolveClientIP(remoteAddr string, xff []string, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, ok := parseHop(host)
	if !ok {
		return host
	}
	if len(proxies) == 0 || len(xff) == 0 || !trusted(proxies, peer) {
		return peer.String()
	}
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		h := xff[i]
		for {
			j := strings.LastIndexByte(h, ',')
			if elem := h[j+1:]; strings.TrimSpace(elem) != "" { // blanks ("a,,b") are skipped
				a, ok := parseHop(elem)
				if !ok {
					return client.String()
				}
				client = a
				if !trusted(proxies, a) {
					return a.String()
				}
			}
			if j < 0 {
				break
			}
			h = h[:j]
		}
	}
	return client.String()
}

type clientIPKeyType struct{}

var clientIPKey clientIPKeyType

// withClientIP records the request's client address in its context,
// once: an in-process request made while serving another keeps its
// parent's client.
func withClientIP(ctx context.Context, r *http.Request, proxies []netip.Prefix) (context.Context, string) {
	if ip, ok := ctx.Value(clientIPKey).(string); ok {
		return ctx, ip
	}
	ip := resolveClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), proxies)
	return context.WithValue(ctx, clientIPKey, ip), ip
}

// ClientIP is the client's address: the peer's, or, from a trusted proxy
// (Layers.TrustedProxies), the one its X-Forwarded-For names. The layers
// work it out once per request.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return resolveClientIP(r.RemoteAddr, nil, nil)
}
