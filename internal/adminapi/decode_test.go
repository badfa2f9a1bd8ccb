package adminapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
)

// TestDecodeAPIBodyNamesJSONTypes: a body of the wrong shape gets a 400
// that names the field and the JSON type it wants, in JSON's words
// (object, array, string, whole number), never Go's (struct, slice).
func TestDecodeAPIBodyNamesJSONTypes(t *testing.T) {
	type body struct {
		URL     string   `json:"url"`
		Types   []string `json:"types"`
		Enabled *bool    `json:"enabled"`
		Limit   int      `json:"limit"`
		Meta    struct {
			Note string `json:"note"`
		} `json:"meta"`
	}
	for in, want := range map[string]string{
		`[]`:                  "the body must be a JSON object, not a JSON array",
		`"x"`:                 "the body must be a JSON object, not a JSON string",
		`{"url":1}`:           "url must be a JSON string",
		`{"types":"a"}`:       "types must be a JSON array",
		`{"enabled":"yes"}`:   "enabled must be true or false",
		`{"limit":1.5}`:       "limit must be a whole number",
		`{"meta":[1]}`:        "meta must be a JSON object",
		`{"meta":{"note":2}}`: "meta.note must be a JSON string",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(in))
		r.Header.Set("Content-Type", "application/json")
		var v body
		err := decodeAPIBody(r, &v)
		e, ok := service.AsError(err)
		if !ok || e.Kind != service.KindInvalid || e.Message != want {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
