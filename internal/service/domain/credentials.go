package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// ErrPasswordChangeRequired is the answer to everything an account does,
// but changing its password and signing out, while its password is one
// that someone else chose: the one-time password `roster team create`
// printed, or an operator's `roster account set-password`.
var ErrPasswordChangeRequired = &Error{Kind: KindForbidden, Field: "password",
	Message: "choose a new password first: this account's password was set for you (a one-time password, or an operator's reset); " +
		"change it (POST /api/v1/me/password, or the console's Account page), then try again"}

// RequireOwnPassword refuses a caller whose account must change its
// password: every use case but the password change and sign-out calls it
// (TeamCaller covers every team route).
func RequireOwnPassword(c Caller) error {
	if c.Account.MustChangePassword {
		return ErrPasswordChangeRequired
	}
	return nil
}

// IsPasswordChangeRequired reports whether err is that refusal.
func IsPasswordChangeRequired(err error) bool {
	return errors.Is(err, ErrPasswordChangeRequired)
}

// BearerMistake recognises the classic paste mistake in an Authorization
// header's credentials: the token field of an IdP (or a script) given
// "Bearer rsk_…" where it adds "Bearer " itself, so the header reads
// "Bearer Bearer rsk_…". It returns the 401 that says so, or nil.
// token is what follows the header's own scheme.
func BearerMistake(token string) error {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(token), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil
	}
	return Unauthorized("the Authorization header says \"Bearer\" twice (\"Bearer Bearer %s\"): "+
		"the token field takes the key alone, without \"Bearer \"; remove it there", redactedPrefix(strings.TrimSpace(rest)))
}

// redactedPrefix shows the start of a secret only: "rsk_…".
func redactedPrefix(s string) string {
	if i := strings.IndexByte(s, '_'); i > 0 && i <= 4 {
		return s[:i+1] + "…"
	}
	return "…"
}

// AuthFailures writes a warning to the server log for each credential no
// key or token matches (it belongs to no team, so no team's log can show
// it), with the client address, at most once per Every per address: the
// first failure of an address is logged at once, later ones are counted
// and reported on its next line ("suppressed": n), so a flood from one
// address or many can't flood the log. It remembers at most MaxAddrs
// addresses; beyond, new addresses share one line per Every.
type AuthFailures struct {
	Every    time.Duration
	MaxAddrs int

	mu    sync.Mutex
	addrs map[string]*failureLine
	// overflow counts the failures of addresses it had no room for.
	overflow failureLine
}

type failureLine struct {
	last       time.Time
	suppressed int
}

// NewAuthFailures logs at most once a minute per address, for up to
// 10,000 addresses.
func NewAuthFailures() *AuthFailures {
	return &AuthFailures{Every: time.Minute, MaxAddrs: 10_000, addrs: map[string]*failureLine{}}
}

// Note records one failure: what was refused (e.g. "SCIM API key"), from
// which address, why, and when; log gets the line when one is due (with
// the request's context, so it carries its request id).
func (f *AuthFailures) Note(ctx context.Context, log *slog.Logger, what, ip, reason string, now time.Time) {
	if f == nil || log == nil {
		return
	}
	f.mu.Lock()
	line, shared := f.addrs[ip], false
	if line == nil {
		if len(f.addrs) >= f.MaxAddrs {
			f.sweep(now)
		}
		if len(f.addrs) < f.MaxAddrs {
			line = &failureLine{}
			f.addrs[ip] = line
		} else {
			line, shared = &f.overflow, true
		}
	}
	due := line.last.IsZero() || now.Sub(line.last) >= f.Every
	suppressed := line.suppressed
	if due {
		line.last, line.suppressed = now, 0
	} else {
		line.suppressed++
	}
	f.mu.Unlock()
	if !due {
		return
	}
	attrs := []any{"what", what, "client_ip", ip, "reason", reason, "suppressed", suppressed}
	if shared {
		attrs = append(attrs, "note", fmt.Sprintf("more than %d addresses failed recently: addresses beyond them share this line", f.MaxAddrs))
	}
	log.WarnContext(ctx, "unknown credentials refused", attrs...)
}

// sweep forgets addresses whose last line is over Every old and that
// have nothing left to report. mu is held.
func (f *AuthFailures) sweep(now time.Time) {
	for ip, l := range f.addrs {
		if now.Sub(l.last) >= f.Every && l.suppressed == 0 {
			delete(f.addrs, ip)
		}
	}
}
