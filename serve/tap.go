package serve

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync"
)

// maxTap bounds what is kept of a connection's incoming bytes.
const maxTap = 64 << 10

// tapListener wraps accepted connections so the raw request heads can be
// shown exactly as they arrived: net/http canonicalizes header names and
// loses their order, which is the very thing a proxy diagnosis needs.
type tapListener struct{ net.Listener }

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c}, nil
}

// tapKey is the context key under which the request's tapConn is stored.
type tapKey struct{}

// tapConn records what is read from it, up to maxTap bytes.
type tapConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if c.buf.Len() < maxTap {
			c.buf.Write(p[:min(n, maxTap-c.buf.Len())])
		}
		c.mu.Unlock()
	}
	return n, err
}

// tlsState returns the TLS state when the connection is TLS.
func (c *tapConn) tlsState() *tls.ConnectionState {
	if tc, ok := c.Conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		return &st
	}
	return nil
}

// head returns the most recent raw request head whose request line is
// requestLine (keep-alive connections carry earlier requests too), and
// forgets everything before it.
func (c *tapConn) head(requestLine string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data := c.buf.Bytes()
	start := bytes.LastIndex(data, []byte(requestLine+"\r\n"))
	if start < 0 {
		start = bytes.LastIndex(data, []byte(requestLine+"\n"))
	}
	if start < 0 || (start > 0 && data[start-1] != '\n') {
		return "", false
	}
	rest := data[start:]
	end := bytes.Index(rest, []byte("\r\n\r\n"))
	sep := 4
	if end < 0 {
		end, sep = bytes.Index(rest, []byte("\n\n")), 2
	}
	if end < 0 {
		return "", false
	}
	h := string(rest[:end+sep])
	c.buf.Next(start + end + sep)
	return h, true
}
