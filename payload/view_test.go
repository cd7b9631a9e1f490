package payload

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// safe reports whether s is valid UTF-8 without a character that a
// terminal would act on: nothing below 0x20, DEL, C1 controls or
// bidirectional controls.
func safe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c:
			return false
		}
	}
	return true
}

func TestHexDump(t *testing.T) {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	cases := []struct {
		name string
		p    []byte
		max  int
		want []string
	}{
		{"0 bytes", nil, 0, []string{}},
		{"1 byte", []byte{0xde}, 0, []string{
			"00000000  de                                                |.|",
		}},
		{"16 bytes", append([]byte{0xde, 0xad, 0xbe, 0xef}, seq(12)...), 0, []string{
			"00000000  de ad be ef 00 01 02 03  04 05 06 07 08 09 0a 0b  |................|",
		}},
		{"17 bytes", []byte("ABCDEFGHIJKLMNOP~"), 0, []string{
			"00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|",
			"00000010  7e                                                |~|",
		}},
		{"9 bytes, printable edges", []byte{0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff, 'a', '|', '.'}, 0, []string{
			"00000000  1f 20 7e 7f 80 ff 61 7c  2e                       |. ~...a|.|",
		}},
		{"cut", seq(100), 3, []string{
			"00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
			"00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|",
			"… 68 more bytes",
		}},
		{"cut to one line", seq(100), 1, []string{"… 100 more bytes"}},
		{"exactly maxLines is not cut", seq(32), 2, []string{
			"00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
			"00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|",
		}},
		{"maxLines above need", seq(3), 10, []string{
			"00000000  00 01 02                                          |...|",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := HexDump(c.p, c.max)
			if !slices.Equal(got, c.want) {
				t.Fatalf("HexDump\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestHexDumpLongOffsets(t *testing.T) {
	p := make([]byte, 1<<20+1)
	got := HexDump(p, 0)
	if len(got) != 1<<16+1 {
		t.Fatalf("%d lines", len(got))
	}
	if want := "00100000  00                                                |.|"; got[len(got)-1] != want {
		t.Fatalf("last line %q", got[len(got)-1])
	}
	if lines := HexDump(p, 5000); len(lines) != 5000 || lines[4999] != "… 968593 more bytes" {
		t.Fatalf("cut: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestBase64Lines(t *testing.T) {
	p := []byte("hello, world! hello, world!")
	want := base64.StdEncoding.EncodeToString(p) // 36 characters
	got := Base64Lines(p, 16)
	if len(got) != 3 || strings.Join(got, "") != want || len(got[0]) != 16 || len(got[1]) != 16 || len(got[2]) != 4 {
		t.Fatalf("Base64Lines = %q", got)
	}
	if got := Base64Lines(p, 0); len(got) != 1 || got[0] != want {
		t.Fatalf("unwrapped: %q", got)
	}
	if got := Base64Lines(p, 36); len(got) != 1 {
		t.Fatalf("exact width: %q", got)
	}
	if got := Base64Lines([]byte{0xff}, 80); !slices.Equal(got, []string{"/w=="}) {
		t.Fatalf("standard alphabet, padded: %q", got)
	}
	if got := Base64Lines(nil, 80); len(got) != 0 {
		t.Fatalf("empty: %q", got)
	}
}

func TestBest(t *testing.T) {
	cases := []struct {
		name   string
		p      []byte
		isText bool
		want   Kind
	}{
		{"object", []byte(`{"a":1}`), true, KindJSON},
		{"array with space", []byte(" \n[1, 2]\n"), true, KindJSON},
		{"object in a binary message", []byte(`{"a":1}`), false, KindJSON},
		{"scalar JSON is text", []byte(`"just a string"`), true, KindText},
		{"number is text", []byte(`42`), true, KindText},
		{"broken JSON is text", []byte(`{"a":`), true, KindText},
		{"text", []byte("hello, wörld\n\tindented\r\n"), true, KindText},
		{"empty", nil, true, KindText},
		{"text with a few escapes", []byte("\x1b[31mred\x1b[0m and a long enough line of plain text"), true, KindText},
		{"mostly controls", []byte("\x00\x01\x02\x03ab"), true, KindHex},
		{"invalid UTF-8", []byte{'h', 'i', 0xff}, true, KindHex},
		{"binary with a control", []byte("abc\x00"), false, KindHex},
		{"printable binary", []byte("plain words"), false, KindText},
		{"random binary", []byte{0xde, 0xad, 0xbe, 0xef}, false, KindHex},
	}
	for _, c := range cases {
		if got := Best(c.p, c.isText); got != c.want {
			t.Errorf("%s: Best = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestBestLargePayloads(t *testing.T) {
	// A multi-byte character straddling the end of the 64 KiB sample is
	// not mistaken for invalid UTF-8.
	p := append(bytes.Repeat([]byte("a"), textSample-1), bytes.Repeat([]byte("é"), 100)...)
	if got := Best(p, true); got != KindText {
		t.Fatalf("large text: %s", got)
	}
	// A large payload made of controls is hex even though the sample is a
	// small part of it.
	p = append(bytes.Repeat([]byte{0}, textSample), bytes.Repeat([]byte("a"), 8<<20)...)
	if got := Best(p, true); got != KindHex {
		t.Fatalf("large controls: %s", got)
	}
	// JSON over 1 MiB is not pretty-printed by default.
	big := []byte(`["` + strings.Repeat("x", maxAutoJSON) + `"]`)
	if got := Best(big, true); got != KindText {
		t.Fatalf("large JSON: %s", got)
	}
}

func TestKindNames(t *testing.T) {
	for k, want := range map[Kind]string{KindText: "text", KindJSON: "json", KindHex: "hex", KindBase64: "base64", Kind(7): "Kind(7)"} {
		if k.String() != want {
			t.Errorf("%d: %q", int(k), k)
		}
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		line  string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"short", 10, []string{"short"}},
		{"exact", 5, []string{"exact"}},
		{"abcdefghij", 3, []string{"abc", "def", "ghi", "j"}},
		{"abcdef", 3, []string{"abc", "def"}},
		{"héllo wörld", 4, []string{"héll", "o wö", "rld"}},
		{"日本語のテキスト", 3, []string{"日本語", "のテキ", "スト"}},
		{"a\xffb\xfe", 2, []string{"a\xff", "b\xfe"}},
		{"no width", 0, []string{"no width"}},
		{"negative", -1, []string{"negative"}},
	}
	for _, c := range cases {
		if got := Wrap(c.line, c.width); !slices.Equal(got, c.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.line, c.width, got, c.want)
		}
	}
}
