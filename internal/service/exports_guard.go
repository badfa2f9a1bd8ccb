package service

// The names of the mass-deprovisioning guard (provisioning/guard.go) that
// callers use, as aliases (see exports.go).

import "github.com/rosterhq/roster/internal/service/provisioning"

type (
	// GuardView is provisioning.GuardView: a team's guard and what it holds.
	GuardView = provisioning.GuardView
	// GuardHold is provisioning.HoldView: one held deprovisioning.
	GuardHold = provisioning.HoldView
	// GuardPatch is provisioning.GuardPatch: a change to a team's guard.
	GuardPatch = provisioning.GuardPatch
	// GuardDecision is provisioning.GuardDecision: what confirming or
	// rejecting the held changes did.
	GuardDecision = provisioning.GuardDecision
)
