// Package payload reads what a user types into the send box (text, JSON,
// hex, base64) and presents payloads for the detail pane and the frame log
// (pretty-printed JSON tokens, hex dumps, base64, one-line previews).
//
// It is pure logic: it returns plain text and classified tokens, and the UI
// adds the colours. Previews, hex dumps, base64, pretty-printed JSON and
// parse errors are safe to print on a terminal however hostile the payload
// or input: control characters, invalid UTF-8 and bidirectional controls
// are escaped visibly (\x1b, \xff, \u202e). Wrap only splits what it is
// given.
package payload

import (
	"fmt"
	"strings"
)

// Mode is how the send box reads its input.
type Mode int

// Input modes, in the order Next cycles through them.
const (
	// ModeText sends the input as is, as a text message.
	ModeText Mode = iota
	// ModeJSON checks that the input is one valid JSON value and sends it
	// exactly as typed, as a text message.
	ModeJSON
	// ModeHex reads hex digits and sends the bytes as a binary message.
	ModeHex
	// ModeBase64 reads base64 and sends the bytes as a binary message.
	ModeBase64
)

// numModes is how many modes there are.
const numModes = 4

// String returns the mode's name: "text", "json", "hex" or "base64".
func (m Mode) String() string {
	switch m {
	case ModeText:
		return "text"
	case ModeJSON:
		return "json"
	case ModeHex:
		return "hex"
	case ModeBase64:
		return "base64"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Next returns the mode after m: text → json → hex → base64 → text. An
// unknown mode is followed by text.
func (m Mode) Next() Mode {
	if m < 0 || m >= numModes {
		return ModeText
	}
	return (m + 1) % numModes
}

// ParseMode returns the mode named s (as String spells it, ignoring case
// and surrounding spaces), and false if there is none.
func ParseMode(s string) (Mode, bool) {
	s = strings.TrimSpace(s)
	for m := range Mode(numModes) {
		if strings.EqualFold(s, m.String()) {
			return m, true
		}
	}
	return ModeText, false
}

// Parse turns input into the bytes to send and whether they go as a text
// message (true) or a binary one (false).
//
//   - text: the input as is, as a text message.
//   - json: the input exactly as typed (not compacted or reformatted), as a
//     text message, once it is known to be a single valid JSON value. The
//     error gives the 1-based line and column of the problem, e.g.
//     "invalid JSON at line 2, column 5: invalid character '}' looking for
//     beginning of object key string".
//   - hex: hex digits in groups separated by whitespace, ':', '-' or ',';
//     each group may start with 0x and must have an even number of digits:
//     "de ad be ef", "0xdead 0xbeef", "de:ad:be:ef", "DEADBEEF". Sent as
//     a binary message.
//   - base64: the standard or URL-safe alphabet, padding optional,
//     whitespace and newlines ignored. Sent as a binary message.
//
// Errors are one line, name the position (1-based column, and the line
// when the input has several) and the offending character, and never hold
// a raw control character: those are escaped, like \x1b.
func Parse(mode Mode, input string) (data []byte, text bool, err error) {
	switch mode {
	case ModeText:
		return []byte(input), true, nil
	case ModeJSON:
		if err := validateJSON(input); err != nil {
			return nil, false, err
		}
		return []byte(input), true, nil
	case ModeHex:
		b, err := parseHex(input)
		if err != nil {
			return nil, false, err
		}
		return b, false, nil
	case ModeBase64:
		b, err := parseBase64(input)
		if err != nil {
			return nil, false, err
		}
		return b, false, nil
	}
	return nil, false, fmt.Errorf("unknown input mode %d", int(mode))
}
