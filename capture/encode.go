package capture

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/wscope/wscope/session"
)

// appendFrameLine appends the JSON line of a frame event to dst. It is
// the hot path of recording a firehose, so it writes the same JSON that
// encoding/json would for FrameEvent(f, start), without reflection or
// intermediate allocations.
func appendFrameLine(dst []byte, f *session.Frame, t float64) []byte {
	dst = append(dst, `{"t":`...)
	dst = appendMillis(dst, t)
	dst = append(dst, `,"dir":"`...)
	dst = append(dst, f.Dir.String()...)
	dst = append(dst, `","op":"`...)
	dst = append(dst, f.Op.String()...)
	dst = append(dst, '"')
	// The engine already checked text messages; only control frames need a look.
	valid := f.Flags&session.FlagInvalidUTF8 == 0
	if f.Op != session.OpText {
		valid = utf8.Valid(f.Payload)
	}
	if f.Op != session.OpBinary && valid {
		dst = append(dst, `,"text":`...)
		dst = appendJSONString(dst, f.Payload)
	} else {
		dst = append(dst, `,"b64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, f.Payload)
		dst = append(dst, '"')
	}
	if len(f.Payload) > 0 {
		dst = append(dst, `,"size":`...)
		dst = strconv.AppendInt(dst, int64(len(f.Payload)), 10)
	}
	if f.Op == session.OpClose && f.Code != 0 {
		dst = append(dst, `,"code":`...)
		dst = strconv.AppendInt(dst, int64(f.Code), 10)
	}
	if f.Flags&session.FlagAuto != 0 {
		dst = append(dst, `,"auto":true`...)
	}
	return append(dst, "}\n"...)
}

// appendMillis writes milliseconds with up to three decimals, as
// strconv.FormatFloat(t, 'f', -1, 64) would for microsecond values, but
// without the float formatting cost on the hot path.
func appendMillis(dst []byte, t float64) []byte {
	us := int64(t*1000 + 0.5)
	if t < 0 || float64(us)/1000 != t {
		return strconv.AppendFloat(dst, t, 'f', -1, 64)
	}
	dst = strconv.AppendInt(dst, us/1000, 10)
	if frac := us % 1000; frac != 0 {
		digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		n := 3
		for n > 0 && digits[n-1] == '0' {
			n--
		}
		dst = append(append(dst, '.'), digits[:n]...)
	}
	return dst
}

// appendJSONString appends s (valid UTF-8) as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r == '\u2028' || r == '\u2029' {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hex[r&0xf])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
