-- The provisioning log: one row per SCIM request that reached a team
-- (written in batches off the request path, pruned by age and row count).
-- Bodies are kept with secrets redacted; response bodies only for errors.
CREATE TABLE provisioning_log (
    team_id        TEXT NOT NULL,
    id             TEXT NOT NULL,
    at             TEXT NOT NULL,
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    query          TEXT NOT NULL DEFAULT '',
    status         INTEGER NOT NULL,
    latency_us     INTEGER NOT NULL,
    user_agent     TEXT NOT NULL DEFAULT '',
    key_id         TEXT NOT NULL DEFAULT '',
    key_name       TEXT NOT NULL DEFAULT '',
    request_id     TEXT NOT NULL DEFAULT '',
    ip             TEXT NOT NULL DEFAULT '',
    resource_type  TEXT NOT NULL DEFAULT '',
    resource_id    TEXT NOT NULL DEFAULT '',
    error_detail   TEXT NOT NULL DEFAULT '',
    error_body     TEXT NOT NULL DEFAULT '',
    request_body   TEXT NOT NULL DEFAULT '',
    body_truncated INTEGER NOT NULL DEFAULT 0,
    body_bytes     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, id)
);
-- Newest first, paged by (at, id); pruning walks it oldest first.
CREATE INDEX provisioning_log_at ON provisioning_log (team_id, at, id);
-- Every request about one user or group.
CREATE INDEX provisioning_log_resource ON provisioning_log (team_id, resource_id, at);

-- Audit queries by actor and target, newest first.
CREATE INDEX audit_events_actor ON audit_events (team_id, actor, at);
CREATE INDEX audit_events_target ON audit_events (team_id, target_type, target_id, at);
