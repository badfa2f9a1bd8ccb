package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// ---- accounts, sessions and personal API tokens (global, not per team) ----

const accountCols = `id, email, password_hash, must_change_password, created, updated`

func scanAccount(row interface{ Scan(...any) error }) (store.Account, error) {
	var a store.Account
	var created, updated string
	err := row.Scan(&a.ID, &a.Email, &a.PasswordHash, &a.MustChangePassword, &created, &updated)
	a.Created, a.Updated = parseTime(created), parseTime(updated)
	return a, notFound(err)
}

func (r reader) Account(ctx context.Context, id string) (store.Account, error) {
	return scanAccount(r.row(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`+r.lock, id))
}

func (r reader) AccountByEmail(ctx context.Context, email string) (store.Account, error) {
	return scanAccount(r.row(ctx, `SELECT `+accountCols+` FROM accounts WHERE email_key = ?`+r.lock, Fold(email)))
}

const sessionCols = `token_hash, account_id, csrf_token, created, expires, ip, user_agent`

func (r reader) SessionByHash(ctx context.Context, hash []byte) (store.Session, error) {
	var s store.Session
	var created, expires string
	err := r.row(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, hash).
		Scan(&s.TokenHash, &s.AccountID, &s.CSRFToken, &created, &expires, &s.IP, &s.UserAgent)
	s.Created, s.Expires = parseTime(created), parseTime(expires)
	return s, notFound(err)
}

const apiTokenCols = `id, account_id, name, prefix, hash, created, last_used_at, last_used_ip, revoked_at`

func scanAPIToken(row interface{ Scan(...any) error }) (store.APIToken, error) {
	var t store.APIToken
	var created string
	var used, revoked sql.NullString
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Prefix, &t.Hash, &created, &used, &t.LastUsedIP, &revoked)
	t.Created = parseTime(created)
	t.LastUsedAt, t.RevokedAt = parseTimePtr(used), parseTimePtr(revoked)
	return t, notFound(err)
}

func (r reader) APITokenByHash(ctx context.Context, hash []byte) (store.APIToken, error) {
	return scanAPIToken(r.row(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE hash = ?`, hash))
}

func (r reader) ListAPITokens(ctx context.Context, accountID string) ([]store.APIToken, error) {
	rows, err := r.query(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE account_id = ? ORDER BY created, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (r reader) users(ctx context.Context, q string, args ...any) ([]store.User, error) {
	rows, err := r.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// MembershipsOfAccount reads the account's links (users_account index).
func (r reader) MembershipsOfAccount(ctx context.Context, accountID string) ([]store.User, error) {
	return r.users(ctx, `SELECT `+userCols+` FROM users WHERE account_id = ? ORDER BY team_id`, accountID)
}

func (r reader) MemberOfAccount(ctx context.Context, teamID, accountID string) (store.User, error) {
	u, err := scanUser(r.row(ctx, `SELECT `+userCols+` FROM users WHERE account_id = ? AND team_id = ?`+r.lock, accountID, teamID))
	if err != nil {
		return u, err
	}
	u.Emails, err = r.emailsOf(ctx, teamID, u.ID)
	return u, err
}

// CountActiveWithRole counts the members holding role themselves, then
// (only if still short of limit) those holding it through a group. The
// role column is a comma-separated list, so the first part reads the
// team's members; it runs only on the rare writes that could leave a team
// without a Super Admin.
func (r reader) CountActiveWithRole(ctx context.Context, teamID, role string, limit int) (int, error) {
	var n int
	err := r.row(ctx, `SELECT count(*) FROM (SELECT u.id FROM users u WHERE u.team_id = ? AND u.active = ? AND `+r.d.Contains("',' || u.role || ','", "?")+`
		UNION SELECT m.user_id FROM group_roles gr JOIN group_members m ON m.team_id = gr.team_id AND m.group_id = gr.group_id
		JOIN users u ON u.team_id = m.team_id AND u.id = m.user_id WHERE gr.team_id = ? AND gr.role = ? AND u.active = ?
		LIMIT ?) x`, teamID, boolInt(true), ","+role+",", teamID, role, boolInt(true), limit).Scan(&n)
	return n, err
}

// MembersByEmail runs two index lookups in one team (userName, then
// emails) rather than one OR, which no planner answers from an index.
func (r reader) MembersByEmail(ctx context.Context, teamID, email string) ([]store.User, error) {
	key := Fold(email)
	byName, err := r.users(ctx, `SELECT `+userCols+` FROM users WHERE team_id = ? AND user_name_key = ?`, teamID, key)
	if err != nil {
		return nil, err
	}
	byEmail, err := r.users(ctx, `SELECT `+prefixCols("u", userCols)+` FROM user_emails e JOIN users u ON u.team_id = e.team_id AND u.id = e.user_id
		WHERE e.team_id = ? AND e.value_key = ? ORDER BY u.created, u.id`, teamID, key)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []store.User
	for _, u := range append(byName, byEmail...) {
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	return out, nil
}

func (r reader) ListMembers(ctx context.Context, teamID string, q store.MemberQuery) ([]store.User, int, error) {
	where := ` WHERE u.team_id = ?`
	args := []any{teamID}
	if q.Text != "" {
		where += ` AND (` + r.d.Contains("u.user_name_key", "?") + ` OR ` + r.d.Contains("u.display_name_key", "?") + `)`
		args = append(args, Fold(q.Text), Fold(q.Text))
	}
	if q.Active != nil {
		where += ` AND u.active = ?`
		args = append(args, boolInt(*q.Active))
	}
	if q.Source != "" {
		where += ` AND u.source = ?`
		args = append(args, q.Source)
	}
	if q.Role != "" {
		where += ` AND ` + r.d.Contains("',' || u.role || ','", "?")
		args = append(args, ","+q.Role+",")
	}
	order := ` ORDER BY u.created, u.id`
	if q.GroupID != "" {
		// From the group's rows, sorted: walking the team in order and
		// probing each member would cost the team's size.
		where += ` AND u.id IN (SELECT m.user_id FROM group_members m WHERE m.team_id = ? AND m.group_id = ?)`
		args = append(args, teamID, q.GroupID)
		order = ` ORDER BY ` + r.d.unindexed("u.created") + `, ` + r.d.unindexed("u.id")
	}
	total, err := r.count(ctx, `SELECT count(*) FROM users u`+where, args)
	if err != nil || q.Limit <= 0 {
		return nil, total, err
	}
	out, err := r.users(ctx, `SELECT `+prefixCols("u", userCols)+` FROM users u`+where+order+` LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		if out[i].Emails, err = r.emailsOf(ctx, teamID, out[i].ID); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

const inviteDetailCols = `team_id, id, email, role, status, created, closed_at, sent_at, expires_at, invited_by, member_id`

func scanInviteDetail(row interface{ Scan(...any) error }) (store.InviteDetail, error) {
	var d store.InviteDetail
	var created string
	var closed, sent, expires, member sql.NullString
	err := row.Scan(&d.TeamID, &d.ID, &d.Email, &d.Role, &d.Status, &created, &closed, &sent, &expires, &d.InvitedBy, &member)
	d.MemberID = member.String
	d.Created = parseTime(created)
	d.ClosedAt, d.SentAt, d.ExpiresAt = parseTimePtr(closed), parseTimePtr(sent), parseTimePtr(expires)
	return d, notFound(err)
}

func (r reader) InviteDetail(ctx context.Context, teamID, id string) (store.InviteDetail, error) {
	return scanInviteDetail(r.row(ctx, `SELECT `+inviteDetailCols+` FROM invites WHERE team_id = ? AND id = ?`, teamID, id))
}

func (r reader) InviteByTokenHash(ctx context.Context, hash []byte) (store.InviteDetail, error) {
	return scanInviteDetail(r.row(ctx, `SELECT `+inviteDetailCols+` FROM invites WHERE token_hash = ?`, hash))
}

func (r reader) ListPendingInvites(ctx context.Context, teamID string) ([]store.InviteDetail, error) {
	rows, err := r.query(ctx, `SELECT `+inviteDetailCols+` FROM invites WHERE team_id = ? AND (status = 'pending' OR (status = 'claimed' AND member_id IS NOT NULL)) ORDER BY created, id`, teamID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.InviteDetail
	for rows.Next() {
		d, err := scanInviteDetail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ---- writes ----

func (t *txStore) CreateAccount(ctx context.Context, a store.Account) error {
	_, err := t.exec(ctx, `INSERT INTO accounts (id, email, email_key, password_hash, must_change_password, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Email, Fold(a.Email), a.PasswordHash, boolInt(a.MustChangePassword), formatTime(a.Created), formatTime(a.Updated))
	return err
}

func (t *txStore) SetAccountPassword(ctx context.Context, id, hash string, mustChange bool, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE accounts SET password_hash = ?, must_change_password = ?, updated = ? WHERE id = ?`,
		hash, boolInt(mustChange), formatTime(at), id))
}

func (t *txStore) SetAccountEmail(ctx context.Context, id, email string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE accounts SET email = ?, email_key = ?, updated = ? WHERE id = ?`, email, Fold(email), formatTime(at), id))
}

func (t *txStore) CreateSession(ctx context.Context, s store.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.TokenHash, s.AccountID, s.CSRFToken, formatTime(s.Created), formatTime(s.Expires), s.IP, s.UserAgent)
	return err
}

func (t *txStore) DeleteSession(ctx context.Context, hash []byte) error {
	return mustAffect(t.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash))
}

func (t *txStore) DeleteAccountSessions(ctx context.Context, accountID string, keep []byte) error {
	if keep == nil {
		_, err := t.exec(ctx, `DELETE FROM sessions WHERE account_id = ?`, accountID)
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?`, accountID, keep)
	return err
}

func (t *txStore) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE expires <= ?`, formatTime(now))
	return err
}

func (t *txStore) CreateAPIToken(ctx context.Context, k store.APIToken) error {
	_, err := t.exec(ctx, `INSERT INTO api_tokens (`+apiTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.AccountID, k.Name, k.Prefix, k.Hash, formatTime(k.Created), formatTimePtr(k.LastUsedAt), k.LastUsedIP, formatTimePtr(k.RevokedAt))
	return err
}

func (t *txStore) RevokeAPIToken(ctx context.Context, accountID, id string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL`, formatTime(at), accountID, id))
}

func (t *txStore) TouchAPIToken(ctx context.Context, id string, at time.Time, ip string) error {
	return mustAffect(t.exec(ctx, `UPDATE api_tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?`, formatTime(at), ip, id))
}

func (t *txStore) SetInviteLink(ctx context.Context, teamID, id string, hash []byte, sent, expires time.Time, by string) error {
	return mustAffect(t.exec(ctx, `UPDATE invites SET token_hash = ?, sent_at = ?, expires_at = ?, invited_by = ? WHERE team_id = ? AND id = ? AND status IN ('pending', 'claimed')`,
		hash, formatTime(sent), formatTime(expires), by, teamID, id))
}
