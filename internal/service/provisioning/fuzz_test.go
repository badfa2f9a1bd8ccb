package provisioning

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// FuzzResourceRecord turns arbitrary POST/PUT bodies into the records
// CreateUser and CreateGroup store: Normalize, then domain.FillUser, or
// memberIDs and fillGroup. Refusals must be SCIM 400s. A stored user never
// holds a password, its columns agree with its attributes, and its
// attributes are canonical (they read back unchanged); a stored group
// holds no members.
func FuzzResourceRecord(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isaac.brock@example.com","name":{"givenName":"Isaac","familyName":"Brock"},"emails":[{"primary":true,"value":"isaac.brock@example.com","type":"work"}],"displayName":"Isaac Brock","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2","userName":"Test_User_ab6490ee","active":"False","emails":[{"primary":"True","type":"work","value":"t@x.com"},{"type":"home","value":""}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m-1"}}`,
		`{"PASSWORD":"x","userName":"u","urn:ietf:params:scim:schemas:core:2.0:User":{"Password":"y"},"urn:ietf:params:scim:schemas:core:2.0:User:password":"z"}`,
		`{"displayName":"Test SCIMv2","members":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}`,
		`{"displayName":"  G  ","externalId":"8aa1","members":["u-1","u-2","u-1"]}`,
		`{"displayName":" ","members":[{"display":"no value"}]}`,
		`{"userName":""}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := scim.DecodeObject(body)
		if err != nil {
			return // FuzzNormalize covers the decoding
		}
		if res, err := scim.Normalize(scim.UserType, m); err == nil {
			var u store.User
			if err := domain.FillUser(&u, res); err != nil {
				wantInvalidValue(t, err)
			} else {
				checkStoredUser(t, u)
			}
		} else {
			wantInvalidValue(t, err)
		}
		if res, err := scim.Normalize(scim.GroupType, m); err == nil {
			ids, err := memberIDs(res["members"])
			if err != nil {
				wantInvalidValue(t, err)
				return
			}
			for _, id := range ids {
				if id == "" {
					t.Fatalf("memberIDs gave an empty id: %q", ids)
				}
			}
			var g store.Group
			if err := fillGroup(&g, res); err != nil {
				wantInvalidValue(t, err)
				return
			}
			if g.DisplayName == "" || g.DisplayName != strings.TrimSpace(g.DisplayName) {
				t.Fatalf("group displayName %q", g.DisplayName)
			}
			a := decodeStored(t, g.Attrs)
			if _, ok := a["members"]; ok {
				t.Fatalf("stored group attributes hold members: %s", g.Attrs)
			}
		} else {
			wantInvalidValue(t, err)
		}
	})
}

func wantInvalidValue(t *testing.T, err error) {
	t.Helper()
	e, ok := domain.AsError(domain.FromSCIM(err))
	if !ok || e.Kind != domain.KindInvalid || e.SCIMType != scim.InvalidValue || e.Message == "" {
		t.Fatalf("error %v (%T), want an invalid value (SCIM invalidValue)", err, err)
	}
}

func decodeStored(t *testing.T, b []byte) scim.Resource {
	t.Helper()
	var r scim.Resource
	if err := domain.DecodeAttrs(b, &r); err != nil {
		t.Fatalf("stored attributes do not decode: %v: %s", err, b)
	}
	return r
}

func checkStoredUser(t *testing.T, u store.User) {
	t.Helper()
	a := decodeStored(t, u.Attrs)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.EqualFold(k, "password") {
					t.Fatalf("stored user attributes hold a password: %s", u.Attrs)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(map[string]any(a))
	again, err := scim.Normalize(scim.UserType, a)
	if err != nil {
		t.Fatalf("stored attributes do not normalise: %v: %s", err, u.Attrs)
	}
	if b, _ := json.Marshal(again); string(b) != string(u.Attrs) {
		t.Fatalf("stored attributes are not canonical:\n%s\n%s", u.Attrs, b)
	}
	if u.UserName == "" || u.UserName != a.String("userName") || u.ExternalID != a.String("externalId") || u.DisplayName != a.String("displayName") {
		t.Fatalf("columns %q %q %q disagree with %s", u.UserName, u.ExternalID, u.DisplayName, u.Attrs)
	}
	if active, ok := a.Bool("active"); !ok || active != u.Active {
		t.Fatalf("active %v disagrees with %s", u.Active, u.Attrs)
	}
	values := a.Values("emails", "value")
	if len(u.Emails) != len(values) {
		t.Fatalf("emails %+v disagree with %s", u.Emails, u.Attrs)
	}
	for i, e := range u.Emails {
		if e.Value != values[i] {
			t.Fatalf("emails %+v disagree with %s", u.Emails, u.Attrs)
		}
	}
}
