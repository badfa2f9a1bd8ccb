package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// What a delivery worker (package internal/webhooks) asks of the service.
// The worker finds the endpoints due, takes an endpoint's lease (one
// replica delivers for an endpoint at a time), asks for its next item,
// sends it, and records what the attempt did; the rules (order, retries,
// giving up, switching an endpoint off) are here.

// RetrySchedule is the wait before each attempt at one event: the first
// at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after the one
// before (Svix's schedule); after the last the endpoint gives the event
// up and goes on with the next.
var RetrySchedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DisableAfter switches off an endpoint whose deliveries have failed for
// this long without one success.
const DisableAfter = 72 * time.Hour

// LeaseFor is how long a worker's lease on an endpoint lasts; it is
// renewed before each delivery, which takes at most DeliveryTimeout.
const LeaseFor = time.Minute

// DeliveryTimeout is how long a receiver has to answer 2xx.
const DeliveryTimeout = 15 * time.Second

// DueWebhooks lists the endpoints, of any team, with an item due now and
// a lease that is free or owner's.
func (s *Service) DueWebhooks(ctx context.Context, owner string, limit int) ([]store.WebhookEndpoint, error) {
	return s.st.DueWebhookEndpoints(ctx, owner, s.env.Now(), limit)
}

// LeaseWebhook makes owner the endpoint's deliverer for LeaseFor (or
// renews it); false when another replica holds it.
func (s *Service) LeaseWebhook(ctx context.Context, id, owner string) (bool, error) {
	var ok bool
	err := s.st.Tx(ctx, func(tx Tx) error {
		now := s.env.Now()
		var err error
		ok, err = tx.LeaseWebhookEndpoint(ctx, id, owner, now, now.Add(LeaseFor))
		return err
	})
	return ok, err
}

// ReleaseWebhook gives owner's lease up.
func (s *Service) ReleaseWebhook(ctx context.Context, id, owner string) error {
	return s.st.Tx(ctx, func(tx Tx) error { return tx.ReleaseWebhookLease(ctx, id, owner) })
}

// Delivery is one item to send to an endpoint: an event, with its body
// and the endpoint's secrets to sign it with.
type Delivery struct {
	Endpoint store.WebhookEndpoint
	Event    Event
	Body     []byte
	// Attempt is this attempt's number at this item, from 1.
	Attempt int
	// Replay says the item is a replayed event, out of the stream's order.
	Replay bool
}

// NextWebhookDelivery is the item an endpoint should be sent now: a
// queued replay first, else the first event after the last delivered
// whose type the endpoint takes (events it doesn't take are passed over,
// and so are events pruned while it was behind). ok is false when there
// is none, when the endpoint is off, or when its next attempt is not due.
func (s *Service) NextWebhookDelivery(ctx context.Context, teamID, id string) (Delivery, bool, error) {
	for range 100 { // each turn moves past up to 100 events the endpoint doesn't take
		e, err := s.st.WebhookEndpoint(ctx, teamID, id)
		if errors.Is(err, store.ErrNotFound) {
			return Delivery{}, false, nil // deleted meanwhile
		}
		if err != nil {
			return Delivery{}, false, err
		}
		now := s.env.Now()
		if !e.Enabled || e.NextAttempt.After(now) {
			return Delivery{}, false, nil
		}
		if seq, err := s.st.NextWebhookReplay(ctx, e.ID); err == nil {
			evs, err := s.st.ListEvents(ctx, teamID, seq-1, 1)
			if err != nil {
				return Delivery{}, false, err
			}
			if len(evs) == 0 || evs[0].Seq != seq { // pruned meanwhile
				if err := s.st.Tx(ctx, func(tx Tx) error { return tx.DoneWebhookReplay(ctx, e.ID, seq) }); err != nil {
					return Delivery{}, false, err
				}
				continue
			}
			d, err := delivery(e, evs[0], true)
			return d, err == nil, err
		} else if !errors.Is(err, store.ErrNotFound) {
			return Delivery{}, false, err
		}
		pos, err := s.st.EventPosition(ctx, teamID)
		if err != nil {
			return Delivery{}, false, err
		}
		if e.AckedSeq >= pos.LastSeq {
			return Delivery{}, false, nil
		}
		after := max(e.AckedSeq, pos.PrunedThrough) // events pruned while it was behind are gone
		evs, err := s.st.ListEvents(ctx, teamID, after, 100)
		if err != nil {
			return Delivery{}, false, err
		}
		for _, ev := range evs {
			if Matches(e.Types, ev.Type) {
				if ev.Seq != e.AckedSeq+1 || after != e.AckedSeq {
					// Move past what it doesn't take first, so the attempt's
					// progress is recorded from the event before it.
					if err := s.advance(ctx, e, ev.Seq-1); err != nil {
						return Delivery{}, false, err
					}
					e.AckedSeq = ev.Seq - 1
				}
				d, err := delivery(e, ev, false)
				return d, err == nil, err
			}
		}
		last := after
		if len(evs) > 0 {
			last = evs[len(evs)-1].Seq
		}
		if last == e.AckedSeq {
			return Delivery{}, false, nil
		}
		if err := s.advance(ctx, e, last); err != nil {
			return Delivery{}, false, err
		}
	}
	return Delivery{}, false, nil
}

// advance moves an endpoint past events it doesn't take (its attempts
// and failures stay with the event it is at).
func (s *Service) advance(ctx context.Context, e store.WebhookEndpoint, to int64) error {
	return s.st.Tx(ctx, func(tx Tx) error {
		p := e.WebhookProgress
		p.AckedSeq = to
		_, err := tx.SetWebhookProgress(ctx, e.TeamID, e.ID, e.AckedSeq, p)
		return err
	})
}

func delivery(e store.WebhookEndpoint, ev store.Event, replay bool) (Delivery, error) {
	v := ViewOfEvent(ev)
	body, err := json.Marshal(v)
	if err != nil {
		return Delivery{}, err
	}
	return Delivery{Endpoint: e, Event: v, Body: body, Attempt: e.Attempts + 1, Replay: replay}, nil
}

// Attempt is what one delivery attempt got: the HTTP status (0 when
// there was none), how long it took, the start of the answer's body and,
// when it failed without a status or with one, why.
type Attempt struct {
	Status   int
	Latency  time.Duration
	Error    string
	Response string
}

// Delivered reports whether an attempt counts as delivered: a 2xx answer
// within the timeout.
func (a Attempt) Delivered() bool { return a.Error == "" && a.Status >= 200 && a.Status <= 299 }

// MaxResponseExcerpt bounds the part of an answer's body the log keeps.
const MaxResponseExcerpt = 1024

// RecordWebhookAttempt logs an attempt and moves the endpoint on: after a
// delivery to the next event; after a failure to a retry on the schedule,
// or past the event once the last attempt failed; and switches the
// endpoint off once it has failed for DisableAfter. It reports the
// outcome logged.
func (s *Service) RecordWebhookAttempt(ctx context.Context, d Delivery, a Attempt) (string, error) {
	if len(a.Response) > MaxResponseExcerpt {
		a.Response = a.Response[:MaxResponseExcerpt]
	}
	var outcome string
	err := s.st.Tx(ctx, func(tx Tx) error {
		e := d.Endpoint
		now := s.env.Now()
		prog := e.WebhookProgress
		outcome = store.DeliveryDelivered
		next := e.AckedSeq
		if !d.Replay {
			next = d.Event.Seq
		}
		switch {
		case a.Delivered():
			prog = store.WebhookProgress{AckedSeq: next, Attempts: 0, NextAttempt: now, FailingSince: nil}
		case d.Attempt >= len(RetrySchedule):
			outcome = store.DeliveryGaveUp
			prog = store.WebhookProgress{AckedSeq: next, Attempts: 0, NextAttempt: now, FailingSince: failingSince(e, now)}
		default:
			outcome = store.DeliveryFailed
			prog = store.WebhookProgress{AckedSeq: e.AckedSeq, Attempts: d.Attempt, NextAttempt: now.Add(RetrySchedule[d.Attempt]), FailingSince: failingSince(e, now)}
		}
		if err := tx.AppendWebhookDelivery(ctx, store.WebhookDelivery{TeamID: e.TeamID, EndpointID: e.ID, ID: domain.NewID(), EventID: d.Event.ID,
			Seq: d.Event.Seq, Attempt: d.Attempt, At: now, Status: a.Status, Latency: a.Latency, Outcome: outcome, Error: a.Error,
			Response: a.Response, Replay: d.Replay}); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("delivery log: %w", err)
			}
			return err
		}
		moved, err := tx.SetWebhookProgress(ctx, e.TeamID, e.ID, e.AckedSeq, prog)
		if err != nil || !moved {
			return err // an admin moved it meanwhile (a replay): theirs stands
		}
		if d.Replay && outcome != store.DeliveryFailed {
			if err := tx.DoneWebhookReplay(ctx, e.ID, d.Event.Seq); err != nil {
				return err
			}
		}
		if prog.FailingSince != nil && now.Sub(*prog.FailingSince) >= DisableAfter {
			reason := fmt.Sprintf("deliveries failed for 3 days (since %s; last: %s)", viewTime(*prog.FailingSince), failure(a))
			if err := tx.DisableWebhook(ctx, e.TeamID, e.ID, reason, now); err != nil {
				return err
			}
			if err := s.env.Audit(ctx, tx, e.TeamID, domain.Actor{Kind: "system"}, "webhook.disable", "webhook", e.ID, map[string]any{"reason": reason}); err != nil {
				return err
			}
		}
		_, err = tx.PruneWebhookDeliveries(ctx, e.ID, MaxDeliveries)
		return err
	})
	return outcome, err
}

func failingSince(e store.WebhookEndpoint, now time.Time) *time.Time {
	if e.FailingSince != nil {
		return e.FailingSince
	}
	return &now
}

func failure(a Attempt) string {
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("HTTP %d", a.Status)
}
