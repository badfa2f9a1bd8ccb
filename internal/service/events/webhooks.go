package events

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// A team's webhooks: endpoints that receive its events, signed as
// Standard Webhooks do, in order, each one on one replica at a time.

// Limits of a webhook.
const (
	MaxWebhooksPerTeam = 20
	MaxURLLength       = 2000
	MaxDescription     = 200
	// MaxSecretGrace bounds how long a rotated-out secret keeps signing.
	MaxSecretGrace = 7 * 24 * time.Hour
	// DefaultSecretGrace is a rotation's grace when none is given.
	DefaultSecretGrace = 24 * time.Hour
)

// SecretPrefix starts every signing secret (Standard Webhooks' whsec_).
const SecretPrefix = "whsec_"

// NewSecret is a signing secret: whsec_ and the base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign is the Standard Webhooks signature of a delivery: "v1," and the
// base64 of HMAC-SHA256 over "id.timestamp.body", keyed with the bytes the
// secret's base64 holds.
func Sign(secret, id string, timestamp int64, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		key = []byte(secret)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Signatures is the webhook-signature header of a delivery: one signature
// per secret in use (the current one, and a rotated-out one during its
// grace), space-separated.
func Signatures(e store.WebhookEndpoint, now time.Time, id string, timestamp int64, body []byte) string {
	sigs := []string{Sign(e.Secret, id, timestamp, body)}
	if e.OldSecret != "" && e.OldSecretUntil != nil && now.Before(*e.OldSecretUntil) {
		sigs = append(sigs, Sign(e.OldSecret, id, timestamp, body))
	}
	return strings.Join(sigs, " ")
}

// CheckURL applies the rules a webhook's URL must meet: absolute https,
// or http to a loopback address (for development); no credentials or
// fragment; and, unless allowPrivate, no address on a loopback, private,
// link-local or otherwise non-public network, named literally (a name
// that resolves to one is refused when the worker connects).
func CheckURL(raw string, allowPrivate bool) (*url.URL, error) {
	bad := func(format string, args ...any) (*url.URL, error) {
		return nil, domain.BadRequest("url", format, args...)
	}
	if raw == "" {
		return bad("a webhook needs a url, such as https://app.example.com/roster-events")
	}
	if len(raw) > MaxURLLength || !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return bad("the url must be one line of at most %d characters, without spaces", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return bad("%q is not an absolute URL such as https://app.example.com/roster-events", clip(raw))
	}
	if u.User != nil {
		return bad("the url must not carry a user or password: the signature authenticates Roster to the receiver")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("the url must not have a #fragment")
	}
	host := u.Hostname()
	if host == "" {
		return bad("%q names no host", clip(raw))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("%q is not a port", p)
		}
	}
	addr, ipErr := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	isIP := ipErr == nil
	loopback := isLoopbackName(host) || (isIP && addr.Unmap().IsLoopback())
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback {
			return bad("the url must be https (http only to a loopback address, for development)")
		}
	default:
		return bad("the url must be https, not %s", u.Scheme)
	}
	if !allowPrivate {
		if loopback {
			return bad("%s is a loopback address: webhooks go to public addresses unless the server runs with --webhooks-allow-private-networks", host)
		}
		if isIP && !PublicAddr(addr) {
			return bad("%s is a private or reserved address: webhooks go to public addresses unless the server runs with --webhooks-allow-private-networks", host)
		}
		if strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".internal") || strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".local") {
			return bad("%s names a private network: webhooks go to public addresses unless the server runs with --webhooks-allow-private-networks", host)
		}
	}
	return u, nil
}

func isLoopbackName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// nonPublic are the ranges a webhook never reaches without the operator's
// leave, beyond what netip classifies (loopback, private, link-local,
// multicast, unspecified).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 (may embed a private IPv4 address)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4 (may embed a private IPv4 address)
	netip.MustParsePrefix("fc00::/7"),        // unique local
}

// PublicAddr reports whether a webhook may connect to addr without the
// operator allowing private networks.
func PublicAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// ParseTypes reads event type patterns: exact types ("member.deleted"),
// a family ("member.*", "group.*") or "*" for every type; a
// comma-separated string (the CLI's --types) or a list (the API's).
// None means every type.
func ParseTypes(list []string) ([]string, error) {
	var out []string
	for _, item := range list {
		for p := range strings.SplitSeq(item, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if !knownPattern(p) {
				return nil, domain.BadRequest("types", "%q is not an event type or pattern: use a type such as member.deleted, a family such as member.* or group.*, or *", clip(p))
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	if len(out) > 50 {
		return nil, domain.BadRequest("types", "at most 50 type patterns")
	}
	if slices.Contains(out, "*") {
		return nil, nil
	}
	slices.Sort(out)
	return out, nil
}

func knownPattern(p string) bool {
	if p == "*" {
		return true
	}
	if fam, ok := strings.CutSuffix(p, ".*"); ok {
		return slices.ContainsFunc(domain.EventTypes, func(t string) bool { return strings.HasPrefix(t, fam+".") })
	}
	return slices.Contains(domain.EventTypes, p)
}

// Matches reports whether an event type is one the patterns take (none
// takes every type).
func Matches(patterns []string, typ string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if p == "*" || p == typ {
			return true
		}
		if fam, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(typ, fam+".") {
			return true
		}
	}
	return false
}

// WebhookView is an endpoint as the admin API and the CLI show it: never
// its secret.
type WebhookView struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Description    string   `json:"description"`
	Types          []string `json:"types"`
	Enabled        bool     `json:"enabled"`
	Status         string   `json:"status"` // enabled, failing or disabled
	DisabledReason string   `json:"disabled_reason,omitempty"`
	DisabledAt     *string  `json:"disabled_at"`
	CreatedAt      string   `json:"created_at"`
	CreatedBy      string   `json:"created_by"`
	// DeliveredSeq is the last event delivered (or given up on) in order;
	// Pending how many events of the team came after it (of any type).
	DeliveredSeq  int64   `json:"delivered_seq"`
	Pending       int64   `json:"pending"`
	Attempts      int     `json:"attempts"`
	NextAttemptAt *string `json:"next_attempt_at"`
	FailingSince  *string `json:"failing_since"`
	// SecretRotatingUntil is when a rotated-out secret stops signing.
	SecretRotatingUntil *string `json:"secret_rotating_until"`
}

// NewWebhook is an endpoint just made or whose secret was just rotated,
// with its secret: the only time it is shown.
type NewWebhook struct {
	WebhookView
	Secret string `json:"secret"`
}

func viewTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func viewTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := viewTime(*t)
	return &s
}

// ViewOfWebhook is e as of now, lastSeq being the team's last event.
func ViewOfWebhook(e store.WebhookEndpoint, lastSeq int64, now time.Time) WebhookView {
	v := WebhookView{ID: e.ID, URL: e.URL, Description: e.Description, Types: e.Types, Enabled: e.Enabled, DisabledReason: e.DisabledReason,
		DisabledAt: viewTimePtr(e.DisabledAt), CreatedAt: viewTime(e.Created), CreatedBy: e.CreatedBy, DeliveredSeq: e.AckedSeq,
		Pending: max(lastSeq-e.AckedSeq, 0), Attempts: e.Attempts, FailingSince: viewTimePtr(e.FailingSince)}
	if v.Types == nil {
		v.Types = []string{}
	}
	switch {
	case !e.Enabled:
		v.Status = "disabled"
	case e.FailingSince != nil:
		v.Status = "failing"
	default:
		v.Status = "enabled"
	}
	if e.Enabled && v.Pending > 0 {
		v.NextAttemptAt = viewTimePtr(&e.NextAttempt)
	}
	if e.OldSecret != "" && e.OldSecretUntil != nil && now.Before(*e.OldSecretUntil) {
		v.SecretRotatingUntil = viewTimePtr(e.OldSecretUntil)
	}
	return v
}

// WebhookInput is a new endpoint.
type WebhookInput struct {
	URL         string
	Types       []string
	Description string
}

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < ' ' }) || utf8.RuneCountInString(d) > MaxDescription {
		return "", domain.BadRequest("description", "a description is one line of at most %d characters", MaxDescription)
	}
	return d, nil
}

func (s *Service) webhookOf(ctx context.Context, tx Tx, team store.Team, id string) (store.WebhookEndpoint, error) {
	e, err := tx.WebhookEndpoint(ctx, team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, domain.NotFound("team %s has no webhook %q", team.Slug, id)
	}
	return e, err
}

// CreateWebhook adds an endpoint to the caller's team (webhooks.manage).
// It receives the events committed from now on; its secret is shown once.
func (s *Service) CreateWebhook(ctx context.Context, c domain.Caller, in WebhookInput) (NewWebhook, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return NewWebhook{}, err
	}
	u, err := CheckURL(strings.TrimSpace(in.URL), s.EventsConfig().AllowPrivateNetworks)
	if err != nil {
		return NewWebhook{}, err
	}
	types, err := ParseTypes(in.Types)
	if err != nil {
		return NewWebhook{}, err
	}
	desc, err := checkDescription(in.Description)
	if err != nil {
		return NewWebhook{}, err
	}
	var out NewWebhook
	err = s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.TeamBySlug(ctx, c.Team.Slug)
		if err != nil {
			return domain.TeamError(err, c.Team.Slug)
		}
		list, err := tx.ListWebhookEndpoints(ctx, team.ID)
		if err != nil {
			return err
		}
		if len(list) >= MaxWebhooksPerTeam {
			return domain.Conflict("", "team %s already has %d webhooks, the most it may have; delete one first", team.Slug, len(list))
		}
		pos, err := tx.EventPosition(ctx, team.ID)
		if err != nil {
			return err
		}
		now := s.env.Now()
		e := store.WebhookEndpoint{TeamID: team.ID, ID: domain.NewID(), URL: u.String(), Description: desc, Types: types, Secret: NewSecret(),
			Enabled: true, Created: now, CreatedBy: c.Actor.String(),
			WebhookProgress: store.WebhookProgress{AckedSeq: pos.LastSeq, NextAttempt: now}}
		if err := tx.CreateWebhookEndpoint(ctx, e); err != nil {
			return err
		}
		out = NewWebhook{WebhookView: ViewOfWebhook(e, pos.LastSeq, now), Secret: e.Secret}
		return s.env.Audit(ctx, tx, team.ID, c.Actor, "webhook.create", "webhook", e.ID, map[string]any{"url": e.URL, "types": e.Types})
	})
	return out, err
}

// ListWebhooks lists the team's endpoints (webhooks.manage).
func (s *Service) ListWebhooks(ctx context.Context, c domain.Caller) ([]WebhookView, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return nil, err
	}
	list, err := s.st.ListWebhookEndpoints(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	pos, err := s.st.EventPosition(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	now := s.env.Now()
	out := make([]WebhookView, 0, len(list))
	for _, e := range list {
		out = append(out, ViewOfWebhook(e, pos.LastSeq, now))
	}
	return out, nil
}

// GetWebhook reads one endpoint (webhooks.manage).
func (s *Service) GetWebhook(ctx context.Context, c domain.Caller, id string) (WebhookView, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return WebhookView{}, err
	}
	e, err := s.st.WebhookEndpoint(ctx, c.Team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return WebhookView{}, domain.NotFound("team %s has no webhook %q", c.Team.Slug, id)
	}
	if err != nil {
		return WebhookView{}, err
	}
	pos, err := s.st.EventPosition(ctx, c.Team.ID)
	if err != nil {
		return WebhookView{}, err
	}
	return ViewOfWebhook(e, pos.LastSeq, s.env.Now()), nil
}

// WebhookPatch changes an endpoint; nil fields stay.
type WebhookPatch struct {
	URL         *string
	Types       *[]string
	Description *string
	// Enabled switches it: enabling one that was off (by an admin, or
	// after 3 days of failures) retries the event it stopped at at once.
	Enabled *bool
}

// UpdateWebhook changes an endpoint (webhooks.manage).
func (s *Service) UpdateWebhook(ctx context.Context, c domain.Caller, id string, p WebhookPatch) (WebhookView, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return WebhookView{}, err
	}
	if p.URL == nil && p.Types == nil && p.Description == nil && p.Enabled == nil {
		return WebhookView{}, domain.BadRequest("", "nothing to change: send url, types, description and/or enabled")
	}
	var next struct {
		url, desc string
		types     []string
	}
	if p.URL != nil {
		u, err := CheckURL(strings.TrimSpace(*p.URL), s.EventsConfig().AllowPrivateNetworks)
		if err != nil {
			return WebhookView{}, err
		}
		next.url = u.String()
	}
	if p.Types != nil {
		t, err := ParseTypes(*p.Types)
		if err != nil {
			return WebhookView{}, err
		}
		next.types = t
	}
	if p.Description != nil {
		d, err := checkDescription(*p.Description)
		if err != nil {
			return WebhookView{}, err
		}
		next.desc = d
	}
	var out WebhookView
	err := s.st.Tx(ctx, func(tx Tx) error {
		e, err := s.webhookOf(ctx, tx, c.Team, id)
		if err != nil {
			return err
		}
		now := s.env.Now()
		changed := []string{}
		if p.URL != nil && next.url != e.URL {
			e.URL = next.url
			changed = append(changed, "url")
		}
		if p.Types != nil && !slices.Equal(next.types, e.Types) {
			e.Types = next.types
			changed = append(changed, "types")
		}
		if p.Description != nil && next.desc != e.Description {
			e.Description = next.desc
			changed = append(changed, "description")
		}
		if p.Enabled != nil && *p.Enabled != e.Enabled {
			changed = append(changed, "enabled")
			e.Enabled = *p.Enabled
			if e.Enabled {
				e.DisabledReason, e.DisabledAt = "", nil
				// Start afresh: the next attempt now, its failures forgotten.
				prog := e.WebhookProgress
				prog.Attempts, prog.NextAttempt, prog.FailingSince = 0, now, nil
				if _, err := tx.SetWebhookProgress(ctx, e.TeamID, e.ID, e.AckedSeq, prog); err != nil {
					return err
				}
				e.WebhookProgress = prog
			} else {
				e.DisabledReason, e.DisabledAt = "disabled by "+c.Actor.String(), &now
			}
		}
		if err := tx.UpdateWebhookSettings(ctx, e); err != nil {
			return err
		}
		pos, err := tx.EventPosition(ctx, e.TeamID)
		if err != nil {
			return err
		}
		out = ViewOfWebhook(e, pos.LastSeq, now)
		return s.env.Audit(ctx, tx, e.TeamID, c.Actor, "webhook.update", "webhook", e.ID, map[string]any{"changed": changed, "url": e.URL, "enabled": e.Enabled})
	})
	return out, err
}

// DeleteWebhook removes an endpoint with its delivery log (webhooks.manage).
func (s *Service) DeleteWebhook(ctx context.Context, c domain.Caller, id string) error {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return err
	}
	return s.st.Tx(ctx, func(tx Tx) error {
		e, err := s.webhookOf(ctx, tx, c.Team, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhookEndpoint(ctx, e.TeamID, e.ID); err != nil {
			return err
		}
		return s.env.Audit(ctx, tx, e.TeamID, c.Actor, "webhook.delete", "webhook", e.ID, map[string]any{"url": e.URL})
	})
}

// RotateWebhookSecret gives an endpoint a new secret, shown once; the old
// one signs too (a second signature) for the grace period, at most 7
// days, so the receiver can switch over (webhooks.manage).
func (s *Service) RotateWebhookSecret(ctx context.Context, c domain.Caller, id string, grace time.Duration) (NewWebhook, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return NewWebhook{}, err
	}
	if grace < 0 || grace > MaxSecretGrace {
		return NewWebhook{}, domain.BadRequest("grace", "grace must be a duration from 0s to 7d (168h)")
	}
	var out NewWebhook
	err := s.st.Tx(ctx, func(tx Tx) error {
		e, err := s.webhookOf(ctx, tx, c.Team, id)
		if err != nil {
			return err
		}
		now := s.env.Now()
		until := now.Add(grace)
		e.OldSecret, e.OldSecretUntil, e.Secret = e.Secret, &until, NewSecret()
		if grace == 0 {
			e.OldSecret, e.OldSecretUntil = "", nil
		}
		if err := tx.UpdateWebhookSettings(ctx, e); err != nil {
			return err
		}
		pos, err := tx.EventPosition(ctx, e.TeamID)
		if err != nil {
			return err
		}
		out = NewWebhook{WebhookView: ViewOfWebhook(e, pos.LastSeq, now), Secret: e.Secret}
		return s.env.Audit(ctx, tx, e.TeamID, c.Actor, "webhook.rotate_secret", "webhook", e.ID, map[string]any{"oldSecretStopsAt": viewTime(until)})
	})
	return out, err
}

// DeliveryView is one attempt of the delivery log.
type DeliveryView struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	Seq       int64  `json:"seq"`
	Attempt   int    `json:"attempt"`
	At        string `json:"at"`
	Status    int    `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	Outcome   string `json:"outcome"`
	Error     string `json:"error"`
	Response  string `json:"response"`
	Replay    bool   `json:"replay"`
}

// MaxDeliveries bounds one read of a delivery log, and how many attempts
// an endpoint's log keeps.
const MaxDeliveries = 1000

// WebhookDeliveries is an endpoint's delivery log, newest first
// (webhooks.manage).
func (s *Service) WebhookDeliveries(ctx context.Context, c domain.Caller, id string, limit int) ([]DeliveryView, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxDeliveries {
		return nil, domain.BadRequest("limit", "limit must be from 1 to %d", MaxDeliveries)
	}
	if _, err := s.st.WebhookEndpoint(ctx, c.Team.ID, id); errors.Is(err, store.ErrNotFound) {
		return nil, domain.NotFound("team %s has no webhook %q", c.Team.Slug, id)
	} else if err != nil {
		return nil, err
	}
	list, err := s.st.ListWebhookDeliveries(ctx, c.Team.ID, id, limit)
	if err != nil {
		return nil, err
	}
	out := make([]DeliveryView, 0, len(list))
	for _, d := range list {
		out = append(out, DeliveryView{ID: d.ID, EventID: d.EventID, Seq: d.Seq, Attempt: d.Attempt, At: d.At.UTC().Format(time.RFC3339Nano), Status: d.Status,
			LatencyMS: d.Latency.Milliseconds(), Outcome: d.Outcome, Error: d.Error, Response: d.Response, Replay: d.Replay})
	}
	return out, nil
}

// Replay asks for events again: Seq one event (delivered before the
// endpoint's stream goes on), or SinceSeq every event from that one on,
// in order (the endpoint's stream is moved back).
type Replay struct {
	Seq      int64
	SinceSeq int64
}

// ReplayResult says what a replay queued.
type ReplayResult struct {
	Webhook WebhookView `json:"webhook"`
	// From and Through are the seqs the replay covers (Through: the team's
	// last event when it was asked).
	From    int64 `json:"from_seq"`
	Through int64 `json:"through_seq"`
}

// ReplayWebhook sends events again to an endpoint (webhooks.manage); ids
// stay as they were, so the receiver can tell a replay from news.
func (s *Service) ReplayWebhook(ctx context.Context, c domain.Caller, id string, r Replay) (ReplayResult, error) {
	if err := domain.RequirePermission(c, domain.ActWebhooksManage); err != nil {
		return ReplayResult{}, err
	}
	if (r.Seq > 0) == (r.SinceSeq > 0) {
		return ReplayResult{}, domain.BadRequest("since_seq", "give seq (one event) or since_seq (every event from it on), a seq from 1 on")
	}
	var out ReplayResult
	err := s.st.Tx(ctx, func(tx Tx) error {
		e, err := s.webhookOf(ctx, tx, c.Team, id)
		if err != nil {
			return err
		}
		pos, err := tx.EventPosition(ctx, e.TeamID)
		if err != nil {
			return err
		}
		from := max(r.Seq, r.SinceSeq)
		field := "seq"
		if r.SinceSeq > 0 {
			field = "since_seq"
		}
		if from > pos.LastSeq {
			return domain.BadRequest(field, "team %s has no event %d yet (its last is %d)", c.Team.Slug, from, pos.LastSeq)
		}
		if from <= pos.PrunedThrough {
			return domain.Gone("event %d is older than the event retention: team %s keeps events from seq %d on", from, c.Team.Slug, pos.PrunedThrough+1)
		}
		now := s.env.Now()
		prog := store.WebhookProgress{AckedSeq: e.AckedSeq, Attempts: 0, NextAttempt: now, FailingSince: e.FailingSince}
		out.From, out.Through = from, from
		if r.SinceSeq > 0 {
			prog.AckedSeq = min(e.AckedSeq, from-1)
			out.Through = pos.LastSeq
		} else if err := tx.QueueWebhookReplay(ctx, e.TeamID, e.ID, []int64{from}, now); err != nil {
			return err
		}
		if _, err := tx.SetWebhookProgress(ctx, e.TeamID, e.ID, e.AckedSeq, prog); err != nil {
			return err
		}
		e.WebhookProgress = prog
		out.Webhook = ViewOfWebhook(e, pos.LastSeq, now)
		return s.env.Audit(ctx, tx, e.TeamID, c.Actor, "webhook.replay", "webhook", e.ID, map[string]any{"from": out.From, "through": out.Through})
	})
	return out, err
}
