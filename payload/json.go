package payload

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/wscope/wscope/termsafe"
)

// TokenClass classifies a piece of pretty-printed JSON.
type TokenClass int

// Token classes.
const (
	TokKey TokenClass = iota
	TokString
	TokNumber
	TokBool
	TokNull
	TokPunct
	TokSpace
)

// JSONToken is a piece of a pretty-printed line with its class.
type JSONToken struct {
	Class TokenClass
	Text  string
}

// PrettyJSON pretty-prints valid JSON with two-space indents, keeping key
// order and number literals exactly as sent, as lines of classified
// tokens. ok is false for invalid JSON. maxLines bounds the output (0: all).
func PrettyJSON(p []byte, maxLines int) (lines [][]JSONToken, ok bool) {
	if !json.Valid(p) {
		return nil, false
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, p, "", "  "); err != nil {
		return nil, false
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if maxLines > 0 && len(lines) == maxLines {
			lines = append(lines, []JSONToken{{Class: TokPunct, Text: "…"}})
			break
		}
		lines = append(lines, tokenize(l))
	}
	return lines, true
}

// tokenize splits one line of indented JSON into tokens. Strings keep
// their JSON escapes, so control characters stay visible as \u001b; any
// raw character a terminal would act on is escaped as well.
func tokenize(l string) []JSONToken {
	var out []JSONToken
	i := 0
	for i < len(l) {
		c := l[i]
		switch {
		case c == ' ':
			j := i
			for j < len(l) && l[j] == ' ' {
				j++
			}
			out = append(out, JSONToken{TokSpace, l[i:j]})
			i = j
		case c == '"':
			j := i + 1
			for j < len(l) && l[j] != '"' {
				if l[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(l))
			class := TokString
			rest := strings.TrimLeft(l[j:], " ")
			if strings.HasPrefix(rest, ":") {
				class = TokKey
			}
			out = append(out, JSONToken{class, termsafe.Line(l[i:j])})
			i = j
		case strings.IndexByte("{}[],:", c) >= 0:
			out = append(out, JSONToken{TokPunct, string(c)})
			i++
		default:
			j := i
			for j < len(l) && strings.IndexByte("{}[],: ", l[j]) < 0 {
				j++
			}
			word := l[i:j]
			class := TokNumber
			switch word {
			case "true", "false":
				class = TokBool
			case "null":
				class = TokNull
			}
			out = append(out, JSONToken{class, word})
			i = j
		}
	}
	return out
}
