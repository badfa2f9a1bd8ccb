// Package httpapi serves Roster over HTTP: the SCIM 2.0 endpoints under
// /scim/v2 and the operational endpoints. Handlers return errors; one
// writer turns them into SCIM error bodies and keeps the logged cause apart
// from what the client sees (the tailscale tsweb model).
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/rosterhq/roster/internal/scim"
)

// handler is an HTTP handler that returns its error instead of writing it.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError writes a SCIM error. A *scim.Error's Detail goes to the
// client; anything else is an internal error whose cause is only logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *scim.Error
	if !errors.As(err, &se) {
		se = &scim.Error{Status: http.StatusInternalServerError, Detail: "internal error", Cause: err}
	}
	provNoteError(r, se) // provlog.go
	if se.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "status", se.Status, "err", se.Error())
	} else {
		s.log.InfoContext(r.Context(), "request refused", "status", se.Status, "scim_type", se.ScimType, "detail", se.Detail)
	}
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster-scim"`)
	}
	writeJSON(w, se.Status, se)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<key>" in a detail stays readable
	err := enc.Encode(v)
	b := buf.Bytes()
	if err != nil {
		slog.Error("encode response", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"500","detail":"internal error"}`)
	}
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
