package adminapi

// Admin API of a team's webhooks (docs/events.md), all needing
// webhooks.manage:
//
//	GET    /api/v1/teams/{slug}/webhooks                       list
//	POST   /api/v1/teams/{slug}/webhooks                       create: url, types, description; the secret once
//	GET    /api/v1/teams/{slug}/webhooks/{id}
//	PATCH  /api/v1/teams/{slug}/webhooks/{id}                  url, types, description, enabled
//	DELETE /api/v1/teams/{slug}/webhooks/{id}
//	POST   /api/v1/teams/{slug}/webhooks/{id}/rotate-secret    grace (default 24h); the new secret once
//	GET    /api/v1/teams/{slug}/webhooks/{id}/deliveries       ?limit; newest first
//	POST   /api/v1/teams/{slug}/webhooks/{id}/replay           seq (one event) or since_seq (every one from it)
//
// The URL rules (https, http only to loopback, no private targets unless
// the operator allows them) are the service's (events.CheckURL).

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/service"
)

func (s *API) apiWebhookRoutes() []apiRoute {
	const t = "/teams/{slug}/webhooks"
	m := service.ActWebhooksManage
	return []apiRoute{
		{Method: "GET", Path: t, Auth: apiTeam, Action: m, Handle: s.apiListWebhooks},
		{Method: "POST", Path: t, Auth: apiTeam, Action: m, Handle: s.apiCreateWebhook},
		{Method: "GET", Path: t + "/{id}", Auth: apiTeam, Action: m, Handle: s.apiGetWebhook},
		{Method: "PATCH", Path: t + "/{id}", Auth: apiTeam, Action: m, Handle: s.apiPatchWebhook},
		{Method: "DELETE", Path: t + "/{id}", Auth: apiTeam, Action: m, Handle: s.apiDeleteWebhook},
		{Method: "POST", Path: t + "/{id}/rotate-secret", Auth: apiTeam, Action: m, Handle: s.apiRotateWebhookSecret},
		{Method: "GET", Path: t + "/{id}/deliveries", Auth: apiTeam, Action: m, Handle: s.apiWebhookDeliveries},
		{Method: "POST", Path: t + "/{id}/replay", Auth: apiTeam, Action: m, Handle: s.apiReplayWebhook},
	}
}

func (s *API) apiListWebhooks(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	list, err := s.svc.ListWebhooks(r.Context(), *c)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"webhooks": list})
	return nil
}

func (s *API) apiCreateWebhook(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b struct {
		URL         string   `json:"url"`
		Types       []string `json:"types"`
		Description string   `json:"description"`
	}
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	nw, err := s.svc.CreateWebhook(r.Context(), *c, service.WebhookInput{URL: b.URL, Types: b.Types, Description: b.Description})
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusCreated, nw)
	return nil
}

func (s *API) apiGetWebhook(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	v, err := s.svc.GetWebhook(r.Context(), *c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, v)
	return nil
}

func (s *API) apiPatchWebhook(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b struct {
		URL         *string   `json:"url"`
		Types       *[]string `json:"types"`
		Description *string   `json:"description"`
		Enabled     *bool     `json:"enabled"`
	}
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	if b.Types != nil && *b.Types == nil {
		// "types": null is every type, as [] is.
		b.Types = &[]string{}
	}
	v, err := s.svc.UpdateWebhook(r.Context(), *c, r.PathValue("id"), service.WebhookPatch{URL: b.URL, Types: b.Types, Description: b.Description, Enabled: b.Enabled})
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, v)
	return nil
}

func (s *API) apiDeleteWebhook(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.DeleteWebhook(r.Context(), *c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) apiRotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b struct {
		Grace string `json:"grace"`
	}
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	grace := service.DefaultSecretGrace
	if g := strings.TrimSpace(b.Grace); g != "" {
		d, err := service.ParseDuration(g)
		if err != nil || d < 0 {
			return service.BadRequest("grace", "grace must be a duration from 0s to 7d (168h), such as 24h, not %q", clipQuery(g))
		}
		grace = d
	}
	nw, err := s.svc.RotateWebhookSecret(r.Context(), *c, r.PathValue("id"), grace)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, nw)
	return nil
}

func (s *API) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	limit, err := queryInt(r, "limit", 1, service.MaxWebhookDeliveries)
	if err != nil {
		return err
	}
	list, err := s.svc.WebhookDeliveries(r.Context(), *c, r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"deliveries": list})
	return nil
}

func (s *API) apiReplayWebhook(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b struct {
		Seq      *int64 `json:"seq"`
		SinceSeq *int64 `json:"since_seq"`
	}
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	switch {
	case b.Seq != nil && b.SinceSeq != nil:
		return service.BadRequest("since_seq", "give seq (one event) or since_seq (every event from it on), not both")
	case b.Seq == nil && b.SinceSeq == nil:
		return service.BadRequest("since_seq", "give seq (one event) or since_seq (every event from it on)")
	case b.Seq != nil && *b.Seq < 1:
		return service.BadRequest("seq", "seq must be an event's seq, from 1 on")
	case b.SinceSeq != nil && *b.SinceSeq < 1:
		return service.BadRequest("since_seq", "since_seq must be an event's seq, from 1 on")
	}
	res, err := s.svc.ReplayWebhook(r.Context(), *c, r.PathValue("id"), service.WebhookReplay{Seq: deref(b.Seq), SinceSeq: deref(b.SinceSeq)})
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusAccepted, res)
	return nil
}
