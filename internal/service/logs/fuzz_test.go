package logs

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// FuzzDecodeCursor decodes arbitrary page tokens, and tokens made of
// arbitrary payloads. A token is either refused with a 400 naming the
// cursor, or names a position that EncodeCursor gives back as the very
// same token.
func FuzzDecodeCursor(f *testing.F) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC)
	for _, c := range []store.LogCursor{{At: at, ID: "01JGZ3"}, {At: at.Truncate(time.Second), ID: "a|b"}, {At: time.Time{}, ID: "x"}} {
		f.Add(EncodeCursor(c), "")
	}
	for _, p := range []string{
		"2026-01-02T15:04:05Z|id",
		"2026-01-02T15:04:05.500Z|id",
		"2026-01-02T16:04:05+01:00|id",
		"9999-12-31T23:59:59-01:00|id",
		"0000-01-01T00:00:00+01:00|id",
		"2026-01-02T15:04:05Z|",
		"2026-01-02T15:04:05Z",
		"|id",
	} {
		f.Add("", p)
	}
	f.Add("!!!", "")
	f.Add("MjAyNi0wMS0wMlQxNTowNDowNVp8aWQ=", "")
	f.Fuzz(func(t *testing.T, token, payload string) {
		for _, s := range []string{token, base64.RawURLEncoding.EncodeToString([]byte(payload))} {
			c, err := DecodeCursor(s)
			if err != nil {
				e, ok := domain.AsError(err)
				if !ok || e.Kind != domain.KindInvalid || e.Field != "cursor" || c != nil {
					t.Fatalf("DecodeCursor(%q) = %v, %v (%T), want a 400 for the cursor", s, c, err, err)
				}
				continue
			}
			if s == "" {
				if c != nil {
					t.Fatalf(`DecodeCursor("") = %+v, want nil`, c)
				}
				continue
			}
			if c == nil || c.ID == "" {
				t.Fatalf("DecodeCursor(%q) = %+v", s, c)
			}
			if got := EncodeCursor(*c); got != s {
				t.Fatalf("DecodeCursor(%q) = %v|%q re-encodes as %q", s, c.At, c.ID, got)
			}
		}
	})
}

// FuzzParseStatusFilter checks that a status filter is refused with a 400
// naming the field, or is one of the documented ranges, which reads back
// the same from its canonical spelling, in any case and padding.
func FuzzParseStatusFilter(f *testing.F) {
	for _, s := range []string{"", "error", "Errors", "4xx", "5XX", "1xx", "409", " 200 ", "+404", "0409", "600", "6xx", "0xx", "99", "4x", "xx", "error4xx", "-409", "٤٠٩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, err := ParseStatusFilter(s)
		if err != nil {
			e, ok := domain.AsError(err)
			if !ok || e.Kind != domain.KindInvalid || e.Field != "status" || lo != 0 || hi != 0 {
				t.Fatalf("ParseStatusFilter(%q) = %d, %d, %v (%T), want a 400 for status", s, lo, hi, err, err)
			}
			return
		}
		var canon string
		switch {
		case lo == 0 && hi == 0:
			canon = ""
		case lo == 400 && hi == 0:
			canon = "error"
		case lo == hi && lo >= 100 && lo <= 599:
			canon = strconv.Itoa(lo)
		case lo%100 == 0 && lo >= 100 && lo <= 500 && hi == lo+99:
			canon = strconv.Itoa(lo/100) + "xx"
		default:
			t.Fatalf("ParseStatusFilter(%q) = %d, %d: not a documented range", s, lo, hi)
		}
		for _, v := range []string{canon, " \t" + asciiUpper(s) + "\n", strings.ToUpper(canon)} {
			lo2, hi2, err := ParseStatusFilter(v)
			if err != nil || lo2 != lo || hi2 != hi {
				t.Fatalf("ParseStatusFilter(%q) = %d, %d but ParseStatusFilter(%q) = %d, %d, %v", s, lo, hi, v, lo2, hi2, err)
			}
		}
	})
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
