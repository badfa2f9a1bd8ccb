package service

// The names of the event stream and its webhooks (package events) that
// callers use, as aliases and re-exports (see exports.go).

import (
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/service/events"
	"github.com/rosterhq/roster/internal/store"
)

// The permissions of the event stream (domain.ActEventsRead,
// domain.ActWebhooksManage).
const (
	ActEventsRead     = domain.ActEventsRead
	ActWebhooksManage = domain.ActWebhooksManage
)

type (
	// EventsConfig is events.Config: retention, polling, private networks.
	EventsConfig = events.Config
	// Event is events.Event: one event as it is pulled and pushed.
	Event = events.Event
	// EventPage is events.Page: one answer of the pull API.
	EventPage = events.Page
	// EventQuery is events.Query: a pull's cursor, limit and wait.
	EventQuery = events.Query
	// WebhookView is events.WebhookView: an endpoint, without its secret.
	WebhookView = events.WebhookView
	// NewWebhook is events.NewWebhook: an endpoint with its secret, once.
	NewWebhook = events.NewWebhook
	// WebhookInput is events.WebhookInput: a new endpoint.
	WebhookInput = events.WebhookInput
	// WebhookPatch is events.WebhookPatch: a change to an endpoint.
	WebhookPatch = events.WebhookPatch
	// DeliveryView is events.DeliveryView: one attempt of the delivery log.
	DeliveryView = events.DeliveryView
	// WebhookReplay is events.Replay: one event, or every one since a seq.
	WebhookReplay = events.Replay
	// ReplayResult is events.ReplayResult.
	ReplayResult = events.ReplayResult
	// WebhookDelivery is events.Delivery: an item a worker sends.
	WebhookDelivery = events.Delivery
	// WebhookAttempt is events.Attempt: what one attempt got.
	WebhookAttempt = events.Attempt
)

// Limits and timings of the stream and the webhooks.
const (
	MaxEventLimit          = events.MaxLimit
	MaxEventWait           = events.MaxWait
	WebhookDeliveryTimeout = events.DeliveryTimeout
	WebhookLeaseFor        = events.LeaseFor
	MaxWebhookDeliveries   = events.MaxDeliveries
	DefaultSecretGrace     = events.DefaultSecretGrace
	DefaultEventRetention  = events.DefaultRetention
)

// EventTypes lists every event type (domain.EventTypes).
var EventTypes = domain.EventTypes

// ParseEventCursor reads a pull's cursor (events.ParseCursor).
func ParseEventCursor(s string) (int64, bool, error) { return events.ParseCursor(s) }

// ParseEventWait reads a long poll's wait (events.ParseWait).
func ParseEventWait(s string) (time.Duration, error) { return events.ParseWait(s) }

// ParseEventTypes reads event type patterns (events.ParseTypes).
func ParseEventTypes(list []string) ([]string, error) { return events.ParseTypes(list) }

// CheckWebhookURL applies a webhook URL's rules (events.CheckURL).
func CheckWebhookURL(raw string, allowPrivate bool) error {
	_, err := events.CheckURL(raw, allowPrivate)
	return err
}

// PublicWebhookAddr reports whether a webhook may connect to an address
// without private networks allowed (events.PublicAddr).
var PublicWebhookAddr = events.PublicAddr

// WebhookSignatures is a delivery's webhook-signature header
// (events.Signatures).
func WebhookSignatures(e store.WebhookEndpoint, now time.Time, id string, timestamp int64, body []byte) string {
	return events.Signatures(e, now, id, timestamp, body)
}
