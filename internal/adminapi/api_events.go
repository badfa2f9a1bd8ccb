package adminapi

// Admin API of a team's event stream (docs/events.md):
//
//	GET /api/v1/teams/{slug}/events?after=CURSOR&limit=N&wait=30s
//
// answers {"data":[…],"next_cursor":"…","has_more":bool}, oldest first,
// exactly as `roster events --json` prints it. With wait and nothing after
// the cursor it long-polls: it answers as soon as an event commits, or an
// empty page with the same cursor when the wait ends. A cursor older than
// the retention is 410; a bad cursor, limit or wait is 400. Needs
// events.read.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/service"
)

func (s *API) apiEventRoutes() []apiRoute {
	return []apiRoute{
		{Method: "GET", Path: "/teams/{slug}/events", Auth: apiTeam, Action: service.ActEventsRead, Handle: s.apiListEvents},
	}
}

func (s *API) apiListEvents(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	q := r.URL.Query()
	var eq service.EventQuery
	eq.After = q.Get("after")
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > service.MaxEventLimit {
			return service.BadRequest("limit", "limit must be a whole number from 1 to %d, not %q", service.MaxEventLimit, clipQuery(v))
		}
		eq.Limit = n
	}
	wait, err := service.ParseEventWait(strings.TrimSpace(q.Get("wait")))
	if err != nil {
		return err
	}
	eq.Wait = wait
	page, err := s.svc.ListEvents(r.Context(), *c, eq)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, page)
	return nil
}

// clipQuery shortens a query value quoted back in an error message.
func clipQuery(v string) string {
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}
