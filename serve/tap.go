package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"sync"
)

// maxHeaderBytes is http.Server.MaxHeaderBytes; net/http allows 4 KiB
// more than it says.
const maxHeaderBytes = 64 << 10

// maxTap is how many of a connection's most recent incoming bytes the tap
// is sure to hold: a whole request head of the largest size net/http
// accepts, plus its read-ahead.
const maxTap = maxHeaderBytes + 32<<10

// tapListener wraps accepted connections in tapConns so that request heads
// can be shown exactly as they arrived: net/http canonicalizes header
// names and loses their order, the very things a proxy diagnosis needs.
type tapListener struct{ net.Listener }

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c}, nil
}

// tapKey is the request-context key of the request's *tapConn.
type tapKey struct{}

// tapConn records the most recent bytes read from it (at least maxTap of
// them, at most twice that) until stopTap. On an HTTP/2 connection
// (startH2) it decodes the request header blocks instead, since HPACK on
// the wire is not readable.
type tapConn struct {
	net.Conn
	mu      sync.Mutex
	buf     []byte
	cut     bool // bytes before buf[0] were dropped mid-stream
	stopped bool
	h2      *h2Tap // non-nil once the connection speaks HTTP/2

	// pending are bytes read (and recorded) while finding out which HTTP
	// the connection speaks, given back to the next Read. Only the
	// connection's one reader at a time touches it.
	pending []byte
}

func (c *tapConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.record(p[:n])
	}
	return n, err
}

// unread gives p, already read and recorded, back to the next Read.
func (c *tapConn) unread(p []byte) { c.pending = append(p[:len(p):len(p)], c.pending...) }

// startH2 switches the tap to HTTP/2: what it recorded so far (the
// preface, perhaps the first frames) and everything read from now on go
// through the HTTP/2 frame reader, which keeps decoded request header
// blocks, not bytes.
func (c *tapConn) startH2() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.h2 = newH2Tap()
	c.h2.feed(c.buf)
	c.buf, c.cut = nil, false
}

func (c *tapConn) record(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	if c.h2 != nil {
		c.h2.feed(p)
		return
	}
	if len(c.buf)+len(p) > 2*maxTap {
		// Keep the last maxTap bytes; compacting only now keeps the cost
		// of the copy proportional to what was read.
		all := len(c.buf) + len(p)
		if drop := all - maxTap; drop < len(c.buf) {
			c.buf = append(c.buf[:0], c.buf[drop:]...)
		} else {
			c.buf = append(c.buf[:0], p[drop-len(c.buf):]...)
			p = nil
		}
		c.cut = true
	}
	c.buf = append(c.buf, p...)
}

// stopTap stops recording and frees the record: the connection has been
// hijacked, and what follows is WebSocket frames.
func (c *tapConn) stopTap() {
	c.mu.Lock()
	c.stopped, c.buf = true, nil
	c.mu.Unlock()
}

// head returns the most recent complete request head (request line through
// the blank line) whose request line is requestLine, and forgets it and
// everything before it. Keep-alive connections carry earlier requests too.
func (c *tapConn) head(requestLine string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data := c.buf
	for end := len(data); ; {
		i := bytes.LastIndex(data[:end], []byte(requestLine))
		if i < 0 {
			return nil, false
		}
		end = i
		atLineStart := i > 0 && data[i-1] == '\n' || i == 0 && !c.cut
		if !atLineStart {
			continue
		}
		n := headLen(data[i:], len(requestLine))
		if n < 0 {
			continue
		}
		h := bytes.Clone(data[i : i+n])
		c.buf = append(c.buf[:0], data[i+n:]...)
		c.cut = false
		return h, true
	}
}

// headLen is the length of the head at the start of p through its blank
// line, if the first line is exactly lineLen bytes long (before its CRLF
// or LF); -1 otherwise.
func headLen(p []byte, lineLen int) int {
	switch {
	case bytes.HasPrefix(p[lineLen:], []byte("\r\n")):
		lineLen += 2
	case bytes.HasPrefix(p[lineLen:], []byte("\n")):
		lineLen++
	default:
		return -1
	}
	for pos := lineLen; ; {
		j := bytes.IndexByte(p[pos:], '\n')
		if j < 0 {
			return -1
		}
		line := bytes.TrimSuffix(p[pos:pos+j], []byte("\r"))
		pos += j + 1
		if len(line) == 0 {
			return pos
		}
	}
}

// tlsState is the connection's TLS state, or nil without TLS. net/http
// leaves r.TLS nil here, because it sees the tap, not the *tls.Conn.
func (c *tapConn) tlsState(ctx context.Context) *tls.ConnectionState {
	tc, ok := c.Conn.(*tls.Conn)
	if !ok {
		return nil
	}
	if !tc.ConnectionState().HandshakeComplete {
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil
		}
	}
	st := tc.ConnectionState()
	return &st
}
