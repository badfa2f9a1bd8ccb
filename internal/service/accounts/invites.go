package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// NewInvite is an invite with its link token, shown once.
type NewInvite struct {
	Invite store.InviteDetail
	Token  string
}

func (s *Service) checkInviteRole(c domain.Caller, role string) error {
	if !domain.ValidRole(role) {
		return domain.BadRequest("role", "unknown role %q: use one of Super Admin, Admin, Billing, Developer", role)
	}
	if role == domain.RoleSuperAdmin && !c.HasRole(domain.RoleSuperAdmin) {
		return domain.Forbidden("only a Super Admin can invite someone as Super Admin; ask a Super Admin of team %s", c.Team.Slug)
	}
	return nil
}

// InviteMember invites an email to the caller's team with a role and
// returns the invite with its link token (shown once).
func (s *Service) InviteMember(ctx context.Context, c domain.Caller, email, role string) (NewInvite, error) {
	addr, err := parseEmail("email", email)
	if err != nil {
		return NewInvite{}, err
	}
	if role == "" {
		role = domain.RoleDeveloper
	}
	if err := s.checkInviteRole(c, role); err != nil {
		return NewInvite{}, err
	}
	var out NewInvite
	err = s.st.Tx(ctx, func(tx Tx) error {
		memberID, err := s.inviteTarget(ctx, tx, c, addr)
		if err != nil {
			return err
		}
		if inv, err := tx.PendingInvite(ctx, c.Team.ID, addr); err == nil {
			return domain.Conflict("email", "%s already has a pending invite (%s); resend or revoke it", addr, inv.ID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.env.Now()
		inv := store.Invite{TeamID: c.Team.ID, ID: domain.NewID(), Email: addr, Role: role, Status: "pending", Created: now}
		if err := tx.CreateInvite(ctx, inv); err != nil {
			return err
		}
		if memberID != "" {
			if err := tx.SetInviteMember(ctx, c.Team.ID, inv.ID, memberID); err != nil {
				return err
			}
		}
		token, d, err := s.sendInvite(ctx, tx, c, inv.ID)
		if err != nil {
			return err
		}
		out = NewInvite{Invite: d, Token: token}
		detail := map[string]any{"email": addr, "role": role}
		if memberID != "" {
			detail["member"] = memberID
		}
		return s.env.Audit(ctx, tx, c.Team.ID, c.Actor, "invite.create", "invite", inv.ID, detail)
	})
	return out, domain.FromSCIM(err)
}

// inviteTarget decides, inside the caller's team only, what an invite for
// addr is for: "" (accepting creates the member), or the id of the team's
// unlinked member that carries addr (accepting links to it, e.g. a member
// SCIM provisioned before anyone could sign in). A member already linked
// to an account is refused: that person is in already.
func (s *Service) inviteTarget(ctx context.Context, tx Tx, c domain.Caller, addr string) (string, error) {
	if acc, err := tx.AccountByEmail(ctx, addr); err == nil {
		if _, err := tx.MemberOfAccount(ctx, c.Team.ID, acc.ID); err == nil {
			return "", domain.Conflict("email", "%s is already a member of team %s", addr, c.Team.Slug)
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	users, err := tx.MembersByEmail(ctx, c.Team.ID, addr)
	if err != nil {
		return "", err
	}
	var target string
	for _, u := range users {
		if u.AccountID != "" {
			return "", domain.Conflict("email", "%s (%s) is already a member of team %s, signed in through another account", addr, u.ID, c.Team.Slug)
		}
		if target == "" || strings.EqualFold(u.UserName, addr) {
			target = u.ID
		}
	}
	return target, nil
}

// sendInvite gives a pending invite a fresh link token and expiry.
func (s *Service) sendInvite(ctx context.Context, tx Tx, c domain.Caller, id string) (string, store.InviteDetail, error) {
	token := domain.RandomSecret(InviteTokenPrefix)
	now := s.env.Now()
	if err := tx.SetInviteLink(ctx, c.Team.ID, id, domain.HashToken(token), now, now.Add(InviteTTL), c.Actor.String()); err != nil {
		return "", store.InviteDetail{}, err
	}
	d, err := tx.InviteDetail(ctx, c.Team.ID, id)
	return token, d, err
}

// Invites lists the caller's team's pending invites.
func (s *Service) Invites(ctx context.Context, c domain.Caller) ([]store.InviteDetail, error) {
	return s.st.ListPendingInvites(ctx, c.Team.ID)
}

func (s *Service) pendingInvite(ctx context.Context, tx Tx, c domain.Caller, id string) (store.InviteDetail, error) {
	d, err := tx.InviteDetail(ctx, c.Team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return d, domain.NotFound("team %s has no invite %q", c.Team.Slug, id)
	}
	if err != nil {
		return d, err
	}
	if !(d.Status == "pending" || (d.Status == "claimed" && d.MemberID != "")) {
		return d, domain.Conflict("", "invite %s is %s, not pending", id, d.Status)
	}
	if d.Role == domain.RoleSuperAdmin && !c.HasRole(domain.RoleSuperAdmin) {
		return d, domain.Forbidden("invite %s is for a Super Admin: only a Super Admin can resend or revoke it", id)
	}
	return d, nil
}

// ResendInvite replaces a pending invite's link (the old one stops
// working) and restarts its expiry. The new token is returned once.
func (s *Service) ResendInvite(ctx context.Context, c domain.Caller, id string) (NewInvite, error) {
	var out NewInvite
	err := s.st.Tx(ctx, func(tx Tx) error {
		d, err := s.pendingInvite(ctx, tx, c, id)
		if err != nil {
			return err
		}
		token, d, err := s.sendInvite(ctx, tx, c, d.ID)
		if err != nil {
			return err
		}
		out = NewInvite{Invite: d, Token: token}
		return s.env.Audit(ctx, tx, c.Team.ID, c.Actor, "invite.resend", "invite", id, map[string]any{"email": d.Email})
	})
	return out, domain.FromSCIM(err)
}

// RevokeInvite closes a pending invite; its link stops working.
func (s *Service) RevokeInvite(ctx context.Context, c domain.Caller, id string) error {
	return domain.FromSCIM(s.st.Tx(ctx, func(tx Tx) error {
		d, err := s.pendingInvite(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if err := tx.CloseInvite(ctx, c.Team.ID, id, "revoked", s.env.Now()); err != nil {
			return err
		}
		return s.env.Audit(ctx, tx, c.Team.ID, c.Actor, "invite.revoke", "invite", id, map[string]any{"email": d.Email})
	}))
}

// AcceptResult is an accepted invite: the account (created if needed),
// the team and member, and a new session.
type AcceptResult struct {
	Account store.Account
	Team    store.Team
	Member  store.User
	Session Session
	Created bool // the account was created
}

// AcceptInvite accepts an invite link: the one event, besides creating the
// team, that links an account to a member of the team, and only of that
// team. Without an account for the invite's email, one is created with the
// password; with one, the password must be its password. The account is
// linked to the member the invite is for (the one SCIM claimed it with, or
// the unlinked member it was made for), or to a new member with the
// invite's role (source invite, within the seat limit), and is signed in.
// ErrBadCredentials is a wrong password.
func (s *Service) AcceptInvite(ctx context.Context, token, password, ip, userAgent string, ttl time.Duration, requestID string) (AcceptResult, error) {
	var out AcceptResult
	if token == "" {
		return out, domain.BadRequest("token", "the invite token is required")
	}
	if password == "" {
		return out, domain.BadRequest("password", "a password is required")
	}
	// argon2id is slow by design, so the password work happens before the
	// write transaction: an existing account's password is checked (and
	// the transaction then requires that hash to be unchanged), a new
	// account's password is hashed.
	d, err := s.st.InviteByTokenHash(ctx, domain.HashToken(token))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return out, err
	}
	newHash, verified := "", ""
	if err == nil {
		acc, err := s.st.AccountByEmail(ctx, d.Email)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := checkNewPassword("password", password); err != nil {
				return out, err
			}
			if newHash, err = s.hashPassword(password); err != nil {
				return out, err
			}
		case err != nil:
			return out, err
		case !VerifyPassword(acc.PasswordHash, password):
			// An account without a password (a new team's admin before
			// `team create` set one) can't be claimed by an invite either.
			return out, ErrBadCredentials
		default:
			verified = acc.PasswordHash
		}
	}
	err = s.st.Tx(ctx, func(tx Tx) error {
		d, err := tx.InviteByTokenHash(ctx, domain.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return domain.NotFound("this invite link is unknown or was replaced by a newer one; ask a team admin to resend the invite")
		}
		if err != nil {
			return err
		}
		if !(d.Status == "pending" || (d.Status == "claimed" && d.MemberID != "")) {
			return domain.Gone("this invite was %s; ask a team admin for a new one", d.Status)
		}
		if d.ExpiresAt != nil && !d.ExpiresAt.After(s.env.Now()) {
			return domain.Gone("this invite link has expired; ask a team admin to resend it")
		}
		team, err := tx.Team(ctx, d.TeamID)
		if err != nil {
			return err
		}
		acc, err := tx.AccountByEmail(ctx, d.Email)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if newHash == "" { // the account vanished between the reads: never happens, accounts aren't deleted
				return domain.Conflict("", "the account for %s changed while accepting; try again", d.Email)
			}
			if acc, out.Created, err = domain.EnsureAccount(ctx, tx, d.Email, newHash, s.env.Now()); err != nil {
				return err
			}
		case err != nil:
			return err
		case verified == "" || acc.PasswordHash != verified:
			// Checked before the transaction against another hash (the
			// password changed meanwhile, or the account appeared): the
			// password given was never checked against this one.
			return domain.Conflict("password", "the account for %s changed while accepting; try again", d.Email)
		}
		a := domain.AccountActor(acc, requestID, ip)
		member, event, err := s.inviteMember(ctx, tx, team, d, acc)
		if err != nil {
			return err
		}
		switch event {
		case domain.EventMemberCreated:
			err = s.env.Emit(ctx, tx, team, a, event, domain.MemberData(member))
		case domain.EventMemberUpdated:
			err = s.env.Emit(ctx, tx, team, a, event, domain.MemberChange(member, []string{"account_linked"}))
		}
		if err != nil {
			return err
		}
		if err := tx.CloseInvite(ctx, team.ID, d.ID, "accepted", s.env.Now()); err != nil {
			return err
		}
		if out.Session, err = s.newSession(ctx, tx, acc, ip, userAgent, ttl); err != nil {
			return err
		}
		out.Account, out.Team, out.Member = acc, team, member
		return s.env.Audit(ctx, tx, team.ID, a, "invite.accept", "invite", d.ID, map[string]any{
			"email": acc.Email, "role": d.Role, "member": member.ID, "account": acc.ID, "accountCreated": out.Created})
	})
	if err != nil {
		return AcceptResult{}, domain.FromSCIM(err)
	}
	return out, nil
}

// inviteMember links acc to the member an invite is for, creating it when
// the invite names none. Everything it reads and writes is of the invite's
// team.
func (s *Service) inviteMember(ctx context.Context, tx Tx, team store.Team, d store.InviteDetail, acc store.Account) (store.User, string, error) {
	if cur, err := tx.MemberOfAccount(ctx, team.ID, acc.ID); err == nil {
		if d.MemberID != "" && cur.ID != d.MemberID {
			return cur, "", domain.Conflict("", "your account is already member %s of team %s; this invite is for another member", cur.ID, team.Slug)
		}
		if !cur.Active {
			return cur, "", domain.Forbidden("your membership of team %s is deactivated; a team admin (or your identity provider, when SCIM provisioning is on) can reactivate it", team.Slug)
		}
		return cur, "", nil // already in: the invite just closes
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, "", err
	}
	if d.MemberID == "" {
		res := scim.Resource{
			"userName": acc.Email,
			"active":   true,
			"emails":   []any{map[string]any{"value": acc.Email, "type": "work", "primary": true}},
		}
		// A name as an IdP's members have one (an IdP's connection test
		// may read it), from the email: nothing else names the person yet.
		if n := domain.PersonName("", acc.Email); n != nil {
			res["name"] = n
		}
		u, err := domain.NewUser(team, res, store.SourceInvite, domain.JoinRoles([]string{d.Role}), s.env.Now())
		if err != nil {
			return u, "", err
		}
		u.AccountID = acc.ID
		if err := domain.CheckSeat(ctx, tx, team, u); err != nil {
			return u, "", err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return u, "", domain.Conflict("", "team %s already has a member %s; ask a team admin to invite you again", team.Slug, acc.Email)
			}
			return u, "", err
		}
		return u, domain.EventMemberCreated, nil
	}
	u, err := tx.User(ctx, team.ID, d.MemberID)
	if errors.Is(err, store.ErrNotFound) {
		return u, "", domain.Gone("the member this invite was for was removed from team %s; ask a team admin for a new invite", team.Slug)
	}
	if err != nil {
		return u, "", err
	}
	if !u.Active {
		return u, "", domain.Forbidden("your membership of team %s is deactivated; a team admin (or your identity provider, when SCIM provisioning is on) can reactivate it", team.Slug)
	}
	if err := tx.LinkAccount(ctx, team.ID, u.ID, acc.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return u, "", domain.Conflict("", "the member this invite is for already signs in with another account; ask a team admin of %s", team.Slug)
		}
		return u, "", err
	}
	linked := u.AccountID != acc.ID
	u.AccountID = acc.ID
	if !linked {
		return u, "", nil
	}
	return u, domain.EventMemberUpdated, nil
}

// InviteEmail is the email an invite link token is for; ok is false for a
// token that matches no invite. The sign-in limits key a wrong password
// for the invite's account by it.
func (s *Service) InviteEmail(ctx context.Context, token string) (email string, ok bool) {
	d, err := s.st.InviteByTokenHash(ctx, domain.HashToken(token))
	return d.Email, err == nil
}
