package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PersonName is the SCIM "name" of a member that Roster creates itself
// (the first admin of `roster team create`, a member who joins by
// accepting an invite), so that such members look like the ones an IdP
// provisions: an IdP's connection test reads the first user and may
// require name.givenName and name.familyName (Okta's does).
//
// A given full name ("Ada Lovelace") is split at its first space: the
// first word is the given name, the rest the family name; "Lovelace, Ada"
// names the family name first. Without one, the name is read off the
// email's local part: the part before any "+tag", split at dots, dashes
// and underscores, each word capitalised ("ada.lovelace@…" is Ada
// Lovelace). A single word is both the given and the family name, so
// neither is ever empty. formatted is the whole name. nil when there is
// nothing to make a name of.
func PersonName(fullName, email string) map[string]any {
	given, family, formatted := splitFullName(fullName)
	if given == "" {
		given, family, formatted = nameFromEmail(email)
	}
	if given == "" {
		return nil
	}
	return map[string]any{"givenName": given, "familyName": family, "formatted": formatted}
}

// splitFullName splits a full name as people type it (see PersonName).
func splitFullName(s string) (given, family, formatted string) {
	s = strings.Join(strings.Fields(s), " ")
	if f, g, ok := strings.Cut(s, ","); ok {
		f, g = strings.TrimSpace(f), strings.TrimSpace(g)
		switch {
		case f != "" && g != "":
			return g, f, g + " " + f
		case f == "" && g == "":
			return "", "", ""
		}
		s = f + g // one of them: a single name
	}
	if g, f, ok := strings.Cut(s, " "); ok {
		return g, f, s
	}
	return s, s, s
}

// nameFromEmail reads a name off an email's local part (see PersonName).
func nameFromEmail(email string) (given, family, formatted string) {
	local, _, _ := strings.Cut(email, "@")
	local, _, _ = strings.Cut(local, "+")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '-' || r == '_' })
	for i, w := range words {
		words[i] = capitalise(w)
	}
	switch len(words) {
	case 0:
		return "", "", ""
	case 1:
		return words[0], words[0], words[0]
	}
	return words[0], strings.Join(words[1:], " "), strings.Join(words, " ")
}

func capitalise(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	if r == utf8.RuneError {
		return w
	}
	return string(unicode.ToTitle(r)) + w[n:]
}
