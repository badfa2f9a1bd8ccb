package service

import (
	"regexp"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("hunter2 hunter2") // production parameters
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Fatalf("not PHC argon2id: %s", h)
	}
	h2, _ := HashPassword("hunter2 hunter2")
	if h == h2 {
		t.Fatal("no salt")
	}
	for _, tc := range []struct {
		hash, pw string
		ok       bool
	}{
		{h, "hunter2 hunter2", true},
		{h, "hunter2 hunter3", false},
		{h, "", false},
		{"", "", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), "hunter2 hunter2", false},
		{strings.Replace(h, "t=3", "t=2", 1), "hunter2 hunter2", false},
		{"$argon2id$v=19$m=999999999,t=1,p=1$c2FsdA$aGFzaA", "x", false},
		{"garbage", "x", false},
	} {
		if got := VerifyPassword(tc.hash, tc.pw); got != tc.ok {
			t.Errorf("Verify(%q, %q) = %v", tc.hash, tc.pw, got)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"Developer"}, "Developer"},
		{[]string{"Developer", "Admin", "Developer", " Billing "}, "Admin,Billing,Developer"},
		{nil, ""},
	} {
		if got := JoinRoles(tc.in); got != tc.want {
			t.Errorf("JoinRoles(%q) = %q", tc.in, got)
		}
	}
	if !HasRole("Admin,Super Admin", RoleSuperAdmin) || HasRole("Admin", RoleSuperAdmin) || !HasRole("Super Admin", RoleSuperAdmin) {
		t.Fatal("HasRole")
	}
	for _, p := range Permissions {
		if !Allowed([]string{RoleSuperAdmin}, p.Action) {
			t.Errorf("Super Admin can't %s", p.Action)
		}
	}
	if Allowed([]string{RoleSuperAdmin}, "no.such.action") {
		t.Fatal("unknown action allowed")
	}
}
