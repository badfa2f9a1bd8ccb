package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

const deactivate = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`

// TestDeprovisioningPage: Team settings → Deprovisioning shows the guard
// and saves its settings (bad numbers refused, nothing changed); when the
// IdP's deactivations trip it, the page (and the overview) show the
// reason and the held changes; Confirm applies them, Reject drops them,
// and either resumes. A Developer is refused, and forms need the CSRF
// token.
func TestDeprovisioningPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	super := e.signIn(e.admin, e.adminP)
	caller := e.adminCaller()

	r := super.get("/teams/acme/settings/deprovisioning")
	want(t, r, 200, "<h1>Deprovisioning</h1>", `id="guard-state">Guard on`, `name="percent" type="number" min="1" max="100" step="1" inputmode="numeric" value="20"`,
		`name="min_count" type="number" min="1" step="1" inputmode="numeric" value="10"`, `value="10">`)
	checkHeaders(t, r)
	wantNot(t, r, `id="paused"`)

	// Refusals keep the form; nothing changes.
	want(t, super.post("/teams/acme/settings/deprovisioning", url.Values{"enabled": {"true"}, "percent": {"lots"}, "min_count": {"2"}, "window_minutes": {"5"}}),
		400, "lots", `value="lots"`)
	want(t, super.post("/teams/acme/settings/deprovisioning", url.Values{"enabled": {"true"}, "percent": {"101"}, "min_count": {"2"}, "window_minutes": {"5"}}),
		400, "percent must be from 1 to 100")
	want(t, super.post("/teams/acme/settings/deprovisioning", url.Values{"enabled": {"true"}, "percent": {"20"}, "min_count": {"2"}, "window_minutes": {"20000"}}),
		400, "from 1 minute to 7 days")
	want(t, super.do("POST", "/teams/acme/settings/deprovisioning", url.Values{"percent": {"50"}}), 403, "CSRF")
	if g, _ := e.svc.DeprovisionGuard(ctx, caller); !g.Enabled || g.Percent != 20 || g.MinCount != 10 {
		t.Fatalf("refused forms changed the guard: %+v", g)
	}
	// Off, then on with a lower bar.
	want(t, super.post("/teams/acme/settings/deprovisioning", url.Values{"percent": {"20"}, "min_count": {"10"}, "window_minutes": {"10"}}), http.StatusSeeOther)
	want(t, super.get("/teams/acme/settings/deprovisioning?done=guard-saved"), 200, "were saved", `id="guard-state">Guard off`)
	r = super.post("/teams/acme/settings/deprovisioning", url.Values{"enabled": {"true"}, "percent": {"20"}, "min_count": {"2"}, "window_minutes": {"5"}})
	want(t, r, http.StatusSeeOther)
	if g, _ := e.svc.DeprovisionGuard(ctx, caller); !g.Enabled || g.Percent != 20 || g.MinCount != 2 || g.WindowSeconds != 300 {
		t.Fatalf("guard after saving: %+v", g)
	}

	// Six SCIM members; the IdP deactivates them one by one.
	key, err := e.svc.CreateKey(ctx, "acme", "okta", nil, caller.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetSCIM(ctx, "acme", true, caller.Actor); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 6 {
		ids = append(ids, scimCreate(t, e, key.Token, fmt.Sprintf("p%d@acme.example", i)))
	}
	trip := func(from int) (held string) {
		t.Helper()
		for i := from; i < len(ids); i++ {
			res := scimJSON(t, e, key.Token, "PATCH", "/Users/"+ids[i], rawJSON(deactivate))
			if res.Status == http.StatusTooManyRequests {
				if res.Header.Get("Retry-After") == "" {
					t.Error("a held deactivation has no Retry-After")
				}
				return ids[i]
			}
			res.Must(t, http.StatusOK)
		}
		t.Fatal("the guard never paused")
		return ""
	}
	held := trip(0)
	r = super.get("/teams/acme/settings/deprovisioning")
	want(t, r, 200, `id="guard-state">Paused`, "Deprovisioning is paused", "would be deactivated or deleted through SCIM", `data-member-id="`+held+`"`,
		"deactivate", "Confirm: apply the 1 held change", "Reject: drop them")
	want(t, super.get("/teams/acme/"), 200, `id="guard-paused-notice"`, "Deprovisioning is paused", `href="/teams/acme/settings/deprovisioning"`)
	// Switching it off while it holds changes is refused.
	want(t, super.post("/teams/acme/settings/deprovisioning", url.Values{"percent": {"20"}, "min_count": {"2"}, "window_minutes": {"5"}}), 409, "confirm or reject them")

	// A Developer can't see or decide; without the token nothing happens.
	e.addMember("dev@acme.example", []string{service.RoleDeveloper}, store.SourceManual)
	dev := e.signIn("dev@acme.example", pw)
	want(t, dev.get("/teams/acme/settings/deprovisioning"), 403)
	want(t, dev.post("/teams/acme/settings/deprovisioning/confirm", nil), 403)
	wantNot(t, dev.get("/teams/acme/"), "Deprovisioning is paused", "/settings/deprovisioning")
	want(t, super.do("POST", "/teams/acme/settings/deprovisioning/confirm", url.Values{}), 403, "CSRF")
	want(t, super.do("POST", "/teams/acme/settings/deprovisioning/reject", url.Values{"csrf_token": {"forged"}}), 403, "CSRF")
	if g, _ := e.svc.DeprovisionGuard(ctx, caller); !g.Paused || len(g.Held) != 1 {
		t.Fatalf("refused decisions changed the guard: %+v", g)
	}
	if u, _ := e.st.User(ctx, e.team.ID, held); !u.Active {
		t.Fatal("the held member was deactivated before anyone confirmed")
	}

	// Confirm: the held change is applied, deprovisioning resumes.
	r = super.post("/teams/acme/settings/deprovisioning/confirm", nil)
	heldName, _ := e.st.User(ctx, e.team.ID, held)
	want(t, r, 200, "Confirmed: 1 held change applied", `id="decision"`, "Applied: deactivate <strong>"+heldName.UserName+"</strong>", `id="guard-state">Guard on`)
	wantNot(t, r, `id="paused"`)
	if u, _ := e.st.User(ctx, e.team.ID, held); u.Active {
		t.Fatal("confirmed, yet the held member is still active")
	}
	wantNot(t, super.get("/teams/acme/"), "Deprovisioning is paused")
	// Nothing left to decide: a clear refusal.
	want(t, super.post("/teams/acme/settings/deprovisioning/reject", nil), 409, "not paused")

	// Trip it again and reject: the held member stays active.
	var rest int
	for i, id := range ids {
		if id == held {
			rest = i + 1
		}
	}
	held2 := trip(rest)
	r = super.post("/teams/acme/settings/deprovisioning/reject", nil)
	want(t, r, 200, "Rejected: 1 held change dropped", "Dropped:")
	if u, _ := e.st.User(ctx, e.team.ID, held2); !u.Active {
		t.Fatal("rejected, yet the held member was deactivated")
	}
	if g, _ := e.svc.DeprovisionGuard(ctx, caller); g.Paused || len(g.Held) != 0 {
		t.Fatalf("after reject: %+v", g)
	}
}

// rawJSON is a JSON document sent as it is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
