package websession

import (
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/service"
)

// signInOutcome is the roster_signins_total outcome of a password
// sign-in that ended with err.
func signInOutcome(err error) string {
	if err == nil {
		return metrics.SignInSuccess
	}
	if isBadCredentials(err) {
		return metrics.SignInBadCredentials
	}
	if e, ok := service.AsError(err); ok {
		switch e.Kind {
		case service.KindRateLimited:
			return metrics.SignInRateLimited
		case service.KindUnauthenticated, service.KindForbidden:
			return metrics.SignInBadCredentials
		}
	}
	return metrics.SignInError
}
