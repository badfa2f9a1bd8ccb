// Package service owns Roster's rules: every edge (the SCIM and admin HTTP
// APIs, the console, the CLI) calls a *Service, which puts together the
// features, each a package of its own under internal/service:
//
//   - provisioning: what an identity provider does over SCIM: which key
//     calls, users, groups (a group's PATCH included), invite claiming;
//   - accounts: the people who sign in: sign-in, sessions, personal API
//     tokens, their own password and email, invites, the teams they are in;
//   - members: what a team's admins do to its members and groups: roles,
//     profiles, removal, leaving, the roles a group grants;
//   - settings: a team's configuration: teams, the SCIM switch, SCIM keys,
//     the seat and group-deletion policies, custom User attributes;
//   - logs: the audit and provisioning log queries and exports;
//   - sso: single sign-on through a team's own identity providers: its
//     connections and policy, who signs in as whom, SSO sessions, traces;
//   - events: the event stream every write appends to: pulled with a
//     cursor, long polled, pushed to the team's webhooks (docs/events.md);
//   - domain: what the features share: the domain error, actors and
//     callers, roles and the permission matrix, the Super Admin and seat
//     rules, member records, ids and ETags, the audit writer.
//
// Each feature declares the narrow store interface it needs and depends
// on domain only: never on another feature, nor on this package. The
// types, constants and functions callers know (service.Caller,
// service.RoleSuperAdmin, service.NewID, …) are aliases and re-exports of
// theirs (exports.go), so an edge imports this package alone. It speaks
// the SCIM model (package scim) and the storage contract (package store),
// and knows nothing of HTTP.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/service/accounts"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/service/events"
	"github.com/rosterhq/roster/internal/service/logs"
	"github.com/rosterhq/roster/internal/service/members"
	"github.com/rosterhq/roster/internal/service/provisioning"
	"github.com/rosterhq/roster/internal/service/settings"
	"github.com/rosterhq/roster/internal/service/sso"
	"github.com/rosterhq/roster/internal/store"
)

// The features, under names of their own so that each can be embedded in
// Service: their methods are Service's.
type (
	provisioningService = provisioning.Service
	accountsService     = accounts.Service
	membersService      = members.Service
	settingsService     = settings.Service
	logsService         = logs.Service
	ssoService          = sso.Service
	eventsService       = events.Service
)

// Service is the domain layer over one store: the features' methods, on
// one value.
type Service struct {
	*provisioningService // CreateUser, PatchGroup, Authenticate, UserType, …
	*accountsService     // Login, TeamCaller, InviteMember, AcceptInvite, …
	*membersService      // ListMembers, UpdateMember, BindGroupRoles, …
	*settingsService     // CreateTeam, SetSCIM, CreateKey, RotateKey, …
	*logsService         // QueryAudit, ExportAudit, ProvisioningLog, …
	*ssoService          // CreateSAMLConnection, BeginSignIn, CompleteSignIn, SSOTraces, …
	*eventsService       // ListEvents, CreateWebhook, NextWebhookDelivery, … (events)

	Log *slog.Logger
	// Now is the clock; tests replace it. Every feature reads it at each
	// use, so setting it drives them all.
	Now func() time.Time

	st store.Store // private: only the provisioning log's writer gets it
}

// New builds a Service.
func New(s store.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	svc := &Service{st: s, Log: log, Now: time.Now}
	env := domain.Env{
		Now: func() time.Time { return svc.Now() },
		Log: func() *slog.Logger { return svc.Log },
		// One per process: the SCIM key and API token refusals share it.
		AuthFailures: domain.NewAuthFailures(),
	}
	svc.provisioningService = provisioning.New(provisioning.StoreOf(s), env)
	svc.accountsService = accounts.New(accounts.StoreOf(s), env, func() accounts.Argon2Params { return PasswordParams })
	svc.membersService = members.New(members.StoreOf(s), env)
	svc.settingsService = settings.New(settings.StoreOf(s), env)
	svc.logsService = logs.New(s, env)
	svc.ssoService = sso.New(sso.StoreOf(s), env)
	notifier, _ := s.(store.EventNotifier) // wakes long polls and the webhook worker
	svc.eventsService = events.New(events.StoreOf(s), env, notifier)
	return svc
}

// EffectiveRoles are a member's own roles plus those its groups grant,
// sorted and without duplicates.
func (s *Service) EffectiveRoles(ctx context.Context, r store.Reader, u store.User) ([]string, error) {
	return domain.EffectiveRoles(ctx, r, u)
}

// StartProvisioningLog starts the provisioning log's writer on the service's
// store (the SCIM edge feeds it; Close stops it).
func (s *Service) StartProvisioningLog(log *slog.Logger, cfg provlog.Config) *provlog.Logger {
	return provlog.New(s.st, log, cfg)
}

// TeamCaller completes c with its membership of the team with slug
// (accounts.TeamCaller), then applies the team's single sign-on policy: a
// team that requires SSO lets in only sessions its own IdP opened, and its
// Super Admins (sso.CheckTeamAccess).
func (s *Service) TeamCaller(ctx context.Context, c Caller, slug string) (Caller, error) {
	tc, err := s.accountsService.TeamCaller(ctx, c, slug)
	if err != nil {
		return tc, err
	}
	return tc, s.ssoService.CheckTeamAccess(ctx, tc)
}

// AuthenticateSession finds the account of a session cookie token
// (accounts.AuthenticateSession); a session an SSO sign-in opened holds
// only while its member stays active (sso.CheckSession ends it otherwise).
func (s *Service) AuthenticateSession(ctx context.Context, token string) (store.Account, store.Session, error) {
	acc, sess, err := s.accountsService.AuthenticateSession(ctx, token)
	if err != nil {
		return acc, sess, err
	}
	if err := s.ssoService.CheckSession(ctx, sess); err != nil {
		return store.Account{}, sess, err
	}
	return acc, sess, nil
}
