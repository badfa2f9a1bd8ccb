package service

// What the webhook delivery worker (internal/webhooks) reads of the
// events feature beyond exports_events.go: its timings.

import "github.com/rosterhq/roster/internal/service/events"

// WebhookDisableAfter is how long an endpoint fails before it is switched
// off (events.DisableAfter).
const WebhookDisableAfter = events.DisableAfter

// WebhookRetrySchedule is the wait before each attempt at one event
// (events.RetrySchedule).
var WebhookRetrySchedule = events.RetrySchedule

// MaxWebhookResponseExcerpt bounds the start of an answer's body the
// delivery log keeps (events.MaxResponseExcerpt).
const MaxWebhookResponseExcerpt = events.MaxResponseExcerpt

// DefaultEventLimit is a pull's page size when none is given
// (events.DefaultLimit).
const DefaultEventLimit = events.DefaultLimit
