package main

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUnifiedEqualIsEmpty(t *testing.T) {
	if d := unified("a", "b", "x\ny\n", "x\ny\n", 3); d != "" {
		t.Fatalf("equal texts gave a diff:\n%s", d)
	}
}

func TestUnifiedHunks(t *testing.T) {
	var a, b []string
	for i := 1; i <= 20; i++ {
		a = append(a, "line "+string(rune('a'+i)))
	}
	b = append(b, a...)
	b[2] = "changed"                                               // line 3
	b = append(b[:15], append([]string{"inserted"}, b[15:]...)...) // after line 15
	got := unified("old/s", "new/s", strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n", 2)
	want := `--- old/s
+++ new/s
@@ -1,5 +1,5 @@
 line b
 line c
-line d
+changed
 line e
 line f
@@ -14,4 +14,5 @@
 line o
 line p
+inserted
 line q
 line r
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestUnifiedEdges(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{"x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{"x\n", "x", "--- a\n+++ b\n\\ the two differ in their final newline\n"},
	} {
		if got := unified("a", "b", tc.a, tc.b, 3); got != tc.want {
			t.Errorf("%q → %q:\n got %q\nwant %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestUnifiedCutsLongLines(t *testing.T) {
	long := strings.Repeat("x", 1000)
	d := unified("a", "b", long+"\n", long+"y\n", 0)
	if !strings.Contains(d, "… (700 more bytes)") || !strings.Contains(d, "… (701 more bytes)") || len(d) > 1000 {
		t.Errorf("long lines not cut:\n%s", d)
	}
}

// apply checks that ops is an edit script from a to b.
func apply(t *testing.T, a, b []string, ops []op) {
	t.Helper()
	var gotA, gotB []string
	for _, o := range ops {
		if o.kind != '+' {
			gotA = append(gotA, o.line)
		}
		if o.kind != '-' {
			gotB = append(gotB, o.line)
		}
	}
	if strings.Join(gotA, "\n") != strings.Join(a, "\n") || strings.Join(gotB, "\n") != strings.Join(b, "\n") {
		t.Fatalf("not an edit script of %q → %q: %q", a, b, ops)
	}
}

func TestLineDiffIsAnEditScript(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "d"}
	for range 2000 {
		a := make([]string, rng.IntN(12))
		b := make([]string, rng.IntN(12))
		for i := range a {
			a[i] = words[rng.IntN(len(words))]
		}
		for i := range b {
			b[i] = words[rng.IntN(len(words))]
		}
		ops := lineDiff(a, b)
		apply(t, a, b, ops)
		// Shortest: no more edits than the longest common subsequence
		// allows.
		edits := 0
		for _, o := range ops {
			if o.kind != ' ' {
				edits++
			}
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("%q → %q: %d edits, the shortest has %d", a, b, edits, want)
		}
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestLineDiffGivesUpOnHugeDifferences(t *testing.T) {
	// Past maxEdits the texts are shown as one replacement, still a
	// valid edit script, in bounded memory.
	a := make([]string, 3000)
	b := make([]string, 3000)
	for i := range a {
		a[i], b[i] = "a"+string(rune(i)), "b"+string(rune(i))
	}
	ops := lineDiff(a, b)
	apply(t, a, b, ops)
	if len(ops) != 6000 {
		t.Fatalf("%d ops", len(ops))
	}
}

func TestCompare(t *testing.T) {
	old := []record{{Name: "a", Norm: "1\n"}, {Name: "b", Norm: "2\n"}, {Name: "gone", Norm: "x\n"}}
	new := []record{{Name: "a", Norm: "1\n"}, {Name: "b", Norm: "3\n"}, {Name: "added", Norm: "y\n"}}
	diffs, onlyOld, onlyNew := compare(old, new, 3)
	if len(diffs) != 3 || onlyOld != 1 || onlyNew != 1 {
		t.Fatalf("%d diffs, %d only in old, %d only in new: %q", len(diffs), onlyOld, onlyNew, diffs)
	}
	for i, want := range []string{"=== b\n", "=== gone: only in old\n", "=== added: only in new\n"} {
		if !strings.HasPrefix(diffs[i], want) {
			t.Errorf("diff %d: %q", i, diffs[i])
		}
	}
	if !strings.Contains(diffs[0], "-2\n+3\n") {
		t.Errorf("diff of b: %q", diffs[0])
	}
}
