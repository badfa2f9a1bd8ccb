package scim

import "strings"

// Fold is how Roster compares text that is not caseExact (RFC 7643
// §2.3.1): both sides folded by Go's strings.ToLower, which maps each
// character on its own through unicode.ToLower (simple case mapping, no
// context, the same number of characters out as in). It is the one
// definition every comparison follows:
//   - Match (the reference semantics of filters) and PATCH value filters;
//   - the store's folded columns (userName, emails.value, displayName),
//     written through sqlstore.Fold, and the filter literals compared
//     with them;
//   - stored JSON values compared or sorted inside the database, through
//     the SQL function roster_fold: on SQLite, this function registered
//     on every connection; on PostgreSQL, a function generated from the
//     same Unicode tables (migration 0009) and tested against this one
//     on every code point.
func Fold(s string) string { return strings.ToLower(s) }
