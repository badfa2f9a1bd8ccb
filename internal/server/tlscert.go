package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// CertReloader serves the certificate of roster serve --tls-cert and
// --tls-key, and picks up new files without a restart: at every TLS
// handshake it compares the two files' identity, size and modification
// time with those it loaded (two stat calls), and Reload (SIGHUP) loads
// them whatever they say. A pair that fails to load (a renewal half
// written, a key that doesn't match) is logged and the certificate in
// use is kept, so a bad file never takes HTTPS down.
type CertReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	cur atomic.Pointer[loadedCert]
	mu  sync.Mutex // one load at a time
	bad stamps     // the files of the last failed load, not retried until they change
}

type loadedCert struct {
	cert  *tls.Certificate
	stamp stamps
}

// stamps are what tells that a file changed.
type stamps struct{ cert, key os.FileInfo }

func stampOf(certFile, keyFile string) (stamps, error) {
	c, err := os.Stat(certFile)
	if err != nil {
		return stamps{}, err
	}
	k, err := os.Stat(keyFile)
	if err != nil {
		return stamps{}, err
	}
	return stamps{c, k}, nil
}

func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (s stamps) same(o stamps) bool { return sameFile(s.cert, o.cert) && sameFile(s.key, o.key) }

// NewCertReloader loads the pair once; an error says what is wrong with
// it, so serve refuses to start on a bad pair.
func NewCertReloader(certFile, keyFile string, log *slog.Logger) (*CertReloader, error) {
	c := &CertReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *CertReloader) load() error {
	st, err := stampOf(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.bad = st
		return fmt.Errorf("--tls-cert %s and --tls-key %s: %w", c.certFile, c.keyFile, err)
	}
	if pair.Leaf == nil && len(pair.Certificate) > 0 {
		pair.Leaf, _ = x509.ParseCertificate(pair.Certificate[0])
	}
	c.cur.Store(&loadedCert{cert: &pair, stamp: st})
	c.bad = stamps{}
	return nil
}

// Reload loads the files again (SIGHUP). On failure the certificate in
// use stays.
func (c *CertReloader) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load()
}

// GetCertificate is tls.Config's: the current certificate, reloaded
// first if its files changed since it was loaded.
func (c *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cur := c.cur.Load()
	st, err := stampOf(c.certFile, c.keyFile)
	if err != nil || st.same(cur.stamp) {
		// Missing files (mid-rename, say) keep the certificate in use.
		return cur.cert, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.cur.Load(); now != cur {
		return now.cert, nil // another handshake reloaded it
	}
	if st.same(c.bad) {
		return cur.cert, nil // already failed on these very files
	}
	if err := c.load(); err != nil {
		c.log.Error("TLS certificate changed but does not load: still serving the previous one", "err", err)
		return cur.cert, nil
	}
	leaf := c.cur.Load().cert.Leaf
	if leaf != nil {
		c.log.Info("TLS certificate reloaded", "subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return c.cur.Load().cert, nil
}

// NotAfter is when the certificate in use expires.
func (c *CertReloader) NotAfter() time.Time {
	if leaf := c.cur.Load().cert.Leaf; leaf != nil {
		return leaf.NotAfter
	}
	return time.Time{}
}

// TLSConfig is the server's TLS configuration over a certificate source:
// TLS 1.2 and later.
func TLSConfig(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: get}
}
