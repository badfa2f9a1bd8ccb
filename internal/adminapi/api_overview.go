package adminapi

import (
	"net/http"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

func (s *API) apiOverviewRoutes() []apiRoute {
	return []apiRoute{
		// Every member sees the members and groups; SCIM and the IdP's
		// traffic only those who may manage SCIM or read the logs (the
		// service leaves them out, as null, for the others).
		{Method: "GET", Path: "/teams/{slug}/overview", Auth: apiTeam, Action: service.ActTeamView, Handle: s.apiOverview},
	}
}

// apiOverview is the console's overview as JSON: counts, SCIM's state and
// the IdP's requests and errors per hour over the last 7 days.
func (s *API) apiOverview(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	o, err := s.svc.Overview(r.Context(), *c)
	if err != nil {
		return err
	}
	out := map[string]any{
		"team":    map[string]any{"slug": o.Team.Slug, "name": o.Team.Name, "scim_enabled": o.Team.SCIMEnabled},
		"members": map[string]any{"active": o.ActiveMembers, "deactivated": o.DeactivatedMembers},
		"seats":   map[string]any{"used": o.SeatsUsed, "limit": o.Team.SeatLimit},
		"groups":  o.Groups,
		"scim":    nil, "activity": nil,
	}
	if st := o.SCIM; st != nil {
		var inUse any
		if k := st.KeyInUse; k != nil {
			inUse = map[string]any{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "last_used_at": timePtrJSON(k.LastUsedAt), "last_used_ip": k.LastUsedIP}
		}
		out["scim"] = map[string]any{"enabled": st.Enabled, "active_keys": st.ActiveKeys, "key_in_use": inUse}
	}
	if a := o.Activity; a != nil {
		hours := make([]any, 0, len(a.Hours))
		for _, h := range a.Hours {
			hours = append(hours, map[string]any{"hour": timeJSON(h.Hour), "requests": h.Requests, "errors": h.Errors})
		}
		out["activity"] = map[string]any{"hours": hours, "requests": a.Requests, "errors": a.Errors,
			"errors_24h": a.Errors24h, "errors_24h_since": timeJSON(a.Since24h), "last_request": lastRequestJSON(a.Last)}
	}
	writeAPIJSON(w, http.StatusOK, out)
	return nil
}

func lastRequestJSON(e *store.ProvisioningEntry) any {
	if e == nil {
		return nil
	}
	return map[string]any{"id": e.ID, "at": timeJSON(e.At), "method": e.Method, "path": e.Path, "status": e.Status,
		"key_name": e.KeyName, "error_detail": e.ErrorDetail}
}
