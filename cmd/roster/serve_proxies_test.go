package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestServeRefusesBadTrustedProxies: a mistyped --trusted-proxies (or
// ROSTER_TRUSTED_PROXIES) stops serve before it listens, naming the entry.
func TestServeRefusesBadTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		bad  string
	}{
		{args: []string{"--trusted-proxies", "10.0.0.0/8,10.0.0/8"}, bad: `"10.0.0/8"`},
		{args: []string{"--trusted-proxies", "proxy.internal"}, bad: `"proxy.internal"`},
		{args: []string{"--trusted-proxies", "10.0.0.0/33"}, bad: `"10.0.0.0/33"`},
		{env: "ROSTER_TRUSTED_PROXIES=192.0.2.1/24, nonsense", bad: `"nonsense"`},
	} {
		cmd := exec.Command(binary, append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)...)
		cmd.Env = append(os.Environ(), tc.env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		msg := stderr.String()
		if err == nil || !strings.Contains(msg, "--trusted-proxies") || !strings.Contains(msg, tc.bad) || !strings.Contains(msg, "CIDR") {
			t.Errorf("serve %v %s: err %v, stderr %q", tc.args, tc.env, err, msg)
		}
	}
}

// TestServeTrustedProxies: behind a trusted proxy the SCIM key's last-use
// IP is the client's, as X-Forwarded-For names it; the same header from a
// peer that isn't trusted is ignored.
func TestServeTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name, proxies, want string
	}{
		{"trusted", "10.0.0.0/8, 127.0.0.1", "203.0.113.9"},
		{"not trusted", "10.0.0.0/8", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			addr, _ := startServe(t, "", []string{"ROSTER_TRUSTED_PROXIES=" + tc.proxies}, "--data-dir", dir)
			roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
			roster(t, "scim", "enable", "--data-dir", dir, "--team", "acme")
			key := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))
			req, _ := http.NewRequest("GET", "http://"+addr+"/scim/v2/Users", nil)
			req.Header.Set("Authorization", "Bearer "+key["token"].(string))
			req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.9") // forged by the client, then added by the proxy
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			list := roster(t, "scim-key", "list", "--data-dir", dir, "--team", "acme", "--json")
			if !strings.Contains(string(list), `"last_used_ip": "`+tc.want+`"`) {
				t.Fatalf("last use IP is not %s:\n%s", tc.want, list)
			}
		})
	}
}
