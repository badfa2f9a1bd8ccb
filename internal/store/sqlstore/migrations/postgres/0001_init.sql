-- PostgreSQL mirror of migrations/sqlite/0001_init.sql: the same tables,
-- columns, keys and indexes, so the shared SQL runs unchanged.
--
-- Every table is keyed by team id first: the tenant boundary is in every
-- primary key and every index, so each query starts from one team's rows,
-- and on Citus every table can be distributed by team_id (docs/scaling.md).
--
-- Text columns use the "C" collation: byte order, as SQLite compares, so
-- sorting and gt/lt filters agree on both backends whatever the database's
-- locale, and the indexes serve them.
--
-- Case-insensitive uniqueness (userName, group displayName) is enforced by
-- UNIQUE indexes on the *_key columns, which hold the value case-folded in
-- Go (sqlstore.Fold), so both backends fold alike.
--
-- Booleans stay INTEGER 0/1 and times fixed-width UTC text, as on SQLite.
-- attrs is TEXT holding JSON: stored and returned byte for byte; filters on
-- stored attributes cast it with ::jsonb.
CREATE TABLE teams (
    id           TEXT COLLATE "C" PRIMARY KEY,
    slug         TEXT COLLATE "C" NOT NULL UNIQUE,
    name         TEXT COLLATE "C" NOT NULL,
    admin_email  TEXT COLLATE "C" NOT NULL,
    scim_enabled INTEGER NOT NULL DEFAULT 0,
    default_role TEXT COLLATE "C" NOT NULL,
    created      TEXT COLLATE "C" NOT NULL
);

CREATE TABLE scim_keys (
    team_id      TEXT COLLATE "C" NOT NULL REFERENCES teams(id),
    id           TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    prefix       TEXT COLLATE "C" NOT NULL,
    hash         BYTEA NOT NULL,
    created_by   TEXT COLLATE "C" NOT NULL,
    created      TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT COLLATE "C",
    revoked_at   TEXT COLLATE "C",
    last_used_at TEXT COLLATE "C",
    last_used_ip TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (team_id, id)
);
-- A token names no team, so authentication finds its key by hash alone.
-- (On Citus, scim_keys would be a reference table for this lookup.)
CREATE UNIQUE INDEX scim_keys_hash ON scim_keys (hash);

CREATE TABLE users (
    team_id          TEXT COLLATE "C" NOT NULL,
    id               TEXT COLLATE "C" NOT NULL,
    user_name        TEXT COLLATE "C" NOT NULL,
    user_name_key    TEXT COLLATE "C" NOT NULL, -- case-folded userName: uniqueness and eq lookups
    external_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    display_name     TEXT COLLATE "C" NOT NULL DEFAULT '',
    display_name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    active           INTEGER NOT NULL,
    source           TEXT COLLATE "C" NOT NULL,
    role             TEXT COLLATE "C" NOT NULL,
    attrs            TEXT COLLATE "C" NOT NULL,
    created          TEXT COLLATE "C" NOT NULL,
    modified         TEXT COLLATE "C" NOT NULL,
    version          BIGINT NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (team_id, user_name_key);
CREATE INDEX users_external_id ON users (team_id, external_id);
CREATE INDEX users_display_name ON users (team_id, display_name_key);
CREATE INDEX users_order ON users (team_id, created, id);
CREATE INDEX users_modified ON users (team_id, modified);

-- One row per emails[] element, so emails.value eq is an index lookup.
CREATE TABLE user_emails (
    team_id    TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    value_key  TEXT COLLATE "C" NOT NULL,
    type_key   TEXT COLLATE "C" NOT NULL DEFAULT '',
    is_primary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, value_key, user_id, type_key)
);
CREATE INDEX user_emails_user ON user_emails (team_id, user_id);

CREATE TABLE scim_groups (
    team_id          TEXT COLLATE "C" NOT NULL,
    id               TEXT COLLATE "C" NOT NULL,
    display_name     TEXT COLLATE "C" NOT NULL,
    display_name_key TEXT COLLATE "C" NOT NULL,
    external_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    attrs            TEXT COLLATE "C" NOT NULL,
    created          TEXT COLLATE "C" NOT NULL,
    modified         TEXT COLLATE "C" NOT NULL,
    version          BIGINT NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (team_id, display_name_key);
CREATE INDEX scim_groups_external_id ON scim_groups (team_id, external_id);
CREATE INDEX scim_groups_order ON scim_groups (team_id, created, id);

-- Membership rows: adding one member never rewrites a group's member list.
CREATE TABLE group_members (
    team_id  TEXT COLLATE "C" NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL,
    user_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (team_id, group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (team_id, user_id);

CREATE TABLE invites (
    team_id   TEXT COLLATE "C" NOT NULL,
    id        TEXT COLLATE "C" NOT NULL,
    email     TEXT COLLATE "C" NOT NULL,
    email_key TEXT COLLATE "C" NOT NULL,
    role      TEXT COLLATE "C" NOT NULL,
    status    TEXT COLLATE "C" NOT NULL,
    created   TEXT COLLATE "C" NOT NULL,
    closed_at TEXT COLLATE "C",
    PRIMARY KEY (team_id, id)
);
CREATE INDEX invites_email ON invites (team_id, email_key, status);

CREATE TABLE audit_events (
    team_id     TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    target_type TEXT COLLATE "C" NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    detail      TEXT COLLATE "C" NOT NULL,
    request_id  TEXT COLLATE "C" NOT NULL,
    ip          TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX audit_events_at ON audit_events (team_id, at);
