package adminapi

// Admin API of a team's guard against mass deprovisioning (docs/events.md),
// all needing scim.manage:
//
//	GET   /api/v1/teams/{slug}/deprovisioning            the settings, whether it paused, what it holds
//	PATCH /api/v1/teams/{slug}/deprovisioning            enabled, percent, min_count, window_seconds
//	POST  /api/v1/teams/{slug}/deprovisioning/confirm    apply the held changes, resume
//	POST  /api/v1/teams/{slug}/deprovisioning/reject     drop them, resume
//
// The SCIM edge's 429 names the last two (provisioning/guard.go).

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

func (s *API) apiGuardRoutes() []apiRoute {
	const t = "/teams/{slug}/deprovisioning"
	m := service.ActSCIMManage
	return []apiRoute{
		{Method: "GET", Path: t, Auth: apiTeam, Action: m, Handle: s.apiGetGuard},
		{Method: "PATCH", Path: t, Auth: apiTeam, Action: m, Handle: s.apiPatchGuard},
		{Method: "POST", Path: t + "/confirm", Auth: apiTeam, Action: m, Handle: s.apiDecideGuard(true)},
		{Method: "POST", Path: t + "/reject", Auth: apiTeam, Action: m, Handle: s.apiDecideGuard(false)},
	}
}

func (s *API) apiGetGuard(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	v, err := s.svc.DeprovisionGuard(r.Context(), *c)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, v)
	return nil
}

func (s *API) apiPatchGuard(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b struct {
		Enabled       *bool `json:"enabled"`
		Percent       *int  `json:"percent"`
		MinCount      *int  `json:"min_count"`
		WindowSeconds *int  `json:"window_seconds"`
	}
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	p := service.GuardPatch{Enabled: b.Enabled, Percent: b.Percent, MinCount: b.MinCount}
	if b.WindowSeconds != nil {
		// Bounded here so the multiplication can't overflow; the service
		// says what the bounds are.
		d := time.Duration(max(min(*b.WindowSeconds, 1<<30), -1)) * time.Second
		p.Window = &d
	}
	if _, err := s.svc.SetDeprovisionGuard(r.Context(), *c, p); err != nil {
		return err
	}
	// The whole view, held changes included, as GET shows it.
	v, err := s.svc.DeprovisionGuard(r.Context(), *c)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, v)
	return nil
}

func (s *API) apiDecideGuard(confirm bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
		var d service.GuardDecision
		var err error
		if confirm {
			d, err = s.svc.ConfirmDeprovisioning(r.Context(), *c)
		} else {
			d, err = s.svc.RejectDeprovisioning(r.Context(), *c)
		}
		if err != nil {
			return err
		}
		writeAPIJSON(w, http.StatusOK, d)
		return nil
	}
}
