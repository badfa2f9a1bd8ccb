package scimapi

import "testing"

// TestOperationOfEveryRoute: every route of the SCIM mux names its
// resource type and operation for the metrics.
func TestOperationOfEveryRoute(t *testing.T) {
	for pattern, want := range map[string][2]string{
		"GET " + Prefix + "/Users":                 {"Users", "list"},
		"GET " + Prefix + "/Users/{$}":             {"Users", "list"},
		"POST " + Prefix + "/Users":                {"Users", "create"},
		"POST " + Prefix + "/Users/.search":        {"Users", "search"},
		"GET " + Prefix + "/Groups/{id}":           {"Groups", "get"},
		"PUT " + Prefix + "/Groups/{id}":           {"Groups", "replace"},
		"PATCH " + Prefix + "/Groups/{id}":         {"Groups", "patch"},
		"DELETE " + Prefix + "/Users/{id}":         {"Users", "delete"},
		"POST " + Prefix + "/Bulk":                 {"Bulk", "bulk"},
		"POST " + Prefix + "/.search":              {"all", "search"},
		"GET " + Prefix + "/ServiceProviderConfig": {"ServiceProviderConfig", "get"},
		"GET " + Prefix + "/Schemas/{id}":          {"Schemas", "get"},
		"GET " + Prefix + "/ResourceTypes":         {"ResourceTypes", "get"},
		Prefix + "/Me":                             {"Me", "other"},
	} {
		if r, op := operation(pattern); r != want[0] || op != want[1] {
			t.Errorf("operation(%q) = %s, %s; want %s, %s", pattern, r, op, want[0], want[1])
		}
	}
}
