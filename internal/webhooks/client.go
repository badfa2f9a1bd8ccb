package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// The worker's HTTP client: it connects only where a webhook may go. The
// URL's rules (service.CheckWebhookURL) are applied again before each
// attempt, and the address is checked once more when the connection is
// made, on the IP actually dialled (net.Dialer's Control), so a name that
// resolves to a private address, now or after a DNS change between the
// check and the connection (rebinding), is refused unless the operator
// allows private networks. http goes to loopback addresses only; redirects
// are not followed; no proxy from the environment is used.

// refusal is a connection the guard refused.
type refusal struct {
	host string // the URL's host, when known
	addr netip.Addr
	why  string
}

func (r *refusal) Error() string {
	name := r.addr.String()
	if r.host != "" && r.host != name {
		name = fmt.Sprintf("%s (%s)", r.host, r.addr)
	}
	return fmt.Sprintf("refused to connect to %s: %s", name, r.why)
}

// guard is the dialer's Control: it checks the address about to be
// connected to.
func guard(allowPrivate, loopbackOnly bool) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return &refusal{why: "not an address: " + address}
		}
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return &refusal{why: "not an IP address: " + host}
		}
		addr = addr.Unmap()
		if loopbackOnly && !addr.IsLoopback() {
			return &refusal{addr: addr, why: "http goes to loopback addresses only (use https)"}
		}
		if !allowPrivate && !service.PublicWebhookAddr(addr) {
			return &refusal{addr: addr, why: "a loopback, private or reserved address; webhooks go to public addresses unless the server runs with --webhooks-allow-private-networks"}
		}
		return nil
	}
}

// LookupFunc resolves a host name to its addresses.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// dialer resolves the host itself (through lookup) and dials each of its
// addresses in turn through the guard, which sees the IP dialled.
func dialer(lookup LookupFunc, control func(string, string, syscall.RawConn) error) func(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: control}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else if addrs, err = lookup(ctx, host); err != nil {
			return nil, err
		} else if len(addrs) == 0 {
			return nil, fmt.Errorf("%s has no address", host)
		}
		var first error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
			if err == nil {
				return c, nil
			}
			if r, ok := errors.AsType[*refusal](err); ok {
				r.host = host
				err = r
			}
			if first == nil {
				first = err
			}
		}
		return nil, first
	}
}

// clients are the worker's two HTTP clients: https (public addresses, or
// any with private networks allowed) and http (loopback only).
type clients struct {
	https, http *http.Client
}

func newClients(allowPrivate bool, lookup LookupFunc, roots *x509.CertPool) clients {
	if lookup == nil {
		lookup = defaultLookup
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	transport := func(control func(string, string, syscall.RawConn) error) *http.Transport {
		return &http.Transport{
			Proxy:                 nil, // never through a proxy: the guard must see the receiver's address
			DialContext:           dialer(lookup, control),
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
			TLSHandshakeTimeout:   10 * time.Second,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	return clients{
		https: &http.Client{Transport: transport(guard(allowPrivate, false)), CheckRedirect: noRedirect},
		http:  &http.Client{Transport: transport(guard(allowPrivate, true)), CheckRedirect: noRedirect},
	}
}

func (c clients) close() {
	for _, hc := range []*http.Client{c.https, c.http} {
		hc.CloseIdleConnections()
	}
}

// describe is an attempt's error as the delivery log shows it: why the
// connection was refused, or what went wrong, without Go's wrapping.
func describe(err error, timeout time.Duration) string {
	if r, ok := errors.AsType[*refusal](err); ok {
		return r.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + strconv.Itoa(int(timeout/time.Second)) + " s"
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // without "Post <url>:"
	}
	return err.Error()
}
