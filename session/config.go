// Package session is wscope's connection engine: it dials WebSocket servers
// directly or through proxies, captures the opening handshake exactly as it
// went over the wire, and turns the connection into a stream of plain Go
// events. It never renders anything and never imports Bubble Tea.
package session

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultMaxMessageSize = 64 << 20
	DefaultEventBuffer    = 4096
	// MaxBodyCapture bounds how much of a non-101 response body is kept.
	MaxBodyCapture = 64 << 10
	// MaxRedirects bounds how many redirects -L follows.
	MaxRedirects = 10
)

// Header is one header line as sent or received: name in wire case.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Config says where and how to connect. The zero value of every optional
// field means "the default", so a Config with only URL set is valid.
type Config struct {
	URL     string   // ws://, wss://, http:// or https://; no scheme means ws://
	Headers []Header // extra request headers, in the order given
	// Origin is the Origin header. Empty means the browser's: the URL's
	// scheme (http for ws, https for wss), host and non-default port.
	Origin string
	// NoOrigin sends no Origin header at all (Origin is then ignored).
	NoOrigin     bool
	Subprotocols []string // offered in Sec-WebSocket-Protocol
	Cookie       string   // Cookie header
	UserAgent    string   // default "wscope"
	Insecure     bool     // skip TLS verification (the result is still reported)
	CACertFile   string   // PEM bundle that replaces the system roots
	CertFile     string   // client certificate (mTLS)
	KeyFile      string   // client key (mTLS)
	// Compress offers permessage-deflate as Chrome does
	// (ChromeCompressOffer); compressed messages are inflated, with or
	// without context takeover.
	Compress bool
	// CompressOffer replaces the Sec-WebSocket-Extensions offer (and
	// implies Compress), e.g. "permessage-deflate; client_no_context_takeover".
	CompressOffer string
	Timeout       time.Duration // whole handshake: DNS to response head
	// MaxMessageSize is the largest message accepted; bigger ones close the
	// connection with 1009.
	MaxMessageSize int64
	PingInterval   time.Duration // 0: no pings
	// PongTimeout is how long a keepalive ping may go unanswered before the
	// connection counts as dead (half-open); default twice PingInterval.
	PongTimeout time.Duration
	NoAutoPong  bool     // do not answer the server's pings
	Proxy       string   // http://, https://, socks5://, socks5h:// with optional user:pass
	NoProxy     bool     // ignore proxy environment variables
	ConnectTo   []string // curl's HOST1:PORT1:HOST2:PORT2
	Resolve     []string // curl's HOST:PORT:ADDR
	Follow      bool     // follow redirects (up to MaxRedirects)
	// Getenv reads proxy environment variables; nil means none are read,
	// so a library caller opts in explicitly (the CLI passes os.Getenv).
	Getenv func(string) string
	// CloseTimeout is how long Close waits for the peer's close frame.
	CloseTimeout time.Duration
	// EventBuffer sizes the event channel.
	EventBuffer int
	// HTTP is how the opening handshake is made: HTTPMode11 (default),
	// HTTPMode2 (RFC 8441 extended CONNECT) or HTTPModeAuto (as a browser).
	HTTP string
	// H2C speaks HTTP/2 without TLS (prior knowledge) for a ws:// URL
	// under HTTPMode2.
	H2C bool
	// ForceH2 sends the extended CONNECT even when the server did not
	// advertise SETTINGS_ENABLE_CONNECT_PROTOCOL.
	ForceH2 bool
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 3 * time.Second
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = 2 * c.PingInterval
	}
	if c.UserAgent == "" {
		c.UserAgent = "wscope"
	}
	return c
}

// ParseHeader parses a "Name: value" flag. The name keeps its case.
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Header{}, fmt.Errorf("header %q is not of the form \"Name: value\"", s)
	}
	if !validToken(name) {
		return Header{}, fmt.Errorf("header name %q has characters HTTP does not allow", name)
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return Header{}, fmt.Errorf("header %s: value must not contain CR, LF or NUL", name)
	}
	return Header{Name: name, Value: value}, nil
}

// validToken reports whether s is an RFC 9110 token (a legal header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// NormalizeURL turns what a user typed into a ws:// or wss:// URL:
// http(s) becomes ws(s), a missing scheme means ws://, a fragment is dropped.
// Userinfo is kept; the dialer turns it into basic auth.
func NormalizeURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("no URL given")
	}
	if !strings.Contains(raw, "://") {
		raw = "ws://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", raw, unwrapURLError(err))
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("bad URL %q: scheme %q is not ws, wss, http or https", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("bad URL %q: no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := parsePort(p); err != nil || n == 0 {
			return nil, fmt.Errorf("bad URL %q: port %q is not 1-65535", raw, p)
		}
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return u, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func parsePort(p string) (int, error) {
	n := 0
	if p == "" || len(p) > 5 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad port %q", p)
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return n, nil
}

// hostPort returns u's host and port with the scheme's default port.
func hostPort(u *url.URL) (host, port string) {
	host, port = u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "wss" || u.Scheme == "https" {
			port = "443"
		}
	}
	return host, port
}

// Redacted returns u as a string with any password hidden.
func Redacted(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Redacted()
}
