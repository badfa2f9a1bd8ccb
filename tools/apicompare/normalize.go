package main

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// normalizer rewrites what legitimately differs between two runs of the
// script into stable placeholders, and nothing else:
//
//   - literals of the run: its work directory, the binary's path, the
//     server's host:port, the binary's version and VCS revision;
//   - secrets: rsk_/rpt_/rit_ tokens (and the key prefixes cut from them),
//     session cookies, CSRF tokens and one-time passwords, learnt from the
//     places the product prints them; password hashes and stored token
//     hashes;
//   - UUIDs, each distinct one named after the step where it first
//     appears and its order of appearance there: id@scim/okta/create-alice#1
//     is the first new UUID that step printed. Request ids (16 hex digits,
//     req@…) and provisioning log entry ids (28 hex digits, plog@…) the
//     same way, and the secrets above (rsk@…, <csrf@…>). Naming by step
//     rather than numbering through the whole run keeps one extra or
//     missing id from renaming every id after it;
//   - the order of the team slugs an account's email change lists in its
//     audit detail: the product lists them in team id order, and ids are
//     random, so two runs list them in either order;
//   - opaque log cursors, which are base64 of "time|uuid";
//   - timestamps, as their offset from the start of the run rounded to the
//     hour (<T+0h>, <T+2160h>), so a changed expiry still shows; times the
//     run cannot have made (before it, or more than 400 days after it) are
//     constants and stay as they are;
//   - latencies and durations measured by the server, and a cookie's
//     Max-Age in minutes (43199 or 43200 seconds, as the clock ticks);
//   - and, for `roster export` only, the order of its rows (sortLines):
//     storage order, which for some tables follows random ids.
//
// One normalizer serves one run, fed every step in order, so the naming
// is the same in two runs that print the same things.
type normalizer struct {
	t0       time.Time
	literals [][2]string // applied longest first

	step   string         // the step being normalised
	counts map[string]int // placeholders made per kind in this step

	secrets map[string]string // raw secret -> placeholder
	sorted  []string          // secrets, longest first

	tokens   map[string]string // rsk_… token -> placeholder
	prefixes map[string]string // rsk_ + 6 chars -> placeholder

	ids   map[string]string
	reqs  map[string]string
	provs map[string]string
}

func newNormalizer(t0 time.Time) *normalizer {
	return &normalizer{t0: t0, secrets: map[string]string{}, counts: map[string]int{},
		tokens: map[string]string{}, prefixes: map[string]string{}, ids: map[string]string{}, reqs: map[string]string{},
		provs: map[string]string{}}
}

// literal makes every occurrence of from read to. Empty or one-character
// values are ignored (they would match everywhere).
func (n *normalizer) literal(from, to string) {
	if len(from) < 2 {
		return
	}
	for _, l := range n.literals {
		if l[0] == from {
			return
		}
	}
	n.literals = append(n.literals, [2]string{from, to})
	sort.SliceStable(n.literals, func(i, j int) bool { return len(n.literals[i][0]) > len(n.literals[j][0]) })
}

// begin starts the normalisation of the step named step: the names of
// the values it shows first are made from it.
func (n *normalizer) begin(step string) {
	n.step = strings.TrimPrefix(step, "http/")
	clear(n.counts)
}

// name makes the placeholder of the next new value of kind in this step.
func (n *normalizer) name(kind string) string {
	n.counts[kind]++
	return fmt.Sprintf("%s@%s#%d", kind, n.step, n.counts[kind])
}

// secret registers a secret value of a kind ("csrf", "cookie",
// "password"); every later occurrence reads <kind@step#N>.
func (n *normalizer) secret(kind, v string) {
	if len(v) < 8 {
		return // too short to be a generated secret; would match too much
	}
	if _, ok := n.secrets[v]; ok {
		return
	}
	n.secrets[v] = "<" + n.name(kind) + ">"
	n.sorted = append(n.sorted, v)
	sort.SliceStable(n.sorted, func(i, j int) bool { return len(n.sorted[i]) > len(n.sorted[j]) })
}

// Where the product prints secrets that carry no recognisable prefix.
var learnPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"csrf", regexp.MustCompile(`"csrf_token":\s*"([^"\\]+)"`)},
	{"csrf", regexp.MustCompile(`name="csrf_token"\s+value="([^"]+)"`)},
	{"csrf", regexp.MustCompile(`value="([^"]+)"\s+name="csrf_token"`)},
	{"csrf", regexp.MustCompile(`name="csrf-token"\s+content="([^"]+)"`)},
	{"csrf", regexp.MustCompile(`(?i)X-CSRF-Token:\s*(\S+)`)},
	{"password", regexp.MustCompile(`"admin_password":\s*"([^"\\]+)"`)},
	{"password", regexp.MustCompile(`One-time sign-in password[^\n]*\n\s+(\S+)`)},
	{"session", regexp.MustCompile(`roster_session=([^;\s"]+)`)},
}

func (n *normalizer) learn(s string) {
	for _, p := range learnPatterns {
		for _, m := range p.re.FindAllStringSubmatch(s, -1) {
			n.secret(p.kind, m[1])
		}
	}
}

var (
	reToken    = regexp.MustCompile(`\b(rsk|rpt|rit)_[A-Za-z0-9_-]+`)
	reArgon    = regexp.MustCompile(`(\$argon2id?\$v=\d+\$m=\d+,t=\d+,p=\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+`)
	reB64      = regexp.MustCompile(`\{"b64":"[A-Za-z0-9+/=]*"\}`)
	reCursor   = regexp.MustCompile(`[A-Za-z0-9_-]{40,}`)
	reCursorIn = regexp.MustCompile(`^\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)\|[0-9A-Za-z-]+$`)
	// For sortLines' masks; normalize uses replaceUUIDs and replaceHexWords.
	reUUID     = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	reReqID    = regexp.MustCompile(`\b[0-9a-f]{16}\b`)
	reProvID   = regexp.MustCompile(`\b[0-9a-f]{28}\b`)
	reDateTime = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d[0-9:.]*(Z|[+-]\d\d:?\d\d)?( UTC)?`)
	reTeams    = regexp.MustCompile(`(\\?"teams\\?":\s*)\[(\s*(?:\\?"[a-z0-9-]*\\?"\s*,?\s*)*)\]`)
	reTeamItem = regexp.MustCompile(`\\?"[a-z0-9-]*\\?"`)

	// Times, matched where a date "dddd-dd-dd" starts (replaceTimes).
	reRFC3339  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	reSpaced   = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d(\.\d+)?)?( [+-]\d{4})?( UTC)?`)
	reHTTPDate = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT`)

	reLatencyJSON = regexp.MustCompile(`"(latency_ms|latency_us|duration_ms)":(\s*)-?[0-9][0-9.eE+-]*`)
	reLatencyKV   = regexp.MustCompile(`\b(duration_ms|latency_ms|latency)=[0-9][0-9.a-zµ]*`)
	reLatencyTab  = regexp.MustCompile(`\t\d+ms\t`)
	// A latency the console prints after the request's time: "(584µs)".
	// Only there: durations elsewhere (delay:300ms, --duration 20s) are
	// constants that must be compared.
	reGoDuration = regexp.MustCompile(`(<T[+-]\d+h> \()[0-9][0-9.]*(ns|µs|us|ms|s|m|h)[0-9.a-zµ]*\)`)
	reMaxAge     = regexp.MustCompile(`Max-Age=(\d+)`)
)

// normalize rewrites one recording. It first learns the secrets the text
// reveals, so a secret is normalised in the step that shows it first.
func (n *normalizer) normalize(s string) string {
	n.learn(s)
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	for _, l := range n.literals {
		s = strings.ReplaceAll(s, l[0], l[1])
	}
	for _, v := range n.sorted {
		s = strings.ReplaceAll(s, v, n.secrets[v])
	}
	// Each pattern runs only where its literal part occurs: regular
	// expressions without a literal prefix scan every position, and the
	// recordings of a run hold megabytes.
	if has("rsk_", "rpt_", "rit_") {
		// Whole tokens first, so a key's prefix printed before the key
		// itself (as "prefix" sorts before "token") is named after it.
		for _, t := range reToken.FindAllString(s, -1) {
			if _, rest, _ := strings.Cut(t, "_"); len(rest) == 43 {
				n.token(t)
			}
		}
		s = reToken.ReplaceAllStringFunc(s, n.token)
	}
	if has("$argon2") {
		s = reArgon.ReplaceAllString(s, "$1$$<salt>$$<hash>")
	}
	if has(`"b64"`) {
		s = reB64.ReplaceAllString(s, `{"b64":"<hash>"}`)
	}
	if has("cursor") {
		s = reCursor.ReplaceAllStringFunc(s, func(c string) string {
			b, err := base64.RawURLEncoding.DecodeString(c)
			if err != nil || !reCursorIn.Match(b) {
				return c
			}
			return "cursor(" + string(b) + ")"
		})
	}
	s = replaceUUIDs(s, func(u string) string { return n.number(n.ids, "id", u) })
	s = replaceHexWords(s, func(w string) string {
		if len(w) == 16 {
			return n.number(n.reqs, "req", w)
		}
		return n.number(n.provs, "plog", w)
	})
	if has("teams") {
		s = reTeams.ReplaceAllStringFunc(s, sortTeams)
	}
	s = n.replaceTimes(s)
	if has(" GMT") {
		s = reHTTPDate.ReplaceAllStringFunc(s, func(v string) string { return n.when(v, time.RFC1123) })
	}
	if has("latency", "duration_ms") {
		s = reLatencyJSON.ReplaceAllString(s, `"$1":$2<ms>`)
		s = reLatencyKV.ReplaceAllString(s, `$1=<ms>`)
	}
	if has("ms\t") {
		s = reLatencyTab.ReplaceAllString(s, "\t<ms>\t")
	}
	if has("h> (") {
		s = reGoDuration.ReplaceAllString(s, "$1<duration>)")
	}
	if !has("Max-Age=") {
		return s
	}
	s = reMaxAge.ReplaceAllStringFunc(s, func(v string) string {
		// Max-Age is the time left until the session's expiry, computed a
		// moment after it: 43199 or 43200. Minutes keep its meaning.
		var secs int
		fmt.Sscanf(v, "Max-Age=%d", &secs)
		return fmt.Sprintf("Max-Age=<%dmin>", int(math.Round(float64(secs)/60)))
	})
	return s
}

// number names v, of kind, in m: the name it got where it first
// appeared, or a new one.
func (n *normalizer) number(m map[string]string, kind, v string) string {
	if p, ok := m[v]; ok {
		return p
	}
	p := n.name(kind)
	m[v] = p
	return p
}

// token names an rsk_/rpt_/rit_ secret (43 characters after the prefix)
// or a key prefix (6), keeping which token a prefix was cut from.
func (n *normalizer) token(t string) string {
	kind, rest, _ := strings.Cut(t, "_")
	switch len(rest) {
	case 43:
		p, ok := n.tokens[t]
		if !ok {
			p = n.name(kind)
			n.tokens[t] = p
			n.prefixes[t[:len(kind)+1+6]] = p + ".prefix"
		}
		return p
	case 6:
		if p, ok := n.prefixes[t]; ok {
			return p
		}
		return n.number(n.prefixes, kind+"-prefix", t)
	}
	return t
}

// when writes a time as its offset from the run's start in hours, or
// leaves it when the run cannot have made it: more than an hour before
// the run started, or more than 400 days after (a constant of the script
// or of the product, such as an example in a message).
func (n *normalizer) when(v, layout string) string {
	t, err := time.Parse(layout, v)
	if err != nil {
		return v
	}
	d := t.Sub(n.t0)
	if d > 400*24*time.Hour || d < -time.Hour {
		return v
	}
	return fmt.Sprintf("<T%+dh>", int(math.Round(d.Hours())))
}

func (n *normalizer) spaced(v string) string {
	for _, layout := range []string{"2006-01-02 15:04 MST", "2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05.999999999 -0700",
		"2006-01-02 15:04:05.999999999 MST", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return n.when(t.UTC().Format(time.RFC3339Nano), time.RFC3339Nano)
		}
	}
	return v
}

// sortTeams puts the slugs of a "teams" list of strings in order, keeping
// the layout around them.
func sortTeams(m string) string {
	items := reTeamItem.FindAllString(m[strings.Index(m, "["):], -1)
	sorted := append([]string(nil), items...)
	sort.Strings(sorted)
	i := 0
	head, list, _ := strings.Cut(m, "[")
	return head + "[" + reTeamItem.ReplaceAllStringFunc(list, func(string) string {
		i++
		return sorted[i-1]
	})
}

// Everything a line of an export holds that differs between runs, for
// sortLines.
var reVolatile = []*regexp.Regexp{reUUID, reProvID, reDateTime, reLatencyJSON, reB64, reArgon, reToken, reReqID}

// sortLines orders the lines of s by their content with ids, times and
// hashes masked. A dump lists rows in storage order, which for some
// tables follows random ids; sorted before normalisation (so the ids
// seen first are numbered in a stable order) and again after it (so
// rows that differ only in ids already numbered fall in place), two dumps
// of the same rows read the same.
func sortLines(s string) string {
	if s == "" {
		return s
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	keys := make(map[string]string, len(lines))
	for _, l := range lines {
		k := l
		for _, re := range reVolatile {
			k = re.ReplaceAllString(k, "#")
		}
		keys[l] = k
	}
	sort.SliceStable(lines, func(i, j int) bool { return keys[lines[i]] < keys[lines[j]] })
	out := strings.Join(lines, "\n")
	if strings.HasSuffix(s, "\n") {
		out += "\n"
	}
	return out
}

// sortSection sorts the lines between the start and end markers of a
// recording (sortLines after normalisation: the masks then hide nothing).
func sortSection(s, start, end string) string {
	head, rest, ok := strings.Cut(s, start)
	if !ok {
		return s
	}
	body, tail, ok := strings.Cut(rest, end)
	if !ok {
		return s
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	sort.Strings(lines)
	return head + start + strings.Join(lines, "\n") + "\n" + end + tail
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWord(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// isUUID reports whether s starts with 8-4-4-4-12 hex digits.
func isUUID(s string) bool {
	if len(s) < 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// replaceUUIDs replaces every UUID (8-4-4-4-12 hex digits, anywhere, the
// leftmost first) with fn of it.
func replaceUUIDs(s string, fn func(string) string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '-')
		if j < 0 {
			break
		}
		start := i + j - 8
		if start >= last && isUUID(s[start:]) {
			b.WriteString(s[last:start])
			b.WriteString(fn(s[start : start+36]))
			last = start + 36
			i = last
			continue
		}
		i += j + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceHexWords replaces every word (a maximal run of letters, digits
// and _) of 16 or 28 lowercase hex digits with fn of it: request ids and
// provisioning log entry ids.
func replaceHexWords(s string, fn func(string) string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isWord(s[i]) {
			i++
			continue
		}
		j := i
		hex := true
		for j < len(s) && isWord(s[j]) {
			hex = hex && ('0' <= s[j] && s[j] <= '9' || 'a' <= s[j] && s[j] <= 'f')
			j++
		}
		if hex && (j-i == 16 || j-i == 28) {
			b.WriteString(s[last:i])
			b.WriteString(fn(s[i:j]))
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceTimes rewrites the RFC 3339 times and the "2006-01-02 15:04
// UTC" ones (when). It looks only where a date starts.
func (n *normalizer) replaceTimes(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '-')
		if j < 0 {
			break
		}
		start := i + j - 4
		if start >= last && len(s)-start >= 16 && isDigit(s[start]) && isDigit(s[start+1]) && isDigit(s[start+2]) && isDigit(s[start+3]) &&
			isDigit(s[start+5]) && isDigit(s[start+6]) && s[start+7] == '-' && (s[start+10] == 'T' || s[start+10] == ' ') {
			window := s[start:min(len(s), start+64)]
			var repl string
			m := reRFC3339.FindString(window)
			if m != "" {
				repl = n.when(m, time.RFC3339Nano)
			} else if m = reSpaced.FindString(window); m != "" {
				repl = n.spaced(m)
			}
			if m != "" {
				b.WriteString(s[last:start])
				b.WriteString(repl)
				last = start + len(m)
				i = last
				continue
			}
		}
		i += j + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
