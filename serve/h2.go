package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/wscope/wscope/h2ws"
)

// sniffWait bounds how long a new connection may take to show which HTTP
// it speaks (its TLS handshake, or its first bytes for h2c); the same as
// net/http's ReadHeaderTimeout here.
const sniffWait = 10 * time.Second

// h2Listener is what net/http serves when HTTP/2 is on. It accepts every
// connection itself, finds out which HTTP the client speaks — ALPN over
// TLS, the HTTP/2 preface without TLS (h2c with prior knowledge) — serves
// HTTP/2 with h2ws (extended CONNECT streams reach the same routes as
// HTTP/1.1 upgrades) and hands HTTP/1.1 connections to net/http through
// Accept.
type h2Listener struct {
	s    *Server
	ln   net.Listener // the tap listener
	h2   *h2ws.Server
	h1   chan net.Conn
	done chan struct{}
	once sync.Once

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{} // being sniffed or serving HTTP/2
	wg     sync.WaitGroup        // the accept loop and each connection's goroutine
}

func newH2Listener(s *Server, ln net.Listener) *h2Listener {
	l := &h2Listener{s: s, ln: ln, h1: make(chan net.Conn), done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	l.h2 = &h2ws.Server{
		Handler: s.http.Handler,
		ConnContext: func(nc net.Conn) context.Context {
			ctx := context.Background()
			if t, ok := nc.(*tapConn); ok {
				ctx = context.WithValue(ctx, tapKey{}, t)
			}
			return ctx
		},
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Accept returns the next HTTP/1.1 connection.
func (l *h2Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.h1:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; the connections stay up until closeConns.
func (l *h2Listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

func (l *h2Listener) Addr() net.Addr { return l.ln.Addr() }

// closeConns stops accepting and closes every HTTP/2 connection and
// every one still being sniffed; wait waits for their goroutines.
func (l *h2Listener) closeConns() {
	l.Close()
	l.mu.Lock()
	l.closed = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
}

func (l *h2Listener) wait() { l.wg.Wait() }

func (l *h2Listener) acceptLoop() {
	defer l.wg.Done()
	for delay := time.Duration(0); ; {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				// Out of file descriptors, say: as net/http does, wait and retry.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(delay):
					continue
				case <-l.done:
					return
				}
			}
			l.Close()
			return
		}
		delay = 0
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serve(c)
	}
}

func (l *h2Listener) forget(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// serve sniffs one connection and serves it, or passes it on.
func (l *h2Listener) serve(c net.Conn) {
	defer l.wg.Done()
	t := c.(*tapConn)
	isH2, err := l.sniff(t)
	if err != nil {
		l.forget(c)
		c.Close()
		return
	}
	if !isH2 {
		l.forget(c)
		select {
		case l.h1 <- c:
		case <-l.done:
			c.Close()
		}
		return
	}
	t.startH2()
	err = l.h2.ServeConn(t)
	l.forget(c)
	select {
	case <-l.done:
		return // closed by Close: not worth a line
	default:
	}
	var ge *h2ws.GoAwayError
	if errors.As(err, &ge) && ge.GoAway.Code == 0 {
		return // the client said goodbye
	}
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.ErrUnexpectedEOF) {
		l.s.logf("h2    %s: %s", c.RemoteAddr(), oneLine(err))
	}
}

// sniff finds out whether c speaks HTTP/2: over TLS, whether ALPN chose
// h2; without TLS (h2c), whether it opens with the HTTP/2 preface. The
// bytes it reads are recorded by the tap and given back to the server.
func (l *h2Listener) sniff(t *tapConn) (bool, error) {
	t.SetDeadline(time.Now().Add(sniffWait))
	defer t.SetDeadline(time.Time{})
	if tc, ok := t.Conn.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(context.Background(), sniffWait)
		defer cancel()
		if err := tc.HandshakeContext(ctx); err != nil {
			l.s.logf("TLS handshake error from %s: %s", t.RemoteAddr(), oneLine(err))
			return false, err
		}
		return tc.ConnectionState().NegotiatedProtocol == "h2", nil
	}
	// Read until the bytes differ from the preface or complete it: an
	// HTTP/1.0 request can be shorter than the preface.
	buf := make([]byte, 0, 64)
	for {
		n, err := t.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		m := min(len(buf), len(h2ws.ClientPreface))
		if !bytes.Equal(buf[:m], []byte(h2ws.ClientPreface[:m])) {
			t.unread(buf)
			return false, nil
		}
		if m == len(h2ws.ClientPreface) {
			t.unread(buf)
			return true, nil
		}
		if err != nil {
			if len(buf) > 0 {
				t.unread(buf) // let net/http answer (or not) what it got
				return false, nil
			}
			return false, err
		}
	}
}

// h2Label is " over HTTP/2 (stream N)" for a WebSocket on an HTTP/2
// stream, "" otherwise: for the log.
func h2Label(nc net.Conn) string {
	if s, ok := nc.(interface{ ID() uint32 }); ok {
		return " over HTTP/2 (stream " + strconv.FormatUint(uint64(s.ID()), 10) + ")"
	}
	return ""
}
