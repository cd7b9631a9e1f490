package h2ws

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Request is an extended CONNECT (RFC 8441 section 4).
type Request struct {
	Scheme    string // "https", or "http" for h2c
	Authority string // host[:port]
	Path      string // path and query
	Protocol  string // the :protocol pseudo-header, "websocket"
	// Header are the regular header fields in order (names lowercase).
	Header []hpack.HeaderField
	// Force sends the CONNECT even when the server did not advertise
	// SETTINGS_ENABLE_CONNECT_PROTOCOL.
	Force bool
	// MaxBody bounds the body kept from a refusal.
	MaxBody int
}

// Response is everything the server said on the way to an open stream or
// a refusal.
type Response struct {
	Settings        []Setting // the server's first SETTINGS, in order
	ConnectProtocol bool      // SETTINGS_ENABLE_CONNECT_PROTOCOL = 1
	Sent            []hpack.HeaderField
	Fields          []hpack.HeaderField // the response header block, pseudo-headers first
	Status          int                 // 0 when no HEADERS came
	Body            []byte              // the start of a refusal's body
	BodyTrunc       bool
	StreamID        uint32
	Reset           *uint32 // the server's RST_STREAM code on the stream
	GoAway          *GoAway // the server's GOAWAY, if any
	SettingsAt      time.Time
	SentAt          time.Time
	HeadersAt       time.Time
}

// ErrNotAdvertised is Dial's error when the server's SETTINGS lack
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 and Request.Force is false.
var ErrNotAdvertised = errors.New("the server does not advertise WebSockets over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1)")

// ClientPreface is what a client sends first on an HTTP/2 connection.
const ClientPreface = http2.ClientPreface

// Dial speaks HTTP/2 as a client on nc (after TLS with ALPN h2, or plain
// for h2c with prior knowledge): it sends the preface and Chrome's
// SETTINGS, waits for the server's SETTINGS, sends the extended CONNECT
// and waits for the answer. On a 2xx it returns the open stream, which
// owns nc. On anything else the stream is nil, nc is closed and the
// Response says what came back; the error is nil when the server answered
// with a status, else why there was no answer (ErrNotAdvertised,
// *ResetError, *GoAwayError, the context's error or the connection's).
func Dial(ctx context.Context, nc net.Conn, req Request) (*Response, *Stream, error) {
	c := newConn(nc, false)
	resp := &Response{StreamID: 1}
	stop := context.AfterFunc(ctx, func() { c.fail(ctx.Err()) })
	defer stop()
	fail := func(err error) (*Response, *Stream, error) {
		c.fail(err)
		c.mu.Lock()
		resp.GoAway = c.goAway
		c.mu.Unlock()
		nc.Close()
		return resp, nil, err
	}
	if err := c.writeControl(func(fr *http2.Framer) error {
		if _, err := nc.Write([]byte(ClientPreface)); err != nil {
			return err
		}
		if err := fr.WriteSettings(c.ourSettings()...); err != nil {
			return err
		}
		return fr.WriteWindowUpdate(0, connWindow-defaultWindow)
	}); err != nil {
		return fail(err)
	}
	go c.readLoop()

	c.mu.Lock()
	for !c.gotSettings && c.err == nil {
		c.cond.Wait()
	}
	resp.Settings = append([]Setting(nil), c.settings...)
	resp.SettingsAt = time.Now()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return fail(contextErr(ctx, err))
	}
	for _, s := range resp.Settings {
		if s.ID == uint16(http2.SettingEnableConnectProtocol) {
			resp.ConnectProtocol = s.Value == 1
		}
	}
	if !resp.ConnectProtocol && !req.Force {
		return fail(ErrNotAdvertised)
	}

	resp.Sent = append([]hpack.HeaderField{
		{Name: ":method", Value: "CONNECT"},
		{Name: ":protocol", Value: req.Protocol},
		{Name: ":scheme", Value: req.Scheme},
		{Name: ":path", Value: req.Path},
		{Name: ":authority", Value: req.Authority},
	}, req.Header...)
	c.mu.Lock()
	s := c.newStreamLocked(1)
	s.closeConnToo = true
	c.mu.Unlock()
	resp.SentAt = time.Now()
	if err := c.writeHeaders(1, false, resp.Sent); err != nil {
		return fail(contextErr(ctx, err))
	}

	c.mu.Lock()
	for s.respFields == nil && s.errLocked() == nil && !s.remoteEnded {
		c.cond.Wait()
	}
	resp.HeadersAt = time.Now()
	resp.Fields = s.respFields
	resp.Reset = s.reset
	resp.GoAway = c.goAway
	err = s.errLocked()
	c.mu.Unlock()
	for _, f := range resp.Fields {
		if f.Name == ":status" {
			resp.Status, _ = strconv.Atoi(f.Value)
		}
	}
	if resp.Status == 0 {
		if err == nil {
			err = errors.New("the server ended the stream without a response")
		}
		return fail(contextErr(ctx, err))
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return resp, s, nil
	}
	resp.Body, resp.BodyTrunc = s.readBody(req.MaxBody)
	c.mu.Lock()
	resp.GoAway, resp.Reset = c.goAway, s.reset
	c.mu.Unlock()
	s.Close()
	return resp, nil, nil
}

// readBody reads a refusal's body until END_STREAM, max bytes, a reset or
// two seconds.
func (s *Stream) readBody(max int) ([]byte, bool) {
	if max <= 0 {
		max = 64 << 10
	}
	s.SetReadDeadline(time.Now().Add(2 * time.Second))
	var body []byte
	buf := make([]byte, 16<<10)
	for len(body) <= max {
		n, err := s.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	if len(body) > max {
		return body[:max], true
	}
	return body, false
}

// contextErr prefers the context's error to the closed connection it caused.
func contextErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
