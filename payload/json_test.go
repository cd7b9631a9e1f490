package payload

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// joinTokens renders lines of tokens as plain text, one line each.
func joinTokens(lines [][]JSONToken) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, tok := range l {
			b.WriteString(tok.Text)
		}
	}
	return b.String()
}

func TestPrettyJSONKeepsOrderAndNumbers(t *testing.T) {
	in := `{"z":12345678901234567890,"a":[1.0e3,-0.50,1E+2,true,false,null],"m":{},"e":[],"s":"\u001b[2J\n\"q\"","n":{"b":1,"a":{"y":2}}}`
	lines, ok := PrettyJSON([]byte(in), 0)
	if !ok {
		t.Fatal("valid JSON refused")
	}
	want := `{
  "z": 12345678901234567890,
  "a": [
    1.0e3,
    -0.50,
    1E+2,
    true,
    false,
    null
  ],
  "m": {},
  "e": [],
  "s": "\u001b[2J\n\"q\"",
  "n": {
    "b": 1,
    "a": {
      "y": 2
    }
  }
}`
	if got := joinTokens(lines); got != want {
		t.Fatalf("pretty\n%s\nwant\n%s", got, want)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(in), "", "  "); err != nil || indented.String() != want {
		t.Fatalf("json.Indent disagrees: %v\n%s", err, indented.String())
	}
}

func TestPrettyJSONClassifiesTokens(t *testing.T) {
	lines, ok := PrettyJSON([]byte(` {"k" : "v", "n": 1.5e-3, "t": true, "f": false, "z": null, "a": ["k"]} `), 0)
	if !ok {
		t.Fatal("valid JSON refused")
	}
	want := [][]JSONToken{
		{{TokPunct, "{"}},
		{{TokSpace, "  "}, {TokKey, `"k"`}, {TokPunct, ":"}, {TokSpace, " "}, {TokString, `"v"`}, {TokPunct, ","}},
		{{TokSpace, "  "}, {TokKey, `"n"`}, {TokPunct, ":"}, {TokSpace, " "}, {TokNumber, "1.5e-3"}, {TokPunct, ","}},
		{{TokSpace, "  "}, {TokKey, `"t"`}, {TokPunct, ":"}, {TokSpace, " "}, {TokBool, "true"}, {TokPunct, ","}},
		{{TokSpace, "  "}, {TokKey, `"f"`}, {TokPunct, ":"}, {TokSpace, " "}, {TokBool, "false"}, {TokPunct, ","}},
		{{TokSpace, "  "}, {TokKey, `"z"`}, {TokPunct, ":"}, {TokSpace, " "}, {TokNull, "null"}, {TokPunct, ","}},
		{{TokSpace, "  "}, {TokKey, `"a"`}, {TokPunct, ":"}, {TokSpace, " "}, {TokPunct, "["}},
		{{TokSpace, "    "}, {TokString, `"k"`}},
		{{TokSpace, "  "}, {TokPunct, "]"}},
		{{TokPunct, "}"}},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), joinTokens(lines))
	}
	for i := range want {
		if len(lines[i]) != len(want[i]) {
			t.Fatalf("line %d: %v, want %v", i, lines[i], want[i])
		}
		for j := range want[i] {
			if lines[i][j] != want[i][j] {
				t.Fatalf("line %d token %d: %v, want %v", i, j, lines[i][j], want[i][j])
			}
		}
	}
}

func TestPrettyJSONScalars(t *testing.T) {
	for in, want := range map[string]JSONToken{
		`"s"`:   {TokString, `"s"`},
		` 42 `:  {TokNumber, "42"},
		`true`:  {TokBool, "true"},
		`null`:  {TokNull, "null"},
		`{}`:    {TokPunct, "{}"},
		"[ \n]": {TokPunct, "[]"},
	} {
		lines, ok := PrettyJSON([]byte(in), 0)
		if !ok || len(lines) != 1 || len(lines[0]) != 1 || lines[0][0] != want {
			t.Errorf("PrettyJSON(%q) = %v, %v", in, lines, ok)
		}
	}
}

func TestPrettyJSONInvalid(t *testing.T) {
	for _, in := range []string{``, ` `, `{"a":`, `{"a" 1}`, `[1,]`, `{"a":1} {"b":2}`, `{'a':1}`, "[\"\x1b\"]", `nul`, `01`} {
		if lines, ok := PrettyJSON([]byte(in), 0); ok || lines != nil {
			t.Errorf("PrettyJSON(%q) accepted: %v", in, lines)
		}
	}
}

func TestPrettyJSONEscapesWhatJSONAllowsRaw(t *testing.T) {
	// JSON strings may hold DEL, C1 and bidi controls raw, and
	// encoding/json lets invalid UTF-8 through; none may reach the screen.
	in := "{\"k\u202e\": \"a\x7fb\u009bc\u2066d\xffe\u200f\"}"
	lines, ok := PrettyJSON([]byte(in), 0)
	if !ok {
		t.Fatal("valid JSON refused")
	}
	got := joinTokens(lines)
	want := "{\n  \"k\\u202e\": \"a\\u007fb\\u009bc\\u2066d\\xffe\\u200f\"\n}"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !safe(strings.ReplaceAll(got, "\n", "")) {
		t.Fatalf("unsafe output %q", got)
	}
}

func TestPrettyJSONMaxLines(t *testing.T) {
	in := []byte(`[1,2,3,4,5,6,7,8,9,10]`) // 12 lines pretty-printed
	all, _ := PrettyJSON(in, 0)
	if len(all) != 12 {
		t.Fatalf("%d lines", len(all))
	}
	for _, max := range []int{1, 2, 5, 11} {
		lines, ok := PrettyJSON(in, max)
		if !ok || len(lines) != max {
			t.Fatalf("max %d: %d lines, ok=%v", max, len(lines), ok)
		}
		if last := lines[max-1]; len(last) != 1 || last[0] != (JSONToken{TokPunct, "…"}) {
			t.Fatalf("max %d: last line %v", max, last)
		}
		if joinTokens(lines[:max-1]) != joinTokens(all[:max-1]) {
			t.Fatalf("max %d: lines differ", max)
		}
	}
	for _, max := range []int{12, 13, 100} {
		if lines, _ := PrettyJSON(in, max); joinTokens(lines) != joinTokens(all) {
			t.Fatalf("max %d cut a JSON that fits", max)
		}
	}
}

func TestPrettyJSONDeepNesting(t *testing.T) {
	depth := 5000
	in := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	// The innermost pair stays as [].
	lines, ok := PrettyJSON([]byte(in), 0)
	if !ok || len(lines) != 2*depth-1 {
		t.Fatalf("%d lines, ok=%v", len(lines), ok)
	}
	if mid := lines[depth-1]; len(mid) != 2 || len(mid[0].Text) != 2*(depth-1) || mid[1].Text != "[]" {
		t.Fatalf("innermost line has %d tokens", len(mid))
	}
}
