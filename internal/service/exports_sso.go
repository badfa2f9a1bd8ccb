package service

// The names of single sign-on (package sso) that callers use, as aliases
// and re-exports (see exports.go).

import (
	"github.com/rosterhq/roster/internal/service/sso"
	"github.com/rosterhq/roster/internal/store"
)

type (
	// SSOConnection is sso.Connection: a connection with its settings and
	// Roster's URLs for it.
	SSOConnection = sso.Connection
	// SAMLConfig is sso.SAMLConfig: a SAML connection's settings.
	SAMLConfig = sso.SAMLConfig
	// OIDCConfig is sso.OIDCConfig: an OpenID Connect connection's settings.
	OIDCConfig = sso.OIDCConfig
	// SAMLIdP is sso.SAMLIdP: what Roster keeps of an IdP's SAML metadata.
	SAMLIdP = sso.SAMLIdP
	// SAMLInput is sso.SAMLInput: a new SAML connection.
	SAMLInput = sso.SAMLInput
	// OIDCInput is sso.OIDCInput: a new OpenID Connect connection.
	OIDCInput = sso.OIDCInput
	// SSOConnectionPatch is sso.ConnectionPatch.
	SSOConnectionPatch = sso.ConnectionPatch
	// SSOPolicyPatch is sso.PolicyPatch.
	SSOPolicyPatch = sso.PolicyPatch
	// SSOMapping is sso.Mapping: the attributes or claims of email and names.
	SSOMapping = sso.Mapping
	// SSOMeta is sso.Meta: who signs in, as the edge sees them.
	SSOMeta = sso.Meta
	// SSOStart is sso.Start: a sign-in Roster starts.
	SSOStart = sso.Start
	// SSOAnswer is sso.Answer: an IdP's answer before its protocol check.
	SSOAnswer = sso.Answer
	// SSOVerdict is sso.Verdict: why the edge refused an answer.
	SSOVerdict = sso.Verdict
	// SSOClaims is sso.Claims: what the edge verified of an answer.
	SSOClaims = sso.Claims
	// SSOResult is sso.Result: a successful sign-in.
	SSOResult = sso.Result
	// SSOFailure is sso.Failure: a refused sign-in and its trace.
	SSOFailure = sso.Failure
	// SSOSignInChoice is sso.SignInChoice.
	SSOSignInChoice = sso.SignInChoice
	// SSOPreset is sso.Preset.
	SSOPreset = sso.Preset
	// SSOConnectionView is sso.ConnectionView: a connection for the admin
	// API and the CLI.
	SSOConnectionView = sso.ConnectionView
	// SSOTraceView is sso.TraceView: a sign-in trace for the admin API and
	// the CLI.
	SSOTraceView = sso.TraceView
)

// SSOView is a connection's view (sso.View).
func SSOView(c SSOConnection) SSOConnectionView { return sso.View(c) }

// SSOTraceViewOf is a trace's view (sso.TraceViewOf).
func SSOTraceViewOf(t store.SSOTrace) SSOTraceView { return sso.TraceViewOf(t) }

// AsSSOFailure reports whether err is a refused sign-in (sso.AsFailure).
func AsSSOFailure(err error) (*SSOFailure, bool) { return sso.AsFailure(err) }

// SSOCodes are the trace error codes with their meaning (sso.Codes).
var SSOCodes = sso.Codes

// SSOPresets are the attribute mappings of well-known IdPs (sso.Presets).
var SSOPresets = sso.Presets

// SSOPresetNames lists the named presets (sso.PresetNames).
func SSOPresetNames() []string { return sso.PresetNames() }

// SSOLoopbackHost reports whether a host is a loopback name or address
// (sso.LoopbackHost).
func SSOLoopbackHost(host string) bool { return sso.LoopbackHost(host) }

// Where the SSO edge serves each connection (sso.Path*).
const (
	SSOPathLogin    = sso.PathLogin
	SSOPathSAML     = sso.PathSAML
	SSOPathOIDC     = sso.PathOIDC
	SSOPathSignIn   = sso.PathSignIn
	SSOPathLink     = sso.PathLinkSSO
	SSOACSSuffix    = sso.ACSSuffix
	SSOMetaSuffix   = sso.MetaSuffix
	SSOOIDCCallback = sso.OIDCCallback
	SSOTeamCookie   = sso.TeamCookie
)

// The trace error codes (sso.Code*).
const (
	SSOConnectionDisabled = sso.CodeConnectionDisabled
	SSOMalformed          = sso.CodeMalformed
	SSOMultipleAssertions = sso.CodeMultipleAssertions
	SSOUnsigned           = sso.CodeUnsigned
	SSOBadSignature       = sso.CodeBadSignature
	SSOUntrustedCert      = sso.CodeUntrustedCert
	SSOWeakSignature      = sso.CodeWeakSignature
	SSOWrongIssuer        = sso.CodeWrongIssuer
	SSOWrongAudience      = sso.CodeWrongAudience
	SSOWrongDestination   = sso.CodeWrongDestination
	SSOUnknownRequest     = sso.CodeUnknownRequest
	SSOUnsolicited        = sso.CodeUnsolicited
	SSOExpired            = sso.CodeExpired
	SSONotYetValid        = sso.CodeNotYetValid
	SSOReplay             = sso.CodeReplay
	SSOIdPError           = sso.CodeIdPError
	SSOUnsupported        = sso.CodeUnsupported
	SSOMissingSubject     = sso.CodeMissingSubject
	SSOMissingEmail       = sso.CodeMissingEmail
	SSOEmailNotVerified   = sso.CodeEmailNotVerified
	SSODomainNotAllowed   = sso.CodeDomainNotAllowed
	SSOUnknownMember      = sso.CodeUnknownMember
	SSOMemberDeactivated  = sso.CodeMemberDeactivated
	SSOAmbiguousMember    = sso.CodeAmbiguousMember
	SSOMemberLinked       = sso.CodeMemberLinked
	SSOIdentityLinked     = sso.CodeIdentityLinked
	SSOMemberMismatch     = sso.CodeMemberMismatch
	SSOSeatLimit          = sso.CodeSeatLimit
	SSOBadState           = sso.CodeBadState
	SSOBadNonce           = sso.CodeBadNonce
	SSOTokenExchange      = sso.CodeTokenExchange
	SSOBadIDToken         = sso.CodeBadIDToken
	SSOIdPUnreachable     = sso.CodeIdPUnreachable
	SSOInternal           = sso.CodeInternal
)
