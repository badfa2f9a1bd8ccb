package scim

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

const entURN = EnterpriseUserURN

// mustJSON decodes a JSON object the way the HTTP layer does (json.Number).
func mustJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	m, err := DecodeObject([]byte(s))
	if err != nil {
		t.Fatalf("DecodeObject(%s): %v", s, err)
	}
	return m
}

// mustNormalize builds a canonical resource from a JSON body.
func mustNormalize(t testing.TB, rt *ResourceType, s string) Resource {
	t.Helper()
	r, err := Normalize(rt, mustJSON(t, s))
	if err != nil {
		t.Fatalf("Normalize(%s): %v", s, err)
	}
	return r
}

// asJSON renders v canonically so tests can compare structures.
func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return string(b)
}

// sameJSON compares v to a JSON literal structurally.
func sameJSON(t testing.TB, v any, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal([]byte(asJSON(t, v)), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	return reflect.DeepEqual(a, b)
}

// wantSCIMError asserts err is an *Error with the given status and scimType.
func wantSCIMError(t testing.TB, err error, status int, scimType string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *scim.Error %d %s", err, err, status, scimType)
	}
	if e.Status != status || e.ScimType != scimType {
		t.Fatalf("error = %d %q (%v), want %d %q", e.Status, e.ScimType, e, status, scimType)
	}
	return e
}
