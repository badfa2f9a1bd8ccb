-- PostgreSQL mirror of migrations/sqlite/0010_password_change_and_activity.sql.
-- An account whose password someone else chose (the one-time password
-- `roster team create` prints, an operator's `roster account set-password`)
-- must choose its own before it does anything else; changing the password
-- clears the flag.
ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- SCIM requests and errors per team and hour (UTC, 'YYYY-MM-DDTHH'), kept
-- up to date in the provisioning log writer's own transaction, so the
-- console's overview reads at most one row per hour of its chart instead
-- of counting the log. Pruned with the log, by age.
CREATE TABLE provisioning_hourly (
    team_id  TEXT COLLATE "C" NOT NULL,
    hour     TEXT COLLATE "C" NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    errors   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, hour)
);
INSERT INTO provisioning_hourly (team_id, hour, requests, errors)
    SELECT team_id, substr(at, 1, 13), count(*), sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END)
    FROM provisioning_log GROUP BY team_id, substr(at, 1, 13);
