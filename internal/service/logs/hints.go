package logs

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// Hint says, in one sentence, what an admin should change in the IdP (or
// in Roster) after a failed request, where Roster can tell from what it
// answered: the status, the SCIM error's scimType and detail, the method
// and the path. It returns "" for a success and for a failure it can't
// explain. The detail names what the IdP sent (an attribute, a userName),
// and the hint repeats it.
func Hint(e store.ProvisioningEntry) string {
	if e.Status < 400 {
		return ""
	}
	var body struct {
		ScimType string `json:"scimType"`
	}
	_ = json.Unmarshal([]byte(e.ErrorBody), &body)
	d, typ := e.ErrorDetail, body.ScimType
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(d, s) {
				return true
			}
		}
		return false
	}
	attr := quoted(d)
	switch e.Status {
	case 401:
		switch {
		case has(`"Bearer" twice`):
			return `In the IdP's SCIM connection, remove "Bearer " from the API token field: the IdP adds it itself, so it sends "Bearer Bearer rsk_…".`
		case has("missing credentials"):
			return "Set the IdP's authentication to an HTTP header carrying the team's SCIM API key as a bearer token (Okta: Authentication Mode → HTTP Header)."
		case has("was revoked", "expired"):
			return "Generate a new key under Team settings → Authentication and paste it into the IdP's API token field (Secret Token in Entra ID)."
		}
		return "Paste a current key of this team (Team settings → Authentication) into the IdP's API token field."
	case 403:
		switch {
		case has("SCIM provisioning is disabled"):
			return "Turn SCIM provisioning on under Team settings → Authentication; nothing needs to change in the IdP."
		case has("seat limit"):
			return "The team uses all its seats: raise the seat limit in Team settings → Team policies, or unassign people from the app in the IdP."
		}
	case 404:
		switch {
		case has("no SCIM endpoint"):
			return "Set the IdP's SCIM base URL to the one shown under Team settings → Authentication (it ends in /scim/v2), without anything after it."
		case e.ResourceID != "" && e.ResourceType == "Users":
			return "The IdP refers to a member that no longer exists in Roster (removed here): in the IdP, unassign and reassign the person (or re-import users) so it provisions them again."
		case e.ResourceID != "" && e.ResourceType == "Groups":
			return "The IdP refers to a group that no longer exists in Roster: in the IdP, push the group again (Okta: Push Groups → unlink, then push; Entra ID: restart provisioning)."
		}
	case 409:
		switch {
		case typ == "uniqueness" && has("userName"):
			return "Another member of the team already has this userName: map a unique value to userName in the IdP (usually the email), or match existing users by userName so the IdP links them instead of creating them."
		case typ == "uniqueness" && has("displayName"):
			return "The team already has a group with this name: give the IdP's group a unique name, or link the existing group in the IdP instead of creating a new one."
		case has("isn't a Super Admin", "only a Super Admin"):
			return "This key was made by someone who isn't a Super Admin, so it can't change who is one: a Super Admin generates a new key (Team settings → Authentication) and you paste it into the IdP."
		case has("Super Admin"):
			return "The change would leave the team without an active Super Admin: make another member a Super Admin in Roster first, then retry in the IdP."
		}
	case 412:
		return "The IdP sent an If-Match for an older version of the resource: it re-reads and retries; if this repeats, re-import users in the IdP."
	case 413:
		return "The request is over Roster's size limits: lower the IdP's batch size (fewer operations or members per request), or raise --max-body-bytes."
	case 415:
		return "Set the IdP to send Content-Type: application/scim+json (or application/json)."
	case 429:
		return "The IdP exceeds the team's SCIM rate limit: it retries on its own; if this keeps happening, lower the IdP's request rate or concurrency."
	}
	if e.Status >= 500 {
		return "This failure is Roster's, not the IdP's: the server log has its cause under request id " + e.RequestID + "."
	}
	if e.Status != 400 {
		return ""
	}
	switch {
	case has("userName is required"):
		return "Map an IdP attribute to userName (usually the email address): every user needs one."
	case has("displayName is required"):
		return "Give the IdP's group a name: Roster needs displayName for every group."
	case has("is not a user of this team"):
		return "The group lists a member the IdP never provisioned to Roster: assign that person (or the whole group) to the app in the IdP, so users are pushed before the group."
	case typ == "invalidFilter" && has("no such attribute", "unknown schema"):
		return "The IdP looks users up by an attribute Roster doesn't have" + named(attr) + ": set its matching attribute to userName (or externalId)."
	case typ == "invalidFilter":
		return "The IdP sent a filter Roster can't read" + named(attr) + ": check the IdP's matching attribute; Roster answers userName, externalId and emails lookups."
	case typ == "mutability":
		return "The IdP's mapping writes an attribute that can't be changed" + named(attr) + ": remove it from the attribute mapping."
	case (typ == "invalidPath" || typ == "noTarget") && has("unknown attribute", "no sub-attribute"):
		return "The IdP's mapping targets an attribute Roster doesn't know" + named(attr) + ": fix the mapping, or add it as a custom attribute (roster schema add-attribute)."
	case typ == "invalidValue" && has("UTF-8"):
		return "The IdP sends text that isn't valid UTF-8" + named(attr) + ": fix that value at its source in the IdP."
	case typ == "invalidValue" && has("at most"):
		return "The IdP sends more values in one request than Roster takes" + named(attr) + ": lower its batch size."
	case typ == "invalidValue" && attr != "":
		return "Check the IdP's attribute mapping for " + attr + ": the value it sends is refused (the detail says why)."
	case typ == "invalidSyntax":
		return "The IdP sent a body that isn't a valid SCIM request: check custom expressions or raw JSON in its attribute mapping."
	}
	return ""
}

var quotedRE = regexp.MustCompile(`"([^"]{1,100})"`)

// quoted is the first quoted name in a detail ("attribute \"emails\" …").
func quoted(detail string) string {
	if m := quotedRE.FindStringSubmatch(detail); m != nil {
		return m[1]
	}
	return ""
}

func named(attr string) string {
	if attr == "" {
		return ""
	}
	return " (" + attr + ")"
}
