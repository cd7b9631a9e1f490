package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/termsafe"
)

// ErrorClass groups failures by what the user has to do about them.
type ErrorClass string

// The error classes. Usage errors are the user's input (exit code 2); the
// others are what the network or the server did.
const (
	ClassUsage    ErrorClass = "usage"
	ClassDNS      ErrorClass = "dns"
	ClassRefused  ErrorClass = "refused"
	ClassTimeout  ErrorClass = "timeout"
	ClassNetwork  ErrorClass = "network"
	ClassTLS      ErrorClass = "tls"
	ClassProxy    ErrorClass = "proxy"
	ClassStatus   ErrorClass = "status"
	ClassProtocol ErrorClass = "protocol"
	ClassRedirect ErrorClass = "redirect"
)

// Error is a failure with its cause in one line and a hint on what to do.
// Msg and Hint are already safe to print on a terminal.
type Error struct {
	Class ErrorClass
	Msg   string
	Hint  string
	Err   error
	// NoResponseHead marks a timeout after the upgrade request was written
	// in full and before a complete response head came back: something
	// accepted the request and held the answer. A timeout while connecting
	// or in TLS leaves it false.
	NoResponseHead bool
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Line is the message and the hint on one line, for a terminal.
func (e *Error) Line() string {
	if e.Hint == "" {
		return e.Msg
	}
	return e.Msg + " (hint: " + e.Hint + ")"
}

// Usagef returns a usage error; the CLI exits 2 on it.
func Usagef(hint, format string, args ...any) *Error {
	return &Error{Class: ClassUsage, Msg: termsafe.Line(fmt.Sprintf(format, args...)), Hint: hint}
}

// phaseError remembers which step of the attempt failed and what it was
// talking to.
type phaseError struct {
	phase  string // "dns", "connect", "proxy", "tls", "upgrade"
	target string // host, host:port or proxy
	proxy  bool   // the failing peer is the forward proxy
	err    error
}

func (e *phaseError) Error() string { return e.phase + " " + e.target + ": " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// proxyStatusError is a non-200 answer to CONNECT.
type proxyStatusError struct {
	status int
	line   string
	server string
	body   string
}

func (e *proxyStatusError) Error() string { return "proxy answered " + e.line }

// tlsVerifyError is a failed verification of the peer's certificate.
type tlsVerifyError struct {
	err  error
	leaf *x509.Certificate
}

func (e *tlsVerifyError) Error() string { return e.err.Error() }
func (e *tlsVerifyError) Unwrap() error { return e.err }

func safe(s string) string { return termsafe.Line(s) }

// classify turns whatever went wrong in an attempt into an *Error.
func classify(err error, hs *Handshake, timeout time.Duration, phase string) *Error {
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	var pe *phaseError
	if errors.As(err, &pe) {
		phase = pe.phase
	}
	if isTimeout(err) {
		what := map[string]string{
			"dns": "resolving", "connect": "connecting to", "proxy": "the proxy tunnel to",
			"tls": "the TLS handshake with", "upgrade": "the upgrade response from",
		}[phase]
		target := hs.URL
		if pe != nil {
			target = pe.target
		}
		if phase == "upgrade" && len(hs.RequestRaw) > 0 && hs.Status == 0 {
			got := "nothing came back"
			if n := len(hs.ResponseRaw); n > 0 {
				got = fmt.Sprintf("only %d bytes of a response head came back", n)
			}
			return &Error{Class: ClassTimeout, Err: err, NoResponseHead: true,
				Msg:  safe(fmt.Sprintf("timed out after %s waiting for the upgrade response from %s: the request went out and %s", timeout, target, got)),
				Hint: "something accepted the request and held the answer: a proxy buffering or filtering the 101 (nginx ssi on, proxy_buffering), or a stuck app"}
		}
		return &Error{Class: ClassTimeout, Err: err,
			Msg:  safe(fmt.Sprintf("timed out after %s waiting for %s %s", timeout, what, target)),
			Hint: "the host may be down or a firewall drops packets; check host and port, or raise --timeout"}
	}
	if pe != nil {
		switch pe.phase {
		case "dns":
			who := "host"
			if pe.proxy {
				who = "proxy host"
			}
			return &Error{Class: ClassDNS, Err: err,
				Msg:  safe(fmt.Sprintf("cannot resolve %s %q: %s", who, pe.target, dnsReason(pe.err))),
				Hint: "check the name, or point it at an address with --resolve HOST:PORT:ADDR"}
		case "connect":
			return connectError(pe)
		case "proxy":
			return proxyError(pe)
		case "tls":
			return tlsError(pe)
		}
	}
	var tooLarge *errHeadTooLarge
	if errors.As(err, &tooLarge) {
		return &Error{Class: ClassProtocol, Err: err,
			Msg:  safe(fmt.Sprintf("refused the answer of %s: %v", hs.ConnectAddr, tooLarge)),
			Hint: "a real WebSocket server answers with a few headers; this one is broken or hostile"}
	}
	if len(hs.ResponseRaw) > 0 && hs.Status != 0 && !errors.Is(err, websocket.ErrBadHandshake) {
		return &Error{Class: ClassProtocol, Err: err,
			Msg:  safe(fmt.Sprintf("server answered %q but the response is not valid HTTP: %v", hs.StatusLine, err)),
			Hint: "a header holds characters HTTP does not allow; the raw response is in the handshake capture"}
	}
	if errors.Is(err, websocket.ErrBadHandshake) && hs.Status != 0 && hs.Status != 101 {
		return statusError(hs)
	}
	if errors.Is(err, websocket.ErrBadHandshake) || hs.Status == 101 {
		return protocolError(hs, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return &Error{Class: ClassNetwork, Err: err,
			Msg:  safe(fmt.Sprintf("%s closed the connection before answering the upgrade request", hs.ConnectAddr)),
			Hint: "the server or a proxy dropped the request; is this an HTTP server, and does ws:// vs wss:// match the port?"}
	}
	if strings.Contains(err.Error(), "malformed HTTP") {
		return &Error{Class: ClassProtocol, Err: err,
			Msg:  safe(fmt.Sprintf("%s did not answer with HTTP: %v", hs.ConnectAddr, err)),
			Hint: "is this the right port? A TLS port needs wss://"}
	}
	return &Error{Class: ClassNetwork, Err: err, Msg: safe(err.Error()), Hint: "check the URL and the network path"}
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func dnsReason(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsNotFound {
			return "no such host"
		}
		return de.Err
	}
	return err.Error()
}

func connectError(pe *phaseError) *Error {
	who := ""
	if pe.proxy {
		who = "proxy "
	}
	switch {
	case errors.Is(pe.err, syscall.ECONNREFUSED):
		return &Error{Class: ClassRefused, Err: pe,
			Msg:  safe(fmt.Sprintf("connection refused by %s%s", who, pe.target)),
			Hint: "nothing listens there: is the " + map[bool]string{true: "proxy", false: "server"}[pe.proxy] + " running on that port?"}
	case errors.Is(pe.err, syscall.ENETUNREACH), errors.Is(pe.err, syscall.EHOSTUNREACH):
		return &Error{Class: ClassNetwork, Err: pe,
			Msg:  safe(fmt.Sprintf("cannot reach %s%s: %v", who, pe.target, pe.err)),
			Hint: "no route to that address; check the host, VPN or firewall"}
	}
	return &Error{Class: ClassNetwork, Err: pe,
		Msg:  safe(fmt.Sprintf("cannot connect to %s%s: %v", who, pe.target, pe.err)),
		Hint: "check the host and port"}
}

func proxyError(pe *phaseError) *Error {
	var ps *proxyStatusError
	if errors.As(pe.err, &ps) {
		e := &Error{Class: ClassProxy, Err: pe}
		msg := fmt.Sprintf("proxy %s answered %q to CONNECT %s", ps.server, ps.line, pe.target)
		switch ps.status {
		case 407:
			e.Hint = "the proxy wants credentials: --proxy http://USER:PASS@host:port"
		case 403:
			e.Hint = "the proxy's rules deny this target (squid allows CONNECT only to SSL ports by default: check http_access and SSL_ports)"
		case 502, 503, 504:
			e.Hint = "the proxy could not reach the target; check the target host and port from the proxy's side"
		default:
			e.Hint = "check the proxy's configuration and logs"
		}
		if ps.body != "" {
			msg += ": " + excerpt(ps.body, 100)
		}
		e.Msg = safe(msg)
		return e
	}
	text := pe.err.Error()
	hint := "check the proxy URL and that it allows this target"
	switch {
	case strings.Contains(text, "authentication"), strings.Contains(text, "username/password"):
		hint = "the SOCKS proxy rejected the credentials: --proxy socks5://USER:PASS@host:port"
	case strings.Contains(text, "host unreachable"), strings.Contains(text, "connection refused"), strings.Contains(text, "network unreachable"):
		hint = "the proxy could not reach the target; check the target from the proxy's side"
	case strings.Contains(text, "not allowed"):
		hint = "the proxy's rules deny this target"
	}
	return &Error{Class: ClassProxy, Err: pe, Hint: hint,
		Msg: safe(fmt.Sprintf("proxy failed to open a tunnel to %s: %v", pe.target, pe.err))}
}

func tlsError(pe *phaseError) *Error {
	e := &Error{Class: ClassTLS, Err: pe}
	var ve *tlsVerifyError
	if errors.As(pe.err, &ve) {
		names := ""
		if ve.leaf != nil {
			names = fmt.Sprintf(" (subject %s, issuer %s)", ve.leaf.Subject, ve.leaf.Issuer)
		}
		var ua x509.UnknownAuthorityError
		var he x509.HostnameError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(ve.err, &he):
			e.Msg = safe(fmt.Sprintf("TLS: the certificate of %s does not match the name: %v%s", pe.target, he, names))
			e.Hint = "connect by a name the certificate lists (use --connect-to to dial another address), or --insecure to skip verification"
		case errors.As(ve.err, &ci) && ci.Reason == x509.Expired:
			e.Msg = safe(fmt.Sprintf("TLS: the certificate of %s is expired or not yet valid: %v%s", pe.target, ci, names))
			e.Hint = "renew the certificate or check this machine's clock; --insecure skips verification"
		case errors.As(ve.err, &ua):
			e.Msg = safe(fmt.Sprintf("TLS: the certificate of %s is signed by an unknown authority%s", pe.target, names))
			e.Hint = "pass the issuing CA with --cacert FILE, or --insecure to skip verification (testing only)"
		default:
			e.Msg = safe(fmt.Sprintf("TLS: the certificate of %s did not verify: %v%s", pe.target, ve.err, names))
			e.Hint = "pass the issuing CA with --cacert FILE, or --insecure to skip verification (testing only)"
		}
		return e
	}
	var rh tls.RecordHeaderError
	text := pe.err.Error()
	switch {
	case errors.As(pe.err, &rh):
		e.Msg = safe(fmt.Sprintf("TLS handshake with %s failed: the server did not answer with TLS", pe.target))
		e.Hint = "this port speaks plain HTTP: use ws:// instead of wss://"
	case strings.Contains(text, "certificate required"), strings.Contains(text, "bad certificate"):
		e.Msg = safe(fmt.Sprintf("TLS handshake with %s failed: %v", pe.target, pe.err))
		e.Hint = "the server wants a client certificate it trusts: --cert FILE --key FILE"
	default:
		e.Msg = safe(fmt.Sprintf("TLS handshake with %s failed: %v", pe.target, pe.err))
		e.Hint = "check that the port serves TLS and that client and server share a TLS version and cipher"
	}
	return e
}

// statusError explains a non-101 answer: status, key headers, body excerpt.
func statusError(hs *Handshake) *Error {
	msg := fmt.Sprintf("server answered %d %s instead of 101 Switching Protocols", hs.Status, hs.Reason)
	if hs.IsHTTP2() {
		msg = fmt.Sprintf("server answered %d to the HTTP/2 extended CONNECT instead of 200", hs.Status)
	}
	var details []string
	for _, name := range []string{"Server", "Location", "Content-Type", "WWW-Authenticate"} {
		if v := hs.ResponseHeader(name); v != "" {
			details = append(details, name+": "+v)
		}
	}
	if len(hs.Body) > 0 {
		details = append(details, "body: "+excerpt(string(hs.Body), 120))
	}
	if len(details) > 0 {
		msg += " (" + strings.Join(details, "; ") + ")"
	}
	e := &Error{Class: ClassStatus, Msg: safe(msg)}
	if hs.IsHTTP2() && hs.H2 != nil && hs.H2.ConnectProtocol && hs.Status != 401 && hs.Status != 403 && hs.Status != 404 && (hs.Status < 300 || hs.Status > 399) {
		e.Hint = "browsers that use HTTP/2 fail here, while HTTP/1.1 clients may work (compare with --http 1.1): the server advertises WebSockets over HTTP/2 but its handler does not take them"
		return e
	}
	switch s := hs.Status; {
	case s >= 300 && s < 400:
		loc := hs.ResponseHeader("Location")
		e.Hint = "the server redirects; -L follows redirects"
		if strings.HasPrefix(strings.ToLower(loc), "https://") {
			e.Hint = "the app thinks the request was plain HTTP: a TLS proxy in front must send X-Forwarded-Proto: https"
			if strings.HasPrefix(hs.URL, "ws://") {
				e.Hint += " (or connect with wss://)"
			}
		}
	case s == 401:
		e.Hint = "the server wants credentials: user:pass@ in the URL, or -H 'Authorization: ...' / --cookie"
	case s == 403:
		e.Hint = "forbidden: many servers check Origin; try --origin with the app's own origin, and check auth"
	case s == 404:
		e.Hint = "no WebSocket endpoint at this path; check the path (and a trailing slash) and the proxy's routing"
	case s == 400, s == 426:
		e.Hint = "the app did not see a WebSocket upgrade: if a proxy is in between, it must forward the Upgrade and Connection headers"
	case s == 502, s == 503, s == 504:
		e.Hint = "a proxy could not reach the app behind it: check the upstream address and port and that the app is running"
	default:
		e.Hint = "check the server's logs for why it refused the upgrade"
	}
	return e
}

func protocolError(hs *Handshake, err error) *Error {
	c := hs.Checks
	var problems []string
	if !c.AcceptOK {
		problems = append(problems, fmt.Sprintf("Sec-WebSocket-Accept is %q, want %q", hs.ResponseHeader("Sec-WebSocket-Accept"), c.ExpectedAccept))
	}
	if !c.UpgradeOK {
		problems = append(problems, "no \"Upgrade: websocket\"")
	}
	if !c.ConnectionOK {
		problems = append(problems, "no \"Connection: Upgrade\"")
	}
	if len(problems) == 0 {
		problems = append(problems, err.Error())
	}
	return &Error{Class: ClassProtocol, Err: err,
		Msg:  safe("server answered 101 but the handshake is invalid: " + strings.Join(problems, "; ")),
		Hint: "something between client and server rewrote the response headers, or the server's WebSocket code is broken"}
}

// excerpt shortens s to n runes on one line.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
