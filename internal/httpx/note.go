package httpx

import (
	"context"
	"net/http"
)

// Note is what the edge that served a request tells the layers about it,
// for the access log and the metrics: the route pattern its own ServeMux
// matched (the server's mux sees only the edge's prefix) and, on SCIM,
// the team and the key (by its prefix) the request authenticated as.
// Only the request's goroutine writes it, and the layers read it after
// the handler has returned.
type Note struct {
	Pattern   string // e.g. "GET /scim/v2/Users/{id}"; "" when the edge matched none
	Team      string // the slug of the team the SCIM key named
	KeyPrefix string // the SCIM key's prefix (never the key)
}

type noteKeyType struct{}

var noteKey noteKeyType

// NoteOf is the request's Note, or nil outside the layers (and WithNote).
func NoteOf(ctx context.Context) *Note {
	n, _ := ctx.Value(noteKey).(*Note)
	return n
}

// WithNote gives r a Note if it has none yet (a handler used without the
// layers, as in a unit test), and returns it.
func WithNote(r *http.Request) (*http.Request, *Note) {
	if n := NoteOf(r.Context()); n != nil {
		return r, n
	}
	n := &Note{}
	return r.WithContext(context.WithValue(r.Context(), noteKey, n)), n
}

// NoteRoute records the pattern the edge's mux matched for r.
func NoteRoute(r *http.Request, pattern string) {
	if n := NoteOf(r.Context()); n != nil && pattern != "" {
		n.Pattern = pattern
	}
}

// NoteCaller records the team (slug) and key prefix a SCIM request
// authenticated as, or whose refused key still named a team.
func NoteCaller(ctx context.Context, team, keyPrefix string) {
	if n := NoteOf(ctx); n != nil {
		n.Team, n.KeyPrefix = team, keyPrefix
	}
}
