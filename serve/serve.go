// Package serve is wscope's diagnostic WebSocket backend: what a user puts
// behind their reverse proxy in place of their app, to see what the proxy
// forwards (/headers), whether it passes upgrades at all (/echo), how it
// copes with load (/firehose) and silence (/silent). It never imports
// Bubble Tea.
package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/termsafe"
)

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:8765"

// Options configures a diagnostic server.
type Options struct {
	Addr        string // default DefaultAddr; port 0 picks a free one
	TLSCertFile string // serve wss/https when both are set
	TLSKeyFile  string
	Logf        func(format string, args ...any) // one line per connection; nil is silent
}

// Server is a running diagnostic server.
type Server struct {
	opts     Options
	ln       net.Listener
	http     *http.Server
	upgrader websocket.Upgrader
	tls      bool

	mu     sync.Mutex
	conns  map[*websocket.Conn]struct{}
	closed bool
	wg     sync.WaitGroup // live WebSocket handlers
	stop   chan struct{}  // closed by Close: handlers end
}

// IsLoopback reports whether addr's host is a loopback address or
// "localhost"; an empty host (all interfaces) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Start listens and serves in the background.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %v", opts.Addr, unwrapOpError(err))
	}
	s := &Server{opts: opts, conns: map[*websocket.Conn]struct{}{}, stop: make(chan struct{})}
	s.upgrader = websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true }, // a diagnostic server accepts any origin
		EnableCompression: true,
		ReadBufferSize:    16 << 10,
		WriteBufferSize:   64 << 10,
	}
	wrapped := net.Listener(&tapListener{Listener: ln})
	if opts.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("TLS certificate: %v", err)
		}
		s.tls = true
		// The tap sits above TLS so it records plaintext.
		wrapped = &tapListener{Listener: tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})}
	}
	s.ln = wrapped
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if t, ok := c.(*tapConn); ok {
				return context.WithValue(ctx, tapKey{}, t)
			}
			return ctx
		},
		ErrorLog: nil,
	}
	go s.http.Serve(s.ln)
	return s, nil
}

func unwrapOpError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// Addr is the address actually bound.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the ws:// (or wss://) URL of path on this server.
func (s *Server) URL(path string) string {
	scheme := "ws"
	if s.tls {
		scheme = "wss"
	}
	return scheme + "://" + s.Addr() + path
}

// Close stops listening, closes every live WebSocket and waits for the
// handlers to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	for c := range s.conns {
		c.NetConn().Close()
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	s.wg.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// upgrade upgrades r and registers the connection for Close; nil when the
// request was refused (the response is already written).
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, subprotocol string) *websocket.Conn {
	if !websocket.IsWebSocketUpgrade(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Upgrade", "websocket")
		w.WriteHeader(http.StatusUpgradeRequired)
		fmt.Fprintln(w, "this endpoint expects a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade);")
		fmt.Fprintln(w, "if you went through a proxy, it did not forward those headers")
		return nil
	}
	var hdr http.Header
	if subprotocol != "" {
		hdr = http.Header{"Sec-Websocket-Protocol": {subprotocol}}
	}
	c, err := s.upgrader.Upgrade(w, r, hdr)
	if err != nil {
		return nil // gorilla has answered with the reason
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.logf("open  %s %s", r.RemoteAddr, termsafe.Line(r.URL.Path))
	return c
}

// done unregisters and closes c.
func (s *Server) done(c *websocket.Conn, r *http.Request) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.logf("close %s %s", r.RemoteAddr, termsafe.Line(r.URL.Path))
	s.wg.Done()
}
