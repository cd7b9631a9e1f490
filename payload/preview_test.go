package payload

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wscope/wscope/termsafe"
)

func TestPreview(t *testing.T) {
	cases := []struct {
		name   string
		p      string
		isText bool
		max    int
		want   string
	}{
		{"plain", "hello", true, 10, "hello"},
		{"exact fit", "hello", true, 5, "hello"},
		{"cut", "hello world", true, 5, "hell…"},
		{"cut at one", "hello", true, 1, "…"},
		{"one fits", "h", true, 1, "h"},
		{"nothing", "hello", true, 0, ""},
		{"negative", "hello", true, -3, ""},
		{"empty", "", true, 10, ""},
		{"ESC", "a\x1b[2Jb", true, 20, `a\x1b[2Jb`},
		{"newline tab CR", "a\nb\tc\rd", true, 20, `a\nb\tc\rd`},
		{"NUL DEL", "\x00\x7f", true, 20, `\x00\x7f`},
		{"bidi", "abc\u202egnp.exe", true, 40, `abc\u202egnp.exe`},
		{"isolates and marks", "\u2066\u2069\u200e\u200f\u061c", true, 40, `\u2066\u2069\u200e\u200f\u061c`},
		{"C1 CSI", "\u009b31m", true, 40, `\u009b31m`},
		{"BOM", "\ufeffx", true, 40, `\ufeffx`},
		{"invalid UTF-8", "a\xff\xfeb", true, 40, `a\xff\xfeb`},
		{"truncated UTF-8", "ab\xe2\x82", true, 40, `ab\xe2\x82`},
		{"non-ASCII kept", "héllo 世界 🙂", true, 40, "héllo 世界 🙂"},
		{"non-ASCII counts runes", "世界世界世界", true, 4, "世界世…"},
		{"escape not cut in half", "ab\x1bcd", true, 5, "ab…"},
		{"escape fits exactly at the end", "ab\x1b", true, 6, `ab\x1b`},
		{"escape fits but no room for the ellipsis", "ab\x1bc", true, 6, "ab…"},
		{"escape and ellipsis fit", "ab\x1bcd", true, 7, `ab\x1b…`},
		{"bidi escape not cut", "a\u202eb", true, 6, "a…"},
		{"binary", "\xde\xad\xbe\xef", false, 20, "de ad be ef"},
		{"binary exact", "\xde\xad\xbe\xef", false, 11, "de ad be ef"},
		{"binary cut", "\xde\xad\xbe\xef\x01\x02", false, 14, "de ad be ef …"},
		{"binary cut short", "\xde\xad\xbe\xef\x01\x02", false, 9, "de ad …"},
		{"binary cut to nothing", "\xde\xad", false, 3, "…"},
		{"binary one byte", "\x00", false, 2, "00"},
		{"binary text-looking", "hi", false, 10, "68 69"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Preview([]byte(c.p), c.isText, c.max)
			if got != c.want {
				t.Fatalf("Preview(%q, %v, %d) = %q, want %q", c.p, c.isText, c.max, got, c.want)
			}
			if n := utf8.RuneCountInString(got); n > max(c.max, 0) {
				t.Fatalf("%d runes for max %d", n, c.max)
			}
		})
	}
}

func TestPreviewMatchesTermsafe(t *testing.T) {
	for _, s := range []string{"osc52\x1b]52;c;aGk=\x07", "c1 \u009b31m", "bidi \u202egnp.exe", "new\nline\ttab\rcr", "bad \xff\xfe end", "del\x7f", "\ufeff\ufff9\ufffa\ufffb"} {
		if got, want := Preview([]byte(s), true, 1000), termsafe.Line(s); got != want {
			t.Errorf("Preview(%q) = %q, termsafe.Line = %q", s, got, want)
		}
	}
}

func TestPreviewReadsOnlyWhatItShows(t *testing.T) {
	// Past what is shown, the payload is never read: garbage there makes
	// no difference, and a payload cut short at the same point gives the
	// same preview.
	head := []byte("a payload that goes on and on ")
	long := append(bytes.Clone(head), bytes.Repeat([]byte{0xff}, 1<<20)...)
	short := append(bytes.Clone(head), 'x', 'y')
	if a, b := Preview(long, true, 20), Preview(short, true, 20); a != b || a != "a payload that goes…" {
		t.Fatalf("%q vs %q", a, b)
	}
	if a, b := Preview(long, false, 20), Preview(short, false, 20); a != b {
		t.Fatalf("%q vs %q", a, b)
	}
}

func TestPreviewAllocatesOnlyTheResult(t *testing.T) {
	text := []byte(strings.Repeat("héllo\x1b[0m ", 1<<16))
	bin := bytes.Repeat([]byte{0xde, 0xad}, 1<<16)
	for _, c := range []struct {
		p      []byte
		isText bool
	}{{text, true}, {bin, false}} {
		if n := testing.AllocsPerRun(100, func() { Preview(c.p, c.isText, 120) }); n > 1 {
			t.Errorf("isText=%v: %v allocations, want 1", c.isText, n)
		}
	}
}

// BenchmarkPreview shows that a preview costs the same whatever the size
// of the payload: the 8 MiB cases should run about as fast as the 64-byte
// ones.
func BenchmarkPreview(b *testing.B) {
	const maxRunes = 100
	mixed := []byte("{\"msg\":\"héllo\\n\",\"t\":\"\x1b[1m\u202e\"} ")
	for _, c := range []struct {
		name   string
		p      []byte
		isText bool
	}{
		{"text-64B", bytes.Repeat([]byte("x"), 64), true},
		{"text-8MiB", bytes.Repeat([]byte("x"), 8<<20), true},
		{"mixed-64B", bytes.Repeat(mixed, 64/len(mixed)+1)[:64], true},
		{"mixed-8MiB", bytes.Repeat(mixed, 8<<20/len(mixed)+1)[:8<<20], true},
		{"binary-64B", bytes.Repeat([]byte{0xde, 0xad}, 32), false},
		{"binary-8MiB", bytes.Repeat([]byte{0xde, 0xad}, 4<<20), false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Preview(c.p, c.isText, maxRunes)
			}
		})
	}
}
