-- Seat limit (0: none) and Postman's optional group-deletion behaviour.
ALTER TABLE teams ADD COLUMN seat_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN group_delete_deactivates INTEGER NOT NULL DEFAULT 0;

-- Team roles a group grants to its members while they are in it.
CREATE TABLE group_roles (
    team_id  TEXT NOT NULL,
    group_id TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (team_id, group_id, role)
);
