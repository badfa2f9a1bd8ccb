package websession

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// OpenSSOSession sets the roster_session cookie of a session the service
// opened for an SSO sign-in (service.CompleteSignIn): the same cookie a
// password sign-in sets, so the admin API and the console take it alike.
func (s *Sessions) OpenSSOSession(w http.ResponseWriter, r *http.Request, res service.SSOResult) {
	s.setCookie(w, r, service.Session{Token: res.Session.Token, Session: res.Session.Session})
}

// SessionTTL is how long a sign-in lasts.
func (s *Sessions) SessionTTL() time.Duration { return s.cfg.SessionTTL }
