package h2ws

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Server serves HTTP/2 and advertises extended CONNECT. Each
// `CONNECT :protocol websocket` stream reaches Handler as the HTTP/1.1
// Upgrade request a browser would have sent (a GET with Upgrade,
// Connection and a Sec-WebSocket-Key made up for it), as HAProxy and
// Apache translate it for their backends, so an unmodified hijacking
// handler (gorilla's Upgrader) serves WebSockets over HTTP/2. Other
// requests are served as plain HTTP/2 requests.
type Server struct {
	Handler http.Handler
	// ConnContext, if set, gives each connection's base context.
	ConnContext func(nc net.Conn) context.Context
}

// ServeConn serves one connection (TLS with ALPN h2 or h2c) until it ends.
func (srv *Server) ServeConn(nc net.Conn) error {
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	preface := make([]byte, len(ClientPreface))
	if _, err := io.ReadFull(nc, preface); err != nil {
		return err
	}
	if string(preface) != ClientPreface {
		return errors.New("h2ws: the client did not send the HTTP/2 preface")
	}
	nc.SetReadDeadline(time.Time{})
	c := newConn(nc, true)
	base := context.Background()
	if srv.ConnContext != nil {
		base = srv.ConnContext(nc)
	}
	ctx, cancel := context.WithCancel(base)
	defer cancel()
	c.onRequest = func(s *Stream, fields []hpack.HeaderField) { srv.serveStream(ctx, c, s, fields) }
	if err := c.writeControl(func(fr *http2.Framer) error {
		if err := fr.WriteSettings(c.ourSettings()...); err != nil {
			return err
		}
		return fr.WriteWindowUpdate(0, connWindow-defaultWindow)
	}); err != nil {
		return err
	}
	c.readLoop()
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// serveStream runs the handler for one request stream.
func (srv *Server) serveStream(ctx context.Context, c *conn, s *Stream, fields []hpack.HeaderField) {
	head := ParseRequestHead(fields)
	method, protocol, scheme, path, authority, h := head.Method, head.Protocol, head.Scheme, head.Path, head.Authority, head.Header
	u, err := url.ParseRequestURI(path)
	if method == "" || err != nil || (method == http.MethodConnect && protocol == "" && path != "") {
		c.resetStream(s.id, http2.ErrCodeProtocol)
		return
	}
	connect := method == http.MethodConnect && protocol != ""
	r := &http.Request{Method: method, URL: u, Proto: "HTTP/2.0", ProtoMajor: 2, Header: h, Host: authority,
		RequestURI: path, RemoteAddr: c.nc.RemoteAddr().String(), Body: http.NoBody}
	if scheme != "" {
		u.Scheme = scheme
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		r.TLS = &st
	}
	if connect && protocol == "websocket" {
		// What a browser would have sent over HTTP/1.1 (RFC 8441 section 5).
		key := make([]byte, 16)
		rand.Read(key)
		r.Method = http.MethodGet
		h.Set("Upgrade", "websocket")
		h.Set("Connection", "Upgrade")
		h.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(key))
	} else if !s.remoteEnded {
		r.Body = io.NopCloser(s)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r = r.WithContext(rctx)
	w := &responseWriter{s: s, connect: connect, h: http.Header{}}
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			c.resetStream(s.id, http2.ErrCodeInternal)
		}
	}()
	srv.Handler.ServeHTTP(w, r)
	if w.hijack {
		return // the handler owns the stream now and closes it
	}
	w.writeHead(http.StatusOK, w.h)
	s.Close()
}

// RequestHead is a request's header block read apart: the pseudo-headers
// and the regular fields.
type RequestHead struct {
	Method, Protocol, Scheme, Path string
	// Authority is :authority, or the Host field when it is absent.
	Authority string
	Header    http.Header
}

// ParseRequestHead reads a decoded request header block.
func ParseRequestHead(fields []hpack.HeaderField) RequestHead {
	r := RequestHead{Header: http.Header{}}
	for _, f := range fields {
		switch f.Name {
		case ":method":
			r.Method = f.Value
		case ":protocol":
			r.Protocol = f.Value
		case ":scheme":
			r.Scheme = f.Value
		case ":path":
			r.Path = f.Value
		case ":authority":
			r.Authority = f.Value
		default:
			if f.Name != "" && f.Name[0] != ':' {
				r.Header.Add(f.Name, f.Value)
			}
		}
	}
	if r.Authority == "" {
		r.Authority = r.Header.Get("Host")
	}
	return r
}
