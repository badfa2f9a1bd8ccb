package filter

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2).
//
// Grammar, loosest binding first (keywords and operators case-insensitive):
//
//	filter  = or
//	or      = and *( "or" and )
//	and     = term *( "and" term )
//	term    = "(" or ")" / "not" "(" or ")" / valuePath / attrExp
//	valuePath = attrPath "[" or "]" [ "." ATTRNAME op [value] ]
//	attrExp = attrPath op [value]
func Parse(s string, lim Limits) (Expr, error) {
	return parse(s, lim, MaxDepth)
}

// parse is Parse with the depth limit as a parameter, so tests can re-parse
// Format output, whose extra parentheses may nest deeper than the input did.
func parse(s string, lim Limits, maxDepth int) (Expr, error) {
	p, err := newParser(s, lim, maxDepth, "filter")
	if err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.expected(`"and", "or" or end of filter`)
	}
	return e, nil
}

// parser holds the state of one parse. All recursion goes through enter,
// which enforces maxDepth before descending.
type parser struct {
	s           string
	pos         int
	nodes       int
	maxNodes    int
	depth       int
	maxDepth    int
	inValuePath string // the attribute of the enclosing attr[...], if any: value paths must not nest
}

func newParser(s string, lim Limits, maxDepth int, what string) (*parser, error) {
	maxLength, maxNodes := lim.normalize()
	if len(s) > maxLength {
		return nil, &Error{Pos: maxLength, Msg: fmt.Sprintf("%s is %d bytes long, over the limit of %d bytes", what, len(s), maxLength)}
	}
	return &parser{s: s, maxNodes: maxNodes, maxDepth: maxDepth}, nil
}

// ---- logical structure ----

func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		at, ok := p.keyword("or")
		if !ok {
			return left, nil
		}
		if err := p.countNode(at); err != nil {
			return nil, err
		}
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = Or{Left: left, Right: right}
	}
}

func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for {
		at, ok := p.keyword("and")
		if !ok {
			return left, nil
		}
		if err := p.countNode(at); err != nil {
			return nil, err
		}
		right, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		left = And{Left: left, Right: right}
	}
}

func (p *parser) parseTerm() (Expr, error) {
	p.skipSpace()
	switch {
	case p.peek() == '(':
		return p.parseGroup()
	case p.atNot():
		return p.parseNot()
	case !isNameStart(p.peek()):
		return nil, p.expected(`an attribute path, "(" or "not"`)
	}
	start := p.pos
	path, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	spaced := p.skipSpace() > 0
	if p.peek() == '[' {
		return p.parseValuePathTerm(path, start)
	}
	return p.parseComparison(path, start, spaced)
}

// parseGroup parses "(" filter ")"; the caller has seen the "(".
func (p *parser) parseGroup() (Expr, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.expectedf(`"and", "or" or ")" to close the "(" at position %d`, open)
	}
	p.pos++
	p.depth--
	return e, nil
}

// atNot reports whether the input continues with `not (`; `not` followed by
// anything else is an attribute named "not".
func (p *parser) atNot() bool {
	w := p.word()
	if !strings.EqualFold(w, "not") {
		return false
	}
	i := p.pos + len(w)
	for i < len(p.s) && isSpace(p.s[i]) {
		i++
	}
	return i < len(p.s) && p.s[i] == '('
}

func (p *parser) parseNot() (Expr, error) {
	if err := p.countNode(p.pos); err != nil {
		return nil, err
	}
	p.pos += len("not")
	p.skipSpace()
	x, err := p.parseGroup()
	if err != nil {
		return nil, err
	}
	return Not{X: x}, nil
}

// parseValuePathTerm parses `attr[filter]` and the Entra extension
// `attr[filter].sub op value`, which means `attr[filter and sub op value]`:
// Entra sends e.g. `emails[type eq "work"].value eq "x"` to find users by
// work e-mail, and the rewrite keeps evaluation inside one element.
func (p *parser) parseValuePathTerm(path AttrPath, start int) (Expr, error) {
	if err := p.countNode(start); err != nil {
		return nil, err
	}
	f, err := p.parseBracketFilter(path)
	if err != nil {
		return nil, err
	}
	if p.peek() != '.' {
		return ValuePath{Path: path, Filter: f}, nil
	}
	p.pos++
	subStart := p.pos
	sub, err := p.parseName(`a sub-attribute name after "]."`)
	if err != nil {
		return nil, err
	}
	if err := p.countNode(subStart); err != nil { // the implied "and"
		return nil, err
	}
	spaced := p.skipSpace() > 0
	cmp, err := p.parseComparison(AttrPath{Name: sub}, subStart, spaced)
	if err != nil {
		return nil, err
	}
	return ValuePath{Path: path, Filter: And{Left: f, Right: cmp}}, nil
}

// parseBracketFilter parses "[" filter "]" after path; the caller has seen
// the "[". It is shared by Parse and ParsePath.
func (p *parser) parseBracketFilter(path AttrPath) (Expr, error) {
	open := p.pos
	if p.inValuePath != "" {
		return nil, p.errorf(open, "value paths cannot be nested: %q[...] is inside %q[...]", path.String(), p.inValuePath)
	}
	if path.Sub != "" {
		return nil, p.errorf(open, "a value filter [...] must follow an attribute, not the sub-attribute %q", path.String())
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	p.inValuePath = path.String()
	f, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.inValuePath = ""
	p.skipSpace()
	if p.peek() != ']' {
		return nil, p.expectedf(`"and", "or" or "]" to close the "[" at position %d`, open)
	}
	p.pos++
	p.depth--
	return f, nil
}

// ---- comparisons ----

// parseComparison parses `op [value]` after path. spaced says whether
// whitespace separated the path from what follows, which the RFC requires.
func (p *parser) parseComparison(path AttrPath, start int, spaced bool) (Expr, error) {
	opText := p.word()
	op := Op(strings.ToLower(opText))
	if !spaced || !isOp(op) {
		return nil, p.expectedf("a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after %q", path.String())
	}
	if err := p.countNode(start); err != nil {
		return nil, err
	}
	p.pos += len(opText)
	if op == Pr {
		return Compare{Path: path, Op: Pr}, nil
	}
	p.skipSpace()
	v, err := p.parseValue(opText)
	if err != nil {
		return nil, err
	}
	return Compare{Path: path, Op: op, Value: v}, nil
}

func isOp(op Op) bool {
	switch op {
	case Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le, Pr:
		return true
	}
	return false
}

// parseValue parses a comparison value: a JSON string, number, true,
// false, null, or (lenient) an unquoted bareword taken as a string.
func (p *parser) parseValue(opText string) (Value, error) {
	switch c := p.peek(); {
	case c == '"':
		s, err := p.parseString()
		return Value{Kind: String, Str: s}, err
	case c == '\'':
		return Value{}, p.errorf(p.pos, "single-quoted strings are not supported; use double quotes")
	}
	start := p.pos
	for !p.eof() && !isBarewordEnd(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return Value{}, p.expectedf("a value (string, number, true, false or null) after %q", opText)
	}
	return p.bareword(start, p.s[start:p.pos])
}

// bareword classifies an unquoted value.
func (p *parser) bareword(start int, w string) (Value, error) {
	switch {
	case strings.EqualFold(w, "true"):
		return Value{Kind: Bool, Bool: true}, nil
	case strings.EqualFold(w, "false"):
		return Value{Kind: Bool}, nil
	case strings.EqualFold(w, "null"):
		return Value{Kind: Null}, nil
	case isJSONNumber(w):
		n, err := strconv.ParseFloat(w, 64)
		if err != nil { // only ErrRange is possible for a valid JSON number
			return Value{}, p.errorf(start, "number %s is out of range", w)
		}
		return Value{Kind: Number, Str: w, Num: n}, nil
	}
	return Value{Kind: String, Str: w}, nil
}

// isBarewordEnd reports whether c ends an unquoted value. Quotes and
// brackets end it too, so that `a eq x"y"` is an error rather than a value.
func isBarewordEnd(c byte) bool {
	return isSpace(c) || strings.IndexByte(`()[]"'`, c) >= 0
}

// ---- attribute paths ----

// parseAttrPath parses [URN ":"] ATTRNAME ["." ATTRNAME].
func (p *parser) parseAttrPath() (AttrPath, error) {
	var path AttrPath
	if hasPrefixFold(p.s[p.pos:], "urn:") {
		urn, err := p.parseURN()
		if err != nil {
			return AttrPath{}, err
		}
		path.URN = urn
	}
	name, err := p.parseName("an attribute name")
	if err != nil {
		return AttrPath{}, err
	}
	path.Name = name
	if p.peek() != '.' {
		return path, nil
	}
	p.pos++
	if path.Sub, err = p.parseName(`a sub-attribute name after "."`); err != nil {
		return AttrPath{}, err
	}
	if p.peek() == '.' {
		return AttrPath{}, p.errorf(p.pos, "attribute path %q has a second sub-attribute; only one level is allowed", path.String())
	}
	return path, nil
}

// parseURN consumes a schema URN and the ":" after it. The URN is everything
// up to the last ":" of the run of URN characters, so the dots in "2.0" stay
// in the URN while `...:User:manager.value` still splits at "manager".
func (p *parser) parseURN() (string, error) {
	start := p.pos
	end, lastColon := start, -1
	for end < len(p.s) && isURNChar(p.s[end]) {
		if p.s[end] == ':' {
			lastColon = end
		}
		end++
	}
	if lastColon == start+len("urn") {
		return "", p.errorf(start, "expected a schema URN such as urn:ietf:params:scim:schemas:core:2.0:User before the attribute name")
	}
	urn := p.s[start:lastColon]
	for i, seg := range strings.Split(urn, ":") {
		if seg == "" || i == 1 && !isAlnum(seg[0]) || strings.Contains(seg, "$") {
			return "", p.errorf(start, "malformed schema URN %q", urn)
		}
	}
	p.pos = lastColon + 1
	return urn, nil
}

// parseName parses ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_"), also
// allowing a leading "$" for "$ref".
func (p *parser) parseName(what string) (string, error) {
	start := p.pos
	i := start
	if i < len(p.s) && p.s[i] == '$' {
		i++
	}
	if i >= len(p.s) || !isAlpha(p.s[i]) {
		return "", p.expected(what)
	}
	for i < len(p.s) && isNameChar(p.s[i]) {
		i++
	}
	p.pos = i
	return p.s[start:i], nil
}

// ---- limits ----

func (p *parser) countNode(at int) error {
	p.nodes++
	if p.nodes > p.maxNodes {
		return p.errorf(at, "filter has more than %d nodes (comparisons, and/or/not, value paths), over the limit", p.maxNodes)
	}
	return nil
}

// enter is called before every recursive descent; the matching p.depth--
// is done by the caller once the closing ")" or "]" is consumed. Errors
// abandon the parser, so an unbalanced count on error paths is harmless.
func (p *parser) enter(at int) error {
	if p.depth >= p.maxDepth {
		return p.errorf(at, "filter nests deeper than the limit of %d levels of parentheses and brackets", p.maxDepth)
	}
	p.depth++
	return nil
}

// ---- scanning ----

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.pos]
}

// skipSpace skips spaces and tabs and returns how many it skipped.
func (p *parser) skipSpace() int {
	start := p.pos
	for !p.eof() && isSpace(p.s[p.pos]) {
		p.pos++
	}
	return p.pos - start
}

// word returns the run of name characters at the cursor without consuming it.
func (p *parser) word() string {
	i := p.pos
	for i < len(p.s) && isNameChar(p.s[i]) {
		i++
	}
	return p.s[p.pos:i]
}

// keyword consumes optional whitespace and kw (case-insensitive) if the
// input continues with it as a whole word, returning its position. The
// whitespace is consumed either way, so errors point at the next token.
func (p *parser) keyword(kw string) (int, bool) {
	p.skipSpace()
	if !strings.EqualFold(p.word(), kw) {
		return 0, false
	}
	at := p.pos
	p.pos += len(kw)
	return at, true
}

func isSpace(c byte) bool    { return c == ' ' || c == '\t' }
func isAlpha(c byte) bool    { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool    { return isAlpha(c) || isDigit(c) }
func isNameChar(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }
func isNameStart(c byte) bool {
	return isAlpha(c) || c == '$'
}

// isURNChar covers what SCIM schema URNs use in practice, plus the
// attribute name and sub-attribute that follow the URN.
func isURNChar(c byte) bool { return isNameChar(c) || c == '.' || c == ':' || c == '$' }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ---- errors ----

func (p *parser) errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) expected(what string) *Error {
	return p.errorf(p.pos, "expected %s, found %s", what, p.found())
}

func (p *parser) expectedf(format string, args ...any) *Error {
	return p.expected(fmt.Sprintf(format, args...))
}

// found describes the token at the cursor for error messages: a run of
// non-delimiter characters, or a single character, quoted and truncated.
func (p *parser) found() string {
	if p.eof() {
		return "end of input"
	}
	const maxShown = 24
	i := p.pos
	for i < len(p.s) && !isBarewordEnd(p.s[i]) {
		i++
	}
	if i == p.pos {
		i++ // a delimiter: show just it
	}
	tok := p.s[p.pos:i]
	if len(tok) > maxShown {
		tok = tok[:maxShown] + "..."
	}
	return strconv.Quote(tok)
}
