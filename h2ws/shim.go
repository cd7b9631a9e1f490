package h2ws

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http2/hpack"
)

// maxShimHead bounds the HTTP/1.1 head a shim swallows.
const maxShimHead = 64 << 10

// headCollector gathers an HTTP/1.1 head written in pieces.
type headCollector struct{ buf []byte }

// add appends p; once the head is complete it returns the head (without
// the blank line) and whatever followed it.
func (h *headCollector) add(p []byte, what string) (head, rest []byte, done bool, err error) {
	h.buf = append(h.buf, p...)
	i := bytes.Index(h.buf, []byte("\r\n\r\n"))
	if i < 0 {
		if len(h.buf) > maxShimHead {
			return nil, nil, false, errors.New("h2ws: the HTTP/1.1 " + what + " head never ended")
		}
		return nil, nil, false, nil
	}
	head, rest = h.buf[:i], h.buf[i+4:]
	h.buf = nil
	return head, rest, true, nil
}

// ClientUpgrade wraps an open stream so an HTTP/1.1 WebSocket client
// (gorilla's Dialer) runs its handshake over it unchanged: the request head
// it writes is swallowed, and it reads a 101 made from the HTTP/2 response
// (its own key's Accept; the subprotocol and extensions the server chose).
// Everything after passes through. This keeps one WebSocket framing
// implementation, gorilla's, under both HTTP versions.
func ClientUpgrade(s *Stream, resp *Response) net.Conn {
	return &clientShim{Stream: s, fields: resp.Fields}
}

type clientShim struct {
	*Stream
	fields  []hpack.HeaderField
	head    headCollector
	done    bool
	pending []byte // the made-up 101, not yet read
}

func (c *clientShim) Write(p []byte) (int, error) {
	if c.done {
		return c.Stream.Write(p)
	}
	head, rest, done, err := c.head.add(p, "request")
	if err != nil || !done {
		return len(p), err
	}
	c.done = true
	key := ""
	for _, line := range strings.Split(string(head), "\r\n")[1:] {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Key") {
			key = strings.TrimSpace(value)
		}
	}
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(AcceptKey(key))
	b.WriteString("\r\n")
	for _, f := range c.fields {
		switch f.Name {
		case "sec-websocket-protocol":
			b.WriteString("Sec-WebSocket-Protocol: " + f.Value + "\r\n")
		case "sec-websocket-extensions":
			b.WriteString("Sec-WebSocket-Extensions: " + f.Value + "\r\n")
		}
	}
	b.WriteString("\r\n")
	c.pending = []byte(b.String())
	if len(rest) > 0 {
		if _, err := c.Stream.Write(rest); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (c *clientShim) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Stream.Read(p)
}

// AcceptKey is the Sec-WebSocket-Accept for key (RFC 6455 section 4.2.2).
func AcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// serverShim is the hijacked connection an HTTP/1.1 WebSocket handler
// (gorilla's Upgrader) gets for an extended CONNECT stream: the response
// head it writes becomes the HTTP/2 HEADERS (101 → 200, with its
// subprotocol and extensions); everything after passes through.
type serverShim struct {
	*Stream
	w    *responseWriter
	head headCollector
	done bool
}

func (c *serverShim) Write(p []byte) (int, error) {
	if c.done {
		return c.Stream.Write(p)
	}
	head, rest, done, err := c.head.add(p, "response")
	if err != nil || !done {
		return len(p), err
	}
	c.done = true
	lines := strings.Split(string(head), "\r\n")
	status := 500
	if f := strings.Fields(lines[0]); len(f) >= 2 {
		status, _ = strconv.Atoi(f[1])
	}
	if status == http.StatusSwitchingProtocols {
		status = http.StatusOK
	}
	h := http.Header{}
	for _, line := range lines[1:] {
		if name, value, ok := strings.Cut(line, ":"); ok {
			h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	if err := c.w.writeHead(status, h); err != nil {
		return 0, err
	}
	if len(rest) > 0 {
		if _, err := c.Stream.Write(rest); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// hopByHop are HTTP/1.1 connection headers that HTTP/2 forbids (RFC 9113
// section 8.2.2), and the Accept that RFC 8441 does without.
var hopByHop = map[string]bool{"connection": true, "upgrade": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "sec-websocket-accept": true}

// responseWriter is the http.ResponseWriter of one stream.
type responseWriter struct {
	s       *Stream
	connect bool // an extended CONNECT: the handler may hijack
	h       http.Header
	mu      sync.Mutex
	wrote   bool
	hijack  bool
}

func (w *responseWriter) Header() http.Header { return w.h }

func (w *responseWriter) WriteHeader(code int) {
	w.writeHead(code, w.h)
}

func (w *responseWriter) writeHead(code int, h http.Header) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wrote {
		return nil
	}
	w.wrote = true
	fields := []hpack.HeaderField{{Name: ":status", Value: strconv.Itoa(code)}}
	for name, values := range h {
		lower := strings.ToLower(name)
		if hopByHop[lower] || (lower == "content-length" && w.connect && code == http.StatusOK) {
			continue
		}
		for _, v := range values {
			fields = append(fields, hpack.HeaderField{Name: lower, Value: v})
		}
	}
	return w.s.c.writeHeaders(w.s.id, false, fields)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.writeHead(http.StatusOK, w.h)
	return w.s.Write(p)
}

// Flush is a no-op: every Write goes out at once.
func (w *responseWriter) Flush() {}

// Hijack hands an extended CONNECT stream to an HTTP/1.1 upgrade handler.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.connect {
		return nil, nil, errors.New("h2ws: only an extended CONNECT stream can be taken over")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wrote {
		return nil, nil, errors.New("h2ws: the response has started")
	}
	w.hijack = true
	shim := &serverShim{Stream: w.s, w: w}
	return shim, bufio.NewReadWriter(bufio.NewReader(shim), bufio.NewWriter(shim)), nil
}
