-- Identity is explicit: a member (users row) is linked to the account that
-- is that person in this team, or to none. Membership, roles and team lists
-- come from this link only, never from an email match. The link is made by
-- an event of the team (creating it, accepting one of its invites, later a
-- sign-in through its own IdP); the Go step of this migration
-- (sqlstore/identity_migration.go) links today's data from the audit trail.
ALTER TABLE users ADD COLUMN account_id TEXT;
CREATE UNIQUE INDEX users_account ON users (account_id, team_id) WHERE account_id IS NOT NULL;

-- The member an invite lets its holder in as: the member SCIM created when
-- it claimed the invite, or the unlinked member the invite was made for.
ALTER TABLE invites ADD COLUMN member_id TEXT;

-- A SCIM key made by a Super Admin (or the operator's CLI) may change who
-- is a Super Admin; a key made by a plain Admin may not.
ALTER TABLE scim_keys ADD COLUMN privileged INTEGER NOT NULL DEFAULT 0;
UPDATE scim_keys SET privileged = 1 WHERE created_by = 'cli' OR created_by LIKE 'cli:%';

-- Sign-in no longer looks members up by email across teams.
DROP INDEX users_user_name_any_team;
DROP INDEX user_emails_value_any_team;
