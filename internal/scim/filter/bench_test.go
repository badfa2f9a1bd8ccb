package filter

import "testing"

func benchParse(b *testing.B, s string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := Parse(s, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSimple(b *testing.B) {
	benchParse(b, `userName eq "bjensen@example.com"`)
}

// BenchmarkParseComplex parses a 13-node filter: 6 comparisons, 5 and/or,
// a not and a value path.
func BenchmarkParseComplex(b *testing.B) {
	benchParse(b, `userType eq "Employee" and (emails[type eq "work" and value co "@example.com"] or `+
		`not (title pr)) and meta.lastModified gt "2011-05-13T04:42:34Z" or active eq true`)
}

func BenchmarkParsePath(b *testing.B) {
	const s = `emails[type eq "work"].value`
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := ParsePath(s, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
