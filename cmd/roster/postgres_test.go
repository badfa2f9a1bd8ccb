package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

// scimDo sends one SCIM request and decodes the JSON answer.
func scimDo(method, url, token string, body any) (int, map[string]any, error) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, nil
}

// Two `roster serve` processes on one PostgreSQL schema serve the same
// team correctly (issue 5, "A multi-process test"): concurrent Okta-shaped
// creates of overlapping userNames through both yield exactly one member
// per userName, every 201 readable from both; concurrent group membership
// adds through both lose no member.
func TestMultiProcessPostgres(t *testing.T) {
	dbURL := pgtest.NewSchemaURL(t)
	addrA, _ := startServe(t, "", nil, "--database-url", dbURL)
	// The second replica takes its URL from the environment.
	addrB, outB := startServe(t, "", []string{"ROSTER_DATABASE_URL=" + dbURL})
	bases := []string{"http://" + addrA + "/scim/v2", "http://" + addrB + "/scim/v2"}
	if out := outB.String(); strings.Contains(out, dbURL) {
		t.Fatalf("serve printed the database URL:\n%s", out)
	}

	// The CLI, on the same database, sets up a team both servers see.
	team := jsonObject(t, roster(t, "team", "create", "--database-url", dbURL, "--name", "Acme", "--admin-email", "admin@acme.example", "--json"))
	slug := fmt.Sprint(team["slug"])
	roster(t, "scim", "enable", "--database-url", dbURL, "--team", slug)
	cmd := exec.Command(binary, "scim-key", "create", "--team", slug, "--name", "okta", "--json")
	cmd.Env = append(os.Environ(), "ROSTER_DATABASE_URL="+dbURL)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scim-key create with ROSTER_DATABASE_URL: %v", err)
	}
	token := fmt.Sprint(jsonObject(t, out)["token"])

	// Concurrent creates: each userName is posted four times, twice
	// through each server, in differing case.
	const names = 12
	type created struct{ name, id string }
	var (
		mu      sync.Mutex
		wins    = map[string][]string{} // folded userName -> ids created
		fails   []string
		wg      sync.WaitGroup
		barrier = make(chan struct{})
	)
	for i := range names {
		for j := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("user%02d@acme.example", i)
				if j%2 == 1 {
					name = strings.ToUpper(name[:1]) + name[1:]
				}
				body := map[string]any{
					"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
					"userName": name, "externalId": fmt.Sprintf("00u%02d-%d", i, j),
					"name":   map[string]any{"givenName": "Test", "familyName": "User"},
					"emails": []any{map[string]any{"primary": true, "value": name, "type": "work"}},
					"active": true, "password": "1mz050nq", "groups": []any{},
				}
				<-barrier
				status, resp, err := scimDo("POST", bases[j%2]+"/Users", token, body)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					fails = append(fails, err.Error())
				case status == http.StatusCreated:
					wins[strings.ToLower(name)] = append(wins[strings.ToLower(name)], fmt.Sprint(resp["id"]))
				case status == http.StatusConflict && resp["scimType"] == "uniqueness":
				default:
					fails = append(fails, fmt.Sprintf("POST %s: %d %v", name, status, resp))
				}
			}()
		}
	}
	close(barrier)
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("creates failed:\n%s", strings.Join(fails, "\n"))
	}
	var ids []string
	for i := range names {
		name := fmt.Sprintf("user%02d@acme.example", i)
		if len(wins[name]) != 1 {
			t.Fatalf("%s: %d creates succeeded, want exactly 1", name, len(wins[name]))
		}
		id := wins[name][0]
		ids = append(ids, id)
		for _, base := range bases {
			status, u, err := scimDo("GET", base+"/Users/"+id, token, nil)
			if err != nil || status != 200 || !strings.EqualFold(fmt.Sprint(u["userName"]), name) {
				t.Fatalf("GET %s/Users/%s: %d %v %v", base, id, status, u, err)
			}
			status, l, err := scimDo("GET", base+`/Users?filter=userName+eq+%22`+strings.ToUpper(name)+`%22`, token, nil)
			if err != nil || status != 200 || l["totalResults"] != float64(1) {
				t.Fatalf("filter %s on %s: %d %v %v", name, base, status, l, err)
			}
		}
	}

	// Concurrent membership adds through both servers, one member per
	// request, plus overlapping batches: none may be lost.
	status, g, err := scimDo("POST", bases[0]+"/Groups", token, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering",
	})
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create group: %d %v %v", status, g, err)
	}
	gid := fmt.Sprint(g["id"])
	add := func(base string, members ...string) {
		defer wg.Done()
		var vals []any
		for _, m := range members {
			vals = append(vals, map[string]any{"value": m})
		}
		body := map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": vals}},
		}
		status, resp, err := scimDo("PATCH", base+"/Groups/"+gid, token, body)
		if err != nil || (status != 200 && status != 204) {
			mu.Lock()
			fails = append(fails, fmt.Sprintf("PATCH add %v via %s: %d %v %v", members, base, status, resp, err))
			mu.Unlock()
		}
	}
	for i, id := range ids {
		wg.Add(2)
		go add(bases[i%2], id)
		go add(bases[(i+1)%2], ids[(i+1)%len(ids)], id)
	}
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("membership adds failed:\n%s", strings.Join(fails, "\n"))
	}
	for _, base := range bases {
		status, g, err := scimDo("GET", base+"/Groups/"+gid, token, nil)
		if err != nil || status != 200 {
			t.Fatalf("GET group via %s: %d %v", base, status, err)
		}
		members, _ := g["members"].([]any)
		got := map[string]bool{}
		for _, m := range members {
			got[fmt.Sprint(m.(map[string]any)["value"])] = true
		}
		for _, id := range ids {
			if !got[id] {
				t.Fatalf("via %s: member %s lost; group has %d of %d", base, id, len(got), len(ids))
			}
		}
		if len(got) != len(ids) {
			t.Fatalf("via %s: %d members, want %d", base, len(got), len(ids))
		}
	}
}
