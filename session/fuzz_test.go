package session

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wscope/wscope/termsafe"
)

// FuzzParseHeader: -H values never yield a header that could split the
// request (CR, LF, NUL) or a name HTTP does not allow, and errors are one
// clean line.
func FuzzParseHeader(f *testing.F) {
	f.Add("Authorization: Bearer x")
	f.Add("X-A:\r\nInjected: 1")
	f.Add(":novalue")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(s)
		if err != nil {
			if msg := termsafe.Line(err.Error()); strings.ContainsAny(msg, "\r\n\x1b") {
				t.Fatalf("unsafe error %q", msg)
			}
			return
		}
		if !validToken(h.Name) || strings.ContainsAny(h.Value, "\r\n\x00") {
			t.Fatalf("accepted %q as %+v", s, h)
		}
	})
}

// FuzzNormalizeURL: whatever is typed, the result is ws or wss with a
// host and a valid port, or an error.
func FuzzNormalizeURL(f *testing.F) {
	f.Add("ws://127.0.0.1:8765/echo")
	f.Add("https://u:p@[::1]:443/x?y#z")
	f.Add("localhost:99999")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := NormalizeURL(s)
		if err != nil {
			if !utf8.ValidString(termsafe.Line(err.Error())) {
				t.Fatal("error not valid UTF-8 after escaping")
			}
			return
		}
		if (u.Scheme != "ws" && u.Scheme != "wss") || u.Hostname() == "" || u.Fragment != "" {
			t.Fatalf("%q normalized to %q", s, u)
		}
		if p := u.Port(); p != "" {
			if n, err := parsePort(p); err != nil || n < 1 {
				t.Fatalf("%q kept port %q", s, p)
			}
		}
	})
}
