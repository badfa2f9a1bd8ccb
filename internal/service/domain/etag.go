package domain

import (
	"errors"
	"strconv"
	"strings"

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

// CheckIfMatch refuses (412) a write whose If-Match names another version
// than the stored one; ifMatch is the request's If-Match ("" for none).
func CheckIfMatch(ifMatch, kind string, version int64) error {
	if ifMatch == "" || ETagMatches(ifMatch, version) {
		return nil
	}
	return Errorf(KindPreconditionFailed, "", "the %s changed: its version is now %s, and If-Match asked for %s; read it again and retry", kind, ETag(version), ifMatch)
}

// RetryStale reruns a read-modify-write transaction that lost a race with
// another writer (possible on PostgreSQL under READ COMMITTED). A write
// guarded by If-Match isn't retried: the client asked to fail instead,
// and gets 412.
func RetryStale(ifMatch, kind string, fn func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = fn()
		if !errors.Is(err, store.ErrStale) {
			return err
		}
		if ifMatch != "" {
			return Errorf(KindPreconditionFailed, "", "the %s was changed by another request; read it again and retry", kind)
		}
	}
	return err
}
