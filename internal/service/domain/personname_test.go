package domain

import (
	"reflect"
	"testing"
)

func TestPersonName(t *testing.T) {
	name := func(g, f, formatted string) map[string]any {
		return map[string]any{"givenName": g, "familyName": f, "formatted": formatted}
	}
	for _, tc := range []struct {
		full, email string
		want        map[string]any
	}{
		{"Ada Lovelace", "x@example.com", name("Ada", "Lovelace", "Ada Lovelace")},
		{"  Gabriel   García Márquez ", "", name("Gabriel", "García Márquez", "Gabriel García Márquez")},
		{"Lovelace, Ada Augusta", "", name("Ada Augusta", "Lovelace", "Ada Augusta Lovelace")},
		{"Cher", "", name("Cher", "Cher", "Cher")},
		{"Cher,", "", name("Cher", "Cher", "Cher")},
		{" , ", "ada@example.com", name("Ada", "Ada", "Ada")},
		// Without a full name, the email's local part, before any +tag.
		{"", "ada.lovelace@example.com", name("Ada", "Lovelace", "Ada Lovelace")},
		{"   ", "jean-luc_picard+roster@example.com", name("Jean", "Luc Picard", "Jean Luc Picard")},
		{"", "admin@acme.example", name("Admin", "Admin", "Admin")},
		{"", "émile.zola@example.fr", name("Émile", "Zola", "Émile Zola")},
		{"", "...@example.com", nil},
		{"", "", nil},
	} {
		if got := PersonName(tc.full, tc.email); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("PersonName(%q, %q) = %v, want %v", tc.full, tc.email, got, tc.want)
		}
	}
}
