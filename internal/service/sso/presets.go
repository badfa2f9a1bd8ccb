package sso

import "sort"

// Preset is what Roster expects of a well-known SAML IdP by default: the
// attribute names its setup guide asks the admin to send (the guides in
// the console and docs/sso.md use the same names).
type Preset struct {
	Label   string
	Mapping Mapping
}

// Presets are the attribute mappings of the IdPs Roster has setup guides
// for; "" is the generic one. A connection's own mapping overrides any
// field.
var Presets = map[string]Preset{
	"":     {Label: "SAML", Mapping: Mapping{Email: "email", FirstName: "firstName", LastName: "lastName"}},
	"okta": {Label: "Okta", Mapping: Mapping{Email: "email", FirstName: "firstName", LastName: "lastName"}},
	"entra": {Label: "Microsoft Entra ID", Mapping: Mapping{
		Email:     "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		FirstName: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
		LastName:  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
	}},
	"onelogin":  {Label: "OneLogin", Mapping: Mapping{Email: "User.email", FirstName: "User.FirstName", LastName: "User.LastName"}},
	"jumpcloud": {Label: "JumpCloud", Mapping: Mapping{Email: "email", FirstName: "firstname", LastName: "lastname"}},
	"google":    {Label: "Google Workspace", Mapping: Mapping{Email: "email", FirstName: "firstName", LastName: "lastName"}},
}

// PresetNames lists the named presets, sorted.
func PresetNames() []string {
	var out []string
	for k := range Presets {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
