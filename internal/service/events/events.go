// Package events is a team's event stream, as the applications that rely
// on the directory consume it (docs/events.md): every change is appended
// as an event by the feature that makes it, in its own transaction
// (domain.Env.Emit); this package reads the stream with a cursor, long
// polls it without holding a database connection (stream.go), prunes it
// past its retention, and pushes it to the team's webhooks: endpoints
// with their signing secrets, type filters and SSRF rules (webhooks.go),
// and what a delivery worker asks of the service: which endpoints are
// due, the next event of one, what its attempt did, retries with back-off
// and the endpoint switched off after 3 days of failures (delivery.go).
// The worker itself, which speaks HTTP, is package internal/webhooks.
package events

import (
	"context"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Reader is what the stream and the webhooks read outside a transaction.
type Reader interface {
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	Team(ctx context.Context, id string) (store.Team, error)
	ListTeams(ctx context.Context) ([]store.Team, error)
	store.EventReader
}

// Tx is what they read and write inside a transaction.
type Tx interface {
	domain.AuditWriter
	domain.EventWriter
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	store.EventReader
	store.EventTx
}

// Store is the storage the stream and the webhooks need.
type Store interface {
	Reader
	// Tx runs fn in one write transaction (store.Store's Tx).
	Tx(ctx context.Context, fn func(Tx) error) error
}

// StoreOf narrows the whole store to what events use.
func StoreOf(s store.Store) Store { return domain.Narrowed[Tx]{Store: s} }

// Config tunes the stream and the webhooks.
type Config struct {
	// Retention is how long events are kept (roster serve
	// --events-retention); a cursor older than it gets 410. Default 30
	// days.
	Retention time.Duration
	// Poll is how often a long poll looks for events other processes
	// (replicas, the CLI) wrote; this process's own wake it at once.
	// Default 1s.
	Poll time.Duration
	// AllowPrivateNetworks lets webhooks point at loopback and private
	// addresses (roster serve --webhooks-allow-private-networks).
	AllowPrivateNetworks bool
}

// DefaultRetention keeps 30 days of events.
const DefaultRetention = 30 * 24 * time.Hour

func (c Config) withDefaults() Config {
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	return c
}

// Service is the event stream and the webhooks over one store.
type Service struct {
	st  Store
	env domain.Env
	hub *hub

	mu  sync.Mutex
	cfg Config
}

// New builds the events service. A store that tells of its commits
// (store.EventNotifier) wakes long polls and workers at once.
func New(st Store, env domain.Env, notifier store.EventNotifier) *Service {
	s := &Service{st: st, env: env, hub: newHub(), cfg: Config{}.withDefaults()}
	if notifier != nil {
		notifier.OnEvents(s.hub.notify)
	}
	return s
}

// SetEventsConfig replaces the configuration (roster serve's flags).
func (s *Service) SetEventsConfig(c Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = c.withDefaults()
}

// EventsConfig is the configuration in use.
func (s *Service) EventsConfig() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// hub wakes whoever waits for a team's events: each team has a channel,
// closed (and replaced) when events of the team commit in this process;
// any is closed on every commit with events (the delivery worker).
type hub struct {
	mu      sync.Mutex
	teams   map[string]chan struct{}
	any     chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func newHub() *hub {
	return &hub{teams: map[string]chan struct{}{}, any: make(chan struct{}), stopped: make(chan struct{})}
}

// wait is the channel closed by the team's next events.
func (h *hub) wait(teamID string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.teams[teamID]
	if !ok {
		ch = make(chan struct{})
		h.teams[teamID] = ch
	}
	return ch
}

// waitAny is the channel closed by the next events of any team.
func (h *hub) waitAny() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.any
}

func (h *hub) notify(teamIDs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range teamIDs {
		if ch, ok := h.teams[id]; ok {
			close(ch)
			delete(h.teams, id)
		}
	}
	close(h.any)
	h.any = make(chan struct{})
}

// Changed is closed by the next events of any team committed in this
// process (the delivery worker waits on it beside its poll).
func (s *Service) Changed() <-chan struct{} { return s.hub.waitAny() }

// StopWaiting ends every long poll now and from now on (answering with
// what they have): serve calls it on SIGTERM, so a poll doesn't hold the
// shutdown for its whole wait.
func (s *Service) StopWaiting() { s.hub.once.Do(func() { close(s.hub.stopped) }) }
