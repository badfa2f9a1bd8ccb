package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// ---- single sign-on: connections, policies, identities, sign-in state,
// the assertion replay store, SSO sessions and sign-in traces ----

const ssoConnCols = `team_id, id, type, name, enabled, is_default, allow_idp_initiated, sp_base_url, config, created, updated`

func scanSSOConnection(row interface{ Scan(...any) error }) (store.SSOConnection, error) {
	var c store.SSOConnection
	var config, created, updated string
	err := row.Scan(&c.TeamID, &c.ID, &c.Type, &c.Name, &c.Enabled, &c.IsDefault, &c.AllowIDPInitiated, &c.SPBaseURL, &config, &created, &updated)
	c.Config = []byte(config)
	c.Created, c.Updated = parseTime(created), parseTime(updated)
	return c, notFound(err)
}

func (r reader) SSOConnection(ctx context.Context, id string) (store.SSOConnection, error) {
	return scanSSOConnection(r.row(ctx, `SELECT `+ssoConnCols+` FROM sso_connections WHERE id = ?`+r.lock, id))
}

func (r reader) ListSSOConnections(ctx context.Context, teamID string) ([]store.SSOConnection, error) {
	rows, err := r.query(ctx, `SELECT `+ssoConnCols+` FROM sso_connections WHERE team_id = ? ORDER BY created, id`, teamID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SSOConnection
	for rows.Next() {
		c, err := scanSSOConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (r reader) SSOPolicy(ctx context.Context, teamID string) (store.SSOPolicy, error) {
	p := store.SSOPolicy{TeamID: teamID}
	var updated string
	err := r.row(ctx, `SELECT require_sso, jit, updated FROM sso_policies WHERE team_id = ?`+r.lock, teamID).Scan(&p.RequireSSO, &p.JIT, &updated)
	if err != nil {
		return p, notFound(err)
	}
	p.Updated = parseTime(updated)
	p.Domains, err = r.strings(ctx, `SELECT domain FROM sso_domains WHERE team_id = ? ORDER BY domain`, teamID)
	return p, err
}

func (r reader) SSOTeamsByDomain(ctx context.Context, domain string) ([]string, error) {
	return r.strings(ctx, `SELECT team_id FROM sso_domains WHERE domain = ? ORDER BY team_id`, strings.ToLower(domain))
}

func (r reader) SSOIdentity(ctx context.Context, connectionID, subject string) (store.SSOIdentity, error) {
	i := store.SSOIdentity{ConnectionID: connectionID, Subject: subject}
	var created, last string
	err := r.row(ctx, `SELECT team_id, account_id, created, last_login FROM sso_identities WHERE connection_id = ? AND subject = ?`+r.lock,
		connectionID, subject).Scan(&i.TeamID, &i.AccountID, &created, &last)
	i.Created, i.LastLogin = parseTime(created), parseTime(last)
	return i, notFound(err)
}

func (r reader) SSOSession(ctx context.Context, tokenHash []byte) (store.SSOSession, error) {
	s := store.SSOSession{TokenHash: tokenHash}
	var expires string
	err := r.row(ctx, `SELECT team_id, user_id, connection_id, account_id, expires FROM sso_sessions WHERE token_hash = ?`, tokenHash).
		Scan(&s.TeamID, &s.UserID, &s.ConnectionID, &s.AccountID, &expires)
	s.Expires = parseTime(expires)
	return s, notFound(err)
}

const ssoTraceCols = `team_id, id, at, connection_id, protocol, outcome, error_code, message, email, subject, detail, ip, request_id`

func scanSSOTrace(row interface{ Scan(...any) error }) (store.SSOTrace, error) {
	var t store.SSOTrace
	var at string
	err := row.Scan(&t.TeamID, &t.ID, &at, &t.ConnectionID, &t.Protocol, &t.Outcome, &t.Error, &t.Message, &t.Email, &t.Subject, &t.Detail, &t.IP, &t.RequestID)
	t.At = parseTime(at)
	return t, notFound(err)
}

func (r reader) ListSSOTraces(ctx context.Context, teamID string, limit int) ([]store.SSOTrace, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := r.query(ctx, `SELECT `+ssoTraceCols+` FROM sso_traces WHERE team_id = ? ORDER BY at DESC, id DESC LIMIT ?`, teamID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SSOTrace
	for rows.Next() {
		t, err := scanSSOTrace(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (r reader) SSOTrace(ctx context.Context, teamID, id string) (store.SSOTrace, error) {
	return scanSSOTrace(r.row(ctx, `SELECT `+ssoTraceCols+` FROM sso_traces WHERE team_id = ? AND id = ?`, teamID, id))
}

// ---- writes ----

func (t *txStore) CreateSSOConnection(ctx context.Context, c store.SSOConnection) error {
	_, err := t.exec(ctx, `INSERT INTO sso_connections (`+ssoConnCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.TeamID, c.ID, c.Type, c.Name, boolInt(c.Enabled), boolInt(c.IsDefault), boolInt(c.AllowIDPInitiated), c.SPBaseURL,
		string(c.Config), formatTime(c.Created), formatTime(c.Updated))
	return err
}

func (t *txStore) UpdateSSOConnection(ctx context.Context, c store.SSOConnection) error {
	return mustAffect(t.exec(ctx, `UPDATE sso_connections SET name = ?, enabled = ?, is_default = ?, allow_idp_initiated = ?, sp_base_url = ?, config = ?, updated = ?
		WHERE team_id = ? AND id = ?`,
		c.Name, boolInt(c.Enabled), boolInt(c.IsDefault), boolInt(c.AllowIDPInitiated), c.SPBaseURL, string(c.Config), formatTime(c.Updated), c.TeamID, c.ID))
}

func (t *txStore) DeleteSSOConnection(ctx context.Context, teamID, id string) error {
	if err := mustAffect(t.exec(ctx, `DELETE FROM sso_connections WHERE team_id = ? AND id = ?`, teamID, id)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM sso_identities WHERE connection_id = ?`, id); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM sso_login_states WHERE connection_id = ?`, id)
	return err
}

func (t *txStore) SetSSOPolicy(ctx context.Context, p store.SSOPolicy) error {
	_, err := t.exec(ctx, `INSERT INTO sso_policies (team_id, require_sso, jit, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT (team_id) DO UPDATE SET require_sso = excluded.require_sso, jit = excluded.jit, updated = excluded.updated`,
		p.TeamID, boolInt(p.RequireSSO), boolInt(p.JIT), formatTime(p.Updated))
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM sso_domains WHERE team_id = ?`, p.TeamID); err != nil {
		return err
	}
	for _, d := range p.Domains {
		if _, err := t.exec(ctx, `INSERT INTO sso_domains (team_id, domain) VALUES (?, ?) ON CONFLICT DO NOTHING`, p.TeamID, strings.ToLower(d)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txStore) CreateSSOIdentity(ctx context.Context, i store.SSOIdentity) error {
	_, err := t.exec(ctx, `INSERT INTO sso_identities (connection_id, subject, team_id, account_id, created, last_login) VALUES (?, ?, ?, ?, ?, ?)`,
		i.ConnectionID, i.Subject, i.TeamID, i.AccountID, formatTime(i.Created), formatTime(i.LastLogin))
	return err
}

func (t *txStore) TouchSSOIdentity(ctx context.Context, connectionID, subject string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE sso_identities SET last_login = ? WHERE connection_id = ? AND subject = ?`, formatTime(at), connectionID, subject))
}

const ssoStateCols = `state_hash, team_id, connection_id, request_id, nonce, verifier, link_account, created, expires`

func (t *txStore) CreateSSOLoginState(ctx context.Context, s store.SSOLoginState) error {
	_, err := t.exec(ctx, `INSERT INTO sso_login_states (`+ssoStateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Hash, s.TeamID, s.ConnectionID, s.RequestID, s.Nonce, s.Verifier, s.LinkAccount, formatTime(s.Created), formatTime(s.Expires))
	return err
}

func (t *txStore) TakeSSOLoginState(ctx context.Context, hash []byte) (store.SSOLoginState, error) {
	var s store.SSOLoginState
	var created, expires string
	err := t.row(ctx, `SELECT `+ssoStateCols+` FROM sso_login_states WHERE state_hash = ?`+t.lock, hash).
		Scan(&s.Hash, &s.TeamID, &s.ConnectionID, &s.RequestID, &s.Nonce, &s.Verifier, &s.LinkAccount, &created, &expires)
	if err != nil {
		return s, notFound(err)
	}
	s.Created, s.Expires = parseTime(created), parseTime(expires)
	// Taken by whoever deletes it: of two concurrent takers, one finds it
	// gone.
	return s, mustAffect(t.exec(ctx, `DELETE FROM sso_login_states WHERE state_hash = ?`, hash))
}

func (t *txStore) DeleteExpiredSSOLoginStates(ctx context.Context, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sso_login_states WHERE expires <= ?`, formatTime(now))
	return err
}

func (t *txStore) UseSSOAssertion(ctx context.Context, connectionID, assertionID string, expires, now time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM sso_assertions WHERE expires <= ?`, formatTime(now)); err != nil {
		return err
	}
	res, err := t.exec(ctx, `INSERT INTO sso_assertions (connection_id, assertion_id, expires) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		connectionID, assertionID, formatTime(expires))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// ssoLoginKey is the login name (email_key) of an account CreateSSOAccount
// makes: no typed email folds to it, and it is unique.
func ssoLoginKey(id string) string { return "sso:" + id }

func (t *txStore) CreateSSOAccount(ctx context.Context, a store.Account) error {
	_, err := t.exec(ctx, `INSERT INTO accounts (id, email, email_key, password_hash, created, updated) VALUES (?, ?, ?, '', ?, ?)`,
		a.ID, a.Email, ssoLoginKey(a.ID), formatTime(a.Created), formatTime(a.Updated))
	return err
}

func (t *txStore) SetSSOAccountEmail(ctx context.Context, id, email string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE accounts SET email = ?, updated = ? WHERE id = ? AND email_key = ?`, email, formatTime(at), id, ssoLoginKey(id)))
}

func (t *txStore) CreateSSOSession(ctx context.Context, s store.SSOSession) error {
	_, err := t.exec(ctx, `INSERT INTO sso_sessions (token_hash, team_id, user_id, connection_id, account_id, expires) VALUES (?, ?, ?, ?, ?, ?)`,
		s.TokenHash, s.TeamID, s.UserID, s.ConnectionID, s.AccountID, formatTime(s.Expires))
	return err
}

func (t *txStore) EndSSOSessions(ctx context.Context, teamID, userID string) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sso_sessions WHERE team_id = ? AND user_id = ?)`, teamID, userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	_, err = t.exec(ctx, `DELETE FROM sso_sessions WHERE team_id = ? AND user_id = ?`, teamID, userID)
	return int(n), err
}

func (t *txStore) DeleteExpiredSSOSessions(ctx context.Context, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sso_sessions WHERE expires <= ?`, formatTime(now))
	return err
}

func (t *txStore) AppendSSOTrace(ctx context.Context, tr store.SSOTrace) error {
	_, err := t.exec(ctx, `INSERT INTO sso_traces (`+ssoTraceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tr.TeamID, tr.ID, formatTime(tr.At), tr.ConnectionID, tr.Protocol, tr.Outcome, tr.Error, tr.Message, tr.Email, tr.Subject,
		tr.Detail, tr.IP, tr.RequestID)
	return err
}

func (t *txStore) PruneSSOTraces(ctx context.Context, teamID string, before time.Time, keep int) (int, error) {
	cond := `at < ?`
	args := []any{formatTime(before)}
	if keep > 0 {
		var at, id string
		err := t.row(ctx, `SELECT at, id FROM sso_traces WHERE team_id = ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?`, teamID, keep).Scan(&at, &id)
		switch {
		case err == nil:
			// That one and every older one go.
			cond = `(at < ? OR at < ? OR (at = ? AND id <= ?))`
			args = append(args, at, at, id)
		case err != sql.ErrNoRows:
			return 0, err
		}
	}
	res, err := t.exec(ctx, `DELETE FROM sso_traces WHERE team_id = ? AND `+cond, append([]any{teamID}, args...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
