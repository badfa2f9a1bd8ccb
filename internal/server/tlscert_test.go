package server

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/testcert"
)

// selfSigned makes a certificate for 127.0.0.1 and localhost named cn.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	c, k, _ := testcert.SelfSigned(t, cn)
	return c, k
}

var (
	writePair = testcert.WritePair
	servedCN  = testcert.ServedCN
)

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
