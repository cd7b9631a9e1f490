package payload

import "unicode/utf8"

// hexDigits are the digits of lower-case hex.
const hexDigits = "0123456789abcdef"

// previewBuf is how many bytes of preview are built on the stack before
// spilling to the heap; a frame log row is rarely wider.
const previewBuf = 1024

// Preview is a one-line summary of a payload for the frame log, at most
// maxRunes runes long (nothing if maxRunes <= 0).
//
// Text is escaped visibly: ESC as \x1b, newline as \n, tab as \t, other C0
// controls and DEL as \xNN, a byte that is not UTF-8 as \xNN, C1 controls,
// bidirectional controls and other invisible format characters as \uNNNN
// (U+009B as \u009b, U+202E as \u202e). An escape is never cut in half.
// A binary payload (isText false) is shown as hex bytes: "de ad be ef …".
// When not everything fits, the preview ends in "…".
//
// Preview is cheap enough to call for every frame of a firehose: it reads
// no more of the payload than it shows (an 8 MiB payload costs what a
// 64-byte one does) and allocates only the string it returns.
func Preview(p []byte, isText bool, maxRunes int) string {
	if maxRunes <= 0 || len(p) == 0 {
		return ""
	}
	var buf [previewBuf]byte
	if !isText {
		return string(appendHexPreview(buf[:0], p, maxRunes))
	}
	out := buf[:0]
	used := 0 // runes in out
	for i := 0; i < len(p); {
		if isPrintableASCII(p[i]) {
			// A run of printable ASCII, the common case, copied at once.
			room := maxRunes - used // >= 1: out is full only at the end of p
			j := i + 1
			for j < len(p) && j-i < room && isPrintableASCII(p[j]) {
				j++
			}
			if j-i == room && j < len(p) {
				out = append(out, p[i:j-1]...)
				out = append(out, "…"...)
				break
			}
			out = append(out, p[i:j]...)
			used += j - i
			i = j
			continue
		}
		r, size := rune(p[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(p[i:])
		}
		w := escapedWidth(r, size)
		// Keep room for the "…" unless this is the last character and it
		// fits exactly.
		if used+w >= maxRunes && (used+w > maxRunes || i+size < len(p)) {
			out = append(out, "…"...)
			break
		}
		out = appendEscaped(out, p[i:i+size], r)
		used += w
		i += size
	}
	return string(out)
}

// appendHexPreview appends the bytes of p as space-separated hex, as many
// as fit in maxRunes (>= 1) runes, followed by " …" if some did not.
func appendHexPreview(b, p []byte, maxRunes int) []byte {
	n := len(p)
	if 3*n-1 > maxRunes {
		n = (maxRunes - 1) / 3 // n bytes and " …" take 3n+1 runes
	}
	for i, c := range p[:n] {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	if n < len(p) {
		if n > 0 {
			b = append(b, ' ')
		}
		b = append(b, "…"...)
	}
	return b
}

// isPrintableASCII reports whether c is a printable ASCII character,
// ' ' to '~'.
func isPrintableASCII(c byte) bool { return c >= 0x20 && c < 0x7f }

// mustEscape reports whether the rune r must not reach a terminal as is:
// C0 controls, DEL, C1 controls, bidirectional controls (U+061C, U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069) and the invisible U+FEFF and
// U+FFF9–U+FFFB. It is the rule termsafe.Line applies.
func mustEscape(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0xfeff, r >= 0xfff9 && r <= 0xfffb:
		return true
	}
	return false
}

// escapedWidth is how many runes appendEscaped writes for the character r
// encoded in size bytes.
func escapedWidth(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1:
		return 4 // \xff
	case !mustEscape(r):
		return 1
	case r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x80:
		return 4 // \x1b
	}
	return 6 // \u202e
}

// appendEscaped appends the character r, whose encoding in the payload is
// enc, escaped as Preview and termsafe.Line escape it.
func appendEscaped(b, enc []byte, r rune) []byte {
	switch {
	case r == utf8.RuneError && len(enc) == 1:
		return append(b, '\\', 'x', hexDigits[enc[0]>>4], hexDigits[enc[0]&0xf])
	case !mustEscape(r):
		return append(b, enc...)
	case r == '\n':
		return append(b, '\\', 'n')
	case r == '\r':
		return append(b, '\\', 'r')
	case r == '\t':
		return append(b, '\\', 't')
	case r < 0x80:
		return append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
	}
	return appendUEscape(b, r)
}

// appendUEscape appends r (at most U+FFFF) as \uNNNN, which is also how
// JSON writes it.
func appendUEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
