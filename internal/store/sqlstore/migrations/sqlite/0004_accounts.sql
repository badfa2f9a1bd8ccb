-- Accounts are global, one per email: a person signs in once and reaches
-- every team where a member (users row) carries that email. They hold no
-- team data, so they are the one table not keyed by team id.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE, -- sqlstore.Fold(email)
    password_hash TEXT NOT NULL DEFAULT '', -- PHC-style argon2id string
    created       TEXT NOT NULL,
    updated       TEXT NOT NULL
);

-- Browser sessions: only the SHA-256 of the cookie token is kept.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created    TEXT NOT NULL,
    expires    TEXT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires);

-- Personal API tokens (rpt_…), stored hashed.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL,
    created      TEXT NOT NULL,
    last_used_at TEXT,
    last_used_ip TEXT NOT NULL DEFAULT '',
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (hash);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created);

-- Invite links: the token is shown once and kept only as a hash.
ALTER TABLE invites ADD COLUMN token_hash BLOB;
ALTER TABLE invites ADD COLUMN sent_at TEXT;
ALTER TABLE invites ADD COLUMN expires_at TEXT;
ALTER TABLE invites ADD COLUMN invited_by TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX invites_token ON invites (token_hash);

-- Sign-in finds a person's memberships in every team by email.
CREATE INDEX users_user_name_any_team ON users (user_name_key);
CREATE INDEX user_emails_value_any_team ON user_emails (value_key);
