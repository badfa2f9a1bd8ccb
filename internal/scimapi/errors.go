package scimapi

// Handlers return errors; one writer turns them into SCIM error bodies and
// keeps the logged cause apart from what the client sees (the tailscale
// tsweb model).

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

// handler is an HTTP handler that returns its error instead of writing it.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Handler) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError writes a SCIM error. A *scim.Error's Detail goes to the
// client; anything else is an internal error whose cause is only logged.
func (s *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	se := toSCIMError(err)
	provNoteError(r, se) // provlog.go
	s.logRefusal(r, se)
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster-scim"`)
	}
	if e, ok := service.AsError(err); ok && e.RetryAfter > 0 { // e.g. the deprovisioning guard's 429
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, se.Status, se)
}

// logRefusal logs a refused request, or the cause of a failed one.
func (s *Handler) logRefusal(r *http.Request, se *scim.Error) {
	if se.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "status", se.Status, "err", se.Error())
	} else {
		s.log.InfoContext(r.Context(), "request refused", "status", se.Status, "scim_type", se.ScimType, "detail", se.Detail)
	}
}

// toSCIMError is where domain errors become SCIM errors (RFC 7644
// §3.12): the kind gives the status, the message is the detail, the
// cause is only logged. The edge's own refusals (no route, 405, 413) are
// SCIM errors already.
func toSCIMError(err error) *scim.Error {
	var se *scim.Error
	if errors.As(err, &se) {
		return se
	}
	if e, ok := service.AsError(err); ok {
		status := httpx.Status(e.Kind)
		if status >= 500 && e.Kind == service.KindInternal {
			return &scim.Error{Status: status, Detail: "internal error", Cause: err}
		}
		return &scim.Error{Status: status, ScimType: e.SCIMType, Detail: e.Message, Cause: e.Cause}
	}
	return &scim.Error{Status: http.StatusInternalServerError, Detail: "internal error", Cause: err}
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
