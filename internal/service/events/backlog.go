package events

import (
	"context"
	"time"
)

// WebhookBacklog is how many events, over every team, are committed and
// not yet delivered (or given up on) to every enabled endpoint of their
// team: per team, the events after the endpoint furthest behind. Events
// pruned while an endpoint was behind are not counted. The delivery worker
// reports it as roster_event_queue_depth.
func (s *Service) WebhookBacklog(ctx context.Context) (int64, error) {
	// Only the teams with an endpoint that has something to deliver: one
	// query when none has (the common case), not one per team.
	behind, err := s.st.DueWebhookEndpoints(ctx, "", farFuture, maxBacklogEndpoints)
	if err != nil {
		return 0, err
	}
	teams := map[string]bool{}
	var total int64
	for _, b := range behind {
		if teams[b.TeamID] {
			continue
		}
		teams[b.TeamID] = true
		list, err := s.st.ListWebhookEndpoints(ctx, b.TeamID)
		if err != nil {
			return 0, err
		}
		pos, err := s.st.EventPosition(ctx, b.TeamID)
		if err != nil {
			return 0, err
		}
		var most int64
		for _, e := range list {
			if e.Enabled {
				most = max(most, pos.LastSeq-max(e.AckedSeq, pos.PrunedThrough))
			}
		}
		total += most
	}
	return total, nil
}

// maxBacklogEndpoints bounds the endpoints one backlog measure looks at.
const maxBacklogEndpoints = 10000

// farFuture is a time after every attempt and lease.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// AnyWebhookWork reports whether any enabled endpoint, of any team, has
// an item to deliver, due or not, with a lease free or owner's (or one
// that will lapse). It reads no clock: the worker asks it before each
// pass, so a server without webhooks never reads the service's clock
// from the worker's goroutine.
func (s *Service) AnyWebhookWork(ctx context.Context, owner string) (bool, error) {
	list, err := s.st.DueWebhookEndpoints(ctx, owner, farFuture, 1)
	return len(list) > 0, err
}
