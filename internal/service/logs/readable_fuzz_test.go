package logs

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/store"
)

// FuzzProvisioningView feeds what an IdP sends (a query string, a body)
// and what Roster answered to the readable log: SubjectOf, DecodeQuery and
// Hint never panic, a subject is at most 200 characters and, from valid
// UTF-8, valid UTF-8, and a hint is "" or one sentence.
func FuzzProvisioningView(f *testing.F) {
	f.Add("GET", "filter=userName+eq+%22ada%40x%22&startIndex=1", "", 200, "", "")
	f.Add("POST", "", `{"userName":"ada@x","displayName":"Ada"}`, 409, `a user with userName "ada@x" already exists`, `{"scimType":"uniqueness"}`)
	f.Add("POST", "", `{"filter":"emails[type eq \"work\" and value eq \"z@x\"]"}`, 400, `can't filter on "x"`, `{"scimType":"invalidFilter"}`)
	f.Add("GET", "filter=%zz&x=%", "", 401, `the Authorization header says "Bearer" twice`, `{`)
	f.Add("PUT", "", `{"userName":`+strings.Repeat(`"é`, 50)+`"}`, 404, "", "")
	f.Fuzz(func(t *testing.T, method, query, body string, status int, detail, errBody string) {
		e := store.ProvisioningEntry{Method: method, Query: query, RequestBody: body, Status: status, ErrorDetail: detail, ErrorBody: errBody,
			ResourceType: "Users", ResourceID: "u"}
		s := SubjectOf(e)
		if utf8.RuneCountInString(s) > 201 {
			t.Fatalf("subject of %d characters", utf8.RuneCountInString(s))
		}
		if utf8.ValidString(query) && utf8.ValidString(body) && !utf8.ValidString(s) {
			t.Fatalf("subject %q is not UTF-8", s)
		}
		_ = DecodeQuery(query)
		if h := Hint(e); h != "" && !strings.HasSuffix(h, ".") {
			t.Fatalf("hint %q", h)
		}
	})
}
