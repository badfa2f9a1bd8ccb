package service

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// ETag is a resource version as SCIM shows it (RFC 7644 §3.14): weak,
// because the representation varies with projections.
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// ETagMatches reports whether an If-Match / If-None-Match header value
// names the version: "*", or a comma-separated list of weak or strong tags.
func ETagMatches(header string, version int64) bool {
	want := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if t == `"`+want+`"` { // exactly one opaque-tag: `""5""` is malformed, not 5
			return true
		}
	}
	return false
}

type ifMatchKey struct{}

// WithIfMatch carries a request's If-Match header to the write it guards.
// It travels in the context because it is request metadata, like the
// deadline, and most writes have none.
func WithIfMatch(ctx context.Context, header string) context.Context {
	if header == "" {
		return ctx
	}
	return context.WithValue(ctx, ifMatchKey{}, header)
}

func ifMatch(ctx context.Context) string {
	s, _ := ctx.Value(ifMatchKey{}).(string)
	return s
}

// checkIfMatch fails with 412 when the request's If-Match names another
// version than the stored one.
func checkIfMatch(ctx context.Context, kind string, version int64) error {
	h := ifMatch(ctx)
	if h == "" || ETagMatches(h, version) {
		return nil
	}
	return scim.Errorf(http.StatusPreconditionFailed, "", "the %s changed: its version is now %s, and If-Match asked for %s; read it again and retry", kind, ETag(version), h)
}

// retryStale reruns a read-modify-write transaction that lost a race with
// another writer (possible on PostgreSQL under READ COMMITTED). A write
// guarded by If-Match isn't retried: the client asked to fail instead,
// and gets 412.
func retryStale(ctx context.Context, kind string, fn func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = fn()
		if !errors.Is(err, store.ErrStale) {
			return err
		}
		if ifMatch(ctx) != "" {
			return scim.Errorf(http.StatusPreconditionFailed, "", "the %s was changed by another request; read it again and retry", kind)
		}
	}
	return err
}
