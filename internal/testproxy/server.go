// Package testproxy provides in-process forward proxies for tests: an HTTP
// proxy that supports the CONNECT method (optionally itself behind TLS) and
// a SOCKS5 server (RFC 1928, with RFC 1929 username/password auth).
//
// Both listen on 127.0.0.1 only, on a port chosen by the kernel, record what
// clients asked for so tests can assert on it, and shut down promptly on
// Close, tearing down every tunnel they hold open.
package testproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

const (
	// headTimeout bounds how long a client may take to send its request
	// (HTTP head or SOCKS negotiation) before the proxy gives up on it.
	headTimeout = 30 * time.Second
	// dialTimeout bounds the proxy's connection attempt to a target.
	dialTimeout = 5 * time.Second
	// lingerTimeout bounds how long the proxy drains a client after an
	// error answer, so the answer is not lost to a TCP reset.
	lingerTimeout = time.Second
)

// server is the listener and connection bookkeeping shared by the proxies.
type server struct {
	ln     net.Listener
	ctx    context.Context // cancelled by Close; aborts dials in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// listenLoopback listens on an ephemeral port of 127.0.0.1.
func listenLoopback() (*server, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &server{ln: ln, ctx: ctx, cancel: cancel, conns: make(map[net.Conn]struct{})}, nil
}

// serve accepts connections until the listener is closed and runs handle
// for each in its own goroutine. handle owns the connection; serve closes
// it once handle returns.
func (s *server) serve(handle func(net.Conn)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				// Transient accept errors (e.g. EMFILE): back off briefly.
				select {
				case <-s.ctx.Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
				continue
			}
			if !s.track(c) {
				c.Close()
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.release(c)
				handle(c)
			}()
		}
	}()
}

// track registers c so Close can tear it down. It reports false, and the
// caller must close c itself, when the server is already closed.
func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// release closes c and forgets it.
func (s *server) release(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// addr is the listening address, "127.0.0.1:port".
func (s *server) addr() string { return s.ln.Addr().String() }

// close stops accepting, closes every tracked connection (client and
// target sides alike), aborts dials in flight and waits for all goroutines.
// It is idempotent; later calls return the first call's result.
func (s *server) close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := make([]net.Conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()

		s.cancel()
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = err
		}
		for _, c := range conns {
			c.Close()
		}
		s.wg.Wait()
	})
	return s.closeErr
}

// dial connects to target (host:port, host already resolved or not) with
// the dial timeout, and tracks the connection. Close aborts it.
func (s *server) dial(network, target string) (net.Conn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(s.ctx, network, target)
	if err != nil {
		return nil, err
	}
	if !s.track(c) {
		c.Close()
		return nil, net.ErrClosed
	}
	return c, nil
}

// splice copies bytes both ways between client and target until either
// direction ends, then closes both and releases target. It returns once
// both copies have stopped.
func (s *server) splice(client, target net.Conn) {
	defer s.release(target)
	var once sync.Once
	shut := func() {
		once.Do(func() {
			client.Close()
			target.Close()
		})
	}
	done := make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		io.Copy(target, client)
		shut()
	}()
	io.Copy(client, target)
	shut()
	<-done
}

// lingerClose answers a client that is about to be dropped: it half-closes
// the write side so the peer sees the answer followed by EOF, and drains
// input briefly so unread request bytes do not turn the close into a reset
// that could destroy the answer in flight. The caller closes c afterwards.
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.Copy(io.Discard, io.LimitReader(c, 1<<16))
}
