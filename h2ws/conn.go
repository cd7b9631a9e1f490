// Package h2ws carries WebSocket connections over HTTP/2 streams (RFC 8441):
// the client's extended CONNECT (Dial) and a server that accepts it
// (Server). Both drive golang.org/x/net/http2's Framer themselves rather
// than its Transport and Server: the Transport hides the server's SETTINGS,
// RST_STREAM and GOAWAY codes and loses header order, and both read
// GODEBUG=http2xconnect at init, so a program cannot turn extended CONNECT
// on for itself. A stream is a net.Conn (Stream), so the WebSocket framing
// above it stays gorilla/websocket's, the same code as over HTTP/1.1.
package h2ws

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Setting is one SETTINGS parameter as a peer sent it.
type Setting struct {
	ID    uint16
	Value uint32
}

// GoAway is a GOAWAY frame a peer sent.
type GoAway struct {
	Code         uint32
	LastStreamID uint32
	Debug        string
}

// ResetError is a stream ended by the peer's RST_STREAM.
type ResetError struct{ Code uint32 }

func (e *ResetError) Error() string {
	return "HTTP/2 stream reset by the peer: " + http2.ErrCode(e.Code).String()
}

// GoAwayError is a stream lost to the peer's GOAWAY.
type GoAwayError struct{ GoAway GoAway }

func (e *GoAwayError) Error() string {
	msg := "HTTP/2 connection closed by the peer (GOAWAY " + http2.ErrCode(e.GoAway.Code).String() + ")"
	if e.GoAway.Debug != "" {
		msg += ": " + e.GoAway.Debug
	}
	return msg
}

// Flow-control and size limits. The windows are Chrome's, so a server
// sees the same pressure from wscope as from the browser.
const (
	defaultWindow      = 65535
	streamWindow       = 6 << 20 // INITIAL_WINDOW_SIZE we advertise
	connWindow         = 15 << 20
	creditThreshold    = 1 << 20 // window bytes consumed before a WINDOW_UPDATE
	headerTableSize    = 65536
	maxHeaderListSize  = 256 << 10
	controlWriteWait   = 10 * time.Second
	maxBufferedPerConn = 64 << 20 // a peer ignoring our windows is cut off here
)

// conn is one HTTP/2 connection: a read loop dispatching frames to its
// streams, and writes serialized under wmu.
type conn struct {
	nc     net.Conn
	fr     *http2.Framer
	server bool

	wmu  sync.Mutex // guards writes on fr and henc/hbuf
	henc *hpack.Encoder
	hbuf bytes.Buffer

	mu              sync.Mutex // guards everything below
	cond            *sync.Cond
	streams         map[uint32]*Stream
	settings        []Setting // the peer's first SETTINGS
	gotSettings     bool
	peerInitWindow  int64
	peerMaxFrame    int
	sendWindow      int64 // connection-level
	recvCredit      uint32
	buffered        int // DATA bytes buffered in all streams
	goAway          *GoAway
	err             error // the connection is gone
	closed          bool
	onRequest       func(s *Stream, fields []hpack.HeaderField) // server: a new stream's request
	lastPeerStream  uint32
	maxPeerStreams  int
	openPeerStreams int
}

func newConn(nc net.Conn, server bool) *conn {
	c := &conn{nc: nc, server: server, streams: map[uint32]*Stream{},
		peerInitWindow: defaultWindow, peerMaxFrame: 16384, sendWindow: defaultWindow, maxPeerStreams: 100}
	c.cond = sync.NewCond(&c.mu)
	c.fr = http2.NewFramer(nc, nc)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(headerTableSize, nil)
	c.fr.MaxHeaderListSize = maxHeaderListSize
	c.henc = hpack.NewEncoder(&c.hbuf)
	return c
}

// ourSettings are the SETTINGS wscope sends: Chrome's, plus extended
// CONNECT on a server.
func (c *conn) ourSettings() []http2.Setting {
	s := []http2.Setting{
		{ID: http2.SettingHeaderTableSize, Val: headerTableSize},
		{ID: http2.SettingEnablePush, Val: 0},
		{ID: http2.SettingInitialWindowSize, Val: streamWindow},
		{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderListSize},
	}
	if c.server {
		s[1] = http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100}
		s = append(s, http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 1})
	}
	return s
}

// writeControl writes a connection-management frame from any goroutine.
func (c *conn) writeControl(write func(fr *http2.Framer) error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(controlWriteWait))
	return write(c.fr)
}

// writeHeaders HPACK-encodes fields and writes them as HEADERS (and
// CONTINUATION when the block exceeds the peer's frame size).
func (c *conn) writeHeaders(id uint32, endStream bool, fields []hpack.HeaderField) error {
	c.mu.Lock()
	maxFrame := c.peerMaxFrame
	c.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(controlWriteWait))
	c.hbuf.Reset()
	for _, f := range fields {
		if err := c.henc.WriteField(f); err != nil {
			return err
		}
	}
	block := c.hbuf.Bytes()
	first := true
	for first || len(block) > 0 {
		n := min(len(block), maxFrame)
		frag, rest := block[:n], block[n:]
		var err error
		if first {
			err = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag, EndStream: endStream, EndHeaders: len(rest) == 0})
		} else {
			err = c.fr.WriteContinuation(id, len(rest) == 0, frag)
		}
		if err != nil {
			return err
		}
		block, first = rest, false
	}
	return nil
}

// readLoop reads frames until the connection fails.
func (c *conn) readLoop() {
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.resetStream(se.StreamID, se.Code)
				continue
			}
			c.fail(err)
			return
		}
		if err := c.dispatch(f); err != nil {
			c.writeControl(func(fr *http2.Framer) error { return fr.WriteGoAway(c.lastPeerStreamID(), http2.ErrCodeProtocol, nil) })
			c.fail(err)
			return
		}
	}
}

func (c *conn) lastPeerStreamID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastPeerStream
}

func (c *conn) dispatch(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.MetaHeadersFrame:
		return c.onHeaders(f)
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.WindowUpdateFrame:
		c.onWindowUpdate(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			data := f.Data
			c.writeControl(func(fr *http2.Framer) error { return fr.WritePing(true, data) })
		}
	case *http2.RSTStreamFrame:
		c.mu.Lock()
		if s := c.streams[f.StreamID]; s != nil {
			code := uint32(f.ErrCode)
			s.reset = &code
			c.dropLocked(s)
		}
		c.mu.Unlock()
		c.cond.Broadcast()
	case *http2.GoAwayFrame:
		g := &GoAway{Code: uint32(f.ErrCode), LastStreamID: f.LastStreamID, Debug: string(f.DebugData())}
		c.mu.Lock()
		c.goAway = g
		for id, s := range c.streams {
			if id > g.LastStreamID && !c.server {
				s.lost = g
				c.dropLocked(s)
			}
		}
		c.mu.Unlock()
		c.cond.Broadcast()
	case *http2.PushPromiseFrame:
		return errors.New("server push, which wscope disabled (SETTINGS_ENABLE_PUSH = 0)")
	}
	return nil
}

func (c *conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	c.mu.Lock()
	first := !c.gotSettings
	c.gotSettings = true
	var tableSize uint32
	var tableSet bool
	err := f.ForeachSetting(func(s http2.Setting) error {
		if first {
			c.settings = append(c.settings, Setting{ID: uint16(s.ID), Value: s.Val})
		}
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - c.peerInitWindow
			c.peerInitWindow = int64(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
			}
		case http2.SettingMaxFrameSize:
			c.peerMaxFrame = int(s.Val)
		case http2.SettingHeaderTableSize:
			tableSize, tableSet = s.Val, true
		}
		return nil
	})
	c.mu.Unlock()
	c.cond.Broadcast()
	if err != nil {
		return err
	}
	return c.writeControl(func(fr *http2.Framer) error {
		if tableSet {
			c.henc.SetMaxDynamicTableSizeLimit(tableSize)
		}
		return fr.WriteSettingsAck()
	})
}

func (c *conn) onWindowUpdate(f *http2.WindowUpdateFrame) {
	c.mu.Lock()
	if f.StreamID == 0 {
		c.sendWindow += int64(f.Increment)
	} else if s := c.streams[f.StreamID]; s != nil {
		s.sendWindow += int64(f.Increment)
	}
	c.mu.Unlock()
	c.cond.Broadcast()
}

func (c *conn) onData(f *http2.DataFrame) error {
	n := f.Header().Length // flow control counts padding too
	data := f.Data()
	c.mu.Lock()
	c.recvCredit += n
	var connCredit uint32
	if c.recvCredit >= creditThreshold {
		connCredit, c.recvCredit = c.recvCredit, 0
	}
	s := c.streams[f.StreamID]
	if s != nil && !s.remoteEnded {
		if c.buffered+len(data) > maxBufferedPerConn {
			c.mu.Unlock()
			return errors.New("the peer sent more DATA than its flow-control window allows")
		}
		s.buf = append(s.buf, data...)
		c.buffered += len(data)
		s.credit += n - uint32(len(data))
		if f.StreamEnded() {
			s.remoteEnded = true
			c.maybeDropLocked(s)
		}
	}
	c.mu.Unlock()
	c.cond.Broadcast()
	if connCredit > 0 {
		c.writeControl(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(0, connCredit) })
	}
	return nil
}

func (c *conn) onHeaders(f *http2.MetaHeadersFrame) error {
	c.mu.Lock()
	s := c.streams[f.StreamID]
	if s != nil {
		if s.respFields == nil {
			s.respFields = f.Fields
		} // later HEADERS are trailers: nothing in them matters to a WebSocket
		if f.StreamEnded() {
			s.remoteEnded = true
			c.maybeDropLocked(s)
		}
		c.mu.Unlock()
		c.cond.Broadcast()
		return nil
	}
	if !c.server || f.StreamID%2 == 0 || f.StreamID <= c.lastPeerStream {
		c.mu.Unlock()
		c.resetStream(f.StreamID, http2.ErrCodeStreamClosed)
		return nil
	}
	c.lastPeerStream = f.StreamID
	if c.openPeerStreams >= c.maxPeerStreams || c.goAway != nil || c.closed {
		c.mu.Unlock()
		c.resetStream(f.StreamID, http2.ErrCodeRefusedStream)
		return nil
	}
	s = c.newStreamLocked(f.StreamID)
	c.openPeerStreams++
	s.remoteEnded = f.StreamEnded()
	c.mu.Unlock()
	go c.onRequest(s, f.Fields)
	return nil
}

// resetStream sends RST_STREAM and forgets the stream.
func (c *conn) resetStream(id uint32, code http2.ErrCode) {
	c.mu.Lock()
	if s := c.streams[id]; s != nil {
		s.resetSent = true
		c.dropLocked(s)
	}
	c.mu.Unlock()
	c.cond.Broadcast()
	c.writeControl(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, code) })
}

// fail ends the connection: every stream's Read and Write return err.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		if c.goAway != nil && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)) {
			err = &GoAwayError{GoAway: *c.goAway}
		}
		c.err = err
	}
	c.mu.Unlock()
	c.cond.Broadcast()
	c.nc.Close()
}

func (c *conn) newStreamLocked(id uint32) *Stream {
	s := &Stream{c: c, id: id, sendWindow: c.peerInitWindow}
	c.streams[id] = s
	return s
}

// maybeDropLocked forgets a stream once both directions have ended.
func (c *conn) maybeDropLocked(s *Stream) {
	if s.remoteEnded && s.localEnded {
		c.dropLocked(s)
	}
}

func (c *conn) dropLocked(s *Stream) {
	if c.streams[s.id] == s {
		delete(c.streams, s.id)
		if c.server {
			c.openPeerStreams--
		}
	}
}

// Stream is one HTTP/2 stream as a byte pipe: Read returns the peer's
// DATA, Write sends DATA within the flow-control windows, Close ends the
// stream (END_STREAM). It is a net.Conn so gorilla/websocket can run on it.
type Stream struct {
	c  *conn
	id uint32

	// guarded by c.mu
	buf          []byte
	off          int
	credit       uint32 // consumed bytes not yet returned in a WINDOW_UPDATE
	sendWindow   int64
	remoteEnded  bool
	localEnded   bool
	reset        *uint32 // RST_STREAM code from the peer
	resetSent    bool
	lost         *GoAway // the peer's GOAWAY left this stream unprocessed
	closed       bool
	respFields   []hpack.HeaderField
	readDL       time.Time
	writeDL      time.Time
	readTimer    *time.Timer
	writeTimer   *time.Timer
	closeConnToo bool // a client stream owns its connection
}

// ID is the stream's identifier.
func (s *Stream) ID() uint32 { return s.id }

// errLocked is why the stream cannot go on, or nil.
func (s *Stream) errLocked() error {
	switch {
	case s.reset != nil:
		return &ResetError{Code: *s.reset}
	case s.lost != nil:
		return &GoAwayError{GoAway: *s.lost}
	case s.closed, s.resetSent:
		return net.ErrClosed
	case s.c.err != nil:
		return s.c.err
	}
	return nil
}

// Read reads the peer's DATA; io.EOF after its END_STREAM.
func (s *Stream) Read(p []byte) (int, error) {
	c := s.c
	c.mu.Lock()
	for len(s.buf) == s.off {
		if s.remoteEnded && s.reset == nil {
			c.mu.Unlock()
			return 0, io.EOF
		}
		if err := s.errLocked(); err != nil {
			c.mu.Unlock()
			return 0, err
		}
		if !s.readDL.IsZero() && !time.Now().Before(s.readDL) {
			c.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		c.cond.Wait()
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	c.buffered -= n
	switch {
	case s.off == len(s.buf):
		s.buf, s.off = s.buf[:0], 0
	case s.off > 64<<10 && s.off > len(s.buf)/2:
		s.buf = s.buf[:copy(s.buf, s.buf[s.off:])]
		s.off = 0
	}
	s.credit += uint32(n)
	var credit uint32
	if s.credit >= creditThreshold && !s.remoteEnded {
		credit, s.credit = s.credit, 0
	}
	c.mu.Unlock()
	if credit > 0 {
		c.writeControl(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(s.id, credit) })
	}
	return n, nil
}

// Write sends p as DATA frames, waiting for flow-control window.
func (s *Stream) Write(p []byte) (int, error) {
	c := s.c
	written := 0
	for len(p) > 0 {
		c.mu.Lock()
		for {
			if s.localEnded {
				c.mu.Unlock()
				return written, net.ErrClosed
			}
			if err := s.errLocked(); err != nil {
				c.mu.Unlock()
				return written, err
			}
			if s.sendWindow > 0 && c.sendWindow > 0 {
				break
			}
			if !s.writeDL.IsZero() && !time.Now().Before(s.writeDL) {
				c.mu.Unlock()
				return written, os.ErrDeadlineExceeded
			}
			c.cond.Wait()
		}
		n := int(min(int64(len(p)), int64(c.peerMaxFrame), s.sendWindow, c.sendWindow))
		s.sendWindow -= int64(n)
		c.sendWindow -= int64(n)
		dl := s.writeDL
		c.mu.Unlock()
		c.wmu.Lock()
		c.nc.SetWriteDeadline(dl)
		err := c.fr.WriteData(s.id, false, p[:n])
		c.wmu.Unlock()
		if err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// CloseWrite ends the stream in our direction (END_STREAM).
func (s *Stream) CloseWrite() error {
	c := s.c
	c.mu.Lock()
	if s.localEnded || s.errLocked() != nil {
		c.mu.Unlock()
		return nil
	}
	s.localEnded = true
	c.maybeDropLocked(s)
	c.mu.Unlock()
	c.cond.Broadcast()
	return c.writeControl(func(fr *http2.Framer) error { return fr.WriteData(s.id, true, nil) })
}

// Close ends the stream: END_STREAM, and RST_STREAM(CANCEL) when the peer
// has not ended its side. A client's stream closes its connection too.
func (s *Stream) Close() error {
	c := s.c
	s.CloseWrite()
	c.mu.Lock()
	already := s.closed
	s.closed = true
	cancel := !s.remoteEnded && s.reset == nil && !s.resetSent && c.err == nil
	for _, t := range []*time.Timer{s.readTimer, s.writeTimer} {
		if t != nil {
			t.Stop()
		}
	}
	c.buffered -= len(s.buf) - s.off
	s.buf, s.off = nil, 0
	c.mu.Unlock()
	if already {
		return nil
	}
	if cancel {
		// A server that has answered asks the client to stop sending
		// "without error" (RFC 9113 section 8.1); a client cancels.
		code := http2.ErrCodeCancel
		if c.server {
			code = http2.ErrCodeNo
		}
		c.resetStream(s.id, code)
	}
	c.cond.Broadcast()
	if s.closeConnToo {
		c.writeControl(func(fr *http2.Framer) error { return fr.WriteGoAway(0, http2.ErrCodeNo, nil) })
		return c.nc.Close()
	}
	return nil
}

// LocalAddr is the connection's local address.
func (s *Stream) LocalAddr() net.Addr { return s.c.nc.LocalAddr() }

// RemoteAddr is the connection's remote address.
func (s *Stream) RemoteAddr() net.Addr { return s.c.nc.RemoteAddr() }

// SetDeadline sets both deadlines.
func (s *Stream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

// SetReadDeadline bounds Read.
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.readDL = t
	s.readTimer = s.c.wakeAt(s.readTimer, t)
	return nil
}

// SetWriteDeadline bounds Write, both the wait for window and the write.
func (s *Stream) SetWriteDeadline(t time.Time) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.writeDL = t
	s.writeTimer = s.c.wakeAt(s.writeTimer, t)
	return nil
}

// wakeAt re-arms a timer that wakes the stream's waiters at t (zero: never).
func (c *conn) wakeAt(t *time.Timer, at time.Time) *time.Timer {
	if t != nil {
		t.Stop()
	}
	if at.IsZero() {
		return nil
	}
	return time.AfterFunc(time.Until(at), c.cond.Broadcast)
}

// Reset is the RST_STREAM code the peer ended the stream with, if it did.
func (s *Stream) Reset() (uint32, bool) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.reset == nil {
		return 0, false
	}
	return *s.reset, true
}

// GoAway is the GOAWAY the peer sent on the stream's connection, if any.
func (s *Stream) GoAway() *GoAway {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.c.goAway == nil {
		return nil
	}
	g := *s.c.goAway
	return &g
}

// String names the stream for logs.
func (s *Stream) String() string { return fmt.Sprintf("h2 stream %d", s.id) }
