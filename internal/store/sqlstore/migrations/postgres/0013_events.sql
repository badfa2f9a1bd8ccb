-- PostgreSQL mirror of migrations/sqlite/0013_events.sql.
-- The event stream (docs/events.md): every change to a team's members,
-- groups, memberships, roles, keys and SSO connections as an ordered
-- event, written in the transaction that makes the change (the outbox),
-- pulled with a cursor or pushed to the team's webhooks; and the guard
-- against mass deprovisioning.

-- The outbox. seq is the team's sequence number: assigned at the end of
-- the writing transaction from event_counters, so numbers follow commit
-- order with no gaps (sqlstore/events.go).
CREATE TABLE events (
    team_id     TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    team_slug   TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    occurred_at TEXT COLLATE "C" NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL, -- JSON
    data        TEXT COLLATE "C" NOT NULL, -- JSON
    PRIMARY KEY (team_id, seq)
);
CREATE UNIQUE INDEX events_id ON events (id);

-- One row per team that has events: the last number handed out, and the
-- last one pruned (a cursor before it has lost events: 410).
CREATE TABLE event_counters (
    team_id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    last_seq       BIGINT NOT NULL,
    pruned_through BIGINT NOT NULL DEFAULT 0
);

-- A team's webhook endpoints, with their delivery state: acked_seq is the
-- last event delivered or given up on; attempts and next_attempt are for
-- the item after it (a replayed event first, when one is queued); the
-- lease says which replica delivers for the endpoint until when.
CREATE TABLE webhook_endpoints (
    team_id          TEXT COLLATE "C" NOT NULL,
    id               TEXT COLLATE "C" NOT NULL,
    url              TEXT COLLATE "C" NOT NULL,
    description      TEXT COLLATE "C" NOT NULL DEFAULT '',
    types            TEXT COLLATE "C" NOT NULL DEFAULT '', -- comma-separated patterns; '' for all
    secret           TEXT COLLATE "C" NOT NULL,
    old_secret       TEXT COLLATE "C" NOT NULL DEFAULT '',
    old_secret_until TEXT COLLATE "C",
    enabled          BIGINT NOT NULL DEFAULT 1,
    disabled_reason  TEXT COLLATE "C" NOT NULL DEFAULT '',
    disabled_at      TEXT COLLATE "C",
    created          TEXT COLLATE "C" NOT NULL,
    created_by       TEXT COLLATE "C" NOT NULL DEFAULT '',
    acked_seq        BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt     TEXT COLLATE "C" NOT NULL,
    failing_since    TEXT COLLATE "C",
    lease_owner      TEXT COLLATE "C" NOT NULL DEFAULT '',
    lease_until      TEXT COLLATE "C",
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX webhook_endpoints_id ON webhook_endpoints (id);
CREATE INDEX webhook_endpoints_due ON webhook_endpoints (enabled, next_attempt);

-- Events queued for one more delivery to one endpoint (a replay of one
-- event), delivered before the endpoint's stream goes on.
CREATE TABLE webhook_replays (
    endpoint_id TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    team_id     TEXT COLLATE "C" NOT NULL,
    requested   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (endpoint_id, seq)
);

-- The delivery log: every attempt, with its answer.
CREATE TABLE webhook_deliveries (
    team_id     TEXT COLLATE "C" NOT NULL,
    endpoint_id TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    event_id    TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    attempt     BIGINT NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    status      BIGINT NOT NULL, -- the HTTP status; 0 when there was none
    latency_ms  BIGINT NOT NULL,
    outcome     TEXT COLLATE "C" NOT NULL, -- delivered, failed, gave_up
    error       TEXT COLLATE "C" NOT NULL DEFAULT '',
    response    TEXT COLLATE "C" NOT NULL DEFAULT '', -- the start of the answer's body
    replay      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (endpoint_id, id)
);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (endpoint_id, at);

-- The guard against mass deprovisioning, per team (no row: the defaults,
-- on): more than percent of the members, and at least min_count of them,
-- deactivated or deleted by the IdP within window_seconds pauses further
-- deprovisioning until an admin confirms or rejects the held changes.
CREATE TABLE deprovision_guards (
    team_id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    enabled        BIGINT NOT NULL DEFAULT 1,
    percent        BIGINT NOT NULL DEFAULT 20,
    min_count      BIGINT NOT NULL DEFAULT 10,
    window_seconds BIGINT NOT NULL DEFAULT 600,
    paused_at      TEXT COLLATE "C",
    paused_reason  TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated        TEXT COLLATE "C" NOT NULL
);

-- The deprovisionings the IdP made, for the guard's window.
CREATE TABLE deprovision_marks (
    team_id TEXT COLLATE "C" NOT NULL,
    at      TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (team_id, at, user_id)
);

-- The deprovisionings held while the guard is paused.
CREATE TABLE deprovision_holds (
    team_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    op      TEXT COLLATE "C" NOT NULL, -- deactivate or delete
    at      TEXT COLLATE "C" NOT NULL,
    actor   TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (team_id, user_id)
);
