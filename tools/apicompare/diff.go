package main

import (
	"fmt"
	"strings"
)

// op is one line of an edit script: ' ' kept, '-' only in a, '+' only in b.
type op struct {
	kind byte
	line string
}

// maxEdits bounds the work of lineDiff: two texts further apart than this
// are shown as one replacement instead.
const maxEdits = 2000

// lineDiff is Myers' O((N+M)D) shortest edit script between the lines of
// a and b.
func lineDiff(a, b []string) []op {
	n, m := len(a), len(b)
	total := n + m
	if total == 0 {
		return nil
	}
	limit := min(total, maxEdits)
	off := total + 1
	v := make([]int, 2*total+2)
	// trace[d] is the frontier before round d, kept only where round d
	// can read it (diagonals -d-1 … d+1): O(D²) memory in all.
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		lo, hi := max(0, off-d-1), min(len(v), off+d+2)
		trace = append(trace, append([]int(nil), v[lo:hi]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 { // too different: all of a out, all of b in
		out := make([]op, 0, n+m)
		for _, l := range a {
			out = append(out, op{'-', l})
		}
		for _, l := range b {
			out = append(out, op{'+', l})
		}
		return out
	}
	// Walk back through the saved frontiers.
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		lo := max(0, off-d-1)
		at := func(k int) int { return trace[d][off+k-lo] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, op{' ', a[x]})
		}
		if x == prevX {
			y--
			rev = append(rev, op{'+', b[y]})
		} else {
			x--
			rev = append(rev, op{'-', a[x]})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, op{' ', a[x]})
	}
	out := make([]op, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}

// maxShownLine cuts long lines (minified files) in the printed diff; the
// recordings keep them whole.
const maxShownLine = 300

// unified writes a unified diff of a and b with ctx lines of context, or
// "" when they are equal.
func unified(nameA, nameB, a, b string, ctx int) string {
	if a == b {
		return ""
	}
	la, lb := splitLines(a), splitLines(b)
	ops := lineDiff(la, lb)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", nameA, nameB)
	// Group changes into hunks with ctx lines around them.
	i := 0
	for i < len(ops) {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-ctx)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(len(ops), end+ctx)
				break
			}
			end = run
		}
		// Line numbers of the hunk in a and b.
		aLine, bLine := 1, 1
		for _, o := range ops[:start] {
			if o.kind != '+' {
				aLine++
			}
			if o.kind != '-' {
				bLine++
			}
		}
		aCount, bCount := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				aCount++
			}
			if o.kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(aLine, aCount), hunkRange(bLine, bCount))
		for _, o := range ops[start:end] {
			line := o.line
			if len(line) > maxShownLine {
				line = fmt.Sprintf("%s… (%d more bytes)", line[:maxShownLine], len(line)-maxShownLine)
			}
			sb.WriteByte(o.kind)
			sb.WriteString(line)
			sb.WriteByte('\n')
		}
		i = end
	}
	if a != "" && b != "" && strings.HasSuffix(a, "\n") != strings.HasSuffix(b, "\n") {
		sb.WriteString("\\ the two differ in their final newline\n")
	}
	return sb.String()
}

func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if count == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
