package provlog

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRedactBody redacts a PATCH of n operations that each set a
// password ({"op":"replace","value":"…","path":"password"}: the value
// comes before the path that makes it secret). ns/op divided by n must
// not grow with n: each redaction used to copy the whole output.
func BenchmarkRedactBody(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		var sb strings.Builder
		sb.WriteString(`{"Operations":[`)
		for i := range n {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"op":"replace","value":"pw-%d","path":"password"}`, i)
		}
		sb.WriteString(`]}`)
		body := []byte(sb.String())
		b.Run(fmt.Sprintf("ops=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if out := RedactBody(body, false); strings.Contains(out, "pw-1") {
					b.Fatal("not redacted")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/op-element")
		})
	}
}

// BenchmarkRedactQuery is a filter with a password in it, among many terms.
func BenchmarkRedactQuery(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = fmt.Sprintf(`userName eq "u%d@x.example"`, i)
		}
		terms[n/2] = `password eq "hunter2"`
		raw := "filter=" + strings.ReplaceAll(strings.Join(terms, " or "), " ", "%20") + "&count=10"
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if strings.Contains(RedactQuery(raw), "hunter2") {
					b.Fatal("not redacted")
				}
			}
		})
	}
}
