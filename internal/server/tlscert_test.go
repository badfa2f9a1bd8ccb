package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for 127.0.0.1 and localhost named cn,
// and its key, in PEM.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}

// writePair writes the files and moves their modification time on, as a
// renewal does (some file systems keep only seconds).
func writePair(t *testing.T, certFile, keyFile string, cert, key []byte, at time.Time) {
	t.Helper()
	for f, b := range map[string][]byte{certFile: cert, keyFile: key} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// servedCN makes a new TLS connection to addr and names the certificate
// it was shown.
func servedCN(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestCertReloadOnFileChange: a running HTTPS server shows the new
// certificate to the next connection once the files change, without a
// restart or a signal; a bad pair keeps the one in use (and is reported
// once, not at every handshake); Reload (SIGHUP) reads the files anew.
func TestCertReloadOnFileChange(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1 := selfSigned(t, "one")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	writePair(t, certFile, keyFile, c1, k1, t0)
	var logs bytes.Buffer
	r, err := NewCertReloader(certFile, keyFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", TLSConfig(r.GetCertificate))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	if cn := servedCN(t, addr); cn != "one" {
		t.Fatalf("served %q", cn)
	}

	c2, k2 := selfSigned(t, "two")
	writePair(t, certFile, keyFile, c2, k2, t0.Add(time.Minute))
	if cn := servedCN(t, addr); cn != "two" {
		t.Fatalf("after the files changed: served %q", cn)
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("reload not logged: %s", logs.String())
	}

	// A certificate with another's key: refused, "two" stays.
	c3, _ := selfSigned(t, "three")
	writePair(t, certFile, keyFile, c3, k1, t0.Add(2*time.Minute))
	for range 3 {
		if cn := servedCN(t, addr); cn != "two" {
			t.Fatalf("after a bad pair: served %q", cn)
		}
	}
	if n := strings.Count(logs.String(), "does not load"); n != 1 {
		t.Errorf("bad pair reported %d times:\n%s", n, logs.String())
	}
	if err := r.Reload(); err == nil {
		t.Error("Reload of a bad pair succeeded")
	}

	// Files gone (mid-rename): "two" stays.
	os.Remove(certFile)
	if cn := servedCN(t, addr); cn != "two" {
		t.Fatalf("files missing: served %q", cn)
	}

	// Reload reads the files even when they look unchanged.
	c4, k4 := selfSigned(t, "four")
	writePair(t, certFile, keyFile, c4, k4, t0.Add(3*time.Minute))
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if cn := servedCN(t, addr); cn != "four" {
		t.Fatalf("after Reload: served %q", cn)
	}
	if got := r.NotAfter(); got.Before(time.Now()) {
		t.Errorf("NotAfter = %v", got)
	}
}

func TestCertReloaderRefusesABadPairAtStart(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, _ := selfSigned(t, "one")
	_, k2 := selfSigned(t, "two")
	writePair(t, certFile, keyFile, c1, k2, time.Now())
	if _, err := NewCertReloader(certFile, keyFile, slog.Default()); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("mismatched pair: %v", err)
	}
	if _, err := NewCertReloader(filepath.Join(dir, "missing.pem"), keyFile, slog.Default()); err == nil {
		t.Fatal("missing certificate accepted")
	}
}
