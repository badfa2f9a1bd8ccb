package service

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// FuzzDecodeCursor decodes arbitrary page tokens, and tokens made of
// arbitrary payloads. A token is either refused with a 400 naming the
// cursor, or names a position that EncodeCursor gives back as the very
// same token.
func FuzzDecodeCursor(f *testing.F) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC)
	for _, c := range []store.LogCursor{{At: at, ID: "01JGZ3"}, {At: at.Truncate(time.Second), ID: "a|b"}, {At: time.Time{}, ID: "x"}} {
		f.Add(EncodeCursor(c), "")
	}
	for _, p := range []string{
		"2026-01-02T15:04:05Z|id",
		"2026-01-02T15:04:05.500Z|id",
		"2026-01-02T16:04:05+01:00|id",
		"9999-12-31T23:59:59-01:00|id",
		"0000-01-01T00:00:00+01:00|id",
		"2026-01-02T15:04:05Z|",
		"2026-01-02T15:04:05Z",
		"|id",
	} {
		f.Add("", p)
	}
	f.Add("!!!", "")
	f.Add("MjAyNi0wMS0wMlQxNTowNDowNVp8aWQ=", "")
	f.Fuzz(func(t *testing.T, token, payload string) {
		for _, s := range []string{token, base64.RawURLEncoding.EncodeToString([]byte(payload))} {
			c, err := DecodeCursor(s)
			if err != nil {
				e, ok := AsError(err)
				if !ok || e.Kind != KindInvalid || e.Field != "cursor" || c != nil {
					t.Fatalf("DecodeCursor(%q) = %v, %v (%T), want a 400 for the cursor", s, c, err, err)
				}
				continue
			}
			if s == "" {
				if c != nil {
					t.Fatalf(`DecodeCursor("") = %+v, want nil`, c)
				}
				continue
			}
			if c == nil || c.ID == "" {
				t.Fatalf("DecodeCursor(%q) = %+v", s, c)
			}
			if got := EncodeCursor(*c); got != s {
				t.Fatalf("DecodeCursor(%q) = %v|%q re-encodes as %q", s, c.At, c.ID, got)
			}
		}
	})
}

// FuzzParseStatusFilter checks that a status filter is refused with a 400
// naming the field, or is one of the documented ranges, which reads back
// the same from its canonical spelling, in any case and padding.
func FuzzParseStatusFilter(f *testing.F) {
	for _, s := range []string{"", "error", "Errors", "4xx", "5XX", "1xx", "409", " 200 ", "+404", "0409", "600", "6xx", "0xx", "99", "4x", "xx", "error4xx", "-409", "٤٠٩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, err := ParseStatusFilter(s)
		if err != nil {
			e, ok := AsError(err)
			if !ok || e.Kind != KindInvalid || e.Field != "status" || lo != 0 || hi != 0 {
				t.Fatalf("ParseStatusFilter(%q) = %d, %d, %v (%T), want a 400 for status", s, lo, hi, err, err)
			}
			return
		}
		var canon string
		switch {
		case lo == 0 && hi == 0:
			canon = ""
		case lo == 400 && hi == 0:
			canon = "error"
		case lo == hi && lo >= 100 && lo <= 599:
			canon = strconv.Itoa(lo)
		case lo%100 == 0 && lo >= 100 && lo <= 500 && hi == lo+99:
			canon = strconv.Itoa(lo/100) + "xx"
		default:
			t.Fatalf("ParseStatusFilter(%q) = %d, %d: not a documented range", s, lo, hi)
		}
		for _, v := range []string{canon, " \t" + asciiUpper(s) + "\n", strings.ToUpper(canon)} {
			lo2, hi2, err := ParseStatusFilter(v)
			if err != nil || lo2 != lo || hi2 != hi {
				t.Fatalf("ParseStatusFilter(%q) = %d, %d but ParseStatusFilter(%q) = %d, %d, %v", s, lo, hi, v, lo2, hi2, err)
			}
		}
	})
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// FuzzResourceRecord turns arbitrary POST/PUT bodies into the records
// CreateUser and CreateGroup store: Normalize, then fillUser, or memberIDs
// and fillGroup. Refusals must be SCIM 400s. A stored user never holds a
// password, its columns agree with its attributes, and its attributes are
// canonical (they read back unchanged); a stored group holds no members.
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
			if err := fillUser(&u, res); err != nil {
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
	e, ok := AsError(FromSCIM(err))
	if !ok || e.Kind != KindInvalid || e.SCIMType != scim.InvalidValue || e.Message == "" {
		t.Fatalf("error %v (%T), want an invalid value (SCIM invalidValue)", err, err)
	}
}

func decodeStored(t *testing.T, b []byte) scim.Resource {
	t.Helper()
	var r scim.Resource
	if err := decodeAttrs(b, &r); err != nil {
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
