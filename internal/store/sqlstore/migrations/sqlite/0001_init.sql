-- Every table is keyed by team id first: the tenant boundary is in every
-- primary key and every index, so each query starts from one team's rows.
CREATE TABLE teams (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    admin_email  TEXT NOT NULL,
    scim_enabled INTEGER NOT NULL DEFAULT 0,
    default_role TEXT NOT NULL,
    created      TEXT NOT NULL
);

CREATE TABLE scim_keys (
    team_id      TEXT NOT NULL REFERENCES teams(id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL,
    created_by   TEXT NOT NULL,
    created      TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT,
    last_used_ip TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (team_id, id)
);
-- A token names no team, so authentication finds its key by hash alone.
CREATE UNIQUE INDEX scim_keys_hash ON scim_keys (hash);

CREATE TABLE users (
    team_id          TEXT NOT NULL,
    id               TEXT NOT NULL,
    user_name        TEXT NOT NULL,
    user_name_key    TEXT NOT NULL, -- case-folded userName: uniqueness and eq lookups
    external_id      TEXT NOT NULL DEFAULT '',
    display_name     TEXT NOT NULL DEFAULT '',
    display_name_key TEXT NOT NULL DEFAULT '',
    active           INTEGER NOT NULL,
    source           TEXT NOT NULL,
    role             TEXT NOT NULL,
    attrs            TEXT NOT NULL,
    created          TEXT NOT NULL,
    modified         TEXT NOT NULL,
    version          INTEGER NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (team_id, user_name_key);
CREATE INDEX users_external_id ON users (team_id, external_id);
CREATE INDEX users_display_name ON users (team_id, display_name_key);
CREATE INDEX users_order ON users (team_id, created, id);
CREATE INDEX users_modified ON users (team_id, modified);

-- One row per emails[] element, so emails.value eq is an index lookup.
CREATE TABLE user_emails (
    team_id   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    value_key TEXT NOT NULL,
    type_key  TEXT NOT NULL DEFAULT '',
    is_primary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, value_key, user_id, type_key)
);
CREATE INDEX user_emails_user ON user_emails (team_id, user_id);

CREATE TABLE scim_groups (
    team_id          TEXT NOT NULL,
    id               TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id      TEXT NOT NULL DEFAULT '',
    attrs            TEXT NOT NULL,
    created          TEXT NOT NULL,
    modified         TEXT NOT NULL,
    version          INTEGER NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (team_id, display_name_key);
CREATE INDEX scim_groups_external_id ON scim_groups (team_id, external_id);
CREATE INDEX scim_groups_order ON scim_groups (team_id, created, id);

-- Membership rows: adding one member never rewrites a group's member list.
CREATE TABLE group_members (
    team_id  TEXT NOT NULL,
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (team_id, group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (team_id, user_id);

CREATE TABLE invites (
    team_id   TEXT NOT NULL,
    id        TEXT NOT NULL,
    email     TEXT NOT NULL,
    email_key TEXT NOT NULL,
    role      TEXT NOT NULL,
    status    TEXT NOT NULL,
    created   TEXT NOT NULL,
    closed_at TEXT,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX invites_email ON invites (team_id, email_key, status);

CREATE TABLE audit_events (
    team_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    ip          TEXT NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX audit_events_at ON audit_events (team_id, at);
