// Package scim implements the SCIM 2.0 protocol model of RFC 7643 and RFC 7644:
// schemas, resource normalisation, PATCH, projections, list responses and errors.
// It knows nothing of storage or HTTP.
package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// URNs of the messages and schemas Roster speaks.
const (
	ErrorURN           = "urn:ietf:params:scim:api:messages:2.0:Error"
	ListResponseURN    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpURN         = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	UserURN            = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN           = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ServiceProviderURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeURN    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaURN          = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	MediaType          = "application/scim+json"
)

// scimType values of RFC 7644 §3.12.
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
	Sensitive     = "sensitive"
)

// Error is a SCIM error response. Detail is shown to the client; Cause is
// logged and never sent, so internal failures don't leak to the IdP.
type Error struct {
	Status   int
	ScimType string
	Detail   string
	Cause    error
}

func (e *Error) Error() string {
	s := strconv.Itoa(e.Status)
	if e.ScimType != "" {
		s += " " + e.ScimType
	}
	s += ": " + e.Detail
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// MarshalJSON renders the RFC 7644 §3.12 body. status is a string, as the RFC
// and Entra require.
func (e *Error) MarshalJSON() ([]byte, error) {
	body := struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail,omitempty"`
	}{[]string{ErrorURN}, strconv.Itoa(e.Status), e.ScimType, e.Detail}
	return json.Marshal(body)
}

// Errorf builds a client-facing error.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 with the given scimType.
func BadRequest(scimType, format string, args ...any) *Error {
	return Errorf(400, scimType, format, args...)
}

// NotFound is the 404 for a resource id that does not exist in the caller's team.
func NotFound(kind, id string) *Error {
	return Errorf(404, "", "%s %q not found", kind, id)
}
