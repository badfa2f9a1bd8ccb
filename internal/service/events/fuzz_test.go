package events

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/service/domain"
)

// The parsers of the event stream's input (a pull's after and wait, a
// webhook's types and URL) take whatever a client sends: they never
// panic, refuse with a domain error that names the field, and what they
// accept keeps their rules.

func invalidOn(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := domain.AsError(err)
	if !ok || e.Kind != domain.KindInvalid || e.Field != field {
		t.Fatalf("error %#v, want an invalid-input error on %q", err, field)
	}
	if !utf8.ValidString(e.Message) {
		t.Fatalf("message is not UTF-8: %q", e.Message)
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "0", "42", "007", "9223372036854775807", "9223372036854775808", "-1", "1e3", " 1", "１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, given, err := ParseCursor(s)
		if err != nil {
			invalidOn(t, err, "after")
			return
		}
		if given != (s != "") || n < 0 {
			t.Fatalf("ParseCursor(%q) = %d, %v", s, n, given)
		}
		if given && strings.TrimLeft(s, "0") != strings.TrimLeft(strconv.FormatInt(n, 10), "0") {
			t.Fatalf("ParseCursor(%q) = %d: not the number written", s, n)
		}
	})
}

func FuzzParseWait(f *testing.F) {
	for _, s := range []string{"", "0", "30", "31", "30s", "1500ms", "-1s", "1h", "9999", "0x1f", "30.5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseWait(s)
		if err != nil {
			invalidOn(t, err, "wait")
			return
		}
		if d < 0 || d > MaxWait {
			t.Fatalf("ParseWait(%q) = %v, outside 0..%v", s, d, MaxWait)
		}
	})
}

func FuzzParseTypes(f *testing.F) {
	f.Add("member.*,group.member_added", "*")
	f.Add("member.deleted", "")
	f.Add(" , ,", "scim_key.*")
	f.Add("member.", "member.**")
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := ParseTypes([]string{a, b})
		if err != nil {
			invalidOn(t, err, "types")
			return
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("ParseTypes = %q: not sorted and distinct", got)
		}
		// Every known type is taken by the result exactly when one of
		// the given patterns names it.
		for _, typ := range domain.EventTypes {
			named, none := false, true
			for _, item := range []string{a, b} {
				for p := range strings.SplitSeq(item, ",") {
					p = strings.TrimSpace(p)
					none = none && p == ""
					named = named || p == "*" || p == typ || (strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(p, "*")))
				}
			}
			if Matches(got, typ) != (named || none) {
				t.Fatalf("ParseTypes(%q, %q) = %q: Matches(%s) = %v", a, b, got, typ, !(named || none))
			}
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://app.example.com/hook", "http://127.0.0.1:8080/x", "http://localhost/x", "https://10.0.0.1/",
		"https://[::1]/", "https://[::ffff:192.168.0.1]/", "ftp://a.example/", "https://user:pw@a.example/", "https://a.example/#f",
		"https://a.example:0/", "https://a.example:99999/", "//a.example/", "https://svc.internal/", "https:///x", "https://a b/"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowPrivate bool) {
		u, err := CheckURL(raw, allowPrivate)
		if err != nil {
			invalidOn(t, err, "url")
			return
		}
		if u.User != nil || u.Fragment != "" || u.Hostname() == "" || len(raw) > MaxURLLength {
			t.Fatalf("CheckURL(%q) accepted %#v", raw, u)
		}
		host := u.Hostname()
		addr, ipErr := netip.ParseAddr(host)
		loopback := isLoopbackName(host) || (ipErr == nil && addr.Unmap().IsLoopback())
		switch {
		case u.Scheme == "http" && !loopback:
			t.Fatalf("CheckURL(%q) accepted plain http to %s", raw, host)
		case u.Scheme != "http" && u.Scheme != "https":
			t.Fatalf("CheckURL(%q) accepted scheme %q", raw, u.Scheme)
		case !allowPrivate && (loopback || (ipErr == nil && !PublicAddr(addr))):
			t.Fatalf("CheckURL(%q) accepted the private address %s", raw, host)
		}
	})
}

// The fuzz targets' seeds run as tests; this one pins the wait's bounds.
func TestParseWaitBounds(t *testing.T) {
	for s, want := range map[string]time.Duration{"30": 30 * time.Second, "30s": 30 * time.Second, "0": 0, "1500ms": 1500 * time.Millisecond} {
		if d, err := ParseWait(s); err != nil || d != want {
			t.Errorf("ParseWait(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	for _, s := range []string{"31s", "-1s", "1h", "abc", "99999"} {
		if _, err := ParseWait(s); err == nil {
			t.Errorf("ParseWait(%q) accepted", s)
		}
	}
}
