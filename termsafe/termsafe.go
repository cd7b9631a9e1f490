// Package termsafe makes untrusted text (payloads, headers, close reasons,
// URLs, file names) safe to print on a terminal: every byte that a terminal
// would interpret — C0 and C1 controls, ESC sequences, DEL, invalid UTF-8 and
// bidirectional overrides — is shown visibly escaped instead.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Line escapes s for a single line of output: newlines and tabs are escaped
// too, so a hostile value cannot start a new line that looks like ours.
func Line(s string) string { return escape(s, false) }

// Block escapes s for multi-line output: newlines and tabs are kept, every
// other control is escaped. A lone carriage return is escaped, because it
// lets a payload overwrite what was printed before it on the same line.
func Block(s string) string { return escape(s, true) }

// IsClean reports whether s would print unchanged by Line.
func IsClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, size) {
			return false
		}
		i += size
	}
	return true
}

func escape(s string, keepLayout bool) string {
	if IsClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case keepLayout && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case keepLayout && r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// CRLF line endings are layout, not an attack; drop the CR.
		case r == utf8.RuneError && size == 1:
			writeHexByte(&b, c)
		case needsEscape(r, size):
			writeEscapedRune(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether the rune r (of encoded length size) must not
// reach a terminal as is.
func needsEscape(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f: // C1 controls, e.g. U+009B is a one-byte CSI
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidi overrides and isolates can reorder what the user reads
	case r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb):
		return true
	}
	return false
}

func writeHexByte(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&0xf])
}

func writeEscapedRune(b *strings.Builder, r rune) {
	switch r {
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	default:
		if r < 0x80 {
			writeHexByte(b, byte(r))
			return
		}
		b.WriteString(`\u`)
		s := strconv.FormatInt(int64(r), 16)
		for i := len(s); i < 4; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
}
