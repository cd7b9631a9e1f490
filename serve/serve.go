// Package serve is wscope's diagnostic WebSocket backend: what a user puts
// behind their reverse proxy in place of their app, to see what the proxy
// forwards (/headers), whether it passes upgrades at all (/echo), how it
// copes with load (/firehose), silence (/silent) and closes (/close). It
// never imports Bubble Tea.
package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/termsafe"
)

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:8765"

// maxMessage bounds what one incoming message may hold (the same bound as
// /firehose's size): a diagnostic server must not be made to buffer
// without end.
const maxMessage = 64 << 20

// Options configures a diagnostic server.
type Options struct {
	Addr        string // default DefaultAddr; port 0 ("127.0.0.1:0", ":0") picks a free one
	TLSCertFile string // serve wss/https when both are set (PEM files)
	TLSKeyFile  string
	// H2 serves HTTP/2 beside HTTP/1.1 over TLS (ALPN h2, http/1.1):
	// WebSockets over HTTP/2 (RFC 8441 extended CONNECT) on every
	// endpoint. Without TLSCertFile and TLSKeyFile it makes a self-signed
	// certificate for 127.0.0.1, ::1, localhost (and the host of Addr)
	// at start; Server.CertFile names its PEM, for a client's --cacert.
	H2 bool
	// H2C serves HTTP/2 without TLS to clients with prior knowledge: a
	// connection that opens with the HTTP/2 preface speaks HTTP/2, any
	// other HTTP/1.1. It excludes TLS.
	H2C bool
	// CertOut is where a generated certificate's PEM goes; by default
	// cert.pem in a new temporary directory that Close removes.
	CertOut string
	Logf    func(format string, args ...any) // one line per connection and refusal; nil is silent
}

// Server is a running diagnostic server; Close stops it.
type Server struct {
	opts     Options
	ln       net.Listener
	http     *http.Server
	h2       *h2Listener // nil unless H2 or H2C
	upgrader websocket.Upgrader
	tls      bool
	certFile string        // the generated certificate's PEM
	certDir  string        // the temporary directory it is in, removed by Close
	served   chan struct{} // closed when http.Server.Serve has returned
	stop     chan struct{} // closed by Close: handlers end

	mu     sync.Mutex
	closed bool
	conns  map[*websocket.Conn]struct{} // live WebSockets
	wg     sync.WaitGroup               // running handlers

	closeOnce sync.Once
	closeErr  error
}

// IsLoopback reports whether addr's host is a loopback IP address or
// "localhost"; an empty host (all interfaces) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // zone, as in fe80::1%lo
		host = host[:i]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Start listens on opts.Addr and serves in the background; it returns once
// the listener is bound. Its errors are one line, such as
// "listen 127.0.0.1:8765: address already in use".
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	var tlsConf *tls.Config
	var certPEM []byte
	switch {
	case opts.TLSCertFile != "" && opts.TLSKeyFile != "":
		if opts.H2C {
			return nil, errors.New("h2c is HTTP/2 without TLS: drop the TLS files, or use h2 for HTTP/2 over TLS")
		}
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate: %s", oneLine(err))
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	case opts.TLSCertFile != "" || opts.TLSKeyFile != "":
		return nil, errors.New("TLS needs both a certificate file and a key file")
	case opts.H2 && opts.H2C:
		return nil, errors.New("h2 (over TLS) and h2c (without TLS) exclude each other")
	case opts.H2:
		cert, pemBytes, err := selfSigned(certHosts(opts.Addr))
		if err != nil {
			return nil, fmt.Errorf("certificate: %s", oneLine(err))
		}
		tlsConf, certPEM = &tls.Config{Certificates: []tls.Certificate{cert}}, pemBytes
	}
	if tlsConf != nil {
		// Without H2, HTTP/1.1 only: net/http's own HTTP/2 would refuse
		// WebSockets (it does not advertise extended CONNECT), and the tap
		// reads HTTP/1 heads. With H2, HTTP/2 goes to h2ws.
		tlsConf.NextProtos = []string{"http/1.1"}
		if opts.H2 {
			tlsConf.NextProtos = []string{"h2", "http/1.1"}
		}
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %s", termsafe.Line(opts.Addr), oneLine(listenCause(err)))
	}
	s := &Server{
		opts:   opts,
		conns:  map[*websocket.Conn]struct{}{},
		served: make(chan struct{}),
		stop:   make(chan struct{}),
		tls:    tlsConf != nil,
		upgrader: websocket.Upgrader{
			CheckOrigin:       func(*http.Request) bool { return true }, // a diagnostic server accepts any origin
			EnableCompression: true,
			ReadBufferSize:    16 << 10,
			WriteBufferSize:   64 << 10,
		},
	}
	// The tap sits above TLS so that it records plaintext. net/http then
	// sees a *tapConn, not a *tls.Conn, so r.TLS stays nil and the TLS
	// state comes from the tap (see tapConn.tlsState).
	inner := ln
	if tlsConf != nil {
		inner = tls.NewListener(ln, tlsConf)
	}
	s.ln = &tapListener{Listener: inner}
	if certPEM != nil {
		if s.certFile, s.certDir, err = writeCert(opts.CertOut, certPEM); err != nil {
			ln.Close()
			return nil, err
		}
	}
	errorLog := log.New(io.Discard, "", 0)
	if opts.Logf != nil {
		errorLog = log.New(logfWriter(opts.Logf), "", 0)
	}
	s.http = &http.Server{
		Handler:           s.track(s.routes()),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog, // never the process's stderr: `wscope demo` runs a TUI there
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if t, ok := c.(*tapConn); ok {
				return context.WithValue(ctx, tapKey{}, t)
			}
			return ctx
		},
		ConnState: func(c net.Conn, st http.ConnState) {
			if t, ok := c.(*tapConn); ok && st == http.StateHijacked {
				t.stopTap() // WebSocket frames are not worth keeping
			}
		},
	}
	var serveLn net.Listener = s.ln
	if opts.H2 || opts.H2C {
		s.h2 = newH2Listener(s, s.ln)
		serveLn = s.h2
	}
	go func() {
		defer close(s.served)
		s.http.Serve(serveLn)
	}()
	return s, nil
}

// listenCause strips the "listen tcp 127.0.0.1:8765: bind:" layers, which
// the caller states in its own words.
func listenCause(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) && se.Err != nil {
		err = se.Err
	}
	return err
}

// oneLine renders err on one line, escaped for a terminal.
func oneLine(err error) string { return termsafe.Line(err.Error()) }

// logfWriter adapts Logf to the io.Writer a log.Logger needs.
type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", termsafe.Line(strings.TrimRight(string(p), "\n")))
	return len(p), nil
}

// Addr is the host:port actually bound.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CertFile is the PEM file of the certificate generated at start (H2
// without TLS files), for a client to trust; "" when none was made.
func (s *Server) CertFile() string { return s.certFile }

// Protocols says what the server speaks, for a banner: "HTTP/1.1",
// "HTTP/2 and HTTP/1.1 over TLS"…
func (s *Server) Protocols() string {
	switch {
	case s.opts.H2:
		return "HTTP/2 and HTTP/1.1 over TLS"
	case s.opts.H2C:
		return "HTTP/1.1, and HTTP/2 without TLS (h2c, prior knowledge)"
	case s.tls:
		return "HTTP/1.1 over TLS"
	}
	return "HTTP/1.1"
}

// URL is the ws:// (wss:// with TLS) URL of path on this server, such as
// "ws://127.0.0.1:41234/echo".
func (s *Server) URL(path string) string {
	scheme := "ws"
	if s.tls {
		scheme = "wss"
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return scheme + "://" + s.Addr() + path
}

// shutdownWait is how long Close lets plain HTTP requests finish; a
// connection that has sent nothing yet counts as one.
const shutdownWait = 500 * time.Millisecond

// Close stops listening, closes every live WebSocket at once and waits for
// every handler to return. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.stop)
		if s.h2 != nil {
			// First the HTTP/2 connections: a stream's close then fails at
			// once instead of writing to a peer that may not read.
			s.h2.closeConns()
		}
		for c := range s.conns {
			c.NetConn().Close()
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			s.http.Close() // a plain HTTP request is dawdling: cut it off
			if !errors.Is(err, context.DeadlineExceeded) {
				s.closeErr = err
			}
		}
		if s.h2 != nil {
			s.h2.wait()
		}
		s.wg.Wait()
		<-s.served
		if s.certDir != "" {
			os.RemoveAll(s.certDir)
		}
	})
	return s.closeErr
}

// track counts handlers so Close can wait for them, and turns requests
// away once Close has begun.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			http.Error(w, "wscope serve is stopping", http.StatusServiceUnavailable)
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// upgradeRequired is the 426 body for a plain request to a WebSocket
// endpoint.
const upgradeRequired = "this endpoint expects a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)\n" +
	"if this request went through a proxy, the proxy did not forward those headers\n"

// upgradeRequiredH2 is the 426 body for a plain HTTP/2 request to a
// WebSocket endpoint.
const upgradeRequiredH2 = "this endpoint expects a WebSocket: over HTTP/2 an extended CONNECT (:method CONNECT, :protocol websocket; RFC 8441)\n" +
	"if this request went through a proxy, the proxy turned it into a plain request\n"

// upgrade upgrades r and registers the connection for Close. It returns nil
// when the request was refused; the response has been written then.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, subprotocol string) *websocket.Conn {
	if !websocket.IsWebSocketUpgrade(r) {
		if r.ProtoMajor == 2 {
			s.logf("426   %s %s %s: not an extended CONNECT (HTTP/2)", r.RemoteAddr, termsafe.Line(r.Method), termsafe.Line(r.URL.Path))
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUpgradeRequired)
			io.WriteString(w, upgradeRequiredH2)
			return nil
		}
		s.logf("426   %s %s %s: not a WebSocket upgrade", r.RemoteAddr, termsafe.Line(r.Method), termsafe.Line(r.URL.Path))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Upgrade", "websocket")
		w.WriteHeader(http.StatusUpgradeRequired)
		io.WriteString(w, upgradeRequired)
		return nil
	}
	var hdr http.Header
	if subprotocol != "" {
		hdr = http.Header{"Sec-Websocket-Protocol": {subprotocol}}
	}
	c, err := s.upgrader.Upgrade(w, r, hdr)
	if err != nil {
		s.logf("refused %s %s: %s", r.RemoteAddr, termsafe.Line(r.URL.Path), oneLine(err))
		return nil // gorilla has answered with the reason
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.SetReadLimit(maxMessage)
	s.logf("open  %s %s%s", r.RemoteAddr, termsafe.Line(r.URL.Path), h2Label(c.NetConn()))
	return c
}

// done unregisters and closes c.
func (s *Server) done(c *websocket.Conn, r *http.Request, opened time.Time) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.logf("close %s %s%s after %s", r.RemoteAddr, termsafe.Line(r.URL.Path), h2Label(c.NetConn()), time.Since(opened).Round(time.Millisecond))
}

// badRequest answers 400 before any upgrade.
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.logf("400   %s %s: %s", r.RemoteAddr, termsafe.Line(r.URL.Path), termsafe.Line(msg))
	http.Error(w, msg, http.StatusBadRequest)
}
