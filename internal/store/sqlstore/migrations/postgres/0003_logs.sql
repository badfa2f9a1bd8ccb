-- PostgreSQL mirror of migrations/sqlite/0003_logs.sql.
-- The provisioning log: one row per SCIM request that reached a team
-- (written in batches off the request path, pruned by age and row count).
-- Bodies are kept with secrets redacted; response bodies only for errors.
CREATE TABLE provisioning_log (
    team_id        TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    at             TEXT COLLATE "C" NOT NULL,
    method         TEXT COLLATE "C" NOT NULL,
    path           TEXT COLLATE "C" NOT NULL,
    query          TEXT COLLATE "C" NOT NULL DEFAULT '',
    status         INTEGER NOT NULL,
    latency_us     BIGINT NOT NULL,
    user_agent     TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_name       TEXT COLLATE "C" NOT NULL DEFAULT '',
    request_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
    ip             TEXT COLLATE "C" NOT NULL DEFAULT '',
    resource_type  TEXT COLLATE "C" NOT NULL DEFAULT '',
    resource_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    error_detail   TEXT COLLATE "C" NOT NULL DEFAULT '',
    error_body     TEXT COLLATE "C" NOT NULL DEFAULT '',
    request_body   TEXT COLLATE "C" NOT NULL DEFAULT '',
    body_truncated INTEGER NOT NULL DEFAULT 0,
    body_bytes     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, id)
);
-- Newest first, paged by (at, id); pruning walks it oldest first.
CREATE INDEX provisioning_log_at ON provisioning_log (team_id, at, id);
-- Every request about one user or group.
CREATE INDEX provisioning_log_resource ON provisioning_log (team_id, resource_id, at);

-- Audit queries by actor and target, newest first.
CREATE INDEX audit_events_actor ON audit_events (team_id, actor, at);
CREATE INDEX audit_events_target ON audit_events (team_id, target_type, target_id, at);
