package filter

// ParsePath parses a PATCH operation path (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [ "." ATTRNAME ]
//
// i.e. `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, each
// optionally qualified by a schema URN (`urn:...:User:manager.value`).
// Whitespace is allowed only inside the brackets.
func ParsePath(s string, lim Limits) (Path, error) {
	p, err := newParser(s, lim, MaxDepth, "path")
	if err != nil {
		return Path{}, err
	}
	if !isNameStart(p.peek()) {
		return Path{}, p.expected("an attribute path")
	}
	attr, err := p.parseAttrPath()
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	if p.peek() == '[' {
		if err := p.parseValuePathRest(&path); err != nil {
			return Path{}, err
		}
	}
	if !p.eof() {
		return Path{}, p.expected(`"[", "." or end of path`)
	}
	return path, nil
}

// parseValuePathRest parses `[filter]` and an optional `.sub` into path.
func (p *parser) parseValuePathRest(path *Path) error {
	f, err := p.parseBracketFilter(path.Attr)
	if err != nil {
		return err
	}
	path.Filter = f
	if p.peek() != '.' {
		return nil
	}
	p.pos++
	path.Sub, err = p.parseName(`a sub-attribute name after "]."`)
	return err
}
