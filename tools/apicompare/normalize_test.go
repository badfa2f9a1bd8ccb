package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 5, 22, 6, 45, 0, time.UTC)

// norm normalises steps in order with one normalizer and returns the
// results.
func norm(n *normalizer, steps ...string) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		n.begin("step" + string(rune('A'+i)))
		out[i] = n.normalize(s)
	}
	return out
}

func TestNormalizeNamesUUIDsByFirstStep(t *testing.T) {
	const a, b = "774db3bb-16bb-49f0-9816-4d32b8be3d03", "47da94e4-9bfc-4aa3-b7f2-6e3b5f7cd4d8"
	got := norm(newNormalizer(t0),
		"created "+a+" and "+b,
		"GET /Users/"+b+" → "+a+", "+strings.ToUpper(a))
	want := []string{
		"created id@stepA#1 and id@stepA#2",
		"GET /Users/id@stepA#2 → id@stepA#1, id@stepB#1", // another spelling is another value
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestNormalizeSameTextSameResult(t *testing.T) {
	// Two runs that print the same things with different random values
	// read the same; a run that prints something else does not.
	run := func(id, key, status string) []string {
		return norm(newNormalizer(t0),
			`{"id":"`+id+`","token":"rsk_`+key+`"}`,
			"GET /Users/"+id+" "+status+" with rsk_"+key[:6])
	}
	a := run("11111111-1111-4111-8111-111111111111", strings.Repeat("A", 43), "200")
	b := run("22222222-2222-4222-8222-222222222222", strings.Repeat("b", 43), "200")
	c := run("33333333-3333-4333-8333-333333333333", strings.Repeat("c", 43), "201")
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("same output, different random values, normalised apart:\n%q\n%q", a, b)
	}
	if a[1] == c[1] {
		t.Errorf("a changed status was normalised away: %q", c[1])
	}
}

func TestNormalizeSecrets(t *testing.T) {
	n := newNormalizer(t0)
	csrf := "Kx1bTq0Q8yB7v0aWcJ3-kZ2_pM5sN8rL4eD6fH9gA1c"
	otp := "MNv6_3_uXgZQo8qyW_s_cFq0"
	key := "rsk_zxtwDK-49l10iEzXviwG9rGfpPdvNt5Bi30M2O0bDdo"
	got := norm(n,
		// The prefix comes before the key it was cut from (keys sorted).
		`{"prefix": "rsk_zxtwDK", "token": "`+key+`"}`,
		"One-time sign-in password for a@b.example (shown once; change it after signing in):\n  "+otp+"\n",
		`{"csrf_token":"`+csrf+`","admin_password": "`+otp+`"}`,
		`<input type="hidden" name="csrf_token" value="`+csrf+`"> rsk_zxtwDK… rsk_notarealkey rit_`+strings.Repeat("x", 43),
	)
	want := []string{
		`{"prefix": "rsk@stepA#1.prefix", "token": "rsk@stepA#1"}`,
		"One-time sign-in password for a@b.example (shown once; change it after signing in):\n  <password@stepB#1>\n",
		`{"csrf_token":"<csrf@stepC#1>","admin_password": "<password@stepB#1>"}`,
		`<input type="hidden" name="csrf_token" value="<csrf@stepC#1>"> rsk@stepA#1.prefix… rsk_notarealkey rit@stepD#1`,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	// A secret the runner registers (a cookie) is named after its step.
	n.begin("login")
	n.secret("cookie", "session-value-0123456789")
	if got := n.normalize("x session-value-0123456789 y"); got != "x <cookie@login#1> y" {
		t.Errorf("cookie: %q", got)
	}
	// Short values are never secrets: they would match everywhere.
	n.secret("cookie", "ab")
	if got := n.normalize("about"); got != "about" {
		t.Errorf("short secret replaced: %q", got)
	}
}

func TestNormalizeTimes(t *testing.T) {
	n := newNormalizer(t0)
	n.begin("s")
	for in, want := range map[string]string{
		"2026-12-05T22:06:45Z":                    "<T+0h>",
		"2026-12-05T22:07:31.123456789Z":          "<T+0h>",
		"2026-12-06T00:06:45+02:00":               "<T+0h>",
		"2027-03-05T22:06:45Z":                    "<T+2160h>", // a 90-day expiry
		"2026-12-06T22:06:45Z":                    "<T+24h>",
		"2026-12-05 22:06 UTC":                    "<T+0h>",
		"2026-12-05 22:06:45.5 +0000 UTC":         "<T+0h>",
		"Sun, 06 Dec 2026 10:06:45 GMT":           "<T+12h>",
		"2001-02-03T04:05:06Z":                    "2001-02-03T04:05:06Z", // the script's constants stay
		"2999-01-01T00:00:00Z":                    "2999-01-01T00:00:00Z",
		"such as 2026-01-02T15:04:05Z":            "such as 2026-01-02T15:04:05Z", // before the run: a constant
		`"expires_at":"2027-03-05T22:06:45.646Z"`: `"expires_at":"<T+2160h>"`,
	} {
		if got := n.normalize(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeLatencies(t *testing.T) {
	n := newNormalizer(t0)
	n.begin("s")
	for in, want := range map[string]string{
		`"latency_ms": 1.234,`:                    `"latency_ms": <ms>,`,
		`"latency_us":507,`:                       `"latency_us":<ms>,`,
		"status=200 duration_ms=3 client_ip=x":    "status=200 duration_ms=<ms> client_ip=x",
		"<T+0h>\t200\tGET /Users\t12ms\tokta\t":   "<T+0h>\t200\tGET /Users\t<ms>\tokta\t",
		"<dd>2026-12-05 22:06 UTC (584µs)</dd>":   "<dd><T+0h> (<duration>)</dd>",
		"<dd>2026-12-05 22:06 UTC (1.25ms)</dd>":  "<dd><T+0h> (<duration>)</dd>",
		`hx-trigger="keyup changed delay:300ms"`:  `hx-trigger="keyup changed delay:300ms"`, // constants stay
		"[--duration 20s] transition: opacity 1s": "[--duration 20s] transition: opacity 1s",
		"Max-Age=43199; HttpOnly":                 "Max-Age=<720min>; HttpOnly",
		"Max-Age=-1":                              "Max-Age=-1",
	} {
		if got := n.normalize(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeIDsOfTheRun(t *testing.T) {
	n := newNormalizer(t0)
	n.literal("/tmp/apicompare-123/old", "<run>")
	n.literal("127.0.0.1:40123", "127.0.0.1:<port>")
	cursor := base64.RawURLEncoding.EncodeToString([]byte("2026-12-05T22:06:45.5Z|01a24847e5a3fb3cb9b7d73b66e4"))
	got := norm(n,
		"open /tmp/apicompare-123/old/data/x: http://127.0.0.1:40123/scim/v2 request_id=0123456789abcdef",
		`{"id":"01a24847e5a3fb3cb9b7d73b66e4","next_cursor":"`+cursor+`","request_id":"0123456789abcdef"}`,
		// 16 and 28 hex digits only as whole words.
		"0123456789abcdef0 sha 01a24847e5a3fb3cb9b7d73b66e4ff",
	)
	want := []string{
		"open <run>/data/x: http://127.0.0.1:<port>/scim/v2 request_id=req@stepA#1",
		`{"id":"plog@stepB#1","next_cursor":"cursor(<T+0h>|plog@stepB#1)","request_id":"req@stepA#1"}`,
		"0123456789abcdef0 sha 01a24847e5a3fb3cb9b7d73b66e4ff",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestNormalizeHashes(t *testing.T) {
	n := newNormalizer(t0)
	n.begin("s")
	in := `"password_hash":"$argon2id$v=19$m=65536,t=3,p=4$jCKZkGNqv7UyakZmrfjAbA$dWKjKSjcHGR3MTe5iAWCp2H3IeRgn9zWo3apPMRvGZk","hash":{"b64":"DliKJdWkS3Y9eBgdtD1nmkDguJfOXVMh6rZFYIBPppw="}`
	want := `"password_hash":"$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>","hash":{"b64":"<hash>"}`
	if got := n.normalize(in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSortTeams(t *testing.T) {
	n := newNormalizer(t0)
	n.begin("s")
	for in, want := range map[string]string{
		`"detail":"{\"teams\":[\"initech\",\"globex\"]}"`: `"detail":"{\"teams\":[\"globex\",\"initech\"]}"`,
		"\"teams\": [\n  \"b\",\n  \"a\"\n]":              "\"teams\": [\n  \"a\",\n  \"b\"\n]",
		// A list of objects is not a list of slugs: left alone.
		`"teams":[{"slug":"b"},{"slug":"a"}]`: `"teams":[{"slug":"b"},{"slug":"a"}]`,
	} {
		if got := n.normalize(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestSortLinesIgnoresIDOrder(t *testing.T) {
	// Two dumps listing the same rows in another storage order, each row
	// with ids seen before: sorted and normalised they read the same.
	const u1, u2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	dump := func(first, second string) string {
		return `{"table":"t","row":{"user":"` + first + `"}}` + "\n" + `{"table":"t","row":{"user":"` + second + `"}}` + "\n"
	}
	read := func(d string, order ...string) string {
		n := newNormalizer(t0)
		n.begin("create")
		n.normalize(strings.Join(order, " ")) // the ids appear before the dump
		n.begin("export")
		return sortSection(n.normalize("--- stdout\n"+sortLines(d)+"--- stderr\n"), "--- stdout\n", "--- stderr\n")
	}
	a := read(dump(u1, u2), u1, u2)
	b := read(dump(u2, u1), u1, u2)
	if a != b {
		t.Errorf("row order shows:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "id@create#1") || !strings.Contains(a, "id@create#2") {
		t.Errorf("ids not named: %s", a)
	}
}
