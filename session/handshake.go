package session

import (
	"bytes"
	"crypto/x509"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wscope/wscope/h2ws"
)

// Timings are the phases of one connection attempt. A phase that did not
// happen (no DNS for an IP literal, no TLS for ws://) is zero.
type Timings struct {
	DNS          time.Duration // name resolution (target, or the proxy's name)
	Connect      time.Duration // TCP connect
	ProxyConnect time.Duration // CONNECT or SOCKS5 exchange with a forward proxy
	TLS          time.Duration // TLS handshake with the target
	Upgrade      time.Duration // request written to response head received
	Total        time.Duration // start of the attempt to response head
}

// CertInfo describes one certificate of the peer's chain.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	SANs      []string  `json:"sans,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
}

// TLSInfo is what the TLS handshake with the target negotiated and whether
// the peer's certificate verified (checked even under --insecure).
type TLSInfo struct {
	Version     string     `json:"version"`
	Cipher      string     `json:"cipher"`
	ALPN        string     `json:"alpn"`
	SNI         string     `json:"sni"`
	Chain       []CertInfo `json:"chain"`
	Verified    bool       `json:"verified"`
	VerifyError string     `json:"verify_error,omitempty"`
	Insecure    bool       `json:"insecure"`
	// ChainIncomplete: verification failed for want of an issuer, and the
	// last certificate the server sent is not self-signed, so the chain
	// stops short of a root: the server left out an intermediate (or the
	// root is a private CA). MissingIssuer names that issuer; IssuerURL is
	// where the certificate says it can be fetched (AIA), when it says.
	ChainIncomplete bool   `json:"chain_incomplete,omitempty"`
	MissingIssuer   string `json:"missing_issuer,omitempty"`
	IssuerURL       string `json:"issuer_url,omitempty"`
}

// ProxyExchange is the forward proxy's part of an attempt.
type ProxyExchange struct {
	Kind     string `json:"kind"` // "http-connect" or "socks5"
	Proxy    string `json:"proxy"`
	Target   string `json:"target"` // host:port asked of the proxy
	Request  string `json:"request,omitempty"`
	Response string `json:"response,omitempty"`
	Status   int    `json:"status,omitempty"`
	// Body is the start of an HTTP proxy's refusal page (at most 4 KiB).
	Body string `json:"body,omitempty"`
	// Socks is what a SOCKS5 proxy answered; nil for HTTP proxies.
	Socks *SocksReply `json:"socks,omitempty"`
}

// SocksReply is a SOCKS5 proxy's answers (RFC 1928, RFC 1929), read off
// the wire; -1 means the exchange did not get that far.
type SocksReply struct {
	Method     int `json:"method"`      // chosen authentication method: 0 none, 2 username/password, 255 no acceptable method
	AuthStatus int `json:"auth_status"` // username/password answer: 0 accepted
	Reply      int `json:"reply"`       // CONNECT reply: 0 succeeded, 1 general failure, 2 not allowed by ruleset, 3-5 unreachable/refused…
}

// ReplyText names a SOCKS5 reply code.
func ReplyText(code int) string {
	names := []string{"succeeded", "general SOCKS server failure", "connection not allowed by ruleset",
		"network unreachable", "host unreachable", "connection refused", "TTL expired",
		"command not supported", "address type not supported"}
	if code >= 0 && code < len(names) {
		return names[code]
	}
	return "unknown reply " + strconv.Itoa(code)
}

// parseSocksReplies reads the proxy's side of a SOCKS5 exchange.
func parseSocksReplies(b []byte) *SocksReply {
	r := &SocksReply{Method: -1, AuthStatus: -1, Reply: -1}
	if len(b) < 2 {
		return r
	}
	r.Method, b = int(b[1]), b[2:]
	switch r.Method {
	case 0xff:
		return r
	case 2:
		if len(b) < 2 {
			return r
		}
		r.AuthStatus, b = int(b[1]), b[2:]
		if r.AuthStatus != 0 {
			return r
		}
	}
	if len(b) >= 2 {
		r.Reply = int(b[1])
	}
	return r
}

// Checks is the validation of a response against RFC 6455.
type Checks struct {
	Key            string   // Sec-WebSocket-Key we sent
	ExpectedAccept string   // what Sec-WebSocket-Accept must be
	AcceptOK       bool     // Sec-WebSocket-Accept matched
	UpgradeOK      bool     // Upgrade: websocket present
	ConnectionOK   bool     // Connection: upgrade token present
	Subprotocol    string   // selected by the server
	SubprotocolOK  bool     // empty, or one of those offered
	Extensions     []string // extension names the server selected
	ExtensionsOK   bool     // every selected extension was offered
}

// Handshake is one HTTP upgrade attempt as it went over the wire. A
// redirect chain is several of them.
type Handshake struct {
	URL         string         // the ws(s) URL, password redacted
	ConnectAddr string         // the address actually dialed (after --connect-to/--resolve), or the proxy's
	Proxy       *ProxyExchange // nil when direct
	RequestRaw  []byte         // the request head exactly as written
	ResponseRaw []byte         // the response head exactly as read (status line and headers)
	RequestLine string
	Request     []Header // request headers in wire order and case
	StatusLine  string
	Status      int
	Reason      string
	Response    []Header // response headers in wire order and case
	Body        []byte   // up to MaxBodyCapture of a non-101 body (decoded from chunked)
	BodyTrunc   bool     // the body was longer than what was kept
	Timings     Timings
	TLS         *TLSInfo
	Checks      Checks
	Started     time.Time
	// PlainGet, when the upgrade request got no response head
	// (Error.NoResponseHead), is the answer to a plain GET of the same URL
	// through the same route: its Server or Via names who holds the 101.
	PlainGet *Handshake
	// HTTPVersion is the HTTP version the handshake went over: HTTP11 or
	// HTTP2. Empty in recordings made before HTTP/2 existed (read as 1.1).
	HTTPVersion string
	// H2 is the HTTP/2 connection's part (SETTINGS, RST_STREAM, GOAWAY)
	// when the attempt spoke HTTP/2; nil otherwise. Under HTTP/2 the
	// request and response headers include the pseudo-headers (":method",
	// ":protocol", ":status"…) in the order of the header block, and
	// RequestRaw/ResponseRaw are the decoded header blocks as text
	// (HPACK on the wire is not readable).
	H2 *H2Info

	pre       net.Conn      // auto mode: the TLS connection an HTTP/1.1 fallback goes on
	afterHead func() []byte // the bytes that followed a 101 (see tapConn.after)
}

// Upgraded reports whether the server switched protocols and the response
// validated.
func (h *Handshake) Upgraded() bool {
	if h != nil && h.HTTPVersion == HTTP2 {
		return h.Status == 200 // RFC 8441: a 2xx opens the stream; there is no Upgrade nor Accept
	}
	return h != nil && h.Status == 101 && h.Checks.AcceptOK && h.Checks.UpgradeOK && h.Checks.ConnectionOK
}

// IsHTTP2 reports whether the attempt went over HTTP/2 (RFC 8441).
func (h *Handshake) IsHTTP2() bool { return h != nil && h.HTTPVersion == HTTP2 }

// ResponseHeader returns the first response header named name (any case).
func (h *Handshake) ResponseHeader(name string) string { return headerValue(h.Response, name) }

// RequestHeader returns the first request header named name (any case).
func (h *Handshake) RequestHeader(name string) string { return headerValue(h.Request, name) }

func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// headerTokens returns the comma-separated tokens of every header named name,
// lowercased and trimmed of parameters.
func headerTokens(hs []Header, name string) []string {
	var out []string
	for _, h := range hs {
		if !strings.EqualFold(h.Name, name) {
			continue
		}
		for _, t := range strings.Split(h.Value, ",") {
			t, _, _ = strings.Cut(t, ";")
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func containsToken(tokens []string, want string) bool {
	for _, t := range tokens {
		if t == want {
			return true
		}
	}
	return false
}

// splitHead returns the head of an HTTP message (up to and including the
// blank line) and whether it was complete.
func splitHead(raw []byte) ([]byte, bool) {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[:i+4], true
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[:i+2], true
	}
	return raw, false
}

// ParseHead parses an HTTP message head into its start line and its
// headers, in wire order and case. Folded continuation lines join the
// header before.
func ParseHead(head []byte) (string, []Header) {
	lines := strings.Split(string(head), "\n")
	start := strings.TrimRight(lines[0], "\r")
	var hs []Header
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			break
		}
		if (l[0] == ' ' || l[0] == '\t') && len(hs) > 0 {
			hs[len(hs)-1].Value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, _ := strings.Cut(l, ":")
		if name == "" && len(l) > 1 {
			// An HTTP/2 pseudo-header (":method: CONNECT") in a decoded block.
			name, value, _ = strings.Cut(l[1:], ":")
			name = ":" + name
		}
		hs = append(hs, Header{Name: name, Value: strings.TrimSpace(value)})
	}
	return start, hs
}

// parseStatusLine splits "HTTP/1.1 101 Switching Protocols".
func parseStatusLine(line string) (int, string) {
	_, rest, _ := strings.Cut(line, " ")
	code, reason, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if err != nil {
		return 0, ""
	}
	return n, reason
}

// acceptFor computes Sec-WebSocket-Accept for key (RFC 6455 section 4.2.2).
func acceptFor(key string) string { return h2ws.AcceptKey(key) }

// Validate fills h.Checks from the parsed request and response headers
// (RFC 6455 section 4.1); Dial calls it, and so can a reader of a recording.
func (h *Handshake) Validate() {
	c := &h.Checks
	c.Key = h.RequestHeader("Sec-WebSocket-Key")
	c.ExpectedAccept = acceptFor(c.Key)
	c.AcceptOK = h.ResponseHeader("Sec-WebSocket-Accept") == c.ExpectedAccept
	c.UpgradeOK = containsToken(headerTokens(h.Response, "Upgrade"), "websocket")
	c.ConnectionOK = containsToken(headerTokens(h.Response, "Connection"), "upgrade")
	c.Subprotocol = strings.TrimSpace(h.ResponseHeader("Sec-WebSocket-Protocol"))
	offered := headerTokens(h.Request, "Sec-WebSocket-Protocol")
	c.SubprotocolOK = c.Subprotocol == "" || containsToken(offered, strings.ToLower(c.Subprotocol))
	c.Extensions = headerTokens(h.Response, "Sec-WebSocket-Extensions")
	offeredExt := headerTokens(h.Request, "Sec-WebSocket-Extensions")
	c.ExtensionsOK = true
	for _, e := range c.Extensions {
		if !containsToken(offeredExt, e) {
			c.ExtensionsOK = false
		}
	}
	if h.IsHTTP2() && h.Status >= 200 && h.Status < 300 {
		// RFC 8441 has no key, no Accept, no Upgrade nor Connection: the
		// 2xx to the extended CONNECT stands for all of them.
		c.AcceptOK, c.UpgradeOK, c.ConnectionOK = true, true, true
	}
}

func certInfo(c *x509.Certificate) CertInfo {
	ci := CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter}
	ci.SANs = append(ci.SANs, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		ci.SANs = append(ci.SANs, ip.String())
	}
	return ci
}
