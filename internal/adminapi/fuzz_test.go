package adminapi

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// FuzzLogQuery parses arbitrary audit and provisioning log queries. A bad
// parameter must be a 400 naming the parameter; a good query must hold
// a page size of at most MaxLogPage, a valid offset and status range,
// times the store can order, and a cursor that re-encodes to one that
// decodes to the same position.
func FuzzLogQuery(f *testing.F) {
	for _, s := range logQuerySeeds {
		f.Add(s)
	}
	params := map[string]bool{"since": true, "until": true, "limit": true, "offset": true, "cursor": true, "status": true}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := &http.Request{URL: &url.URL{RawQuery: rawQuery}}
		check := func(err error) bool {
			t.Helper()
			if err == nil {
				return true
			}
			e, ok := service.AsError(err)
			if !ok || e.Kind != service.KindInvalid || !params[e.Field] || e.Message == "" {
				t.Fatalf("%q: error %v (%T), want a 400 naming a parameter", rawQuery, err, err)
			}
			return false
		}
		// The store orders times as fixed-width text: years 0000-9999.
		inRange := func(ts time.Time) bool {
			return ts.IsZero() || ts.UTC().Year() >= 0 && ts.UTC().Year() <= 9999
		}
		aq, err := AuditQueryFromURL(r)
		if check(err) {
			if !inRange(aq.Since) || !inRange(aq.Until) {
				t.Fatalf("%q: since %v, until %v", rawQuery, aq.Since, aq.Until)
			}
			if aq.Limit < 0 || aq.Limit > service.MaxLogPage || aq.Offset < 0 {
				t.Fatalf("%q: limit %d offset %d", rawQuery, aq.Limit, aq.Offset)
			}
			if aq.After != nil {
				c, err := service.DecodeCursor(service.EncodeCursor(*aq.After))
				if err != nil || !c.At.Equal(aq.After.At) || c.ID != aq.After.ID {
					t.Fatalf("%q: cursor %+v does not re-encode (%v)", rawQuery, aq.After, err)
				}
			}
		}
		pq, err := ProvisioningQueryFromURL(r)
		if check(err) {
			if !inRange(pq.Since) || !inRange(pq.Until) {
				t.Fatalf("%q: since %v, until %v", rawQuery, pq.Since, pq.Until)
			}
			if pq.Limit < 0 || pq.Limit > service.MaxLogPage {
				t.Fatalf("%q: limit %d", rawQuery, pq.Limit)
			}
			if pq.MinStatus < 0 || pq.MaxStatus != 0 && (pq.MaxStatus < 100 || pq.MaxStatus > 599) {
				t.Fatalf("%q: status %d–%d", rawQuery, pq.MinStatus, pq.MaxStatus)
			}
		}
	})
}

var logQuerySeeds = []string{
	`since=2026-01-02T15:04:05Z&until=2026-01-03T00:00:00.5%2B01:00&limit=50`,
	`status=4xx&errors=true&method=PATCH&path=%2FUsers&user_id=u1&limit=1000`,
	`status=error&cursor=MjAyNi0wMS0wMlQxNTowNDowNVp8YWJj`,
	`actor=admin%40example.com&action=user.&target=user:u-1&target_type=group&offset=10`,
	`status=409&limit=0`,
	`status=6xx`,
	`since=yesterday`,
	`cursor=!!!&offset=-1`,
	`limit=%2B5&status=+404+`,
	`until=9999-12-31T23:59:59-01:00`,
	`since=0000-01-01T00:00:00%2B00:01`,
}
