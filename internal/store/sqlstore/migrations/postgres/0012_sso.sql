-- PostgreSQL mirror of migrations/sqlite/0012_sso.sql.
-- Single sign-on (docs/sso.md): each team signs its people in through its
-- own identity providers, SAML 2.0 or OpenID Connect.

-- A team's connections. The id is in every URL the IdP knows (ACS,
-- metadata, OIDC redirect URI), so a response for one connection is never
-- taken by another; config is the protocol's settings as JSON (the pinned
-- IdP certificates, the issuer, the attribute mapping, …).
CREATE TABLE sso_connections (
    team_id             TEXT COLLATE "C" NOT NULL,
    id                  TEXT COLLATE "C" NOT NULL,
    type                TEXT COLLATE "C" NOT NULL, -- saml or oidc
    name                TEXT COLLATE "C" NOT NULL,
    enabled             BIGINT NOT NULL DEFAULT 1,
    is_default          BIGINT NOT NULL DEFAULT 0,
    allow_idp_initiated BIGINT NOT NULL DEFAULT 0,
    sp_base_url         TEXT COLLATE "C" NOT NULL,
    config              TEXT COLLATE "C" NOT NULL,
    created             TEXT COLLATE "C" NOT NULL,
    updated             TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX sso_connections_id ON sso_connections (id);

-- A team's sign-in rules; a team without a row has the defaults (no
-- SSO requirement, no just-in-time members, any email domain).
CREATE TABLE sso_policies (
    team_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    require_sso BIGINT NOT NULL DEFAULT 0,
    jit         BIGINT NOT NULL DEFAULT 0,
    updated     TEXT COLLATE "C" NOT NULL
);

-- The email domains a team allows (and the sign-in page routes by).
CREATE TABLE sso_domains (
    team_id TEXT COLLATE "C" NOT NULL,
    domain  TEXT COLLATE "C" NOT NULL, -- lower case
    PRIMARY KEY (team_id, domain)
);
CREATE INDEX sso_domains_domain ON sso_domains (domain, team_id);

-- The account a person is to Roster through one connection: the IdP's
-- subject (SAML NameID, OIDC sub) under that connection. Created on the
-- first sign-in; never found by email.
CREATE TABLE sso_identities (
    connection_id TEXT COLLATE "C" NOT NULL,
    subject       TEXT COLLATE "C" NOT NULL,
    team_id       TEXT COLLATE "C" NOT NULL,
    account_id    TEXT COLLATE "C" NOT NULL,
    created       TEXT COLLATE "C" NOT NULL,
    last_login    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (connection_id, subject)
);
CREATE INDEX sso_identities_account ON sso_identities (account_id);

-- Sign-ins Roster started (SP-initiated), until their answer comes back:
-- the SAML request id, the OIDC nonce and PKCE verifier. Found by the hash
-- of the RelayState or state token; taken once; shared by all replicas.
CREATE TABLE sso_login_states (
    state_hash    BYTEA NOT NULL PRIMARY KEY,
    team_id       TEXT COLLATE "C" NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL,
    request_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    nonce         TEXT COLLATE "C" NOT NULL DEFAULT '',
    verifier      TEXT COLLATE "C" NOT NULL DEFAULT '',
    link_account  TEXT COLLATE "C" NOT NULL DEFAULT '', -- an explicit link: the signed-in account
    created       TEXT COLLATE "C" NOT NULL,
    expires       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sso_login_states_expires ON sso_login_states (expires);

-- Assertion ids already accepted, per connection, until they expire: the
-- replay store every replica shares.
CREATE TABLE sso_assertions (
    connection_id TEXT COLLATE "C" NOT NULL,
    assertion_id  TEXT COLLATE "C" NOT NULL,
    expires       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX sso_assertions_expires ON sso_assertions (expires);

-- Sessions that an SSO sign-in opened: which member of which team the IdP
-- vouched for, so that the session ends when that member is deactivated
-- and counts as SSO for a team that requires it.
CREATE TABLE sso_sessions (
    token_hash    BYTEA NOT NULL PRIMARY KEY,
    team_id       TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL,
    account_id    TEXT COLLATE "C" NOT NULL,
    expires       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sso_sessions_member ON sso_sessions (team_id, user_id);
CREATE INDEX sso_sessions_expires ON sso_sessions (expires);

-- Every sign-in attempt, success or failure, with a typed error: pruned
-- by age and count per team, like the provisioning log.
CREATE TABLE sso_traces (
    team_id       TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    at            TEXT COLLATE "C" NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    protocol      TEXT COLLATE "C" NOT NULL DEFAULT '',
    outcome       TEXT COLLATE "C" NOT NULL, -- success or failure
    error_code    TEXT COLLATE "C" NOT NULL DEFAULT '',
    message       TEXT COLLATE "C" NOT NULL DEFAULT '',
    email         TEXT COLLATE "C" NOT NULL DEFAULT '',
    subject       TEXT COLLATE "C" NOT NULL DEFAULT '',
    detail        TEXT COLLATE "C" NOT NULL DEFAULT '',
    ip            TEXT COLLATE "C" NOT NULL DEFAULT '',
    request_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (team_id, id)
);
CREATE INDEX sso_traces_at ON sso_traces (team_id, at, id);
