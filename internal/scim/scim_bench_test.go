package scim

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkPatchApplyDeactivate is Okta's path-less deactivate.
func BenchmarkPatchApplyDeactivate(b *testing.B) {
	cur := baseUser(b)
	ops := mustParsePatch(b, patchBody(`{"op":"replace","value":{"active":false}}`))
	p := Patcher{Type: UserType, ID: testUserID}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Apply(cur, ops); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchApplyFiltered is Entra's value-filter path replace.
func BenchmarkPatchApplyFiltered(b *testing.B) {
	cur := baseUser(b)
	ops := mustParsePatch(b, patchBody(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"b@example.com"},
		{"op":"Replace","path":"name.givenName","value":"Babs"}`))
	p := Patcher{Type: UserType, ID: testUserID}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Apply(cur, ops); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeUser renders a stored user as the HTTP layer does:
// decode the stored attributes, Render, apply the default projection and
// encode as JSON.
func BenchmarkEncodeUser(b *testing.B) {
	stored, err := json.Marshal(baseUser(b))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	meta := Meta{ResourceType: "User", Created: now, LastModified: now,
		Location: "https://roster.example/scim/v2/Users/" + testUserID, Version: `W/"3"`}
	proj := ParseProjection("", "")
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		attrs, err := DecodeObject(stored)
		if err != nil {
			b.Fatal(err)
		}
		out := proj.Apply(UserType, Render(UserType, testUserID, DropUndeclared(UserType, attrs), meta, nil))
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkNormalizeUser is a POST body made canonical.
func BenchmarkNormalizeUser(b *testing.B) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
		"name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"primary":true,"value":"bjensen@example.com","type":"work"}],
		"displayName":"Babs Jensen","locale":"en-US","externalId":"00u1esetp6Da7sNo90h8","groups":[],"password":"1mz050nq","active":true}`)
	b.ReportAllocs()
	for b.Loop() {
		m, err := DecodeObject(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Normalize(UserType, m); err != nil {
			b.Fatal(err)
		}
	}
}
