package session

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/proxy"
)

// dialPlan is a Config checked and parsed once for all attempts of a Dial.
type dialPlan struct {
	cfg       Config
	connectTo []connectTo
	resolve   []resolveRule
	roots     *x509.CertPool // nil: the system's
	certs     []tls.Certificate
}

func newPlan(cfg Config) (*dialPlan, error) {
	p := &dialPlan{cfg: cfg.withDefaults()}
	for _, s := range cfg.ConnectTo {
		r, err := ParseConnectTo(s)
		if err != nil {
			return nil, Usagef("curl syntax, e.g. --connect-to example.com:443:127.0.0.1:8443", "%v", err)
		}
		p.connectTo = append(p.connectTo, r)
	}
	for _, s := range cfg.Resolve {
		r, err := ParseResolve(s)
		if err != nil {
			return nil, Usagef("curl syntax, e.g. --resolve example.com:443:127.0.0.1", "%v", err)
		}
		p.resolve = append(p.resolve, r)
	}
	if cfg.CACertFile != "" {
		pem, err := os.ReadFile(cfg.CACertFile)
		if err != nil {
			return nil, Usagef("--cacert takes a PEM file of CA certificates", "cannot read --cacert: %v", err)
		}
		p.roots = x509.NewCertPool()
		if !p.roots.AppendCertsFromPEM(pem) {
			return nil, Usagef("--cacert takes a PEM file of CA certificates", "no PEM certificates in %s", cfg.CACertFile)
		}
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, Usagef("give both --cert FILE and --key FILE", "a client certificate needs both --cert and --key")
	}
	if cfg.CertFile != "" {
		c, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, Usagef("both files must be PEM and belong together", "cannot load client certificate: %v", err)
		}
		p.certs = []tls.Certificate{c}
	}
	if cfg.Proxy != "" {
		if _, err := parseProxyURL(cfg.Proxy); err != nil {
			return nil, Usagef("e.g. --proxy http://user:pass@127.0.0.1:3128 or socks5h://127.0.0.1:1080", "%v", err)
		}
	}
	for _, h := range cfg.Headers {
		if !validToken(h.Name) || strings.ContainsAny(h.Value, "\r\n\x00") {
			return nil, Usagef("-H \"Name: value\"", "invalid header %q", h.Name)
		}
		switch strings.ToLower(h.Name) {
		case "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions":
			return nil, Usagef("wscope sets it; use --compress for permessage-deflate", "header %s cannot be overridden", h.Name)
		}
	}
	return p, nil
}

// Dial connects to cfg.URL and performs the WebSocket opening handshake.
// It returns every attempt's handshake (several when -L followed redirects),
// also on failure, so a caller can show what went over the wire. The error,
// if any, is an *Error.
func Dial(ctx context.Context, cfg Config) (*Conn, []*Handshake, error) {
	u, err := NormalizeURL(cfg.URL)
	if err != nil {
		return nil, nil, Usagef("e.g. ws://127.0.0.1:8765/echo or wss://example.com/socket", "%v", err)
	}
	plan, err := newPlan(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := checkHTTPMode(cfg, u); err != nil {
		return nil, nil, err
	}
	var chain []*Handshake
	seen := map[string]bool{}
	for {
		seen[u.String()] = true
		ws, hs, err := plan.attemptMode(ctx, u)
		chain = append(chain, hs)
		if err == nil {
			return newConn(ws, hs, plan.cfg), chain, nil
		}
		loc := hs.ResponseHeader("Location")
		if !plan.cfg.Follow || hs.Status < 300 || hs.Status > 399 || loc == "" {
			return nil, chain, err
		}
		next, nerr := redirectTarget(u, loc)
		switch {
		case nerr != nil:
			return nil, chain, &Error{Class: ClassRedirect, Err: nerr, Msg: safe(fmt.Sprintf("cannot follow redirect to %q: %v", loc, nerr)), Hint: "the Location header is not a usable URL"}
		case seen[next.String()]:
			return nil, chain, &Error{Class: ClassRedirect, Msg: safe(fmt.Sprintf("redirect loop: %s leads back to %s", Redacted(u), Redacted(next))),
				Hint: "behind a TLS-terminating proxy this is usually a missing X-Forwarded-Proto header"}
		case len(chain) > MaxRedirects:
			return nil, chain, &Error{Class: ClassRedirect, Msg: fmt.Sprintf("stopped after %d redirects", MaxRedirects), Hint: "check the redirect chain in the handshake"}
		}
		u = next
	}
}

// redirectTarget resolves a Location against the current URL and maps it
// back to ws(s).
func redirectTarget(cur *url.URL, loc string) (*url.URL, error) {
	base := *cur
	if base.Scheme == "wss" {
		base.Scheme = "https"
	} else {
		base.Scheme = "http"
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return NormalizeURL(base.ResolveReference(ref).String())
}

// attemptState is one attempt's scratch space.
type attemptState struct {
	plan  *dialPlan
	u     *url.URL
	hs    *Handshake
	phase string
}

// attemptMode performs one handshake against u in the configured HTTP mode.
func (p *dialPlan) attemptMode(ctx context.Context, u *url.URL) (*websocket.Conn, *Handshake, error) {
	switch p.cfg.HTTP {
	case HTTPMode2:
		return p.attemptH2(ctx, u, false)
	case HTTPModeAuto:
		return p.attemptAuto(ctx, u)
	}
	return p.attempt(ctx, u, nil)
}

// attempt performs one HTTP/1.1 handshake against u; pre, when not nil,
// is a TLS connection already made (auto mode, ALPN chose http/1.1).
func (p *dialPlan) attempt(ctx context.Context, u *url.URL, pre net.Conn) (*websocket.Conn, *Handshake, error) {
	hs := &Handshake{URL: Redacted(u), Started: time.Now(), HTTPVersion: HTTP11}
	a := &attemptState{plan: p, u: u, hs: hs, phase: "connect"}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()

	var tap *tapConn
	wrap := func(c net.Conn, err error) (net.Conn, error) {
		if err != nil {
			return nil, err
		}
		a.phase = "upgrade"
		tap = newTap(c)
		if p.compressOffer() != "" {
			return newInflateConn(tap, p.cfg.MaxMessageSize), nil
		}
		return tap, nil
	}
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return wrap(a.dialTarget(ctx))
		},
		NetDialTLSContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			if pre != nil {
				a.phase = "upgrade"
				return wrap(pre, nil)
			}
			return wrap(a.dialTLS(ctx))
		},
		Subprotocols:    p.cfg.Subprotocols,
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 16 << 10,
	}
	target := *u
	target.User = nil
	ws, resp, err := d.DialContext(ctx, target.String(), p.requestHeader(u))
	if tap != nil {
		a.captureHead(tap)
	}
	if err == nil {
		tap.stopRecording()
		hs.Validate()
		if !hs.Checks.SubprotocolOK {
			ws.Close()
			return nil, hs, &Error{Class: ClassProtocol,
				Msg:  safe(fmt.Sprintf("server selected subprotocol %q, which was not offered", hs.Checks.Subprotocol)),
				Hint: "offer it with --subprotocol, or fix the server's subprotocol selection"}
		}
		hs.afterHead = tap.afterHead
		return ws, hs, nil
	}
	if tap != nil {
		hs.Validate()
		if resp != nil && resp.StatusCode != 101 {
			a.captureBody(ctx, tap)
		}
		tap.forceClose()
	}
	e := classify(err, hs, p.cfg.Timeout, a.phase)
	if e.NoResponseHead && parent.Err() == nil {
		hs.PlainGet = p.plainGet(parent, u)
	}
	return nil, hs, e
}

// compressOffer is the Sec-WebSocket-Extensions offer, or "" for none.
func (p *dialPlan) compressOffer() string {
	switch {
	case p.cfg.CompressOffer != "":
		return p.cfg.CompressOffer
	case p.cfg.Compress:
		return ChromeCompressOffer
	}
	return ""
}

// BrowserOrigin is the Origin a browser page at u sends: http for ws,
// https for wss, the host, and the port unless it is the scheme's default.
func BrowserOrigin(u *url.URL) string {
	scheme, def := "http", "80"
	if u.Scheme == "wss" || u.Scheme == "https" {
		scheme, def = "https", "443"
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && p != def {
		host += ":" + p
	}
	return scheme + "://" + strings.ToLower(host)
}

// requestHeader builds the headers gorilla adds to its own.
func (p *dialPlan) requestHeader(u *url.URL) http.Header {
	h := http.Header{}
	h["User-Agent"] = []string{p.cfg.UserAgent}
	switch {
	case p.cfg.NoOrigin:
	case p.cfg.Origin != "":
		h["Origin"] = []string{p.cfg.Origin}
	default:
		h["Origin"] = []string{BrowserOrigin(u)}
	}
	if offer := p.compressOffer(); offer != "" {
		// Not gorilla's canonical key, so gorilla lets it through; wscope
		// inflates the answer itself (inflateConn).
		h["Sec-WebSocket-Extensions"] = []string{offer}
	}
	if p.cfg.Cookie != "" {
		h["Cookie"] = []string{p.cfg.Cookie}
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		h["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))}
	}
	replaced := map[string]bool{}
	for _, hd := range p.cfg.Headers {
		name := hd.Name
		switch strings.ToLower(name) {
		case "host":
			name = "Host" // gorilla only honours the canonical key
		case "sec-websocket-protocol":
			name = "Sec-Websocket-Protocol"
		default:
			// A user header replaces ours of the same name in any case
			// (the first time: repeating -H sends it several times).
			if lower := strings.ToLower(name); !replaced[lower] {
				replaced[lower] = true
				for k := range h {
					if strings.EqualFold(k, name) {
						delete(h, k)
					}
				}
			}
		}
		h[name] = append(h[name], hd.Value)
	}
	return h
}

// captureHead copies the raw request and response heads out of the tap.
func (a *attemptState) captureHead(tap *tapConn) {
	hs := a.hs
	req, _ := splitHead(tap.wrote.Bytes())
	hs.RequestRaw = bytes.Clone(req)
	hs.RequestLine, hs.Request = ParseHead(hs.RequestRaw)
	resp, ok := splitHead(tap.read.Bytes())
	if ok {
		hs.ResponseRaw = bytes.Clone(resp)
		hs.StatusLine, hs.Response = ParseHead(hs.ResponseRaw)
		hs.Status, hs.Reason = parseStatusLine(hs.StatusLine)
		hs.Timings.Upgrade = tap.headAt.Sub(tap.lastWrite)
		hs.Timings.Total = tap.headAt.Sub(hs.Started)
	} else {
		hs.ResponseRaw = bytes.Clone(tap.read.Bytes())
		hs.Timings.Total = time.Since(hs.Started)
	}
}

// captureBody reads the body of a refused upgrade (up to MaxBodyCapture),
// re-parsing the response so chunked and length-delimited bodies decode.
func (a *attemptState) captureBody(ctx context.Context, tap *tapConn) {
	deadline := time.Now().Add(2 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tap.Conn.SetReadDeadline(deadline)
	already := bytes.Clone(tap.read.Bytes())
	tap.stopRecording()
	r := bufio.NewReader(io.MultiReader(bytes.NewReader(already), tap.Conn))
	resp, err := http.ReadResponse(r, &http.Request{Method: http.MethodGet})
	if err != nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBodyCapture+1))
	if len(body) > MaxBodyCapture {
		body, a.hs.BodyTrunc = body[:MaxBodyCapture], true
	}
	a.hs.Body = body
}

// dialTarget opens a TCP connection to the target: directly, or through
// the proxy, applying --connect-to and --resolve.
func (a *attemptState) dialTarget(ctx context.Context) (net.Conn, error) {
	host, port := hostPort(a.u)
	host, port = applyConnectTo(a.plan.connectTo, host, port)
	px, err := selectProxy(&a.plan.cfg, a.u)
	if err != nil {
		return nil, Usagef("check the proxy environment variables, or pass --no-proxy", "%v", err)
	}
	if px == nil {
		return a.dialHost(ctx, host, port, false)
	}
	target := joinHostPort(host, port)
	ex := &ProxyExchange{Proxy: px.Redacted(), Target: target}
	a.hs.Proxy = ex
	switch px.Scheme {
	case "socks5", "socks5h":
		ex.Kind = "socks5"
		if px.Scheme == "socks5" && !isIPLiteral(host) {
			addrs, err := a.resolve(ctx, host, port, false)
			if err != nil {
				return nil, err
			}
			target = joinHostPort(addrs[0], port)
			ex.Target = target
		}
		return a.dialSOCKS(ctx, px, target)
	default:
		ex.Kind = "http-connect"
		c, err := a.dialHost(ctx, px.Hostname(), proxyPort(px), true)
		if err != nil {
			return nil, err
		}
		if px.Scheme == "https" {
			tc := tls.Client(c, a.tlsConfig(px.Hostname()))
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, &phaseError{phase: "tls", target: joinHostPort(px.Hostname(), proxyPort(px)), proxy: true, err: err}
			}
			c = tc
		}
		a.phase = "proxy"
		conn, err := httpConnect(ctx, c, px, target, a.hs)
		if err != nil {
			c.Close()
			return nil, &phaseError{phase: "proxy", target: target, proxy: true, err: err}
		}
		return conn, nil
	}
}

// resolve returns the addresses for host, from --resolve or DNS.
func (a *attemptState) resolve(ctx context.Context, host, port string, isProxy bool) ([]string, error) {
	if isIPLiteral(host) {
		return []string{unbracket(host)}, nil
	}
	if addrs := lookupResolve(a.plan.resolve, host, port); addrs != nil {
		return addrs, nil
	}
	a.phase = "dns"
	t := time.Now()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	a.hs.Timings.DNS += time.Since(t)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	if err != nil {
		return nil, &phaseError{phase: "dns", target: host, proxy: isProxy, err: err}
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}

// dialHost resolves host and connects to the first address that answers.
func (a *attemptState) dialHost(ctx context.Context, host, port string, isProxy bool) (net.Conn, error) {
	addrs, err := a.resolve(ctx, host, port, isProxy)
	if err != nil {
		return nil, err
	}
	a.phase = "connect"
	var d net.Dialer
	t := time.Now()
	var lastErr error
	for _, addr := range addrs {
		hp := joinHostPort(addr, port)
		c, err := d.DialContext(ctx, "tcp", hp)
		if err == nil {
			a.hs.Timings.Connect += time.Since(t)
			a.hs.ConnectAddr = hp
			return c, nil
		}
		lastErr = &phaseError{phase: "connect", target: hp, proxy: isProxy, err: err}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// dialerFunc adapts a function to proxy.ContextDialer.
type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) Dial(network, addr string) (net.Conn, error) {
	return f(context.Background(), network, addr)
}

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// dialSOCKS opens a SOCKS5 tunnel to target.
func (a *attemptState) dialSOCKS(ctx context.Context, px *url.URL, target string) (net.Conn, error) {
	var auth *proxy.Auth
	if px.User != nil {
		pass, _ := px.User.Password()
		auth = &proxy.Auth{User: px.User.Username(), Password: pass}
	}
	var tunnelStart time.Time
	var rec *socksRecorder
	forward := dialerFunc(func(ctx context.Context, _, _ string) (net.Conn, error) {
		c, err := a.dialHost(ctx, px.Hostname(), proxyPort(px), true)
		tunnelStart = time.Now()
		a.phase = "proxy"
		if err != nil {
			return nil, err
		}
		rec = &socksRecorder{Conn: c}
		return rec, nil
	})
	d, err := proxy.SOCKS5("tcp", joinHostPort(px.Hostname(), proxyPort(px)), auth, forward)
	if err != nil {
		return nil, &phaseError{phase: "proxy", target: target, proxy: true, err: err}
	}
	method := "no auth"
	if auth != nil {
		method = "username/password"
	}
	a.hs.Proxy.Request = fmt.Sprintf("SOCKS5 CONNECT %s (%s)", target, method)
	c, err := d.(proxy.ContextDialer).DialContext(ctx, "tcp", target)
	if rec != nil {
		a.hs.Proxy.Socks = parseSocksReplies(rec.stop())
	}
	if err != nil {
		var pe *phaseError
		if errors.As(err, &pe) && pe.phase != "proxy" {
			return nil, err // could not reach the proxy itself
		}
		a.hs.Proxy.Response = "failed: " + err.Error()
		if r := a.hs.Proxy.Socks; r != nil && r.Reply > 0 {
			a.hs.Proxy.Response += fmt.Sprintf(" (reply %d: %s)", r.Reply, ReplyText(r.Reply))
		}
		return nil, &phaseError{phase: "proxy", target: target, proxy: true, err: err}
	}
	a.hs.Timings.ProxyConnect = time.Since(tunnelStart)
	a.hs.Proxy.Response = "succeeded"
	return c, nil
}

// socksRecorder keeps the first bytes a SOCKS5 proxy answers, so its
// method choice and reply code are known exactly (the SOCKS client only
// returns an error string).
type socksRecorder struct {
	net.Conn
	mu      sync.Mutex
	read    []byte
	stopped bool
}

func (r *socksRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	if !r.stopped && len(r.read) < 64 {
		r.read = append(r.read, p[:min(n, 64-len(r.read))]...)
	}
	r.mu.Unlock()
	return n, err
}

// stop ends the recording and returns what was read.
func (r *socksRecorder) stop() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	return r.read
}

// dialTLS connects to the target and runs the TLS handshake, recording
// what was negotiated and whether the certificate verified.
func (a *attemptState) dialTLS(ctx context.Context) (net.Conn, error) {
	return a.dialTLSWith(ctx, []string{"http/1.1"})
}

// dialTLSWith is dialTLS offering protos in ALPN.
func (a *attemptState) dialTLSWith(ctx context.Context, protos []string) (net.Conn, error) {
	c, err := a.dialTarget(ctx)
	if err != nil {
		return nil, err
	}
	name := a.u.Hostname()
	a.phase = "tls"
	info := &TLSInfo{Insecure: a.plan.cfg.Insecure}
	if !isIPLiteral(name) {
		info.SNI = name
	}
	a.hs.TLS = info
	cfg := a.tlsConfig(name)
	cfg.NextProtos = protos
	cfg.Certificates = a.plan.certs
	tc := tls.Client(c, cfg)
	t := time.Now()
	err = tc.HandshakeContext(ctx)
	a.hs.Timings.TLS = time.Since(t)
	if err != nil {
		c.Close()
		host, port := hostPort(a.u)
		return nil, &phaseError{phase: "tls", target: joinHostPort(host, port), err: err}
	}
	st := tc.ConnectionState()
	info.Version = tls.VersionName(st.Version)
	info.Cipher = tls.CipherSuiteName(st.CipherSuite)
	info.ALPN = st.NegotiatedProtocol
	return tc, nil
}

// tlsConfig verifies by hand so the result is known even under --insecure.
func (a *attemptState) tlsConfig(name string) *tls.Config {
	insecure := a.plan.cfg.Insecure
	roots := a.plan.roots
	info := a.hs.TLS
	return &tls.Config{
		ServerName:         name,
		InsecureSkipVerify: true, // verified in VerifyConnection, which records the result
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			opts := x509.VerifyOptions{Roots: roots, DNSName: name, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			if info != nil {
				info.Chain = info.Chain[:0]
				for _, c := range cs.PeerCertificates {
					info.Chain = append(info.Chain, certInfo(c))
				}
				info.Verified = err == nil
				if err != nil {
					info.VerifyError = err.Error()
					last := cs.PeerCertificates[len(cs.PeerCertificates)-1]
					var ua x509.UnknownAuthorityError
					if errors.As(err, &ua) && !bytes.Equal(last.RawIssuer, last.RawSubject) {
						info.ChainIncomplete = true
						info.MissingIssuer = last.Issuer.String()
						if len(last.IssuingCertificateURL) > 0 {
							info.IssuerURL = last.IssuingCertificateURL[0]
						}
					}
				}
			}
			if err != nil && !insecure {
				return &tlsVerifyError{err: err, leaf: cs.PeerCertificates[0]}
			}
			return nil
		},
	}
}

// httpConnect asks an HTTP proxy for a tunnel to target and records the
// exchange exactly as it went over the wire.
func httpConnect(ctx context.Context, c net.Conn, px *url.URL, target string, hs *Handshake) (net.Conn, error) {
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: wscope\r\n", target, target)
	if px.User != nil {
		pass, _ := px.User.Password()
		fmt.Fprintf(&b, "Proxy-Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(px.User.Username()+":"+pass)))
	}
	b.WriteString("\r\n")
	ex := hs.Proxy
	ex.Request = b.String()
	t := time.Now()
	if _, err := io.WriteString(c, ex.Request); err != nil {
		return nil, err
	}
	rec := &recordingReader{r: c}
	br := bufio.NewReader(rec)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, err
	}
	hs.Timings.ProxyConnect = time.Since(t)
	head, _ := splitHead(rec.buf.Bytes())
	ex.Response = string(head)
	ex.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		ex.Body = string(body)
		line, _, _ := strings.Cut(ex.Response, "\r\n")
		return nil, &proxyStatusError{status: resp.StatusCode, line: line, server: px.Host, body: string(body)}
	}
	c.SetDeadline(time.Time{})
	if n := br.Buffered(); n > 0 {
		extra, _ := br.Peek(n)
		return &prefixConn{Conn: c, prefix: bytes.NewReader(bytes.Clone(extra))}, nil
	}
	return c, nil
}

// recordingReader keeps a copy of what it reads (bounded).
type recordingReader struct {
	r   io.Reader
	buf bytes.Buffer
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.buf.Len() < maxTapRecord {
		r.buf.Write(p[:n])
	}
	return n, err
}

// prefixConn replays bytes read ahead before reading from the connection.
type prefixConn struct {
	net.Conn
	prefix *bytes.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if c.prefix.Len() > 0 {
		return c.prefix.Read(p)
	}
	return c.Conn.Read(p)
}
