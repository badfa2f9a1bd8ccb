// Package httpx holds what every HTTP edge of Roster shares: the HTTP
// status of each kind of domain error, request ids and client addresses,
// and the cross-cutting layers (timeouts, body limits, access log,
// nosniff). Each edge (SCIM, admin API, console) still renders errors in
// its own format, in one place of its own.
package httpx

import (
	"net/http"

	"github.com/rosterhq/roster/internal/service"
)

// Status is the HTTP status of a kind of domain error.
func Status(k service.Kind) int {
	switch k {
	case service.KindInvalid:
		return http.StatusBadRequest
	case service.KindUnauthenticated:
		return http.StatusUnauthorized
	case service.KindForbidden:
		return http.StatusForbidden
	case service.KindNotFound:
		return http.StatusNotFound
	case service.KindConflict:
		return http.StatusConflict
	case service.KindGone:
		return http.StatusGone
	case service.KindPreconditionFailed:
		return http.StatusPreconditionFailed
	case service.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case service.KindRateLimited:
		return http.StatusTooManyRequests
	case service.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Where each edge lives (every edge and the composition agree on these).
const (
	SCIMPrefix = "/scim/v2" // the SCIM base URL's path
	APIPrefix  = "/api/v1"  // the admin API
)
