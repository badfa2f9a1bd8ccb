package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// healthcheckCmd is `roster healthcheck`: GET the readiness endpoint and
// exit 0 on 200, 1 otherwise. For a container's HEALTHCHECK, where the
// image has no curl (Dockerfile).
func healthcheckCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	u := fs.String("url", "http://127.0.0.1:8080/healthz/ready", "the URL to ask; over https to a loopback address the certificate isn't verified (it names the public host) (env ROSTER_HEALTHCHECK_URL)")
	timeout := durationFlag(fs, "timeout", 4*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	target, err := url.Parse(*u)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return fmt.Errorf("healthcheck: --url %q: expected an http:// or https:// URL", *u)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if ip := net.ParseIP(target.Hostname()); target.Scheme == "https" && (target.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the server's own certificate names its public host
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return errors.New("healthcheck: " + resp.Status)
	}
	return nil
}
