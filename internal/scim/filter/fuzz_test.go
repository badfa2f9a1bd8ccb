package filter

import (
	"errors"
	"reflect"
	"testing"
)

var parseSeeds = []string{
	`userName eq "bjensen"`,
	`name.familyName co "O'Malley"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr and userType eq "Employee"`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
	`userName sw O`,
	`a eq 1 or b eq 2 and c eq 3`,
	`a eq -1.5e3 and b eq TRUE and c ne null`,
	`a eq "\"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00"`,
	`emails[type eq "work"].value eq "x@example.com"`,
	ent + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
	`members.$ref pr`,
	`not(not (a pr))`,
	"((a pr)\tor\t(b pr))",
	`externalId eq "00u1" and active eq true`,
	`displayName eq "Group (1) [x]"`,
}

// FuzzParse checks that Parse never panics, that failures are *Error with
// a position inside the input, and that successes survive a Format round
// trip unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s, Limits{})
		if err != nil {
			checkError(t, s, err)
			if e != nil {
				t.Fatalf("Parse(%q) returned an AST with error %v", s, err)
			}
			return
		}
		checkValues(t, e)
		assertRoundTrip(t, s, e)
	})
}

var pathSeeds = []string{
	`userName`,
	`name.familyName`,
	`members`,
	`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
	`members[value eq "2819c223"].display`,
	`emails[type eq "work"].value`,
	`emails[type eq "work" and primary eq true]`,
	`roles[primary eq "True"].value`,
	`addresses[type eq "work"].streetAddress`,
	`phoneNumbers[type eq "mobile" or type eq "work"]`,
	`x509Certificates[not (value pr)]`,
	ent + `:manager`,
	ent + `:manager.value`,
	ent + `:employeeNumber`,
	`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`,
	`members.$ref`,
	`active`,
	`a..b`,
	`a[b[c pr]]`,
	`emails[value ew "@example.com"]`,
}

// FuzzParsePath checks the same properties for ParsePath, with Path.String
// as the printer.
func FuzzParsePath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s, Limits{})
		if err != nil {
			checkError(t, s, err)
			if !reflect.DeepEqual(p, Path{}) {
				t.Fatalf("ParsePath(%q) returned %#v with error %v", s, p, err)
			}
			return
		}
		if p.Attr.Name == "" {
			t.Fatalf("ParsePath(%q) has no attribute name", s)
		}
		if p.Filter != nil {
			checkValues(t, p.Filter)
		}
		out := p.String()
		p2, err := ParsePath(out, Limits{MaxLength: 1 << 30})
		if err != nil {
			t.Fatalf("ParsePath(%q).String() = %q does not re-parse: %v", s, out, err)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip of %q via %q changed the path:\n%#v\n%#v", s, out, p, p2)
		}
	})
}

func checkError(t *testing.T, s string, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error for %q is %T, want *Error: %v", s, err, err)
	}
	if pe.Pos < 0 || pe.Pos > len(s) || pe.Msg == "" {
		t.Fatalf("error for %q has position %d (input is %d bytes) or no message: %v", s, pe.Pos, len(s), err)
	}
}
