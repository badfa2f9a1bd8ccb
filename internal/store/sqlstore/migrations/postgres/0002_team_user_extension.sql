-- A team's custom User attributes, as JSON: read with the team on every
-- authenticated request, so extending the schema costs no extra query.
ALTER TABLE teams ADD COLUMN user_extension TEXT NOT NULL DEFAULT '';
