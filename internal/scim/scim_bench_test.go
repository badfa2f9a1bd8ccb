package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// benchSizes are the list lengths the scaling benchmarks compare: the
// cost per value must stay flat from 1,000 to 100,000 (past the request
// limits, which normList doesn't check, to show the growth).
var benchSizes = []int{1000, 10000, 100000}

// benchList is n values for a as an IdP sends them, one in ten a repeat
// of an earlier one.
func benchList(a *Attribute, n int) []any {
	l := make([]any, n)
	for i := range l {
		j := i
		if i%10 == 9 {
			j = i / 2 // a repeat
		}
		switch a.Name {
		case "members":
			l[i] = map[string]any{"value": fmt.Sprintf("2819c223-7f76-453a-919d-%012d", j)}
		case "emails":
			l[i] = map[string]any{"value": fmt.Sprintf("user%d@example.com", j), "type": "work", "primary": j == 0}
		default:
			l[i] = fmt.Sprintf("tag-%d", j)
		}
	}
	return l
}

// BenchmarkNormValues normalises and deduplicates n values of a
// multi-valued attribute (NormValue without its count limit). ns/op
// divided by n is the cost per value, which must not grow with n.
func BenchmarkNormValues(b *testing.B) {
	tags := UserTypeWith(fuzzCustom).Extension(CustomUserURN).Attr("tags")
	for _, a := range []*Attribute{GroupSchema.Attr("members"), UserSchema.Attr("emails"), tags} {
		for _, n := range benchSizes {
			list := benchList(a, n)
			b.Run(fmt.Sprintf("%s/n=%d", a.Name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := normList(a, list); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
			})
		}
	}
}

// BenchmarkPatchAddValues is the union of a PATCH add of n emails to a
// user holding n (half of them already there): the present values are
// indexed once.
func BenchmarkPatchAddValues(b *testing.B) {
	a := UserSchema.Attr("emails")
	for _, n := range benchSizes {
		cur := benchList(a, n)
		add, err := normList(a, benchList(a, 2*n)[n/2:n/2+n])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				addValues(a, append([]any(nil), cur...), add.([]any))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
		})
	}
}

// BenchmarkPatchRemoveValues is the matching of Entra's remove-with-values
// of n emails from a user holding 2n.
func BenchmarkPatchRemoveValues(b *testing.B) {
	a := UserSchema.Attr("emails")
	for _, n := range benchSizes {
		cur := benchList(a, 2*n)
		rm, err := normList(a, cur[n/2:n/2+n])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				withoutValues(cur, rm)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
		})
	}
}

// BenchmarkCheckText is the UTF-8 check every SCIM body goes through:
// a body of n member values.
func BenchmarkCheckText(b *testing.B) {
	for _, n := range benchSizes {
		body, err := json.Marshal(map[string]any{"members": benchList(GroupSchema.Attr("members"), n)})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if CheckText(body) != nil {
					b.Fatal("clean body refused")
				}
			}
		})
	}
}
