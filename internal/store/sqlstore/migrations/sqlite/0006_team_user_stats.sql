-- Each team's number of users, and a counter of the inserts and deletes
-- that changed it, kept by triggers in the same transaction as the change
-- (whatever process or code path makes it). An unfiltered list reads its
-- totalResults here instead of counting the team (SQLite walks every index
-- entry to count), and the change counter tells a paging cursor cached in
-- memory whether the rows before it are still the same (sqlstore/userstats.go).
-- Derived data: not exported, rebuilt by the triggers on import.
CREATE TABLE team_user_stats (
    team_id TEXT PRIMARY KEY,
    users   INTEGER NOT NULL,
    changes INTEGER NOT NULL
);
INSERT INTO team_user_stats (team_id, users, changes)
    SELECT team_id, count(*), 0 FROM users GROUP BY team_id;

CREATE TRIGGER team_user_stats_insert AFTER INSERT ON users BEGIN
    INSERT INTO team_user_stats (team_id, users, changes) VALUES (NEW.team_id, 1, 1)
        ON CONFLICT (team_id) DO UPDATE SET users = users + 1, changes = changes + 1;
END;
CREATE TRIGGER team_user_stats_delete AFTER DELETE ON users BEGIN
    UPDATE team_user_stats SET users = users - 1, changes = changes + 1 WHERE team_id = OLD.team_id;
END;
-- Users never move between teams; should one, both counts stay exact.
CREATE TRIGGER team_user_stats_move AFTER UPDATE OF team_id ON users WHEN OLD.team_id <> NEW.team_id BEGIN
    UPDATE team_user_stats SET users = users - 1, changes = changes + 1 WHERE team_id = OLD.team_id;
    INSERT INTO team_user_stats (team_id, users, changes) VALUES (NEW.team_id, 1, 1)
        ON CONFLICT (team_id) DO UPDATE SET users = users + 1, changes = changes + 1;
END;
