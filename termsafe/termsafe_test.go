package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineEscapesTerminalControls(t *testing.T) {
	cases := map[string]string{
		"plain text":              "plain text",
		"clear\x1b[2Jscreen":      `clear\x1b[2Jscreen`,
		"osc52\x1b]52;c;aGk=\x07": `osc52\x1b]52;c;aGk=\x07`,
		"title\x1b]0;pwned\x1b\\": `title\x1b]0;pwned\x1b\`,
		"c1 csi \u009b31m":        `c1 csi \u009b31m`,
		"bidi \u202egnp.exe":      `bidi \u202egnp.exe`,
		"new\nline\ttab\rcr":      `new\nline\ttab\rcr`,
		"bad utf8 \xff\xfe end":   `bad utf8 \xff\xfe end`,
		"del\x7f":                 `del\x7f`,
		"unicode ok: héllo 世界 🙂":  "unicode ok: héllo 世界 🙂",
	}
	for in, want := range cases {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBlockKeepsLayoutOnly(t *testing.T) {
	got := Block("a\r\nb\n\tc\rd\x1b[1m")
	want := "a\nb\n\tc\\rd\\x1b[1m"
	if got != want {
		t.Fatalf("Block = %q, want %q", got, want)
	}
}

func FuzzLine(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m")
	f.Add("\u202e\xff\x00")
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if !utf8.ValidString(out) {
			t.Fatalf("output not valid UTF-8: %q", out)
		}
		for _, r := range out {
			if needsEscape(r, utf8.RuneLen(r)) {
				t.Fatalf("output still holds %U: %q", r, out)
			}
		}
		if strings.ContainsAny(out, "\x1b\n\r") {
			t.Fatalf("raw control in output %q", out)
		}
	})
}
