package testproxy

import (
	"bufio"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HTTPConnectOptions configures an HTTPConnect proxy.
type HTTPConnectOptions struct {
	// User and Pass, when User is set, make the proxy require
	// "Proxy-Authorization: Basic" with exactly these credentials; other
	// requests are answered 407 with Proxy-Authenticate: Basic realm="test".
	User, Pass string
	// DenyPorts lists target ports a CONNECT may not reach; such requests
	// are answered 403 Forbidden.
	DenyPorts []int
	// TLSCert, when set, makes the proxy itself listen with TLS (an
	// "https://" proxy) presenting this certificate.
	TLSCert *tls.Certificate
}

// HTTPConnect is an in-process HTTP forward proxy supporting the CONNECT
// method, listening on 127.0.0.1.
//
// Each client connection carries one request. A CONNECT that passes the
// checks is answered exactly "HTTP/1.1 200 Connection established\r\n\r\n"
// and then spliced to the target until either side ends; every other
// outcome gets an error status (400, 403, 405, 407 or 502) with
// "Connection: close", and the connection is closed.
type HTTPConnect struct {
	srv       *server
	user      string
	pass      string
	authReq   bool
	denyPorts []int
	tlsConfig *tls.Config

	mu       sync.Mutex
	requests []string
}

// StartHTTPConnect starts an HTTP CONNECT proxy on 127.0.0.1 at a port
// chosen by the kernel.
func StartHTTPConnect(opts HTTPConnectOptions) (*HTTPConnect, error) {
	p := &HTTPConnect{
		user:      opts.User,
		pass:      opts.Pass,
		authReq:   opts.User != "",
		denyPorts: slices.Clone(opts.DenyPorts),
	}
	if opts.TLSCert != nil {
		p.tlsConfig = &tls.Config{
			Certificates: []tls.Certificate{*opts.TLSCert},
			MinVersion:   tls.VersionTLS12,
		}
	}
	srv, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("testproxy: listen: %w", err)
	}
	p.srv = srv
	srv.serve(p.handle)
	return p, nil
}

// Addr returns the proxy's listening address, "127.0.0.1:port".
func (p *HTTPConnect) Addr() string { return p.srv.addr() }

// URL returns the proxy URL without credentials: "http://127.0.0.1:port",
// or "https://127.0.0.1:port" when the proxy listens with TLS.
func (p *HTTPConnect) URL() string {
	if p.tlsConfig != nil {
		return "https://" + p.Addr()
	}
	return "http://" + p.Addr()
}

// Requests returns the request lines the proxy has received, in order of
// arrival, e.g. "CONNECT 127.0.0.1:4567 HTTP/1.1". Every request whose head
// parsed is recorded, whatever its method and whether or not it was
// granted. The slice is a copy.
func (p *HTTPConnect) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// Close stops the proxy: it closes the listener and every client and
// target connection, aborts dials in flight, and waits for all of the
// proxy's goroutines. It is safe to call more than once.
func (p *HTTPConnect) Close() error { return p.srv.close() }

func (p *HTTPConnect) record(line string) {
	p.mu.Lock()
	p.requests = append(p.requests, line)
	p.mu.Unlock()
}

// handle serves one client connection; the caller closes raw.
func (p *HTTPConnect) handle(raw net.Conn) {
	c := raw
	if p.tlsConfig != nil {
		c = tls.Server(raw, p.tlsConfig)
	}
	c.SetDeadline(time.Now().Add(headTimeout))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		var rhe tls.RecordHeaderError
		if errors.As(err, &rhe) && rhe.Conn != nil && looksLikeHTTP(rhe.RecordHeader[:]) {
			// Plain HTTP sent to the TLS proxy: say so, as net/http does.
			io.WriteString(rhe.Conn, "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
			lingerClose(rhe.Conn)
			return
		}
		var ne net.Error
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) {
			return // client went away (or handshake failed); nobody to answer
		}
		p.fail(c, http.StatusBadRequest, nil, "malformed request: "+err.Error())
		return
	}
	p.record(req.Method + " " + req.RequestURI + " " + req.Proto)

	if p.authReq && !p.authorized(req.Header.Get("Proxy-Authorization")) {
		p.fail(c, http.StatusProxyAuthRequired, http.Header{"Proxy-Authenticate": {`Basic realm="test"`}}, "proxy authentication required")
		return
	}
	if req.Method != http.MethodConnect {
		p.fail(c, http.StatusMethodNotAllowed, http.Header{"Allow": {http.MethodConnect}}, "only CONNECT is supported")
		return
	}
	target := req.URL.Host
	_, portStr, err := net.SplitHostPort(target)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil || port < 1 || port > 65535 {
		p.fail(c, http.StatusBadRequest, nil, "CONNECT target must be host:port")
		return
	}
	if slices.Contains(p.denyPorts, port) {
		p.fail(c, http.StatusForbidden, nil, "port "+portStr+" is not allowed")
		return
	}
	tc, err := p.srv.dial("tcp", target)
	if err != nil {
		p.fail(c, http.StatusBadGateway, nil, "cannot reach "+target+": "+err.Error())
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		p.srv.release(tc)
		return
	}
	c.SetDeadline(time.Time{})
	// Bytes the client sent after the request head (pipelined ahead of
	// the 200) sit in br: hand them to the target first.
	if n := br.Buffered(); n > 0 {
		ahead, _ := br.Peek(n)
		if _, err := tc.Write(ahead); err != nil {
			p.srv.release(tc)
			return
		}
		br.Discard(n)
	}
	p.srv.splice(c, tc)
}

// authorized checks a Proxy-Authorization header value against the
// configured credentials.
func (p *HTTPConnect) authorized(h string) bool {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return false
	}
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(p.user)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(p.pass)) == 1
	return userOK && passOK
}

// fail answers with an error status and a short text body, then lets the
// client read it before the connection is closed.
func (p *HTTPConnect) fail(c net.Conn, code int, h http.Header, msg string) {
	var b strings.Builder
	body := msg + "\n"
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	c.SetWriteDeadline(time.Now().Add(headTimeout))
	if _, err := io.WriteString(c, b.String()); err != nil {
		return
	}
	lingerClose(c)
}

// looksLikeHTTP reports whether the first bytes of a connection look like
// a plaintext HTTP request (as net/http's server checks).
func looksLikeHTTP(hdr []byte) bool {
	switch string(hdr) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "CONNE", "DELET", "PATCH", "TRACE":
		return true
	}
	return false
}
