-- PostgreSQL mirror of migrations/sqlite/0008_membership_indexes.sql.
DROP INDEX group_members_user;
CREATE INDEX group_members_user ON group_members (team_id, user_id, group_id);

-- group_roles (0005) was made without the "C" collation of every other
-- text column: its group_id, compared with group_members.group_id, took
-- that column's collation, and its primary key (in the database's default
-- collation) could no longer find a group's roles, so a user's roles read
-- every role binding of the team. Its roles now also sort by byte, as on
-- SQLite.
ALTER TABLE group_roles
    ALTER COLUMN team_id TYPE TEXT COLLATE "C",
    ALTER COLUMN group_id TYPE TEXT COLLATE "C",
    ALTER COLUMN role TYPE TEXT COLLATE "C";
