// Package payload reads what a user types into the send box (text, JSON,
// hex, base64) and presents payloads for the detail pane and the log
// (pretty JSON tokens, hex dumps, one-line previews). It is pure logic: the
// UI adds the colours.
package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wscope/wscope/termsafe"
)

// Mode is how the send box reads its input.
type Mode int

// Input modes.
const (
	ModeText Mode = iota
	ModeJSON
	ModeHex
	ModeBase64
)

func (m Mode) String() string { return [...]string{"text", "json", "hex", "base64"}[m] }

// Next cycles text → json → hex → base64 → text.
func (m Mode) Next() Mode { return (m + 1) % 4 }

// ParseMode is the inverse of String.
func ParseMode(s string) (Mode, bool) {
	for m := ModeText; m <= ModeBase64; m++ {
		if m.String() == strings.ToLower(s) {
			return m, true
		}
	}
	return 0, false
}

// Parse turns input into the bytes to send and whether they go as a text
// message. JSON is validated but sent as typed.
func Parse(mode Mode, input string) ([]byte, bool, error) {
	switch mode {
	case ModeJSON:
		if err := validateJSON(input); err != nil {
			return nil, false, err
		}
		return []byte(input), true, nil
	case ModeHex:
		b, err := parseHex(input)
		return b, false, err
	case ModeBase64:
		b, err := parseBase64(input)
		return b, false, err
	}
	return []byte(input), true, nil
}

func validateJSON(s string) error {
	dec := json.NewDecoder(strings.NewReader(s))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra == nil {
			err = fmt.Errorf("more than one JSON value")
		} else {
			return nil
		}
	}
	off := dec.InputOffset()
	var se *json.SyntaxError
	if ok := asSyntax(err, &se); ok {
		off = se.Offset
	}
	line, col := lineCol(s, int(off))
	return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, termsafe.Line(strings.TrimPrefix(err.Error(), "json: ")))
}

func asSyntax(err error, se **json.SyntaxError) bool {
	s, ok := err.(*json.SyntaxError)
	if ok {
		*se = s
	}
	return ok
}

// lineCol turns a byte offset into a 1-based line and column (in runes).
func lineCol(s string, off int) (int, int) {
	off = min(max(off, 0), len(s))
	before := s[:off]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:])
	return line, max(col, 1)
}

func parseHex(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	var hi byte
	half := false
	col := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		col++
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ':' || r == '-' || r == ',':
			if half {
				return nil, fmt.Errorf("hex: odd number of digits before column %d", col)
			}
		case (r == 'x' || r == 'X') && half && hi == 0 && (i == 1 || strings.ContainsRune(" \t\n\r:-,", rune(s[i-2]))):
			half = false // a 0x prefix
		case isHex(r):
			v := unhex(byte(r))
			if half {
				out = append(out, hi<<4|v)
			} else {
				hi = v
			}
			half = !half
		default:
			return nil, fmt.Errorf("hex: %q at column %d is not a hex digit", termsafe.Line(string(r)), col)
		}
		i += size
	}
	if half {
		return nil, fmt.Errorf("hex: odd number of digits (a byte needs two)")
	}
	return out, nil
}

func isHex(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func parseBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	urlSafe := strings.ContainsAny(clean, "-_")
	clean = strings.TrimRight(clean, "=")
	enc := base64.RawStdEncoding
	if urlSafe {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(clean)
	if err != nil {
		if ce, ok := err.(base64.CorruptInputError); ok {
			pos := int(ce)
			if pos < len(clean) {
				return nil, fmt.Errorf("base64: %q at position %d is not valid", termsafe.Line(string(clean[pos])), pos+1)
			}
			return nil, fmt.Errorf("base64: input ends in the middle of a byte")
		}
		return nil, fmt.Errorf("base64: %v", err)
	}
	return b, nil
}

// Kind is a presentation of a payload.
type Kind int

// Presentations.
const (
	KindText Kind = iota
	KindJSON
	KindHex
	KindBase64
)

// maxAutoJSON bounds the payloads Best checks for JSON: validating (and
// then indenting) a huge message would stall the UI; the user can still
// ask for the JSON view.
const maxAutoJSON = 1 << 20

// Best picks the default presentation: JSON for an object or array, text
// for readable UTF-8, hex otherwise. It looks at a bounded part of large
// payloads.
func Best(p []byte, isText bool) Kind {
	t := bytes.TrimSpace(p)
	if len(t) > 0 && len(t) <= maxAutoJSON && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return KindJSON
	}
	if !utf8.Valid(p[:min(len(p), 64<<10)]) {
		return KindHex
	}
	controls := 0
	for _, c := range p[:min(len(p), 4096)] {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			controls++
		}
	}
	if !isText && controls > 0 || controls > len(p)/10 {
		return KindHex
	}
	return KindText
}

// HexDump returns classic hex dump lines, 16 bytes each; maxLines bounds
// them (0: all), with a last line saying how much was left out.
func HexDump(p []byte, maxLines int) []string {
	var out []string
	for off := 0; off < len(p); off += 16 {
		if maxLines > 0 && len(out) == maxLines {
			out = append(out, fmt.Sprintf("… %d more bytes", len(p)-off))
			break
		}
		row := p[off:min(off+16, len(p))]
		var b strings.Builder
		fmt.Fprintf(&b, "%08x  ", off)
		for i := 0; i < 16; i++ {
			if i < len(row) {
				fmt.Fprintf(&b, "%02x ", row[i])
			} else {
				b.WriteString("   ")
			}
			if i == 7 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(" |")
		for _, c := range row {
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('|')
		out = append(out, b.String())
	}
	return out
}

// Base64Lines wraps the standard base64 of p at width columns.
func Base64Lines(p []byte, width int) []string {
	s := base64.StdEncoding.EncodeToString(p)
	width = max(width, 4)
	var out []string
	for len(s) > width {
		out = append(out, s[:width])
		s = s[width:]
	}
	return append(out, s)
}

// Preview is a one-line summary of a payload, escaped for the terminal:
// at most maxRunes runes of text, or hex bytes for binary. It looks at no
// more of the payload than it shows, so an 8 MiB frame costs what a small
// one does.
func Preview(p []byte, isText bool, maxRunes int) string {
	if maxRunes <= 0 {
		return ""
	}
	if !isText {
		n := min(len(p), (maxRunes+2)/3)
		var b strings.Builder
		for i, c := range p[:n] {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%02x", c)
		}
		if n < len(p) {
			b.WriteString(" …")
		}
		return b.String()
	}
	// Take at most 4 bytes per rune shown; escaping only lengthens.
	window := p[:min(len(p), maxRunes*4)]
	s := termsafe.Line(string(window))
	if utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		return string(r[:maxRunes-1]) + "…"
	}
	if len(window) < len(p) {
		return s + "…"
	}
	return s
}
