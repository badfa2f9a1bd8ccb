package scim

// ListResponse is the RFC 7644 §3.4.2 list envelope. Resources is always
// present, even when empty (MS-PM teardown checks `"Resources": []`).
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// NewList wraps one page of resources.
func NewList(total, startIndex int, resources []any) ListResponse {
	if resources == nil {
		resources = []any{}
	}
	return ListResponse{
		Schemas:      []string{ListResponseURN},
		TotalResults: total,
		StartIndex:   startIndex,
		ItemsPerPage: len(resources),
		Resources:    resources,
	}
}

// Capabilities are what ServiceProviderConfig advertises; they must stay
// truthful because conformance suites branch on them (RFC-05).
type Capabilities struct {
	MaxResults     int
	MaxPayloadSize int
	Documentation  string
	// MaxBulkOperations and MaxBulkPayload are the /Bulk limits.
	MaxBulkOperations int
	MaxBulkPayload    int
}

// ServiceProviderConfig renders RFC 7643 §5. documentationUri is a
// reference (a URI): left out when there is none, since "" is not a URI
// and strict clients refuse the whole document for it.
func ServiceProviderConfig(baseURL string, c Capabilities) map[string]any {
	doc := map[string]any{
		"schemas":        []string{ServiceProviderURN},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": true, "maxOperations": c.MaxBulkOperations, "maxPayloadSize": c.MaxBulkPayload},
		"filter":         map[string]any{"supported": true, "maxResults": c.MaxResults},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "Bearer token",
			"description": "A team's SCIM API key, sent as Authorization: Bearer <key>.",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     baseURL + "/ServiceProviderConfig",
		},
	}
	if c.Documentation != "" {
		doc["documentationUri"] = c.Documentation
	}
	return doc
}

// ResourceTypeDoc renders one resource type (RFC 7643 §6).
func ResourceTypeDoc(baseURL string, rt *ResourceType) map[string]any {
	exts := []any{}
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	return map[string]any{
		"schemas":          []string{ResourceTypeURN},
		"id":               rt.ID,
		"name":             rt.Name,
		"endpoint":         rt.Endpoint,
		"description":      rt.Name,
		"schema":           rt.Schema.ID,
		"schemaExtensions": exts,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     baseURL + "/ResourceTypes/" + rt.ID,
		},
	}
}

// SchemaDoc renders one schema (RFC 7643 §7).
func SchemaDoc(baseURL string, s *Schema) map[string]any {
	return map[string]any{
		"schemas":     []string{SchemaURN},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  s.Attributes,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     baseURL + "/Schemas/" + s.ID,
		},
	}
}

// ResourceTypes lists the resource types Roster serves, User first (PM-03).
var ResourceTypes = []*ResourceType{UserType, GroupType}

// AllSchemas lists every schema Roster publishes.
var AllSchemas = []*Schema{UserSchema, EnterpriseUserSchema, GroupSchema}
