package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/wscope/wscope/termsafe"
)

// hexForms writes b in the hex notations Parse reads.
func hexForms(b []byte) []string {
	var spaced, colons, prefixed, cArray strings.Builder
	for i, c := range b {
		if i > 0 {
			spaced.WriteByte(' ')
			colons.WriteByte(':')
			cArray.WriteString(", ")
			if i%4 == 0 {
				prefixed.WriteString("\n")
			}
		}
		if i%4 == 0 {
			prefixed.WriteString("0x")
		}
		fmt.Fprintf(&spaced, "%02x", c)
		fmt.Fprintf(&colons, "%02X", c)
		fmt.Fprintf(&prefixed, "%02x", c)
		fmt.Fprintf(&cArray, "0x%02x", c)
	}
	return []string{hex.EncodeToString(b), spaced.String(), colons.String(), prefixed.String(), cArray.String()}
}

// base64Forms writes b in the base64 notations Parse reads.
func base64Forms(b []byte) []string {
	std := base64.StdEncoding.EncodeToString(b)
	var wrapped strings.Builder
	for i := 0; i < len(std); i += 7 {
		wrapped.WriteString(std[i:min(i+7, len(std))])
		wrapped.WriteString("\n ")
	}
	return []string{
		std,
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		wrapped.String(),
	}
}

func FuzzParse(f *testing.F) {
	f.Add(0, "de ad")
	f.Add(1, `{"a":1}`)
	f.Add(1, "{\n  \"a\": 1,\n}")
	f.Add(2, "0xdead 0xbeef")
	f.Add(2, "0x")
	f.Add(2, "de:ad:be:e")
	f.Add(3, "AAH/")
	f.Add(3, "aA==aA")
	f.Add(3, "\x1b\u202e\xff")
	f.Fuzz(func(t *testing.T, mode int, in string) {
		m := Mode(((mode % numModes) + numModes) % numModes)
		data, text, err := Parse(m, in)
		if err != nil {
			if msg := err.Error(); !safe(msg) {
				t.Fatalf("Parse(%s, %q): unsafe error %q", m, in, msg)
			}
			if m == ModeText {
				t.Fatalf("text mode failed: %v", err)
			}
		} else {
			if text != (m == ModeText || m == ModeJSON) {
				t.Fatalf("Parse(%s) text=%v", m, text)
			}
			if (m == ModeText || m == ModeJSON) && string(data) != in {
				t.Fatalf("Parse(%s, %q) changed the input to %q", m, in, data)
			}
			if m == ModeJSON && !json.Valid([]byte(in)) {
				t.Fatalf("invalid JSON %q accepted", in)
			}
		}
		if m == ModeJSON && (err == nil) != json.Valid([]byte(in)) {
			t.Fatalf("Parse(json, %q): %v, but json.Valid disagrees", in, err)
		}

		// Round trips: any bytes written as hex or base64 parse back.
		raw := []byte(in)
		for _, form := range hexForms(raw) {
			got, text, err := Parse(ModeHex, form)
			if err != nil || text || !bytes.Equal(got, raw) {
				t.Fatalf("hex round trip of %x via %q: %x %v", raw, form, got, err)
			}
		}
		for _, form := range base64Forms(raw) {
			got, text, err := Parse(ModeBase64, form)
			if err != nil || text || !bytes.Equal(got, raw) {
				t.Fatalf("base64 round trip of %x via %q: %x %v", raw, form, got, err)
			}
		}
		// Whatever base64 accepts, encoding/base64 reads the same way.
		if m == ModeBase64 && err == nil {
			clean := strings.Map(func(r rune) rune {
				switch r {
				case '-':
					return '+'
				case '_':
					return '/'
				case '=':
					return -1
				}
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, in)
			want, err := base64.RawStdEncoding.DecodeString(clean)
			if err != nil || !bytes.Equal(want, data) {
				t.Fatalf("base64 %q gave %x; encoding/base64 gives %x, %v", in, data, want, err)
			}
		}
	})
}

func FuzzPreview(f *testing.F) {
	f.Add([]byte("\x1b]52;c;x\x07"), true, 20)
	f.Add([]byte("a\u202eb\u009bc\xffd"), true, 6)
	f.Add([]byte{0xff, 0xfe}, false, 3)
	f.Add([]byte("日本語"), true, 2)
	f.Fuzz(func(t *testing.T, p []byte, isText bool, maxRunes int) {
		maxRunes %= 300
		out := Preview(p, isText, maxRunes)
		if !utf8.ValidString(out) || !safe(out) {
			t.Fatalf("Preview(%q, %v, %d): unsafe %q", p, isText, maxRunes, out)
		}
		if !termsafe.IsClean(out) {
			t.Fatalf("Preview(%q, %v, %d): termsafe finds %q unclean", p, isText, maxRunes, out)
		}
		// At most maxRunes+1 is the contract; Preview in fact keeps the
		// "…" within maxRunes.
		if n := utf8.RuneCountInString(out); n > max(maxRunes, 0) {
			t.Fatalf("Preview(%q, %v, %d): %d runes: %q", p, isText, maxRunes, n, out)
		}
		if maxRunes > 0 && len(p) > 0 && out == "" {
			t.Fatalf("Preview(%q, %v, %d) is empty", p, isText, maxRunes)
		}
		if isText && maxRunes > 0 {
			// Untruncated, it is exactly what termsafe.Line writes; cut, it
			// is a prefix of that and ends in "…".
			full := termsafe.Line(string(p))
			if cut, ok := strings.CutSuffix(out, "…"); ok && out != full {
				if !strings.HasPrefix(full, cut) {
					t.Fatalf("Preview(%q, %d) = %q is not a prefix of %q", p, maxRunes, out, full)
				}
			} else if out != full {
				t.Fatalf("Preview(%q, %d) = %q, want %q", p, maxRunes, out, full)
			}
		}
	})
}

func FuzzPrettyJSON(f *testing.F) {
	f.Add([]byte(`{"z":12345678901234567890,"a":[1.0e3,{},[]],"s":"\u001b"}`), 0)
	f.Add([]byte("[\"\u202e\x7f\xff\"]"), 2)
	f.Fuzz(func(t *testing.T, p []byte, maxLines int) {
		maxLines %= 50
		lines, ok := PrettyJSON(p, maxLines)
		if ok != json.Valid(p) {
			t.Fatalf("PrettyJSON(%q) ok=%v", p, ok)
		}
		if !ok {
			return
		}
		if maxLines > 0 && len(lines) > maxLines {
			t.Fatalf("%d lines for max %d", len(lines), maxLines)
		}
		for _, l := range lines {
			for _, tok := range l {
				if !safe(tok.Text) {
					t.Fatalf("PrettyJSON(%q): unsafe token %q", p, tok.Text)
				}
			}
		}
		// What a terminal can show as is comes out as json.Indent writes it.
		if maxLines == 0 && utf8.Valid(p) && termsafe.IsClean(strings.Map(func(r rune) rune {
			if r == '\n' || r == '\t' || r == '\r' {
				return ' '
			}
			return r
		}, string(p))) {
			var want bytes.Buffer
			if err := json.Indent(&want, p, "", "  "); err != nil {
				t.Fatal(err)
			}
			if got := joinTokens(lines); got != strings.TrimSpace(want.String()) {
				t.Fatalf("PrettyJSON(%q)\n%s\njson.Indent\n%s", p, got, want.String())
			}
		}
	})
}
