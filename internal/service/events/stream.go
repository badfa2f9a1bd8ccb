package events

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Event is one event as the pull API, the CLI and the webhooks carry it
// (docs/events.md). ID is the same in every delivery and replay of it.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Team       TeamRef         `json:"team"`
	Seq        int64           `json:"seq"`
	OccurredAt string          `json:"occurred_at"`
	Actor      json.RawMessage `json:"actor"`
	Data       json.RawMessage `json:"data"`
}

// TeamRef names an event's team.
type TeamRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
}

// ViewOfEvent is a stored event as it is shown and sent.
func ViewOfEvent(e store.Event) Event {
	return Event{ID: e.ID, Type: e.Type, Team: TeamRef{ID: e.TeamID, Slug: e.TeamSlug}, Seq: e.Seq,
		OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano), Actor: json.RawMessage(e.Actor), Data: json.RawMessage(e.Data)}
}

// Page is one answer of the pull API (GET …/events, roster events
// --json): the events after the cursor, oldest first, the cursor to ask
// with next, and whether more are already there.
type Page struct {
	Data       []Event `json:"data"`
	NextCursor string  `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}

// Limits of a pull.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// MaxWait is the longest long poll: the request's own deadline is 30
	// s, and the answer comes a moment before it.
	MaxWait = 30 * time.Second
)

// Query is a pull: After is the cursor as given ("" for the oldest event
// kept), Limit how many (0: DefaultLimit), Wait how long to wait for one
// when there is none yet.
type Query struct {
	After string
	Limit int
	Wait  time.Duration
}

// ParseCursor reads a cursor: the seq of the last event seen, in decimal
// ("" is none). It is what next_cursor gives, and every event's seq is
// one: a consumer may store either.
func ParseCursor(s string) (int64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	if len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false, domain.BadRequest("after", "after must be a cursor: the next_cursor of a page, or an event's seq (a whole number), not %q", clip(s))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, domain.BadRequest("after", "after must be a cursor: the next_cursor of a page, or an event's seq (a whole number), not %q", clip(s))
	}
	return n, true, nil
}

// ParseWait reads a long poll's wait: a duration from 0 to 30s ("30s",
// "1500ms"; a bare number is seconds).
func ParseWait(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil || len(s) > 4 {
			return 0, domain.BadRequest("wait", "wait must be a duration from 0s to 30s, such as 30s, not %q", clip(s))
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 || d > MaxWait {
		return 0, domain.BadRequest("wait", "wait must be a duration from 0s to 30s, such as 30s, not %q", clip(s))
	}
	return d, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ListEvents is the pull API for a member allowed events.read: the team's
// events after the cursor, oldest first. With q.Wait and nothing to give
// yet, it waits until an event commits (answering at once) or the wait
// ends (answering an empty page with the same cursor). While it waits it
// holds no database connection: events of this process wake it, those of
// other replicas or the CLI are looked for every Config.Poll.
//
// A cursor before the retention's cut (its events are gone) is 410; one
// beyond the team's last event is 400.
func (s *Service) ListEvents(ctx context.Context, c domain.Caller, q Query) (Page, error) {
	if err := domain.RequirePermission(c, domain.ActEventsRead); err != nil {
		return Page{}, err
	}
	return s.list(ctx, c.Team, q)
}

// TeamEvents is ListEvents for the operator's CLI (roster events), by slug.
func (s *Service) TeamEvents(ctx context.Context, slug string, q Query) (Page, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return Page{}, domain.TeamError(err, slug)
	}
	return s.list(ctx, team, q)
}

func (s *Service) list(ctx context.Context, team store.Team, q Query) (Page, error) {
	after, given, err := ParseCursor(q.After)
	if err != nil {
		return Page{}, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return Page{}, domain.BadRequest("limit", "limit must be from 1 to %d, not %d", MaxLimit, limit)
	}
	if q.Wait < 0 || q.Wait > MaxWait {
		return Page{}, domain.BadRequest("wait", "wait must be from 0s to 30s")
	}
	var deadline time.Time
	if q.Wait > 0 {
		deadline = time.Now().Add(q.Wait)
		if d, ok := ctx.Deadline(); ok && d.Add(-time.Second).Before(deadline) {
			deadline = d.Add(-time.Second) // answer before the request's own deadline
		}
	}
	poll := s.EventsConfig().Poll
	for {
		// Subscribed before reading: an event committed between the read
		// and the wait still wakes it.
		woken := s.hub.wait(team.ID)
		page, err := s.read(ctx, team, after, given, limit)
		if err != nil || len(page.Data) > 0 || deadline.IsZero() {
			return page, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return page, nil
		}
		t := time.NewTimer(min(left, poll))
		select {
		case <-woken:
		case <-t.C:
		case <-s.hub.stopped:
			t.Stop()
			return page, nil
		case <-ctx.Done():
			t.Stop()
			return page, nil // the client went away: nothing to answer
		}
		t.Stop()
	}
}

// read is one page, checking the cursor against the team's position.
func (s *Service) read(ctx context.Context, team store.Team, after int64, given bool, limit int) (Page, error) {
	pos, err := s.st.EventPosition(ctx, team.ID)
	if err != nil {
		return Page{}, err
	}
	if given && after < pos.PrunedThrough {
		return Page{}, domain.Gone("cursor %d is older than the event retention (%s): events up to seq %d of team %s were deleted. "+
			"Read the team's current state again (members and groups), then go on from after=%d", after, retentionText(s.EventsConfig().Retention), pos.PrunedThrough, team.Slug, pos.PrunedThrough)
	}
	if after > pos.LastSeq {
		return Page{}, domain.BadRequest("after", "cursor %d is beyond team %s's last event (%d): a cursor comes from this team's next_cursor or an event's seq", after, team.Slug, pos.LastSeq)
	}
	if !given {
		after = pos.PrunedThrough
	}
	evs, err := s.st.ListEvents(ctx, team.ID, after, limit+1)
	if err != nil {
		return Page{}, err
	}
	page := Page{Data: []Event{}, NextCursor: strconv.FormatInt(after, 10)}
	if len(evs) > limit {
		evs, page.HasMore = evs[:limit], true
	}
	for _, e := range evs {
		page.Data = append(page.Data, ViewOfEvent(e))
	}
	if len(evs) > 0 {
		page.NextCursor = strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	}
	return page, nil
}

func retentionText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}

// PruneBatch bounds one prune statement's rows, so pruning never holds a
// team's writers for long.
const PruneBatch = 1000

// PruneEvents deletes, in every team, the events older than the
// retention, a batch at a time; it reports how many went. The delivery
// worker runs it periodically.
func (s *Service) PruneEvents(ctx context.Context) (int, error) {
	teams, err := s.st.ListTeams(ctx)
	if err != nil {
		return 0, err
	}
	cut := s.env.Now().Add(-s.EventsConfig().Retention)
	total := 0
	for _, t := range teams {
		for {
			var n int
			err := s.st.Tx(ctx, func(tx Tx) error {
				var err error
				n, err = tx.PruneEvents(ctx, t.ID, cut, PruneBatch)
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < PruneBatch {
				break
			}
		}
	}
	return total, nil
}
