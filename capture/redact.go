package capture

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/wscope/wscope/session"
)

// Redacted is what a secret becomes in a recording or export.
const Redacted = "[redacted]"

// Redactor hides secrets in what wscope writes to disk: header values,
// URL userinfo and query parameters that look like credentials.
type Redactor struct {
	off     bool
	headers map[string]bool // lower-case header names whose values are hidden
}

// NewRedactor hides Authorization, Proxy-Authorization, Cookie and
// Set-Cookie plus extra header names; off disables redaction entirely.
func NewRedactor(extra []string, off bool) *Redactor {
	r := &Redactor{off: off, headers: map[string]bool{
		"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	}}
	for _, h := range extra {
		r.headers[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return r
}

// Enabled reports whether anything is redacted.
func (r *Redactor) Enabled() bool { return r != nil && !r.off }

// secretParam reports whether a query parameter name looks like a credential.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"token", "key", "secret", "password", "passwd", "auth", "signature", "sig", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// URL hides userinfo and secret-looking query parameters.
func (r *Redactor) URL(raw string) string {
	if !r.Enabled() {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		u.RawQuery = r.query(u.RawQuery)
	}
	return u.String()
}

// query redacts secret parameters, keeping order and the rest verbatim.
func (r *Redactor) query(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if hasValue && secretParam(name) {
			parts[i] = p[:strings.IndexByte(p, '=')+1] + url.QueryEscape(Redacted)
		}
	}
	return strings.Join(parts, "&")
}

// Header returns the header with its value hidden when it is secret.
func (r *Redactor) Header(h session.Header) session.Header {
	h.Value = r.Value(h.Name, h.Value)
	return h
}

// Value is a header's value, hidden when the header is secret (names in
// any case: HTTP/2 sends them in lower case). HTTP/2's ":path"
// pseudo-header keeps the path and loses its secret query parameters, as
// the request line does.
func (r *Redactor) Value(name, value string) string {
	if !r.Enabled() {
		return value
	}
	if name == ":path" {
		return r.target(value)
	}
	if r.headers[strings.ToLower(name)] {
		return Redacted
	}
	return value
}

// target redacts the query of a request target ("/cable?token=…").
func (r *Redactor) target(t string) string {
	if path, q, ok := strings.Cut(t, "?"); ok {
		return path + "?" + r.query(q)
	}
	return t
}

// Headers redacts a list.
func (r *Redactor) Headers(hs []session.Header) []session.Header {
	out := make([]session.Header, len(hs))
	for i, h := range hs {
		out[i] = r.Header(h)
	}
	return out
}

// RawHead redacts a raw HTTP head line by line, keeping line endings, so
// the wire form survives but the secrets do not. It reads HTTP/2's decoded
// header blocks too: "CONNECT /path?token=… HTTP/2", then ":path: …" and
// lower-case names.
func (r *Redactor) RawHead(raw []byte) []byte {
	if !r.Enabled() || len(raw) == 0 {
		return raw
	}
	lines := strings.SplitAfter(string(raw), "\n")
	for i, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		ending := l[len(body):]
		if i == 0 {
			// Request line: METHOD TARGET PROTO; the target may carry a token.
			if f := strings.SplitN(body, " ", 3); len(f) == 3 && strings.HasPrefix(f[2], "HTTP/") {
				f[1] = r.target(f[1])
				lines[i] = strings.Join(f, " ") + ending
			}
			continue
		}
		pseudo := strings.HasPrefix(body, ":") // an HTTP/2 pseudo-header, ":path: /x"
		name, value, ok := strings.Cut(strings.TrimPrefix(body, ":"), ":")
		if pseudo {
			name = ":" + name
		}
		switch {
		case !ok:
		case name == ":path":
			lines[i] = name + ": " + r.target(strings.TrimSpace(value)) + ending
		case r.headers[strings.ToLower(strings.TrimSpace(name))]:
			lines[i] = name + ": " + Redacted + ending
		}
	}
	return []byte(strings.Join(lines, ""))
}

// urlInText finds URLs inside free text (a finding's detail, its check).
var urlInText = regexp.MustCompile(`(?i)\b(?:wss?|https?)://[^\s"'<>]+`)

// Text hides credentials in the URLs a free text quotes: a diagnosis writes
// the URL into sentences ("wscope probe ws://host/ws?token=… --origin …"),
// and those are printed and exported like the URL itself. Punctuation that
// ends the sentence is kept outside the URL.
func (r *Redactor) Text(s string) string {
	if !r.Enabled() || !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		trail := strings.TrimRight(u, ".,;:)")
		return r.URL(trail) + u[len(trail):]
	})
}

// HeaderLine hides the value of a "Name: value" text (a header quoted as
// evidence) when the header is a secret one.
func (r *Redactor) HeaderLine(s string) string {
	if !r.Enabled() {
		return s
	}
	if name, value, ok := strings.Cut(s, ": "); ok && !strings.Contains(name, " ") {
		return name + ": " + r.Value(name, value)
	}
	return s
}
