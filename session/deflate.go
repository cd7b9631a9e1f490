package session

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"net"
	"strings"
)

// ChromeCompressOffer is the permessage-deflate offer Chrome sends, and
// the one --compress makes.
const ChromeCompressOffer = "permessage-deflate; client_max_window_bits"

// deflateTail ends a message's deflate data: the empty stored block the
// sender removed (RFC 7692 section 7.2.2), then a final empty block so the
// inflater reports a clean end.
var deflateTail = []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

// deflateWindow is the largest LZ77 window (2^15): what a context-taking-
// over inflater must remember of earlier messages.
const deflateWindow = 32 << 10

// inflateConn decompresses permessage-deflate messages (RFC 7692) below
// gorilla, which only speaks the no-context-takeover variant: with a
// browser-like offer servers keep their context, and gorilla would refuse
// the handshake. It hides the extension from gorilla (the handshake
// capture, taken below, keeps the header as received), and rewrites each
// compressed message into one uncompressed frame. wscope's own messages go
// out uncompressed, which the extension allows.
type inflateConn struct {
	net.Conn
	limit int64 // the largest message: a bigger one becomes a frame gorilla refuses with 1009

	head     []byte // the response head until it is complete
	headDone bool
	active   bool // the server accepted permessage-deflate
	resetCtx bool // server_no_context_takeover: every message starts afresh
	broken   bool // a frame wscope cannot follow (masked): pass everything through

	in  []byte       // raw bytes not yet processed
	out bytes.Buffer // bytes ready for gorilla

	passRemain    int64 // payload bytes of the current frame still to pass through
	collecting    bool  // inside a compressed message
	collectRemain int64 // payload bytes of the current compressed frame still to collect
	collectFin    bool  // the current compressed frame ends the message
	msgOp         byte
	msg           []byte
	overflow      bool   // the compressed message alone exceeded the limit
	dict          []byte // the last deflateWindow bytes of plain text
}

func newInflateConn(c net.Conn, limit int64) *inflateConn {
	return &inflateConn{Conn: c, limit: limit}
}

func (c *inflateConn) Read(p []byte) (int, error) {
	var buf [16 << 10]byte
	for c.out.Len() == 0 {
		n, err := c.Conn.Read(buf[:])
		if n > 0 {
			c.feed(buf[:n])
		}
		if err != nil {
			if c.out.Len() > 0 {
				break
			}
			return 0, err
		}
	}
	return c.out.Read(p)
}

// feed takes raw bytes from the wire.
func (c *inflateConn) feed(b []byte) {
	if !c.headDone {
		c.head = append(c.head, b...)
		h, ok := splitHead(c.head)
		if !ok {
			return
		}
		rest := c.head[len(h):]
		c.headDone = true
		c.out.Write(c.parseHead(h))
		c.head = nil
		b = rest
	}
	if !c.active || c.broken {
		c.out.Write(b)
		return
	}
	c.in = append(c.in, b...)
	c.process()
}

// parseHead decides whether compression is on and returns the head to show
// gorilla: without Sec-WebSocket-Extensions when wscope inflates itself.
func (c *inflateConn) parseHead(h []byte) []byte {
	start, headers := ParseHead(h)
	if status, _ := parseStatusLine(start); status != 101 {
		return h
	}
	for _, hd := range headers {
		if !strings.EqualFold(hd.Name, "Sec-WebSocket-Extensions") {
			continue
		}
		for _, ext := range strings.Split(hd.Value, ",") {
			params := strings.Split(ext, ";")
			if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
				continue
			}
			c.active = true
			for _, p := range params[1:] {
				name, _, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(name, "server_no_context_takeover") {
					c.resetCtx = true
				}
			}
		}
	}
	if !c.active {
		return h
	}
	var b bytes.Buffer
	lines := strings.SplitAfter(string(h), "\n")
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		if strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Extensions") {
			continue
		}
		b.WriteString(l)
	}
	return b.Bytes()
}

// process turns as much of c.in as is complete into output.
func (c *inflateConn) process() {
	for len(c.in) > 0 {
		switch {
		case c.broken:
			c.out.Write(c.in)
			c.in = c.in[:0]
			return
		case c.passRemain > 0:
			n := min(int64(len(c.in)), c.passRemain)
			c.out.Write(c.in[:n])
			c.in, c.passRemain = c.in[n:], c.passRemain-n
			continue
		case c.collectRemain > 0:
			n := min(int64(len(c.in)), c.collectRemain)
			if !c.overflow && int64(len(c.msg))+n > c.limit {
				c.overflow, c.msg = true, nil
			}
			if !c.overflow {
				c.msg = append(c.msg, c.in[:n]...)
			}
			c.in, c.collectRemain = c.in[n:], c.collectRemain-n
			if c.collectRemain == 0 && c.collectFin {
				c.finishMessage()
			}
			continue
		}
		hdrLen, length, ok := frameHeader(c.in)
		if !ok {
			return // wait for the rest of the header
		}
		b0, b1 := c.in[0], c.in[1]
		op, rsv1, fin, masked := b0&0x0f, b0&0x40 != 0, b0&0x80 != 0, b1&0x80 != 0
		switch {
		case masked || length < 0:
			c.broken = true // servers never mask; let gorilla report it
		case op >= 8 || (!c.collecting && !rsv1):
			c.out.Write(c.in[:hdrLen]) // control frames and plain messages pass untouched
			c.in, c.passRemain = c.in[hdrLen:], length
		case op != 0 || c.collecting:
			if op != 0 {
				c.collecting, c.msgOp, c.msg, c.overflow = true, op, c.msg[:0], false
			}
			c.in, c.collectRemain, c.collectFin = c.in[hdrLen:], length, fin
			if length == 0 && fin {
				c.finishMessage()
			}
		default:
			c.broken = true
		}
	}
}

// frameHeader parses a frame header: its size and the payload length.
func frameHeader(b []byte) (hdrLen int, length int64, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	hdrLen = 2
	length = int64(b[1] & 0x7f)
	switch length {
	case 126:
		hdrLen += 2
		if len(b) < hdrLen {
			return 0, 0, false
		}
		length = int64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		hdrLen += 8
		if len(b) < hdrLen {
			return 0, 0, false
		}
		length = int64(binary.BigEndian.Uint64(b[2:10]))
	}
	if b[1]&0x80 != 0 {
		hdrLen += 4
		if len(b) < hdrLen {
			return 0, 0, false
		}
	}
	return hdrLen, length, true
}

// finishMessage inflates the collected message and emits it as one frame.
func (c *inflateConn) finishMessage() {
	c.collecting = false
	var plain []byte
	if c.overflow {
		plain = nil
	} else {
		src := io.MultiReader(bytes.NewReader(c.msg), bytes.NewReader(deflateTail))
		var dict []byte
		if !c.resetCtx {
			dict = c.dict
		}
		fr := flate.NewReaderDict(src, dict)
		var b bytes.Buffer
		_, err := b.ReadFrom(io.LimitReader(fr, c.limit+1))
		fr.Close()
		if err != nil && err != io.ErrUnexpectedEOF {
			// Not deflate data: hand gorilla a frame with RSV1 still set,
			// which it refuses as a protocol error, as a browser would.
			c.writeFrame(c.msgOp|0x40, c.msg)
			c.msg = c.msg[:0]
			return
		}
		plain = b.Bytes()
		if int64(len(plain)) > c.limit {
			c.overflow = true
		}
	}
	if c.overflow {
		// Announce a message one byte over the limit: gorilla's read limit
		// refuses it with 1009 before reading the payload.
		c.writeHeader(c.msgOp, c.limit+1)
		c.broken = true
		c.msg = nil
		return
	}
	c.writeFrame(c.msgOp, plain)
	if !c.resetCtx {
		c.dict = append(c.dict, plain...)
		if len(c.dict) > deflateWindow {
			c.dict = append(c.dict[:0:0], c.dict[len(c.dict)-deflateWindow:]...)
		}
	}
	c.msg = c.msg[:0]
}

func (c *inflateConn) writeHeader(op byte, n int64) {
	var h [10]byte
	h[0] = 0x80 | op
	switch {
	case n < 126:
		h[1] = byte(n)
		c.out.Write(h[:2])
	case n <= 0xffff:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:4], uint16(n))
		c.out.Write(h[:4])
	default:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:10], uint64(n))
		c.out.Write(h[:10])
	}
}

func (c *inflateConn) writeFrame(op byte, payload []byte) {
	c.writeHeader(op, int64(len(payload)))
	c.out.Write(payload)
}
