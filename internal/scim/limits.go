package scim

// Limits on how much one request may ask of the SCIM core. Each keeps the
// cost of a request bounded (the work is O(n log n) or better in what is
// sent, but a group PATCH runs while a SQLite database's single writer is
// held, so every team waits on it), and each is answered with a 400
// invalidValue whose detail names the limit and its number. invalidValue
// rather than tooMany: RFC 7644 §3.12 defines tooMany for filters that
// select too many resources (GET and .search), while invalidValue is the
// error for a POST, PUT or PATCH value the server can't take.
//
// The request body limit (1 MiB by default, --max-body-bytes) bounds the
// sum over a whole request; these bound one attribute and one PATCH.
const (
	// MaxMembersPerRequest is how many members of a Group one POST or PUT
	// body, or one PATCH operation, may list: as many as the larger SaaS
	// SCIM servers take at once. An IdP pushes a bigger group in several
	// PATCH operations or requests; a group itself may be any size.
	MaxMembersPerRequest = 10000

	// MaxValuesPerRequest is how many values any other multi-valued
	// attribute (emails, phoneNumbers, roles, entitlements, a team's
	// multi-valued custom attributes, …) may have in one POST or PUT body
	// or one PATCH operation. No IdP sends more than a handful of
	// addresses, and a few hundred roles or entitlements at most; 1,000
	// leaves room for those while keeping a User's stored attributes small
	// (every read of the User decodes them). It is the same number as
	// /Bulk's maxOperations and the largest list page.
	MaxValuesPerRequest = 1000

	// MaxPatchOperations is how many operations one PatchOp request may
	// hold. IdPs send one to a few dozen (Okta and Entra batch membership
	// changes into one operation with a list of values).
	MaxPatchOperations = 1000
)

// MaxValues is how many values attribute a may be given in one request:
// MaxMembersPerRequest for a Group's members, MaxValuesPerRequest for any
// other multi-valued attribute.
func MaxValues(a *Attribute) int {
	if a == groupMembersAttr {
		return MaxMembersPerRequest
	}
	return MaxValuesPerRequest
}

var groupMembersAttr = GroupSchema.Attr("members")

// checkValueCount refuses a list of values longer than a's limit, before
// any of it is normalised.
func checkValueCount(a *Attribute, n int) error {
	if max := MaxValues(a); n > max {
		name := "MaxValuesPerRequest"
		if max == MaxMembersPerRequest && a == groupMembersAttr {
			name = "MaxMembersPerRequest"
		}
		return BadRequest(InvalidValue, "attribute %q is given %d values; at most %d may be sent in one request or operation (limit %s = %d)", a.Name, n, max, name, max)
	}
	return nil
}
