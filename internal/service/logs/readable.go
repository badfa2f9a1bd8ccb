package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// AuditView is an audit event as people read it: the name of its target
// beside the id, what changed as a list of fields with their values
// before and after, and the rest of the event's detail as named values.
type AuditView struct {
	store.AuditEvent
	// TargetName names the target (a member's userName, a group's or a
	// key's name, an invite's email); "" when Roster can't tell (the
	// target is gone and the event didn't record a name).
	TargetName string
	// Changes are the fields the event changed, in order.
	Changes []Change
	// Fields are the detail's other values, by name.
	Fields []Field
}

// Change is one field's value before and after an event. Hidden is set
// for a field whose values the audit trail doesn't keep (a member's
// personal data: the event records that it changed, not to what).
type Change struct {
	Field, Before, After string
	Hidden               bool
}

// Field is one named value of an event's detail.
type Field struct{ Name, Value string }

// maxNameLookups bounds the reads one page of views may make to name
// targets whose events didn't record a name.
const maxNameLookups = 200

// AuditViews makes events readable. The targets' names come from the
// events where they recorded one, else from the team's current records
// (one read per target not already named, at most maxNameLookups).
func (s *Service) AuditViews(ctx context.Context, teamID string, events []store.AuditEvent) ([]AuditView, error) {
	out := make([]AuditView, len(events))
	names := map[string]string{} // type:id → name
	var keys map[string]string   // SCIM key id → name, read once
	lookups := 0
	for i, e := range events {
		v := AuditView{AuditEvent: e}
		var detail map[string]any
		if e.Detail != "" {
			_ = json.Unmarshal([]byte(e.Detail), &detail)
		}
		v.TargetName = nameInDetail(e.TargetType, detail)
		v.Changes, v.Fields = changesOf(e.Action, detail)
		ref := e.TargetType + ":" + e.TargetID
		if v.TargetName != "" {
			if _, ok := names[ref]; !ok {
				names[ref] = v.TargetName
			}
		} else if n, ok := names[ref]; ok {
			v.TargetName = n
		} else if e.TargetID != "" && lookups < maxNameLookups {
			lookups++
			n, err := s.currentName(ctx, teamID, e.TargetType, e.TargetID, &keys)
			if err != nil {
				return nil, err
			}
			names[ref], v.TargetName = n, n
		}
		out[i] = v
	}
	return out, nil
}

// nameInDetail finds the name an event recorded for its target.
func nameInDetail(targetType string, d map[string]any) string {
	if d == nil {
		return ""
	}
	pick := func(m map[string]any, keys ...string) string {
		for _, k := range keys {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
		return ""
	}
	var keys []string
	switch targetType {
	case "user":
		keys = []string{"userName", "displayName"}
	case "group", "team", "scim_key", "api_token":
		keys = []string{"displayName", "name"}
	case "invite", "account":
		keys = []string{"email"}
	default:
		keys = []string{"userName", "displayName", "name", "email"}
	}
	if n := pick(d, keys...); n != "" {
		return n
	}
	// An update records the target's name in its after and before states.
	for _, k := range []string{"after", "before"} {
		if m, ok := d[k].(map[string]any); ok {
			if n := pick(m, keys...); n != "" {
				return n
			}
		}
	}
	return ""
}

// currentName reads the name of a target as it is now; "" when it is gone.
func (s *Service) currentName(ctx context.Context, teamID, typ, id string, keys *map[string]string) (string, error) {
	var name string
	var err error
	switch typ {
	case "user":
		var u store.User
		if u, err = s.st.User(ctx, teamID, id); err == nil {
			name = u.UserName
		}
	case "group":
		var g store.Group
		if g, err = s.st.Group(ctx, teamID, id); err == nil {
			name = g.DisplayName
		}
	case "team":
		var t store.Team
		if t, err = s.st.Team(ctx, id); err == nil && t.ID == teamID {
			name = t.Name
		}
	case "invite":
		var inv store.InviteDetail
		if inv, err = s.st.InviteDetail(ctx, teamID, id); err == nil {
			name = inv.Email
		}
	case "account":
		var a store.Account
		if a, err = s.st.Account(ctx, id); err == nil {
			name = a.Email
		}
	case "scim_key":
		if *keys == nil {
			ks, err := s.st.ListKeys(ctx, teamID)
			if err != nil {
				return "", err
			}
			*keys = map[string]string{}
			for _, k := range ks {
				(*keys)[k.ID] = k.Name
			}
		}
		name = (*keys)[id]
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return name, err
}

// changesOf reads what an event changed from its detail: "before" and
// "after" objects give one change per field that differs; a "before"
// and "after" (or the new value under the field's own name) that are
// plain values give one change of the field the action names; "changed"
// and "fields" list fields whose values weren't kept. Everything else is
// a Field.
func changesOf(action string, d map[string]any) ([]Change, []Field) {
	if d == nil {
		return nil, nil
	}
	var changes []Change
	done := map[string]bool{}
	before, hasBefore := d["before"]
	after, hasAfter := d["after"]
	bm, bIsMap := before.(map[string]any)
	am, aIsMap := after.(map[string]any)
	field := actionField(action)
	switch {
	case hasBefore && hasAfter && (bIsMap || aIsMap):
		for _, k := range unionKeys(bm, am) {
			b, a := bm[k], am[k]
			if sameJSON(b, a) {
				continue
			}
			changes = append(changes, Change{Field: k, Before: formatValue(b), After: formatValue(a)})
			done[k] = true
		}
	case hasBefore && hasAfter:
		changes = append(changes, Change{Field: field, Before: formatValue(before), After: formatValue(after)})
		done[field] = true
	case hasBefore && d[field] != nil:
		// group.update: {"before": old displayName, "displayName": new}
		changes = append(changes, Change{Field: field, Before: formatValue(before), After: formatValue(d[field])})
		done[field] = true
	}
	skip := map[string]bool{"before": hasBefore, "after": hasAfter}
	if hasBefore && !hasAfter && d[field] != nil {
		skip[field] = true
	}
	for _, list := range []string{"changed", "fields"} {
		l, ok := d[list].([]any)
		if !ok {
			continue
		}
		skip[list] = true
		for _, f := range l {
			if name, ok := f.(string); ok && !done[name] {
				changes = append(changes, Change{Field: name, Hidden: true})
				done[name] = true
			}
		}
	}
	var fields []Field
	for _, k := range sortedKeys(d) {
		if !skip[k] {
			fields = append(fields, Field{Name: k, Value: formatValue(d[k])})
		}
	}
	return changes, fields
}

// actionField names the field an action changes: group.update changes a
// group's displayName, account.email_change the email, group.roles the
// roles.
func actionField(action string) string {
	switch action {
	case "group.update":
		return "displayName"
	case "account.email_change":
		return "email"
	}
	_, verb, _ := strings.Cut(action, ".")
	verb = strings.TrimSuffix(verb, "_change")
	if verb == "" {
		return "value"
	}
	return verb
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// formatValue writes a detail value for people: text as it is, a list
// as its items separated by commas, nothing as "—", anything else as
// compact JSON (cut at 200 characters).
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return cut(x, 200)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return fmt.Sprint(x)
	case []any:
		if len(x) == 0 {
			return "none"
		}
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, formatValue(e))
		}
		return cut(strings.Join(parts, ", "), 200)
	}
	b, _ := json.Marshal(v)
	return cut(string(b), 200)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8Start(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// ProvisioningView is a provisioning log entry as people read it: who
// the request was about, its query decoded, and, for a failure, one
// sentence on what to change in the IdP where Roster can tell.
type ProvisioningView struct {
	store.ProvisioningEntry
	// Subject names the user or group the request was about: the one in
	// the path (by its current name, if it still exists), the userName
	// or displayName a create sent, or the value a lookup filtered on.
	// SubjectID is the member's or group's id when known.
	Subject, SubjectID string
	// QueryText is the query string decoded ("filter=userName eq \"x\"").
	QueryText string
	// Hint says what to change in the IdP; "" when Roster can't tell.
	Hint string
}

// ProvisioningViews makes entries readable (one read per user or group
// in their paths not already named, at most maxNameLookups).
func (s *Service) ProvisioningViews(ctx context.Context, teamID string, entries []store.ProvisioningEntry) ([]ProvisioningView, error) {
	out := make([]ProvisioningView, len(entries))
	names := map[string]string{}
	lookups := 0
	for i, e := range entries {
		v := ProvisioningView{ProvisioningEntry: e, QueryText: DecodeQuery(e.Query), Hint: Hint(e)}
		if e.ResourceID != "" && (e.ResourceType == "Users" || e.ResourceType == "Groups") {
			ref := e.ResourceType + "/" + e.ResourceID
			n, ok := names[ref]
			if !ok && lookups < maxNameLookups {
				lookups++
				var err error
				if n, err = s.resourceName(ctx, teamID, e.ResourceType, e.ResourceID); err != nil {
					return nil, err
				}
				names[ref] = n
			}
			if n != "" {
				v.Subject, v.SubjectID = n, e.ResourceID
			}
		}
		if v.Subject == "" {
			v.Subject = SubjectOf(e)
		}
		out[i] = v
	}
	return out, nil
}

func (s *Service) resourceName(ctx context.Context, teamID, typ, id string) (string, error) {
	var err error
	var name string
	if typ == "Users" {
		var u store.User
		if u, err = s.st.User(ctx, teamID, id); err == nil {
			name = u.UserName
		}
	} else {
		var g store.Group
		if g, err = s.st.Group(ctx, teamID, id); err == nil {
			name = g.DisplayName
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return name, err
}

// DecodeQuery shows a logged query string as people read it: each
// parameter decoded, in the order sent ("filter=userName eq \"ada\"&
// startIndex=1"). A part that isn't valid URL encoding is left as sent.
func DecodeQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		if d, err := url.QueryUnescape(p); err == nil {
			parts[i] = d
		}
	}
	return strings.Join(parts, "&")
}

// SubjectOf reads, from what an IdP sent, who a request was about: the
// userName (or, for a group, displayName) in a POST or PUT body, or the
// value of a userName, externalId, emails or displayName comparison in
// its filter (the query's, or a SearchRequest's). "" when neither names
// anyone. Both come from the IdP: the body is parsed as JSON only, the
// filter with the SCIM filter parser's limits.
func SubjectOf(e store.ProvisioningEntry) string {
	if e.RequestBody != "" && (e.Method == "POST" || e.Method == "PUT") {
		var body map[string]any
		if json.Unmarshal([]byte(e.RequestBody), &body) == nil {
			for _, k := range []string{"userName", "displayName"} {
				if s, ok := body[k].(string); ok && s != "" {
					return cut(s, 200)
				}
			}
			if f, ok := body["filter"].(string); ok {
				return filterSubject(f)
			}
		}
	}
	if e.Query != "" {
		if q, err := url.ParseQuery(e.Query); err == nil {
			return filterSubject(q.Get("filter"))
		}
	}
	return ""
}

// filterSubject finds the first equality on an identifying attribute in
// a filter.
func filterSubject(f string) string {
	if f == "" {
		return ""
	}
	expr, err := filter.Parse(f, filter.Limits{})
	if err != nil {
		return ""
	}
	var walk func(x filter.Expr, inEmails bool) string
	walk = func(x filter.Expr, inEmails bool) string {
		switch t := x.(type) {
		case filter.Compare:
			name := strings.ToLower(t.Path.Name)
			if name == "username" || name == "externalid" || name == "displayname" || name == "emails" || name == "id" || (inEmails && name == "value") {
				if t.Op == filter.Eq && t.Value.Kind == filter.String {
					return cut(t.Value.Str, 200)
				}
			}
		case filter.And:
			if s := walk(t.Left, inEmails); s != "" {
				return s
			}
			return walk(t.Right, inEmails)
		case filter.Or:
			if s := walk(t.Left, inEmails); s != "" {
				return s
			}
			return walk(t.Right, inEmails)
		case filter.ValuePath:
			if strings.EqualFold(t.Path.Name, "emails") {
				return walk(t.Filter, true)
			}
		}
		return ""
	}
	return walk(expr, false)
}
