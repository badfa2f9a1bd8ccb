package adminapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

// readAPIBody reads an admin API body whole, so that once it is decoded
// checkAPIText can look at the bytes the JSON decoder saw. A body over the
// size limit keeps its *http.MaxBytesError (a 413).
func readAPIBody(r *http.Request) (io.Reader, []byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, err
		}
		return nil, nil, service.BadRequest("", "could not read the request body: %v", err)
	}
	return bytes.NewReader(b), b, nil
}

// checkAPIText refuses a body holding a string that isn't UTF-8 text (or
// a lone surrogate escape): Go's JSON decoder would have replaced it with
// U+FFFD, and the admin API stores what it decodes (names, emails, roles).
// The field is where the string is ("email", "roles[2]").
func checkAPIText(body []byte) error {
	if te := scim.CheckText(body); te != nil {
		return service.BadRequest(te.Path, "%s; send text as UTF-8", te.Error())
	}
	return nil
}
