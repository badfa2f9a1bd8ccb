-- Single sign-on (docs/sso.md): each team signs its people in through its
-- own identity providers, SAML 2.0 or OpenID Connect.

-- A team's connections. The id is in every URL the IdP knows (ACS,
-- metadata, OIDC redirect URI), so a response for one connection is never
-- taken by another; config is the protocol's settings as JSON (the pinned
-- IdP certificates, the issuer, the attribute mapping, …).
CREATE TABLE sso_connections (
    team_id             TEXT NOT NULL,
    id                  TEXT NOT NULL,
    type                TEXT NOT NULL, -- saml or oidc
    name                TEXT NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 1,
    is_default          INTEGER NOT NULL DEFAULT 0,
    allow_idp_initiated INTEGER NOT NULL DEFAULT 0,
    sp_base_url         TEXT NOT NULL,
    config              TEXT NOT NULL,
    created             TEXT NOT NULL,
    updated             TEXT NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE UNIQUE INDEX sso_connections_id ON sso_connections (id);

-- A team's sign-in rules; a team without a row has the defaults (no
-- SSO requirement, no just-in-time members, any email domain).
CREATE TABLE sso_policies (
    team_id     TEXT NOT NULL PRIMARY KEY,
    require_sso INTEGER NOT NULL DEFAULT 0,
    jit         INTEGER NOT NULL DEFAULT 0,
    updated     TEXT NOT NULL
);

-- The email domains a team allows (and the sign-in page routes by).
CREATE TABLE sso_domains (
    team_id TEXT NOT NULL,
    domain  TEXT NOT NULL, -- lower case
    PRIMARY KEY (team_id, domain)
);
CREATE INDEX sso_domains_domain ON sso_domains (domain, team_id);

-- The account a person is to Roster through one connection: the IdP's
-- subject (SAML NameID, OIDC sub) under that connection. Created on the
-- first sign-in; never found by email.
CREATE TABLE sso_identities (
    connection_id TEXT NOT NULL,
    subject       TEXT NOT NULL,
    team_id       TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    created       TEXT NOT NULL,
    last_login    TEXT NOT NULL,
    PRIMARY KEY (connection_id, subject)
);
CREATE INDEX sso_identities_account ON sso_identities (account_id);

-- Sign-ins Roster started (SP-initiated), until their answer comes back:
-- the SAML request id, the OIDC nonce and PKCE verifier. Found by the hash
-- of the RelayState or state token; taken once; shared by all replicas.
CREATE TABLE sso_login_states (
    state_hash    BLOB NOT NULL PRIMARY KEY,
    team_id       TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    request_id    TEXT NOT NULL DEFAULT '',
    nonce         TEXT NOT NULL DEFAULT '',
    verifier      TEXT NOT NULL DEFAULT '',
    link_account  TEXT NOT NULL DEFAULT '', -- an explicit link: the signed-in account
    created       TEXT NOT NULL,
    expires       TEXT NOT NULL
);
CREATE INDEX sso_login_states_expires ON sso_login_states (expires);

-- Assertion ids already accepted, per connection, until they expire: the
-- replay store every replica shares.
CREATE TABLE sso_assertions (
    connection_id TEXT NOT NULL,
    assertion_id  TEXT NOT NULL,
    expires       TEXT NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX sso_assertions_expires ON sso_assertions (expires);

-- Sessions that an SSO sign-in opened: which member of which team the IdP
-- vouched for, so that the session ends when that member is deactivated
-- and counts as SSO for a team that requires it.
CREATE TABLE sso_sessions (
    token_hash    BLOB NOT NULL PRIMARY KEY,
    team_id       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    expires       TEXT NOT NULL
);
CREATE INDEX sso_sessions_member ON sso_sessions (team_id, user_id);
CREATE INDEX sso_sessions_expires ON sso_sessions (expires);

-- Every sign-in attempt, success or failure, with a typed error: pruned
-- by age and count per team, like the provisioning log.
CREATE TABLE sso_traces (
    team_id       TEXT NOT NULL,
    id            TEXT NOT NULL,
    at            TEXT NOT NULL,
    connection_id TEXT NOT NULL DEFAULT '',
    protocol      TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL, -- success or failure
    error_code    TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (team_id, id)
);
CREATE INDEX sso_traces_at ON sso_traces (team_id, at, id);
