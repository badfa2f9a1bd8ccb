package service

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is a refusal of the admin API: an HTTP status, a short machine
// code, a message for people that says why and who can act, and on 400s
// and 409s the request field at fault. The HTTP layer writes it as
// {"error":{"status":…,"code":…,"message":…,"field":…}}.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
	// RetryAfter, when set, becomes the Retry-After header (429s).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%d %s (%s): %s", e.Status, e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// AsError reports whether err is (or wraps) an admin API refusal.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

func newErr(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 naming the field at fault.
func BadRequest(field, format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, "bad_request", field, format, args...)
}

// Forbidden is a 403 whose message says why and who can act.
func Forbidden(format string, args ...any) *Error {
	return newErr(http.StatusForbidden, "forbidden", "", format, args...)
}

// NotFound is a 404.
func NotFound(format string, args ...any) *Error {
	return newErr(http.StatusNotFound, "not_found", "", format, args...)
}

// Conflict is a 409, naming the field at fault when there is one.
func Conflict(field, format string, args ...any) *Error {
	return newErr(http.StatusConflict, "conflict", field, format, args...)
}

// Unauthorized is a 401: no or bad credentials.
func Unauthorized(format string, args ...any) *Error {
	return newErr(http.StatusUnauthorized, "unauthorized", "", format, args...)
}

// Gone is a 410: an invite link that was used, revoked or expired.
func Gone(format string, args ...any) *Error {
	return newErr(http.StatusGone, "gone", "", format, args...)
}

// ErrBadCredentials is the answer to a wrong email or password. It never
// says which of the two was wrong.
var ErrBadCredentials = Unauthorized("wrong email or password")
