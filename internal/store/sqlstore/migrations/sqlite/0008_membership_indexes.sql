-- A user's memberships are read through group_members_user; it now holds
-- group_id too, so reading them never touches the table, and the planner
-- has no reason to walk the primary key's team_id prefix (every
-- membership of the team) instead.
DROP INDEX group_members_user;
CREATE INDEX group_members_user ON group_members (team_id, user_id, group_id);
