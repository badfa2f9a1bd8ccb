package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
)

// goSteps are data migrations written in Go, run right after the SQL of
// the same version and in its transaction, so a version is applied whole
// or not at all.
var goSteps = map[int]func(ctx context.Context, tx *sql.Tx, d Dialect) error{
	7: linkAccountsFromAudit,
}

// linkAccountsFromAudit moves memberships from the old model (an account
// belonged to every team with a member carrying its email) to explicit
// links, without widening anyone's access: an account is linked only to
// the members it reached through an event of the team, as the audit trail
// records it:
//
//   - team.create: the team's first admin (the member `team create` made,
//     source "manual") is linked to the account of the team's admin email;
//   - invite.accept: the member named in the event is linked to the
//     account that accepted (the event's email, at that time).
//
// An account's email may have changed since: account.email_change events
// give every address an account has had. An address that two accounts
// have had is ambiguous and links nothing. Every member that the old model
// reached by email and this one doesn't is left unlinked and named in the
// log line, for an operator to re-invite.
func linkAccountsFromAudit(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := func(query string, args ...any) (*sql.Rows, error) {
		return tx.QueryContext(ctx, d.rebind(query), args...)
	}

	// Every address each account has had → the accounts that had it.
	owners := map[string]map[string]bool{}
	addOwner := func(email, account string) {
		k := Fold(strings.TrimSpace(email))
		if k == "" {
			return
		}
		if owners[k] == nil {
			owners[k] = map[string]bool{}
		}
		owners[k][account] = true
	}
	rows, err := q(`SELECT id, email FROM accounts`)
	if err != nil {
		return err
	}
	accountEmail := map[string]string{}
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			rows.Close()
			return err
		}
		accountEmail[id] = email
		addOwner(email, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	type event struct{ teamID, targetID, detail string }
	events := func(action string) ([]event, error) {
		rows, err := q(`SELECT team_id, target_id, detail FROM audit_events WHERE action = ? ORDER BY at, id`, action)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []event
		for rows.Next() {
			var e event
			if err := rows.Scan(&e.teamID, &e.targetID, &e.detail); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, rows.Err()
	}
	changes, err := events("account.email_change")
	if err != nil {
		return err
	}
	for _, e := range changes {
		var det struct{ Before, After string }
		if json.Unmarshal([]byte(e.detail), &det) == nil {
			addOwner(det.Before, e.targetID)
			addOwner(det.After, e.targetID)
		}
	}
	ownerOf := func(email string) (string, bool) {
		set := owners[Fold(strings.TrimSpace(email))]
		if len(set) != 1 {
			return "", false
		}
		for id := range set {
			return id, true
		}
		return "", false
	}

	type link struct{ teamID, userID, accountID string }
	var links []link
	// Team creation: the first admin.
	rows, err = q(`SELECT u.team_id, u.id, t.admin_email FROM users u JOIN teams t ON t.id = u.team_id
		WHERE u.source = 'manual' ORDER BY u.team_id, u.created, u.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var l link
		var email string
		if err := rows.Scan(&l.teamID, &l.userID, &email); err != nil {
			rows.Close()
			return err
		}
		if acc, ok := ownerOf(email); ok {
			l.accountID = acc
			links = append(links, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Invite acceptances.
	accepts, err := events("invite.accept")
	if err != nil {
		return err
	}
	for _, e := range accepts {
		var det struct{ Email, Member string }
		if json.Unmarshal([]byte(e.detail), &det) != nil || det.Member == "" {
			continue
		}
		if acc, ok := ownerOf(det.Email); ok {
			links = append(links, link{teamID: e.teamID, userID: det.Member, accountID: acc})
		}
	}

	linkedMember := map[[2]string]bool{}  // team, user
	linkedAccount := map[[2]string]bool{} // team, account
	n := 0
	for _, l := range links {
		if linkedMember[[2]string{l.teamID, l.userID}] || linkedAccount[[2]string{l.teamID, l.accountID}] {
			continue // one member per account per team, one account per member
		}
		res, err := tx.ExecContext(ctx, d.rebind(`UPDATE users SET account_id = ? WHERE team_id = ? AND id = ? AND account_id IS NULL`),
			l.accountID, l.teamID, l.userID)
		if err != nil {
			return fmt.Errorf("link member %s of team %s: %w", l.userID, l.teamID, err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			n++
			linkedMember[[2]string{l.teamID, l.userID}] = true
			linkedAccount[[2]string{l.teamID, l.accountID}] = true
		}
	}

	// What the old model granted by email and this one doesn't.
	var unlinked []string
	for _, email := range accountEmail {
		key := Fold(email)
		rows, err := q(`SELECT t.slug, u.id, u.user_name FROM users u JOIN teams t ON t.id = u.team_id
			WHERE u.account_id IS NULL AND (u.user_name_key = ? OR EXISTS (SELECT 1 FROM user_emails e WHERE e.team_id = u.team_id AND e.user_id = u.id AND e.value_key = ?))`, key, key)
		if err != nil {
			return err
		}
		for rows.Next() {
			var slug, uid, name string
			if err := rows.Scan(&slug, &uid, &name); err != nil {
				rows.Close()
				return err
			}
			unlinked = append(unlinked, fmt.Sprintf("%s/%s (%s; account %s)", slug, uid, name, email))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	sort.Strings(unlinked)
	if n > 0 || len(unlinked) > 0 {
		slog.Default().Warn("identity migration: memberships now come from explicit links only",
			"linked", n, "left_unlinked", len(unlinked), "unlinked_members", strings.Join(unlinked, ", "),
			"hint", "an unlinked member gets in by accepting a new invite of its team")
	}
	return nil
}
