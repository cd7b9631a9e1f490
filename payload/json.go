package payload

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// TokenClass is what a piece of pretty-printed JSON is, so a UI can colour
// it.
type TokenClass int

// Token classes.
const (
	// TokKey is an object key, quoted as in the payload.
	TokKey TokenClass = iota
	// TokString is a string value, quoted as in the payload.
	TokString
	// TokNumber is a number, exactly as written in the payload.
	TokNumber
	// TokBool is true or false.
	TokBool
	// TokNull is null.
	TokNull
	// TokPunct is one of { } [ ] , : or an empty {} or [], or the "…" line
	// that ends a cut output.
	TokPunct
	// TokSpace is indentation or the space after a colon.
	TokSpace
)

// JSONToken is a piece of pretty-printed JSON with its class.
type JSONToken struct {
	Class TokenClass
	Text  string
}

// indentUnit is one level of PrettyJSON's indentation.
const indentUnit = "  "

// spaces serves the indentation of all but very deep lines without
// allocating.
const spaces = "                                                                " // 64

// PrettyJSON pretty-prints p, which must be valid JSON, with 2-space
// indents, as lines of classified tokens; ok is false if p is not valid
// JSON. Joined, the tokens of each line are what json.Indent writes: key
// order, number literals (12345678901234567890, 1.0e3) and the escapes in
// strings (\u001b, \n) are kept exactly as in the payload, and empty
// objects and arrays stay on one line as {} and [].
//
// Characters a terminal would act on that JSON allows raw in strings are
// escaped the JSON way: DEL as \u007f, C1 controls as \u009b, bidirectional
// controls as \u202e. A byte that is not UTF-8 (which encoding/json accepts
// in strings) is shown as \xff.
//
// maxLines bounds the output (0: all): when the pretty-printed JSON is
// longer, PrettyJSON stops early and returns maxLines lines, the last being
// a single TokPunct "…".
func PrettyJSON(p []byte, maxLines int) (lines [][]JSONToken, ok bool) {
	if !json.Valid(p) {
		return nil, false
	}
	pr := printer{max: max(maxLines, 0), indent: spaces}
	for i := 0; i < len(p) && !pr.full; {
		switch c := p[i]; c {
		case ' ', '\t', '\r', '\n':
			i++
		case '{', '[':
			end := c + 2 // '}' or ']'
			if j := skipSpace(p, i+1); j < len(p) && p[j] == end {
				pr.add(TokPunct, string([]byte{c, end}))
				i = j + 1
				continue
			}
			pr.add(TokPunct, string(c))
			pr.depth++
			pr.newline()
			i++
		case '}', ']':
			pr.depth--
			pr.newline()
			pr.add(TokPunct, string(c))
			i++
		case ',':
			pr.add(TokPunct, ",")
			pr.newline()
			i++
		case ':':
			pr.add(TokPunct, ":")
			pr.add(TokSpace, " ")
			i++
		case '"':
			j := endOfString(p, i)
			class := TokString
			if k := skipSpace(p, j); k < len(p) && p[k] == ':' {
				class = TokKey
			}
			pr.add(class, jsonStringText(p[i:j]))
			i = j
		default:
			j := i
			for j < len(p) && !isJSONDelim(p[j]) {
				j++
			}
			class := TokNumber
			switch c {
			case 't', 'f':
				class = TokBool
			case 'n':
				class = TokNull
			}
			pr.add(class, string(p[i:j]))
			i = j
		}
	}
	return pr.finish(), true
}

// printer collects the lines of PrettyJSON.
type printer struct {
	lines [][]JSONToken
	cur   []JSONToken
	depth int
	max   int  // lines wanted, 0 for all
	full  bool // max reached with more to come
	// indent is at least as long as the deepest indentation so far.
	indent string
}

func (pr *printer) add(class TokenClass, text string) {
	pr.cur = append(pr.cur, JSONToken{Class: class, Text: text})
}

// newline ends the current line. It is called only with more to come, so
// once max lines are done the output is known to be cut.
func (pr *printer) newline() {
	pr.lines = append(pr.lines, pr.cur)
	pr.cur = nil
	if pr.max > 0 && len(pr.lines) >= pr.max {
		pr.lines = append(pr.lines[:pr.max-1], []JSONToken{{Class: TokPunct, Text: "…"}})
		pr.full = true
		return
	}
	if n := pr.depth * len(indentUnit); n > 0 {
		for len(pr.indent) < n {
			pr.indent += pr.indent // shared by all lines, so deep nesting costs O(depth)
		}
		pr.add(TokSpace, pr.indent[:n])
	}
}

func (pr *printer) finish() [][]JSONToken {
	if !pr.full && len(pr.cur) > 0 {
		pr.lines = append(pr.lines, pr.cur)
	}
	return pr.lines
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
		i++
	}
	return i
}

// endOfString returns the index just past the string starting with the
// quote at p[i], in valid JSON.
func endOfString(p []byte, i int) int {
	for i++; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(p)
}

// isJSONDelim reports whether c ends a number or literal.
func isJSONDelim(c byte) bool {
	return strings.IndexByte(",:{}[] \t\r\n\"", c) >= 0
}

// jsonStringText returns the quoted JSON string s as it is, but with any
// raw character a terminal would act on escaped (see PrettyJSON).
func jsonStringText(s []byte) string {
	clean := true
	for _, c := range s {
		if c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return string(s)
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(s[i:])
		}
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, '\\', 'x', hexDigits[s[i]>>4], hexDigits[s[i]&0xf])
		case mustEscape(r):
			b = appendUEscape(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
