-- PostgreSQL mirror of migrations/sqlite/0004_accounts.sql.
-- Accounts are global, one per email: a person signs in once and reaches
-- every team where a member (users row) carries that email. They hold no
-- team data, so they are the one table not keyed by team id.
CREATE TABLE accounts (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT COLLATE "C" NOT NULL,
    email_key     TEXT COLLATE "C" NOT NULL UNIQUE, -- sqlstore.Fold(email)
    password_hash TEXT COLLATE "C" NOT NULL DEFAULT '', -- PHC-style argon2id string
    created       TEXT COLLATE "C" NOT NULL,
    updated       TEXT COLLATE "C" NOT NULL
);

-- Browser sessions: only the SHA-256 of the cookie token is kept.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL,
    csrf_token TEXT COLLATE "C" NOT NULL,
    created    TEXT COLLATE "C" NOT NULL,
    expires    TEXT COLLATE "C" NOT NULL,
    ip         TEXT COLLATE "C" NOT NULL DEFAULT '',
    user_agent TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires);

-- Personal API tokens (rpt_…), stored hashed.
CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    prefix       TEXT COLLATE "C" NOT NULL,
    hash         BYTEA NOT NULL,
    created      TEXT COLLATE "C" NOT NULL,
    last_used_at TEXT COLLATE "C",
    last_used_ip TEXT COLLATE "C" NOT NULL DEFAULT '',
    revoked_at   TEXT COLLATE "C"
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (hash);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created);

-- Invite links: the token is shown once and kept only as a hash.
ALTER TABLE invites ADD COLUMN token_hash BYTEA;
ALTER TABLE invites ADD COLUMN sent_at TEXT COLLATE "C";
ALTER TABLE invites ADD COLUMN expires_at TEXT COLLATE "C";
ALTER TABLE invites ADD COLUMN invited_by TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE UNIQUE INDEX invites_token ON invites (token_hash);

-- Sign-in finds a person's memberships in every team by email.
CREATE INDEX users_user_name_any_team ON users (user_name_key);
CREATE INDEX user_emails_value_any_team ON user_emails (value_key);
