package filter

import (
	"errors"
	"strings"
	"testing"
)

// parseErr parses s and returns the *Error, failing the test if there is
// none or if the parse panicked. (What hostile input costs is measured
// by BenchmarkHostileInput, not timed here.)
func parseErr(t *testing.T, s string, lim Limits) *Error {
	t.Helper()
	e, err := Parse(s, lim)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("Parse = %v, %v; want *Error", e, err)
	}
	return pe
}

func TestHostileInput(t *testing.T) {
	big := Limits{MaxLength: 1 << 30, MaxNodes: 1 << 30}
	tests := []struct {
		name string
		in   string
		lim  Limits
		msg  string
		pos  int // -1: don't check
	}{
		{"100k parens, default limits", strings.Repeat("(", 100_000) + "a pr" + strings.Repeat(")", 100_000), Limits{}, "over the limit of 8192 bytes", 8192},
		{"100k parens, length limit lifted", strings.Repeat("(", 100_000) + "a pr" + strings.Repeat(")", 100_000), big, "deeper than the limit of 64", MaxDepth},
		{"100k unclosed parens", strings.Repeat("(", 100_000), big, "deeper than the limit", MaxDepth},
		{"100k not(", strings.Repeat("not (", 100_000), big, "deeper than the limit", 5*MaxDepth + len("not ")},
		{"100k [", "a" + strings.Repeat("[", 100_000), big, "expected an attribute path", 2},
		{"100k a[", strings.Repeat("a[", 100_000), big, "cannot be nested", 3},
		{"1 MB string", `a eq "` + strings.Repeat("x", 1<<20) + `"`, Limits{}, "over the limit of 8192 bytes", 8192},
		{"1 MB bareword", `a eq ` + strings.Repeat("x", 1<<20), Limits{}, "over the limit", 8192},
		{"10k or-chain", strings.Repeat("a pr or ", 10_000) + "a pr", Limits{}, "over the limit of 8192 bytes", 8192},
		{"10k or-chain, length limit lifted", strings.Repeat("a pr or ", 10_000) + "a pr", Limits{MaxLength: 1 << 30}, "more than 200 nodes", -1},
		{"10k and-chain in brackets", "e[" + strings.Repeat("a pr and ", 10_000) + "a pr]", Limits{MaxLength: 1 << 30}, "more than 200 nodes", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := parseErr(t, tt.in, tt.lim)
			if !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("message %q lacks %q", pe.Msg, tt.msg)
			}
			if tt.pos >= 0 && pe.Pos != tt.pos {
				t.Errorf("Pos = %d, want %d", pe.Pos, tt.pos)
			}
		})
	}
}

func TestHostilePath(t *testing.T) {
	big := Limits{MaxLength: 1 << 30}
	for _, in := range []string{
		"a[" + strings.Repeat("(", 100_000),
		"a" + strings.Repeat("[", 100_000),
		"a[" + strings.Repeat("b pr or ", 10_000) + "b pr]",
	} {
		_, err := ParsePath(in, big)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("ParsePath(%.20q...) = %v; want *Error", in, err)
		}
	}
	if _, err := ParsePath(strings.Repeat("a", 1<<20), Limits{}); err == nil || !strings.Contains(err.Error(), "over the limit of 8192 bytes") {
		t.Errorf("long path: %v", err)
	}
}

func TestDepthLimitBoundary(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("(", n) + "a pr" + strings.Repeat(")", n) }
	if _, err := Parse(nest(MaxDepth), Limits{}); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	if pe := parseErr(t, nest(MaxDepth+1), Limits{}); !strings.Contains(pe.Msg, "64 levels") {
		t.Errorf("depth %d: %v", MaxDepth+1, pe)
	}
	// not(...) and [...] count as levels too.
	mixed := strings.Repeat("not (", MaxDepth-1) + "e[a pr]" + strings.Repeat(")", MaxDepth-1)
	if _, err := Parse(mixed, Limits{}); err != nil {
		t.Errorf("mixed depth %d: %v", MaxDepth, err)
	}
	if _, err := Parse("("+mixed+")", Limits{}); err == nil {
		t.Errorf("mixed depth %d parsed", MaxDepth+1)
	}
}

func TestNodeLimitBoundary(t *testing.T) {
	// n comparisons joined by or make 2n-1 nodes.
	chain := func(n int) string { return strings.Repeat("a pr or ", n-1) + "a pr" }
	tests := []struct {
		in    string
		nodes int
	}{
		{chain(100), 199},
		{"not (" + chain(100) + ")", 200},
		{"e[" + chain(99) + "] and b pr", 200},             // 197 + value path + and + b
		{`e[` + chain(98) + `].value eq "x" or b pr`, 200}, // 195 + vp + implied and + compare + or + b
	}
	for _, tt := range tests {
		if _, err := Parse(tt.in, Limits{MaxNodes: tt.nodes}); err != nil {
			t.Errorf("%d nodes with limit %d: %v", tt.nodes, tt.nodes, err)
		}
		pe := parseErr(t, tt.in, Limits{MaxNodes: tt.nodes - 1})
		if !strings.Contains(pe.Msg, "more than") {
			t.Errorf("%d nodes with limit %d: %v", tt.nodes, tt.nodes-1, pe)
		}
	}
	// The default limit is 200.
	if _, err := Parse("not ("+chain(100)+")", Limits{}); err != nil {
		t.Errorf("200 nodes, default limit: %v", err)
	}
	if pe := parseErr(t, chain(101), Limits{}); !strings.Contains(pe.Msg, "more than 200 nodes") {
		t.Errorf("201 nodes, default limit: %v", pe)
	}
}

func TestLengthLimitBoundary(t *testing.T) {
	s := `a eq "` + strings.Repeat("x", 100) + `"`
	if _, err := Parse(s, Limits{MaxLength: len(s)}); err != nil {
		t.Errorf("at the length limit: %v", err)
	}
	pe := parseErr(t, s, Limits{MaxLength: len(s) - 1})
	if !strings.Contains(pe.Msg, "over the limit of 106 bytes") {
		t.Errorf("over the length limit: %v", pe)
	}
	if _, err := ParsePath("a", Limits{MaxLength: 1}); err != nil {
		t.Errorf("path at the length limit: %v", err)
	}
	if _, err := ParsePath("ab", Limits{MaxLength: 1}); err == nil {
		t.Error("path over the length limit parsed")
	}
}

// BenchmarkHostileInput: what refusing hostile input costs. Each case is
// refused after reading at most the limit (or the nesting depth), so the
// cost stays flat whatever the input's size: compare the 100k cases with
// the 1 MB ones.
//
//	go test ./internal/scim/filter -run '^$' -bench HostileInput
func BenchmarkHostileInput(b *testing.B) {
	big := Limits{MaxLength: 1 << 30, MaxNodes: 1 << 30}
	for _, c := range []struct {
		name string
		in   string
		lim  Limits
	}{
		{"100k-parens", strings.Repeat("(", 100_000) + "a pr" + strings.Repeat(")", 100_000), big},
		{"100k-not", strings.Repeat("not (", 100_000), big},
		{"1MB-string", `a eq "` + strings.Repeat("x", 1<<20) + `"`, Limits{}},
		{"10k-or-chain-lifted", strings.Repeat("a pr or ", 10_000) + "a pr", Limits{MaxLength: 1 << 30}},
		{"path-100k-brackets", "a" + strings.Repeat("[", 100_000), big},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if strings.HasPrefix(c.name, "path") {
					_, _ = ParsePath(c.in, c.lim)
				} else {
					_, _ = Parse(c.in, c.lim)
				}
			}
		})
	}
}
