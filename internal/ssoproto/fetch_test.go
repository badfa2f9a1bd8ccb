package ssoproto

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

func TestPublicAddress(t *testing.T) {
	for addr, public := range map[string]bool{
		"93.184.215.14": true, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": true, "1.1.1.1": true,
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "172.31.255.255": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::": false,
		"fd00::1": false, "fe80::1": false, "224.0.0.1": false, "255.255.255.255": false, "198.18.0.1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "::ffff:93.184.215.14": true,
		"64:ff9b::a00:1": false, "64:ff9b::5db8:d70e": true, "2002:7f00:1::": false, "2002:5db8:d70e::": true,
		"192.0.2.1": false, "2001:db8::1": false,
	} {
		if got := PublicAddress(netip.MustParseAddr(addr)); got != public {
			t.Errorf("PublicAddress(%s) = %v, want %v", addr, got, public)
		}
	}
}

// TestFetcherRefusesPrivateNetworks: a metadata URL that reaches a private
// address (loopback here, by address or by a name that resolves to it) is
// refused unless the operator allows private networks; plain http is
// refused always; answers are bounded.
func TestFetcherRefusesPrivateNetworks(t *testing.T) {
	hits := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/missing":
			http.NotFound(w, r)
		case "/redirect-http":
			http.Redirect(w, r, "http://"+r.Host+"/md", http.StatusFound)
		default:
			w.Write([]byte("<md/>"))
		}
	}))
	defer srv.Close()
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	ctx := context.Background()

	strict := Fetcher{RootCAs: pool}
	port := strings.TrimPrefix(srv.URL, "https://127.0.0.1")
	for _, u := range []string{srv.URL + "/md", "https://localhost" + port + "/md", "https://[::ffff:127.0.0.1]" + port + "/md"} {
		_, err := strict.Metadata(ctx, u)
		if err == nil || !errors.Is(err, ErrPrivateAddress) && !strings.Contains(err.Error(), "not public") {
			t.Errorf("%s without the operator's flag: %v, want a refusal", u, err)
		}
		if e, ok := service.AsError(err); !ok || e.Kind != service.KindInvalid || e.Field != "idp_metadata_url" {
			t.Errorf("%s: %v, want a 400 naming idp_metadata_url", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the server was reached %d times", hits)
	}
	allowed := Fetcher{RootCAs: pool, AllowPrivate: true, MaxBytes: 1024}
	if b, err := allowed.Metadata(ctx, srv.URL+"/md"); err != nil || string(b) != "<md/>" {
		t.Fatalf("with the operator's flag: %q, %v", b, err)
	}
	for path, want := range map[string]string{"/big": "over 1024 bytes", "/missing": "404", "/redirect-http": "redirect"} {
		if _, err := allowed.Metadata(ctx, srv.URL+path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", path, err, want)
		}
	}
	for _, u := range []string{"http://127.0.0.1/md", "ftp://x/md", "not a url", "https://user:pw@idp.example/md"} {
		if _, err := allowed.Metadata(ctx, u); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
	// A server that never answers is given up on.
	stuck := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stuck.Close()
	quick := Fetcher{RootCAs: stuck.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, AllowPrivate: true, Timeout: 50 * time.Millisecond}
	if _, err := quick.Metadata(ctx, stuck.URL+"/md"); err == nil {
		t.Error("a server that never answers: no error")
	}
}
