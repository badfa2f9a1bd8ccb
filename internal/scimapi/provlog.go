package scimapi

// The provisioning log's hooks in the SCIM edge. ServeHTTP starts a
// provRecord for every SCIM request (provBegin) and hands it to the
// buffered writer when the request ends (provEnd), but only if the request
// reached a team: authed notes the key and team after authentication, or
// after a failed authentication whose key still names a team (revoked,
// expired, SCIM disabled). writeError notes the SCIM error. Nothing here
// touches the database on the request path: provlog.Logger writes in
// batches from its own goroutine.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

type provKey struct{}

// provRecord is what one request collects for the log. A request's
// handler runs on one goroutine, so it needs no lock.
type provRecord struct {
	at                     time.Time
	teamID, keyID, keyName string
	errDetail, errBody     string
	body                   *bodyTee
}

// bodyTee keeps the first provlog.MaxBody bytes the handler reads from
// the request body, without reading anything the handler doesn't.
type bodyTee struct {
	io.ReadCloser
	buf       []byte
	n         int64
	truncated bool
	over      bool // the body limit was hit
}

func (b *bodyTee) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.n += int64(n)
		room := provlog.MaxBody - len(b.buf)
		if n > room {
			b.truncated = true
		}
		if room > 0 {
			b.buf = append(b.buf, p[:min(n, room)]...)
		}
	}
	// The body limit (applied below this reader) stops one byte past the
	// limit and keeps that byte back: count it, so an oversized body is
	// logged as larger than the limit.
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) && !b.over {
		b.over = true
		b.n++
	}
	return n, err
}

func isSCIMPath(p string) bool { return strings.HasPrefix(p, Prefix+"/") || p == Prefix }

// provBegin starts the record of a SCIM request; other requests get nil.
func (s *Handler) provBegin(r *http.Request) (*http.Request, *provRecord) {
	if s.prov == nil || !isSCIMPath(r.URL.Path) {
		return r, nil
	}
	pr := &provRecord{at: time.Now()}
	if r.Body != nil && r.Body != http.NoBody {
		pr.body = &bodyTee{ReadCloser: r.Body}
		r.Body = pr.body
	}
	return r.WithContext(context.WithValue(r.Context(), provKey{}, pr)), pr
}

func provFrom(ctx context.Context) *provRecord {
	pr, _ := ctx.Value(provKey{}).(*provRecord)
	return pr
}

// provNote records the request's key and its team (none for an unknown
// key: it names no team whose log it could go to).
func provNote(r *http.Request, p service.Principal) {
	if pr := provFrom(r.Context()); pr != nil {
		pr.teamID, pr.keyID, pr.keyName = p.Team.ID, p.Key.ID, p.Key.Name
	}
}

// provNoteError records the SCIM error a request is answered with.
func provNoteError(r *http.Request, se *scim.Error) {
	pr := provFrom(r.Context())
	if pr == nil {
		return
	}
	pr.errDetail = se.Detail
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(se) == nil {
		pr.errBody = strings.TrimSpace(buf.String())
	}
}

// provEnd hands the finished request to the provisioning log, if it
// reached a team. It never blocks: a full queue drops the entry.
func (s *Handler) provEnd(pr *provRecord, r *http.Request, rec *httpx.Recorder) {
	if pr == nil || pr.teamID == "" {
		return
	}
	status := rec.Status
	if status == 0 {
		status = http.StatusOK
	}
	e := provlog.Entry{
		TeamID: pr.teamID, KeyID: pr.keyID, KeyName: pr.keyName, At: pr.at,
		// The endpoint's name as the routes spell it (a client's /users is
		// /Users here), so the log names the resource it was about.
		Method: r.Method, Path: canonicalEndpoint(r).URL.Path, RawQuery: r.URL.RawQuery, Status: status, Latency: time.Since(pr.at),
		UserAgent: r.UserAgent(), RequestID: httpx.RequestID(r.Context()), IP: httpx.ClientIP(r),
	}
	if status >= 400 {
		e.ErrorDetail, e.ErrorBody = pr.errDetail, pr.errBody
	}
	if pr.body != nil {
		e.Body, e.Truncated, e.BodyBytes = pr.body.buf, pr.body.truncated, pr.body.n
	}
	s.prov.Add(e)
}
