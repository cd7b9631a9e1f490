package payload

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wscope/wscope/termsafe"
)

func TestParseModes(t *testing.T) {
	cases := []struct {
		mode    Mode
		in      string
		want    []byte
		text    bool
		errPart string
	}{
		{ModeText, "héllo\n", []byte("héllo\n"), true, ""},
		{ModeJSON, `{"a": [1, 2]}`, []byte(`{"a": [1, 2]}`), true, ""},
		{ModeJSON, "{\n  \"a\": 1,\n}", nil, false, "line 3, column 1"},
		{ModeJSON, `{"a":1} {"b":2}`, nil, false, "more than one JSON value"},
		{ModeHex, "de ad be ef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{ModeHex, "0xdead 0xbeef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{ModeHex, "de:ad-BE\nEF", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{ModeHex, "abc", nil, false, "odd number"},
		{ModeHex, "de zz", nil, false, `"z" at column 4`},
		{ModeHex, "de \x1b", nil, false, `\x1b`},
		{ModeBase64, "AAH/", []byte{0, 1, 0xff}, false, ""},
		{ModeBase64, "AAH_", []byte{0, 1, 0xff}, false, ""},
		{ModeBase64, "AA\nH/ ==", []byte{0, 1, 0xff}, false, ""},
		{ModeBase64, "AA*H", nil, false, "position 3"},
	}
	for _, c := range cases {
		got, text, err := Parse(c.mode, c.in)
		if c.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), c.errPart) || strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("%s %q: error %v, want it to mention %q", c.mode, c.in, err, c.errPart)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, c.want) || text != c.text {
			t.Errorf("%s %q: %x text=%v err=%v", c.mode, c.in, got, text, err)
		}
	}
	if m, ok := ParseMode("JSON"); !ok || m != ModeJSON || ModeBase64.Next() != ModeText {
		t.Error("mode names")
	}
}

func TestHexDump(t *testing.T) {
	if got := HexDump(nil, 0); len(got) != 0 {
		t.Fatalf("empty: %q", got)
	}
	got := HexDump([]byte("ABCDEFGHIJKLMNOP\x00"), 0)
	want := []string{
		"00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|",
		"00000010  00                                                |.|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("dump\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := HexDump(make([]byte, 100), 2); len(got) != 3 || got[2] != "… 68 more bytes" {
		t.Fatalf("cut: %q", got)
	}
}

func TestPrettyJSONKeepsOrderAndNumbers(t *testing.T) {
	lines, ok := PrettyJSON([]byte(`{"z":12345678901234567890,"a":[1.0e3,true,null],"s":"\u001b[2J"}`), 0)
	if !ok {
		t.Fatal("valid JSON refused")
	}
	var b strings.Builder
	classes := map[string]TokenClass{}
	for _, l := range lines {
		for _, tok := range l {
			b.WriteString(tok.Text)
			classes[tok.Text] = tok.Class
		}
		b.WriteString("\n")
	}
	want := "{\n  \"z\": 12345678901234567890,\n  \"a\": [\n    1.0e3,\n    true,\n    null\n  ],\n  \"s\": \"\\u001b[2J\"\n}\n"
	if b.String() != want {
		t.Fatalf("pretty\n%s\nwant\n%s", b.String(), want)
	}
	if classes[`"z"`] != TokKey || classes["12345678901234567890"] != TokNumber || classes["true"] != TokBool || classes["null"] != TokNull || classes[`"\u001b[2J"`] != TokString {
		t.Fatalf("classes %v", classes)
	}
	if _, ok := PrettyJSON([]byte(`{"a":`), 0); ok {
		t.Fatal("invalid JSON accepted")
	}
}

func TestPreview(t *testing.T) {
	if got := Preview([]byte("hi\x1b[2J\u202e"), true, 40); got != `hi\x1b[2J\u202e` {
		t.Fatalf("escape: %q", got)
	}
	if got := Preview([]byte(strings.Repeat("a", 100)), true, 10); utf8.RuneCountInString(got) != 10 || !strings.HasSuffix(got, "…") {
		t.Fatalf("cut: %q", got)
	}
	if got := Preview([]byte{0xde, 0xad, 0xbe, 0xef, 1, 2}, false, 9); got != "de ad be …" {
		t.Fatalf("binary: %q", got)
	}
	if Best([]byte(`{"a":1}`), true) != KindJSON || Best([]byte{0xff, 0}, true) != KindHex || Best([]byte("text"), true) != KindText {
		t.Fatal("Best")
	}
}

func BenchmarkPreview64B(b *testing.B) {
	p := bytes.Repeat([]byte("x"), 64)
	for b.Loop() {
		Preview(p, true, 80)
	}
}

func BenchmarkPreview8MiB(b *testing.B) {
	p := bytes.Repeat([]byte("x"), 8<<20)
	for b.Loop() {
		Preview(p, true, 80)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(0, "de ad")
	f.Add(1, `{"a":1}`)
	f.Add(3, "AAH/")
	f.Add(2, "0x")
	f.Fuzz(func(t *testing.T, mode int, in string) {
		m := Mode(((mode % 4) + 4) % 4)
		_, _, err := Parse(m, in)
		if err != nil && (strings.ContainsAny(err.Error(), "\x1b\n\r") || !utf8.ValidString(err.Error())) {
			t.Fatalf("unsafe error text %q", err)
		}
		// Round trip: any bytes written as hex parse back.
		raw := []byte(in)
		got, _, err := Parse(ModeHex, hex.EncodeToString(raw))
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("hex round trip of %x: %x %v", raw, got, err)
		}
	})
}

func FuzzPreview(f *testing.F) {
	f.Add([]byte("\x1b]52;c;x\x07"), true, 20)
	f.Add([]byte{0xff, 0xfe}, false, 3)
	f.Fuzz(func(t *testing.T, p []byte, isText bool, n int) {
		n = n%200 + 1
		if n < 1 {
			n = 1
		}
		out := Preview(p, isText, n)
		if !utf8.ValidString(out) || !termsafe.IsClean(out) {
			t.Fatalf("unsafe preview %q", out)
		}
		if isText && utf8.RuneCountInString(out) > n+1 {
			t.Fatalf("preview of %d runes for max %d", utf8.RuneCountInString(out), n)
		}
	})
}
