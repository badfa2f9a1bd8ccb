package domain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// Kind is what went wrong, in the domain's terms. Each HTTP edge maps a
// kind to its own status and body (SCIM error JSON under /scim/v2, admin
// JSON under /api/v1, an HTML page in the console), in one place.
type Kind uint8

// The kinds of refusal and failure.
const (
	// KindInternal is our fault: the client sees a generic message, the
	// cause is logged.
	KindInternal           Kind = iota
	KindInvalid                 // the request is malformed or breaks a rule on a value
	KindUnauthenticated         // no credentials, or bad ones
	KindForbidden               // known caller, not allowed
	KindNotFound                // no such thing (in the caller's team)
	KindConflict                // it clashes with the current state (uniqueness, a rule)
	KindGone                    // it existed and was used up (an invite link)
	KindPreconditionFailed      // If-Match named another version
	KindTooLarge                // over a size limit
	KindRateLimited             // too many attempts; RetryAfter says when to retry
	KindUnavailable             // took too long or the store is busy; retry
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not found", "conflict", "gone",
	"precondition failed", "too large", "rate limited", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the one error type the service returns for anything a client
// can act on: a kind, the request field at fault, the SCIM scimType where
// one applies (RFC 7644 §3.12), a message for the client that says why and
// who can act, and the cause, which is logged and never shown.
type Error struct {
	Kind     Kind
	Field    string
	SCIMType string
	Message  string
	Cause    error
	// RetryAfter, for KindRateLimited, says when to try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	s += ": " + e.Message
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// AsError reports whether err is (or wraps) a domain error.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Errorf builds a domain error.
func Errorf(kind Kind, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a malformed value, naming the field at fault.
func BadRequest(field, format string, args ...any) *Error {
	return Errorf(KindInvalid, field, format, args...)
}

// Forbidden says why and who can act.
func Forbidden(format string, args ...any) *Error { return Errorf(KindForbidden, "", format, args...) }

// NotFound is something the caller's team doesn't have.
func NotFound(format string, args ...any) *Error { return Errorf(KindNotFound, "", format, args...) }

// Conflict clashes with the current state, naming the field when there is one.
func Conflict(field, format string, args ...any) *Error {
	return Errorf(KindConflict, field, format, args...)
}

// Unauthorized is missing or bad credentials.
func Unauthorized(format string, args ...any) *Error {
	return Errorf(KindUnauthenticated, "", format, args...)
}

// Gone is an invite link that was used, revoked or expired.
func Gone(format string, args ...any) *Error { return Errorf(KindGone, "", format, args...) }

// RateLimited asks the client to wait.
func RateLimited(wait time.Duration, format string, args ...any) *Error {
	e := Errorf(KindRateLimited, "", format, args...)
	e.RetryAfter = wait
	return e
}

// SCIMError is a refusal with a SCIM scimType.
func SCIMError(kind Kind, scimType, format string, args ...any) *Error {
	e := Errorf(kind, "", format, args...)
	e.SCIMType = scimType
	return e
}

// ErrTeamNotFound is returned for an unknown team slug.
var ErrTeamNotFound = errors.New("team not found")

// TeamError is the answer to a team slug the store doesn't know: a 404
// that names the slug. Other errors pass through.
func TeamError(err error, slug string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: KindNotFound, Message: fmt.Sprintf("%v: no team with slug %q", ErrTeamNotFound, slug), Cause: ErrTeamNotFound}
	}
	return err
}

// kindOfStatus reads the kind of a SCIM core error's status.
func kindOfStatus(status int) Kind {
	switch status {
	case 400:
		return KindInvalid
	case 401:
		return KindUnauthenticated
	case 403:
		return KindForbidden
	case 404:
		return KindNotFound
	case 409:
		return KindConflict
	case 410:
		return KindGone
	case 412:
		return KindPreconditionFailed
	case 413:
		return KindTooLarge
	case 429:
		return KindRateLimited
	case 503:
		return KindUnavailable
	}
	return KindInternal
}

// FromSCIM turns an error of the SCIM protocol core (a normalisation or
// PATCH refusal) into a domain error; other errors pass through.
func FromSCIM(err error) error {
	var se *scim.Error
	if !errors.As(err, &se) {
		return err
	}
	e := &Error{Kind: kindOfStatus(se.Status), SCIMType: se.ScimType, Message: se.Detail, Cause: se.Cause}
	if e.Kind == KindInternal {
		e.Message = "internal error"
		if e.Cause == nil {
			e.Cause = se
		}
	}
	return e
}

// ErrorFor is the last step of every SCIM-side method: the domain errors
// pass as they are, the SCIM core's and the store's are translated, and
// anything else becomes an internal error whose cause is only logged.
// resource and id name what a not-found was about.
func ErrorFor(err error, resource, id string) error {
	var uf *store.UnsupportedFilterError
	var is *store.InvalidSortError
	var se *scim.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, new(*Error)):
		return err
	case errors.As(err, &se):
		return FromSCIM(err)
	case errors.Is(err, ErrTeamNotFound):
		return &Error{Kind: KindNotFound, Message: err.Error(), Cause: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: KindNotFound, Message: fmt.Sprintf("%s %q not found", resource, id), Cause: err}
	case errors.As(err, &uf):
		return &Error{Kind: KindInvalid, SCIMType: scim.InvalidFilter, Message: uf.Reason}
	case errors.As(err, &is):
		return &Error{Kind: KindInvalid, SCIMType: scim.InvalidValue, Message: is.Reason}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindUnavailable, Message: "the request took too long; try again", Cause: err}
	}
	return &Error{Kind: KindInternal, Message: "internal error", Cause: fmt.Errorf("%s %s: %w", resource, id, err)}
}
