package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wscope/wscope/termsafe"
)

// validateJSON reports whether s is exactly one valid JSON value, with the
// line and column of the first problem if it is not.
func validateJSON(s string) error {
	b := []byte(s)
	if json.Valid(b) {
		return nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(b, &raw)
	var se *json.SyntaxError
	if err == nil || !errors.As(err, &se) {
		// Valid said no, so this does not happen; say something useful anyway.
		return fmt.Errorf("invalid JSON")
	}
	msg := se.Error()
	// The offset counts the bytes read up to and including the bad one; at
	// the end of the input it is the length, and the problem is just past
	// the last character.
	at := int(se.Offset) - 1
	if strings.HasPrefix(msg, "unexpected end") || at < 0 || at >= len(s) {
		at = len(s)
	} else if s[at] >= utf8.RuneSelf {
		// encoding/json names the first byte of a multi-byte character as
		// if it were Latin-1 ('Ã' for 'é'); name the character typed.
		if rest, ok := strings.CutPrefix(msg, "invalid character '"); ok {
			if _, after, ok := strings.Cut(rest, "'"); ok {
				msg = "invalid character " + quoteCharAt(s, at) + after
			}
		}
	}
	line, col := position(s, at)
	return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, termsafe.Line(msg))
}

// position returns the 1-based line and column (in characters) of the byte
// at index i of s; i may be len(s), just past the end.
func position(s string, i int) (line, col int) {
	i = min(max(i, 0), len(s))
	before := s[:i]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// where names the position of byte i of s: "column C", or "line L, column
// C" when s has more than one line.
func where(s string, i int) string {
	line, col := position(s, i)
	if strings.Contains(s, "\n") {
		return fmt.Sprintf("line %d, column %d", line, col)
	}
	return fmt.Sprintf("column %d", col)
}

// quoteCharAt quotes the character at byte i of s for an error message,
// escaping anything a terminal would act on ('\x1b', '\u202e') and showing
// a byte that is not UTF-8 as '\xff'.
func quoteCharAt(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return fmt.Sprintf(`'\x%02x'`, s[i])
	case r == '\'':
		return `'\''`
	}
	return "'" + termsafe.Line(string(r)) + "'"
}

// isHexSep reports whether r separates groups of hex digits.
func isHexSep(r rune) bool {
	return r == ':' || r == '-' || r == ',' || unicode.IsSpace(r)
}

// parseHex reads groups of hex digits separated by whitespace, ':', '-'
// or ','; each group may start with 0x or 0X and must hold whole bytes.
func parseHex(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isHexSep(r) {
			i += size
			continue
		}
		start := i
		prefixed := s[i] == '0' && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X')
		if prefixed {
			i += 2
		}
		digits := 0
		for i < len(s) {
			c := s[i]
			if v, ok := unhex(c); ok {
				digits++
				if digits%2 == 0 {
					hi, _ := unhex(s[i-1])
					out = append(out, hi<<4|v)
				}
				i++
				continue
			}
			if r, _ := utf8.DecodeRuneInString(s[i:]); isHexSep(r) {
				break
			}
			return nil, fmt.Errorf("hex: invalid character %s at %s", quoteCharAt(s, i), where(s, i))
		}
		switch {
		case prefixed && digits == 0:
			return nil, fmt.Errorf("hex: 0x at %s has no digits after it", where(s, start))
		case digits%2 == 1:
			return nil, fmt.Errorf("hex: odd number of digits (%d) in the group at %s; each byte needs two", digits, where(s, start))
		}
	}
	return out, nil
}

// unhex returns the value of the hex digit c.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// b64value returns the 6-bit value of c in the standard or the URL-safe
// base64 alphabet, or -1.
func b64value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}

// parseBase64 decodes standard or URL-safe base64 with optional padding,
// ignoring whitespace. Bits left over after the last whole byte are
// ignored, as encoding/base64 does unless asked to be strict.
func parseBase64(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/4*3+2)
	var acc uint32
	n, pads, last := 0, 0, 0 // characters of data, '=' seen, index of the last data character
	for i := 0; i < len(s); {
		c := s[i]
		if v := b64value(c); v >= 0 {
			if pads > 0 {
				return nil, fmt.Errorf("base64: %s at %s comes after the padding", quoteCharAt(s, i), where(s, i))
			}
			acc = acc<<6 | uint32(v)
			n++
			last = i
			if n%4 == 0 {
				out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
				acc = 0
			}
			i++
			continue
		}
		if c == '=' {
			if n%4 == 1 {
				break // reported below as a lone character
			}
			pads++
			if pads > (4-n%4)%4 {
				return nil, fmt.Errorf("base64: unexpected padding '=' at %s", where(s, i))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		return nil, fmt.Errorf("base64: invalid character %s at %s", quoteCharAt(s, i), where(s, i))
	}
	switch n % 4 {
	case 1:
		return nil, fmt.Errorf("base64: the character at %s is left alone at the end; a byte takes two", where(s, last))
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out, nil
}
