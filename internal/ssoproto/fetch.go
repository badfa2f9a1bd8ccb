package ssoproto

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// Fetcher is how Roster reaches an IdP over the network: metadata URLs,
// OIDC discovery, keys and tokens. A team admin chooses these URLs, so
// the fetcher refuses to become a way into Roster's own network (SSRF):
// every connection is checked, after DNS resolution and on every redirect,
// against private, loopback, link-local and other non-public addresses,
// unless the operator allows them (AllowPrivate). Answers are bounded in
// size and time, and no proxy from the environment is used (it would hide
// the real address).
type Fetcher struct {
	// AllowPrivate lets Roster reach private addresses (an IdP inside the
	// operator's network; tests on loopback). The operator's choice:
	// roster serve --sso-allow-private-networks.
	AllowPrivate bool
	// Timeout bounds one exchange; default 10 s.
	Timeout time.Duration
	// MaxBytes bounds an answer's body; default MaxMetadataBytes.
	MaxBytes int64
	// RootCAs, when set, replaces the system's roots (tests).
	RootCAs *x509.CertPool
}

// ErrPrivateAddress is a connection the fetcher refused: the address is
// not public.
var ErrPrivateAddress = errors.New("the address is not a public one")

// notPublic are the IPv4 and IPv6 ranges that no IdP on the internet has.
var notPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
		"192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// PublicAddress reports whether ip is an address on the public internet.
// IPv4 addresses written in IPv6 (mapped, NAT64, 6to4) are judged as the
// IPv4 address they carry.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		b := ip.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(ip):
			return PublicAddress(netip.AddrFrom4([4]byte(b[12:16])))
		case netip.MustParsePrefix("2002::/16").Contains(ip):
			return PublicAddress(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

func (f Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return 10 * time.Second
}

func (f Fetcher) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return MaxMetadataBytes
}

// control checks the address a connection is about to be made to (after
// DNS resolution, so a name that resolves to a private address, or
// rebinds to one, is refused too).
func (f Fetcher) control(_, address string, _ syscall.RawConn) error {
	if f.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if !PublicAddress(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// Client is the HTTP client of every exchange with an IdP.
func (f Fetcher) Client() *http.Client {
	dialer := &net.Dialer{Timeout: f.timeout(), Control: f.control}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: f.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    f.timeout(),
		ResponseHeaderTimeout:  f.timeout(),
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     false,
		MaxIdleConns:           10,
		IdleConnTimeout:        30 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: f.timeout(), CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && via[0].URL.Scheme == "http") {
			return fmt.Errorf("a redirect from https to %s", req.URL.Scheme)
		}
		return nil
	}}
}

// Metadata fetches IdP metadata from an https URL. Its errors are the
// service's 400s, naming the URL's problem.
func (f Fetcher) Metadata(ctx context.Context, rawURL string) ([]byte, error) {
	bad := func(format string, args ...any) error {
		return service.BadRequest("idp_metadata_url", "the IdP metadata URL "+format, args...)
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, bad("must be an https URL, got %q", rawURL)
	}
	body, err := f.get(ctx, u.String(), "application/samlmetadata+xml, application/xml, text/xml")
	if err != nil {
		return nil, bad("%s could not be fetched: %v", u.Redacted(), err)
	}
	return body, nil
}

// get fetches a URL with the fetcher's limits.
func (f Fetcher) get(ctx context.Context, u, accept string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := f.Client().Do(req)
	if err != nil {
		if errors.Is(err, ErrPrivateAddress) {
			return nil, fmt.Errorf("it leads to an address that is not public (Roster refuses private networks unless the operator allows them with roster serve --sso-allow-private-networks): %w", ErrPrivateAddress)
		}
		return nil, errors.New(strings.TrimPrefix(err.Error(), "Get "))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes()+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > f.maxBytes() {
		return nil, fmt.Errorf("the answer is over %d bytes", f.maxBytes())
	}
	return body, nil
}
