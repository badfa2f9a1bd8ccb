package scim

import "strings"

// Attribute types of RFC 7643 §2.3.
const (
	TypeString    = "string"
	TypeBoolean   = "boolean"
	TypeDecimal   = "decimal"
	TypeInteger   = "integer"
	TypeDateTime  = "dateTime"
	TypeReference = "reference"
	TypeComplex   = "complex"
	TypeBinary    = "binary"
)

// Mutability, returned and uniqueness values of RFC 7643 §7.
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"

	ReturnAlways  = "always"
	ReturnNever   = "never"
	ReturnDefault = "default"
	ReturnRequest = "request"
)

// Attribute describes one attribute of a schema, as published at /Schemas.
type Attribute struct {
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Sub finds a sub-attribute by name, case-insensitively.
func (a *Attribute) Sub(name string) *Attribute {
	return findAttr(a.SubAttributes, name)
}

// Schema is a SCIM schema definition (RFC 7643 §7).
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`
	// Aliases are other URNs clients send for this schema (pre-RFC ones,
	// LegacyURNs), read as ID wherever a request names a schema: a body's
	// keys, PATCH paths, filters, attribute lists. Never written: answers
	// and stored resources use ID.
	Aliases []string `json:"-"`
}

// The pre-RFC URNs of the core and enterprise schemas (the SCIM 2.0
// drafts'), which OneLogin's SCIM connector still sends as the keys of a
// User's attributes, with or without ":User" (goauthentik/authentik#11249).
// They are read as the RFC 7643 URNs, never written.
const (
	LegacyCoreURN       = "urn:scim:schemas:core:2.0"
	LegacyEnterpriseURN = "urn:scim:schemas:extension:enterprise:2.0"
)

// Is reports whether urn names s: its ID or one of its aliases, in any
// letter case.
func (s *Schema) Is(urn string) bool {
	if strings.EqualFold(urn, s.ID) {
		return true
	}
	for _, a := range s.Aliases {
		if strings.EqualFold(urn, a) {
			return true
		}
	}
	return false
}

// cutURN splits "urn…:attr" into the attribute part when it starts with
// one of s's URNs and a colon; the longest URN that fits wins, so
// "urn:scim:schemas:extension:enterprise:2.0:User:department" is the
// department of an alias with ":User", not an attribute "User" of one
// without.
func (s *Schema) cutURN(name string) (string, bool) {
	best, rest := -1, ""
	for _, u := range append([]string{s.ID}, s.Aliases...) {
		if len(name) > len(u)+1 && name[len(u)] == ':' && strings.EqualFold(name[:len(u)], u) && len(u) > best {
			best, rest = len(u), name[len(u)+1:]
		}
	}
	return rest, best >= 0
}

// Attr finds a top-level attribute by name, case-insensitively.
func (s *Schema) Attr(name string) *Attribute { return findAttr(s.Attributes, name) }

func findAttr(list []*Attribute, name string) *Attribute {
	for _, a := range list {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// ResourceType binds a core schema and its extensions to an endpoint.
type ResourceType struct {
	ID         string
	Name       string
	Endpoint   string
	Schema     *Schema
	Extensions []*Schema
	// Common lists the attributes every resource has (id, externalId, meta),
	// which RFC 7643 §3.1 defines outside the resource's own schema.
	Common []*Attribute
}

// Extension finds an extension schema by URN (or an alias of it),
// case-insensitively.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, s := range rt.Extensions {
		if s.Is(urn) {
			return s
		}
	}
	return nil
}

// Schemas lists the resource type's core schema first, then its extensions.
func (rt *ResourceType) Schemas() []*Schema {
	return append([]*Schema{rt.Schema}, rt.Extensions...)
}

// helpers to keep the definitions readable.
func str(name, desc string, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{Name: name, Type: TypeString, Description: desc, Mutability: ReadWrite, Returned: ReturnDefault, Uniqueness: "none"}
	for _, o := range opts {
		o(a)
	}
	return a
}

func typed(t string) func(*Attribute)        { return func(a *Attribute) { a.Type = t } }
func multi(a *Attribute)                     { a.MultiValued = true }
func required(a *Attribute)                  { a.Required = true }
func caseExact(a *Attribute)                 { a.CaseExact = true }
func readOnly(a *Attribute)                  { a.Mutability = ReadOnly }
func immutable(a *Attribute)                 { a.Mutability = Immutable }
func returned(r string) func(*Attribute)     { return func(a *Attribute) { a.Returned = r } }
func unique(u string) func(*Attribute)       { return func(a *Attribute) { a.Uniqueness = u } }
func refTypes(t ...string) func(*Attribute)  { return func(a *Attribute) { a.ReferenceTypes = t } }
func canonical(v ...string) func(*Attribute) { return func(a *Attribute) { a.CanonicalValues = v } }
func subs(list ...*Attribute) func(*Attribute) {
	return func(a *Attribute) { a.Type = TypeComplex; a.SubAttributes = list }
}
func writeOnly(a *Attribute) { a.Mutability = WriteOnly; a.Returned = ReturnNever }

// multiValuedSubs builds the usual value/display/type/primary sub-attributes
// of a multi-valued complex attribute such as emails.
func multiValuedSubs(valueType string, types ...string) func(*Attribute) {
	value := str("value", "The attribute's significant value.", typed(valueType))
	if valueType == TypeReference {
		value.ReferenceTypes = []string{"external"} // RFC 7643 §4.1.2 photos
	}
	list := []*Attribute{
		value,
		str("display", "A human-readable name, primarily used for display purposes."),
		str("type", "A label indicating the attribute's function.", canonical(types...)),
		str("primary", "A Boolean value indicating the 'primary' or preferred attribute value.", typed(TypeBoolean)),
	}
	return subs(list...)
}

// MetaResourceTypeAttr describes meta.resourceType, for filters on it.
var MetaResourceTypeAttr = commonAttributes[2].SubAttributes[0]

var commonAttributes = []*Attribute{
	str("id", "Unique identifier for the SCIM resource as defined by the service provider.", caseExact, readOnly, returned(ReturnAlways), unique("server")),
	str("externalId", "Identifier for the resource as defined by the provisioning client.", caseExact),
	str("meta", "Resource metadata.", readOnly, subs(
		str("resourceType", "The name of the resource type of the resource.", readOnly, caseExact),
		str("created", "When the resource was added to the service provider.", typed(TypeDateTime), readOnly),
		str("lastModified", "When the resource was last modified.", typed(TypeDateTime), readOnly),
		str("location", "The URI of the resource being returned.", typed(TypeReference), refTypes("uri"), readOnly, caseExact),
		str("version", "The version of the resource.", readOnly, caseExact),
	)),
}

// UserSchema is the core User schema of RFC 7643 §4.1.
var UserSchema = &Schema{
	Aliases:     []string{LegacyCoreURN, LegacyCoreURN + ":User"},
	ID:          UserURN,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		str("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.", required, unique("server")),
		str("name", "The components of the user's real name.", subs(
			str("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
			str("familyName", "The family name of the User."),
			str("givenName", "The given name of the User."),
			str("middleName", "The middle name(s) of the User."),
			str("honorificPrefix", "The honorific prefix(es) of the User."),
			str("honorificSuffix", "The honorific suffix(es) of the User."),
		)),
		str("displayName", "The name of the User, suitable for display to end-users."),
		str("nickName", "The casual way to address the user in real life."),
		str("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", typed(TypeReference), refTypes("external")),
		str("title", "The user's title, such as \"Vice President\"."),
		str("userType", "Used to identify the relationship between the organization and the user."),
		str("preferredLanguage", "Indicates the User's preferred written or spoken language."),
		str("locale", "Used to indicate the User's default location for purposes of localizing items."),
		str("timezone", "The User's time zone in the 'Olson' time zone database format."),
		str("active", "A Boolean value indicating the User's administrative status.", typed(TypeBoolean)),
		str("password", "The User's cleartext password. Accepted and never returned.", writeOnly),
		str("emails", "Email addresses for the user.", multi, multiValuedSubs(TypeString, "work", "home", "other")),
		str("phoneNumbers", "Phone numbers for the User.", multi, multiValuedSubs(TypeString, "work", "home", "mobile", "fax", "pager", "other")),
		str("ims", "Instant messaging addresses for the User.", multi, multiValuedSubs(TypeString)),
		str("photos", "URLs of photos of the User.", multi, multiValuedSubs(TypeReference, "photo", "thumbnail")),
		str("addresses", "A physical mailing address for this User.", multi, subs(
			str("formatted", "The full mailing address, formatted for display or use with a mailing label."),
			str("streetAddress", "The full street address component."),
			str("locality", "The city or locality component."),
			str("region", "The state or region component."),
			str("postalCode", "The zip code or postal code component."),
			str("country", "The country name component."),
			str("type", "A label indicating the attribute's function.", canonical("work", "home", "other")),
			str("primary", "A Boolean value indicating the 'primary' or preferred attribute value.", typed(TypeBoolean)),
		)),
		str("groups", "A list of groups to which the user belongs, derived from group memberships.", multi, readOnly, subs(
			str("value", "The identifier of the User's group.", readOnly),
			str("$ref", "The URI of the corresponding 'Group' resource.", typed(TypeReference), refTypes("Group"), readOnly),
			str("display", "A human-readable name, primarily used for display purposes.", readOnly),
			str("type", "A label indicating the attribute's function.", readOnly, canonical("direct", "indirect")),
		)),
		str("entitlements", "A list of entitlements for the User.", multi, multiValuedSubs(TypeString)),
		str("roles", "A list of roles for the User.", multi, multiValuedSubs(TypeString)),
		str("x509Certificates", "A list of certificates issued to the User.", multi, multiValuedSubs(TypeBinary)),
	},
}

// EnterpriseUserSchema is the enterprise User extension of RFC 7643 §4.3.
var EnterpriseUserSchema = &Schema{
	Aliases:     []string{LegacyEnterpriseURN, LegacyEnterpriseURN + ":User"},
	ID:          EnterpriseUserURN,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
		str("costCenter", "Identifies the name of a cost center."),
		str("organization", "Identifies the name of an organization."),
		str("division", "Identifies the name of a division."),
		str("department", "Identifies the name of a department."),
		str("manager", "The User's manager.", subs(
			str("value", "The id of the SCIM resource representing the User's manager."),
			str("$ref", "The URI of the SCIM resource representing the User's manager.", typed(TypeReference), refTypes("User")),
			str("displayName", "The displayName of the User's manager.", readOnly),
		)),
	},
}

// GroupSchema is the core Group schema of RFC 7643 §4.2.
var GroupSchema = &Schema{
	Aliases:     []string{LegacyCoreURN, LegacyCoreURN + ":Group"},
	ID:          GroupURN,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		str("displayName", "A human-readable name for the Group.", required, unique("server")),
		str("members", "A list of members of the Group.", multi, subs(
			str("value", "Identifier of the member of this Group.", immutable),
			str("$ref", "The URI of the corresponding member resource.", typed(TypeReference), refTypes("User", "Group"), immutable),
			str("display", "A human-readable name for the member.", readOnly),
			str("type", "A label indicating the type of resource.", immutable, canonical("User", "Group")),
		)),
	},
}

// UserType and GroupType are the two resource types Roster serves.
var (
	UserType = &ResourceType{
		ID: "User", Name: "User", Endpoint: "/Users",
		Schema: UserSchema, Extensions: []*Schema{EnterpriseUserSchema}, Common: commonAttributes,
	}
	GroupType = &ResourceType{
		ID: "Group", Name: "Group", Endpoint: "/Groups",
		Schema: GroupSchema, Common: commonAttributes,
	}
)
