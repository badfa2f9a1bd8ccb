package domain

import "testing"

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
