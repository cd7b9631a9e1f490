package payload

import (
	"bytes"
	"strings"
	"testing"
)

func TestModeNames(t *testing.T) {
	names := []string{"text", "json", "hex", "base64"}
	for i, name := range names {
		m := Mode(i)
		if m.String() != name {
			t.Errorf("Mode(%d).String() = %q, want %q", i, m, name)
		}
		if got, ok := ParseMode(name); !ok || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", name, got, ok)
		}
		if got, ok := ParseMode(" " + strings.ToUpper(name) + " "); !ok || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", strings.ToUpper(name), got, ok)
		}
		if want := Mode((i + 1) % len(names)); m.Next() != want {
			t.Errorf("%s.Next() = %s, want %s", m, m.Next(), want)
		}
	}
	for _, bad := range []string{"", "binary", "b64", "texts"} {
		if _, ok := ParseMode(bad); ok {
			t.Errorf("ParseMode(%q) accepted", bad)
		}
	}
	if Mode(9).String() != "Mode(9)" || Mode(9).Next() != ModeText || Mode(-1).Next() != ModeText {
		t.Error("unknown modes")
	}
	if _, _, err := Parse(Mode(9), "x"); err == nil {
		t.Error("Parse with an unknown mode succeeded")
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		mode Mode
		in   string
		want []byte
		text bool
		err  string // the whole error, if one is expected
	}{
		// text: as is.
		{"text", ModeText, "héllo\n\x1b", []byte("héllo\n\x1b"), true, ""},
		{"text empty", ModeText, "", []byte{}, true, ""},
		{"text slashes", ModeText, "/not a command", []byte("/not a command"), true, ""},

		// json: validated, sent exactly as typed.
		{"json object as typed", ModeJSON, "{ \"b\": 1,\n  \"a\": [1.0e3, 12345678901234567890] }", []byte("{ \"b\": 1,\n  \"a\": [1.0e3, 12345678901234567890] }"), true, ""},
		{"json scalar", ModeJSON, `"hi"`, []byte(`"hi"`), true, ""},
		{"json huge exponent", ModeJSON, `1e400`, []byte(`1e400`), true, ""},
		{"json surrounding space", ModeJSON, " [] \n", []byte(" [] \n"), true, ""},
		{"json trailing comma", ModeJSON, "{\"a\": 1,\n    }", nil, false,
			`invalid JSON at line 2, column 5: invalid character '}' looking for beginning of object key string`},
		{"json missing value", ModeJSON, `[1,]`, nil, false,
			`invalid JSON at line 1, column 4: invalid character ']' looking for beginning of value`},
		{"json truncated", ModeJSON, `{"a":`, nil, false,
			`invalid JSON at line 1, column 6: unexpected end of JSON input`},
		{"json truncated after newline", ModeJSON, "[\n", nil, false,
			`invalid JSON at line 2, column 1: unexpected end of JSON input`},
		{"json empty", ModeJSON, "", nil, false,
			`invalid JSON at line 1, column 1: unexpected end of JSON input`},
		{"json two values", ModeJSON, `{"a":1} {"b":2}`, nil, false,
			`invalid JSON at line 1, column 9: invalid character '{' after top-level value`},
		{"json control char", ModeJSON, "[\x1b]", nil, false,
			`invalid JSON at line 1, column 2: invalid character '\x1b' looking for beginning of value`},
		{"json non-ASCII named as typed", ModeJSON, `["é", é]`, nil, false,
			`invalid JSON at line 1, column 7: invalid character 'é' looking for beginning of value`},
		{"json bidi escaped", ModeJSON, "[\u202e]", nil, false,
			`invalid JSON at line 1, column 2: invalid character '\u202e' looking for beginning of value`},
		{"json columns count characters", ModeJSON, "{\"ключ\": x}", nil, false,
			`invalid JSON at line 1, column 10: invalid character 'x' looking for beginning of value`},

		// hex: separators and 0x prefixes ignored.
		{"hex spaced", ModeHex, "de ad be ef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{"hex 0x groups", ModeHex, "0xdead 0xbeef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{"hex colons", ModeHex, "de:ad:be:ef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{"hex dashes upper", ModeHex, "DE-AD-BE-EF", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{"hex C array", ModeHex, "0xde, 0xAD,\n\t0XbE, 0xef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{"hex solid", ModeHex, "deadbeef", []byte{0xde, 0xad, 0xbe, 0xef}, false, ""},
		{"hex unicode space", ModeHex, "de\u00a0ad\u3000be", []byte{0xde, 0xad, 0xbe}, false, ""},
		{"hex empty", ModeHex, "", []byte{}, false, ""},
		{"hex only separators", ModeHex, " : - \n", []byte{}, false, ""},
		{"hex odd", ModeHex, "abc", nil, false,
			`hex: odd number of digits (3) in the group at column 1; each byte needs two`},
		{"hex odd group", ModeHex, "dead bee", nil, false,
			`hex: odd number of digits (3) in the group at column 6; each byte needs two`},
		{"hex odd 0x group", ModeHex, "0xde 0x1", nil, false,
			`hex: odd number of digits (1) in the group at column 6; each byte needs two`},
		{"hex bad char", ModeHex, "de zz", nil, false,
			`hex: invalid character 'z' at column 4`},
		{"hex bad char mid group", ModeHex, "0xdeag", nil, false,
			`hex: invalid character 'g' at column 6`},
		{"hex escape char", ModeHex, "de \x1b[2J", nil, false,
			`hex: invalid character '\x1b' at column 4`},
		{"hex bidi char", ModeHex, "de\u202e", nil, false,
			`hex: invalid character '\u202e' at column 3`},
		{"hex invalid UTF-8", ModeHex, "de \xff", nil, false,
			`hex: invalid character '\xff' at column 4`},
		{"hex quote", ModeHex, "'de'", nil, false,
			`hex: invalid character '\'' at column 1`},
		{"hex columns count characters", ModeHex, "é", nil, false,
			`hex: invalid character 'é' at column 1`},
		{"hex multi-line position", ModeHex, "dead\nbeef\n00 0g", nil, false,
			`hex: invalid character 'g' at line 3, column 5`},
		{"hex bare 0x", ModeHex, "de 0x", nil, false,
			`hex: 0x at column 4 has no digits after it`},
		{"hex x without 0", ModeHex, "1xde", nil, false,
			`hex: invalid character 'x' at column 2`},

		// base64: either alphabet, padding optional, whitespace ignored.
		{"base64 std", ModeBase64, "AAH/", []byte{0, 1, 0xff}, false, ""},
		{"base64 url", ModeBase64, "AAH_", []byte{0, 1, 0xff}, false, ""},
		{"base64 padded", ModeBase64, "aGk=", []byte("hi"), false, ""},
		{"base64 unpadded", ModeBase64, "aGk", []byte("hi"), false, ""},
		{"base64 two pads", ModeBase64, "aA==", []byte("h"), false, ""},
		{"base64 partial padding", ModeBase64, "aA=", []byte("h"), false, ""},
		{"base64 wrapped", ModeBase64, "aGVs\nbG8g\r\n d29y bGQ=\n", []byte("hello world"), false, ""},
		{"base64 empty", ModeBase64, "", []byte{}, false, ""},
		{"base64 bad char", ModeBase64, "AA*H", nil, false,
			`base64: invalid character '*' at column 3`},
		{"base64 bad char after whitespace", ModeBase64, "AAAA\n AA.A", nil, false,
			`base64: invalid character '.' at line 2, column 4`},
		{"base64 control char", ModeBase64, "AA\x07A", nil, false,
			`base64: invalid character '\x07' at column 3`},
		{"base64 data after padding", ModeBase64, "aA==aA==", nil, false,
			`base64: 'a' at column 5 comes after the padding`},
		{"base64 too much padding", ModeBase64, "aGk==", nil, false,
			`base64: unexpected padding '=' at column 5`},
		{"base64 padding alone", ModeBase64, "=", nil, false,
			`base64: unexpected padding '=' at column 1`},
		{"base64 lone char", ModeBase64, "AAAAB", nil, false,
			`base64: the character at column 5 is left alone at the end; a byte takes two`},
		{"base64 lone char padded", ModeBase64, "AAAAB===", nil, false,
			`base64: the character at column 5 is left alone at the end; a byte takes two`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, text, err := Parse(c.mode, c.in)
			if c.err != "" {
				if err == nil {
					t.Fatalf("Parse(%s, %q) = %x, want error %q", c.mode, c.in, got, c.err)
				}
				if err.Error() != c.err {
					t.Fatalf("Parse(%s, %q) error\n got %s\nwant %s", c.mode, c.in, err, c.err)
				}
				if got != nil {
					t.Errorf("data %x returned with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s, %q): %v", c.mode, c.in, err)
			}
			if !bytes.Equal(got, c.want) || text != c.text {
				t.Fatalf("Parse(%s, %q) = %x text=%v, want %x text=%v", c.mode, c.in, got, text, c.want, c.text)
			}
		})
	}
}

func TestParseErrorsAreOneSafeLine(t *testing.T) {
	inputs := []string{"\x1b[2J\n\x9b\u009b\u202e\r\x7f", "\n\n\xff", "de\n\u2066"}
	for _, in := range inputs {
		for m := range Mode(numModes) {
			if m == ModeText {
				continue
			}
			_, _, err := Parse(m, in)
			if err == nil {
				t.Fatalf("Parse(%s, %q) succeeded", m, in)
			}
			if !safe(err.Error()) {
				t.Errorf("Parse(%s, %q): unsafe error %q", m, in, err)
			}
		}
	}
}
