package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Kind is a presentation of a payload.
type Kind int

// Presentations.
const (
	// KindText shows the payload as (escaped) text.
	KindText Kind = iota
	// KindJSON shows the payload pretty-printed with PrettyJSON.
	KindJSON
	// KindHex shows the payload as a HexDump.
	KindHex
	// KindBase64 shows the payload as Base64Lines.
	KindBase64
)

// String returns the presentation's name: "text", "json", "hex" or
// "base64".
func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindJSON:
		return "json"
	case KindHex:
		return "hex"
	case KindBase64:
		return "base64"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

const (
	// maxAutoJSON bounds the payloads Best checks for JSON: validating
	// (and then pretty-printing) a huge message would stall the UI, and the
	// user can still ask for the JSON view.
	maxAutoJSON = 1 << 20
	// textSample is how much of a payload Best looks at to tell text from
	// binary.
	textSample = 64 << 10
)

// Best picks the default presentation: JSON if the payload is a valid JSON
// object or array (up to 1 MiB), text if it is valid UTF-8 with few control
// characters (at most one byte in ten), hex otherwise. isText says whether it came as a text message:
// a binary message is shown as text only if it holds no control characters
// but tab, newline and carriage return. Large payloads are judged by their
// first 64 KiB.
func Best(p []byte, isText bool) Kind {
	if len(p) <= maxAutoJSON {
		if t := bytes.TrimLeft(p, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(p) {
			return KindJSON
		}
	}
	sample := p[:min(len(p), textSample)]
	if k := len(sample); k < len(p) {
		// Do not judge a character cut in half at the end of the sample.
		for j := k; j > 0 && k-j < utf8.UTFMax; j-- {
			if utf8.RuneStart(p[j]) {
				sample = p[:j]
				break
			}
		}
	}
	if !utf8.Valid(sample) {
		return KindHex
	}
	controls := 0
	for _, c := range sample {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			controls++
		}
	}
	if controls > 0 && (!isText || controls*10 > len(sample)) {
		return KindHex
	}
	return KindText
}

// HexDump returns a classic hex dump of p, 16 bytes a line: the offset, two
// groups of eight bytes and the bytes as ASCII, with '.' for anything but
// 0x20..0x7e:
//
//	00000000  de ad be ef 00 01 02 03  04 05 06 07 08 09 0a 0b  |................|
//	00000010  41 42                                             |AB|
//
// It returns at most maxLines lines (0: all); when the dump is cut, the
// last of them says how many bytes were left out: "… 4080 more bytes". An
// empty payload has no lines.
func HexDump(p []byte, maxLines int) []string {
	rows := (len(p) + 15) / 16
	cut := maxLines > 0 && rows > maxLines
	if cut {
		rows = maxLines - 1
	}
	out := make([]string, 0, rows+1)
	var buf [80]byte
	for r := range rows {
		off := r * 16
		out = append(out, string(appendHexLine(buf[:0], off, p[off:min(off+16, len(p))])))
	}
	if cut {
		out = append(out, "… "+strconv.Itoa(len(p)-rows*16)+" more bytes")
	}
	return out
}

// appendHexLine appends one line of HexDump for the bytes row at offset
// off.
func appendHexLine(b []byte, off int, row []byte) []byte {
	const digits = "0123456789abcdef"
	s := strconv.FormatUint(uint64(off), 16)
	for range 8 - len(s) {
		b = append(b, '0')
	}
	b = append(b, s...)
	b = append(b, ' ')
	for i := range 16 {
		if i == 8 {
			b = append(b, ' ')
		}
		if i < len(row) {
			b = append(b, ' ', digits[row[i]>>4], digits[row[i]&0xf])
		} else {
			b = append(b, "   "...)
		}
	}
	b = append(b, "  |"...)
	for _, c := range row {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		b = append(b, c)
	}
	return append(b, '|')
}

// Base64Lines returns the standard base64 (padded) of p in lines of width
// columns; width <= 0 gives a single line. An empty payload has no lines.
func Base64Lines(p []byte, width int) []string {
	if len(p) == 0 {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(p)
	if width <= 0 {
		return []string{s}
	}
	out := make([]string, 0, (len(s)+width-1)/width)
	for len(s) > width {
		out = append(out, s[:width])
		s = s[width:]
	}
	return append(out, s)
}

// Wrap splits line into pieces of at most width cells, counting a cell per
// rune (a byte that is not UTF-8 counts as one) and never cutting a
// character in half. It does not look for word boundaries. width <= 0, or a
// line that fits, gives the line itself; an empty line gives one empty
// piece.
func Wrap(line string, width int) []string {
	if width <= 0 || len(line) <= width {
		return []string{line}
	}
	var out []string
	start, n := 0, 0
	for i := range line {
		if n == width {
			out = append(out, line[start:i])
			start, n = i, 0
		}
		n++
	}
	return append(out, line[start:])
}
