package sso

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// CheckSession says whether a session an SSO sign-in opened still holds:
// its member must still exist, be active, be linked to the session's
// account, and not have been deactivated since the session opened (a
// deactivation followed by a reactivation ends it too: the audit trail
// records every deactivation in its own transaction). A session that no
// longer holds is ended, with every other session that IdP opened for the
// member. Sessions a password opened hold as they are.
func (s *Service) CheckSession(ctx context.Context, sess store.Session) error {
	mark, err := s.st.SSOSession(ctx, sess.TokenHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	u, err := s.st.User(ctx, mark.TeamID, mark.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	holds := err == nil && u.Active && u.AccountID == mark.AccountID && mark.AccountID == sess.AccountID
	if holds {
		evs, err := s.st.QueryAudit(ctx, mark.TeamID, store.AuditQuery{Since: sess.Created, ActionPrefix: "user.deactivate", TargetType: "user", TargetID: mark.UserID, Limit: 1})
		if err != nil {
			return err
		}
		holds = len(evs) == 0
	}
	if holds {
		return nil
	}
	team, terr := s.st.Team(ctx, mark.TeamID)
	err = s.st.Tx(ctx, func(tx Tx) error {
		n, err := tx.EndSSOSessions(ctx, mark.TeamID, mark.UserID)
		if err != nil || n == 0 {
			return err
		}
		return s.env.Audit(ctx, tx, mark.TeamID, domain.Actor{Kind: "system"}, "sso.session.end", "user", mark.UserID,
			map[string]any{"sessions": n, "reason": "the member was deactivated, removed or relinked"})
	})
	if err != nil {
		return err
	}
	slug := mark.TeamID
	if terr == nil {
		slug = team.Slug
	}
	return domain.Unauthorized("your sign-in through team %s's identity provider has ended: your membership there was deactivated or removed; sign in again", slug)
}

// CheckTeamAccess applies a team's "require SSO" policy to a caller that
// reached the team (the member linked to its account, active): unless
// the caller is one of its Super Admins (their passwords are the team's
// break-glass), the caller must have come with a session that the team's
// own IdP opened for this member. Passwords, sessions another team's IdP
// opened and personal API tokens are refused.
func (s *Service) CheckTeamAccess(ctx context.Context, c domain.Caller) error {
	pol, err := s.st.SSOPolicy(ctx, c.Team.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pol.RequireSSO) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.HasRole(domain.RoleSuperAdmin) {
		return nil
	}
	if c.SessionHash != nil {
		mark, err := s.st.SSOSession(ctx, c.SessionHash)
		if err == nil && mark.TeamID == c.Team.ID && mark.UserID == c.Member.ID {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return domain.Forbidden("team %s requires single sign-on: sign in through its identity provider (%s?team=%s); passwords and personal API tokens reach it only for its Super Admins", c.Team.Slug, PathSignIn, c.Team.Slug)
}

// SignInChoice is where the sign-in page sends a person: the team and its
// connection to use.
type SignInChoice struct {
	Team       store.Team
	Connection Connection
}

// ChooseSignIn finds the connection a person signs in with: the team
// named by slug when given (the sign-in page remembers it), else the one
// team that allows the email's domain; then that team's default enabled
// connection (or its first enabled one). Nothing here says whether the
// person is a member: the IdP's answer decides that.
func (s *Service) ChooseSignIn(ctx context.Context, email, slug string) (SignInChoice, error) {
	var team store.Team
	var err error
	slug = strings.TrimSpace(slug)
	if slug != "" {
		if team, err = s.st.TeamBySlug(ctx, strings.ToLower(slug)); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return SignInChoice{}, domain.NotFound("no team %q signs in with SSO here; check the team's name with your admin", slug)
			}
			return SignInChoice{}, err
		}
	} else {
		email = strings.TrimSpace(email)
		addr, perr := mail.ParseAddress(email)
		if perr != nil || addr.Address != email || len(email) > 320 {
			return SignInChoice{}, domain.BadRequest("email", "%q is not an email address", truncate(email, 100))
		}
		d := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
		ids, err := s.st.SSOTeamsByDomain(ctx, d)
		if err != nil {
			return SignInChoice{}, err
		}
		if len(ids) != 1 {
			// None, or several teams allow the domain: the person names
			// the team (saying which teams would tell a stranger too much).
			return SignInChoice{}, domain.BadRequest("team", "Roster can't tell your team from %s: enter your team's name too", d)
		}
		if team, err = s.st.Team(ctx, ids[0]); err != nil {
			return SignInChoice{}, err
		}
	}
	conns, err := s.st.ListSSOConnections(ctx, team.ID)
	if err != nil {
		return SignInChoice{}, err
	}
	var pick *store.SSOConnection
	for i := range conns {
		if conns[i].Enabled && (pick == nil || conns[i].IsDefault) {
			pick = &conns[i]
		}
	}
	if pick == nil {
		return SignInChoice{}, domain.NotFound("no team %q signs in with SSO here; check the team's name with your admin", team.Slug)
	}
	c, err := connectionOf(*pick)
	return SignInChoice{Team: team, Connection: c}, err
}

// LinkableConnections are the enabled connections of the team with slug
// that the account may link itself to: the account must be linked to an
// active member of that team (any other account gets the 404 of a team
// that doesn't exist). It doesn't apply the team's require-SSO policy:
// linking is how a member who signs in with a password moves to SSO.
func (s *Service) LinkableConnections(ctx context.Context, acc store.Account, slug string) (store.Team, []Connection, error) {
	notFound := domain.NotFound("you are not a member of a team %q", slug)
	team, err := s.st.TeamBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return team, nil, notFound
	}
	if err != nil {
		return team, nil, err
	}
	u, err := s.st.MemberOfAccount(ctx, team.ID, acc.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Active) {
		return team, nil, notFound
	}
	if err != nil {
		return team, nil, err
	}
	recs, err := s.st.ListSSOConnections(ctx, team.ID)
	if err != nil {
		return team, nil, err
	}
	var out []Connection
	for _, r := range recs {
		if !r.Enabled {
			continue
		}
		c, err := connectionOf(r)
		if err != nil {
			return team, nil, err
		}
		out = append(out, c)
	}
	return team, out, nil
}
