package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/http2/hpack"

	"github.com/wscope/wscope/h2ws"
)

// checkHTTPMode validates the HTTP settings of a Config.
func checkHTTPMode(cfg Config, u *url.URL) error {
	switch cfg.HTTP {
	case HTTPModeDefault, HTTPMode11, HTTPMode2, HTTPModeAuto:
	default:
		return Usagef("--http 1.1, 2 or auto", "unknown HTTP version %q", cfg.HTTP)
	}
	if cfg.HTTP == HTTPMode2 && u.Scheme == "ws" && !cfg.H2C {
		return Usagef("use wss:// (browsers speak HTTP/2 only over TLS), or --h2c for HTTP/2 without TLS",
			"--http 2 on a ws:// URL needs --h2c")
	}
	if (cfg.H2C || cfg.ForceH2) && cfg.HTTP != HTTPMode2 && cfg.HTTP != HTTPModeAuto {
		return Usagef("add --http 2", "--h2c and --force-h2 only apply to --http 2")
	}
	return nil
}

// attemptAuto does what a browser does: over TLS it offers h2 and
// http/1.1; it opens the WebSocket with an extended CONNECT when the server
// chose h2 and advertises it, and with the HTTP/1.1 Upgrade otherwise (on
// the same connection when ALPN chose http/1.1, on a fresh one when h2 was
// chosen without the setting). ws:// is always HTTP/1.1, as in a browser.
func (p *dialPlan) attemptAuto(ctx context.Context, u *url.URL) (*websocket.Conn, *Handshake, error) {
	if u.Scheme == "ws" {
		ws, hs, err := p.attempt(ctx, u, nil)
		hs.H2 = &H2Info{Fallback: true, FallbackReason: "ws:// (browsers speak HTTP/2 only over TLS)"}
		return ws, hs, err
	}
	ws, hs, err := p.attemptH2(ctx, u, true)
	if hs.H2 == nil || !hs.H2.Fallback {
		return ws, hs, err
	}
	// Fall back to HTTP/1.1; the HTTP/2 part (SETTINGS) stays in the record.
	h2 := hs.H2
	var pre net.Conn
	if hs.pre != nil {
		pre, hs.pre = hs.pre, nil
	}
	ws, h1, err := p.attempt(ctx, u, pre)
	if pre != nil {
		h1.TLS, h1.Timings.DNS, h1.Timings.Connect, h1.Timings.TLS, h1.ConnectAddr, h1.Proxy =
			hs.TLS, hs.Timings.DNS, hs.Timings.Connect, hs.Timings.TLS, hs.ConnectAddr, hs.Proxy
		h1.Started = hs.Started
	}
	h1.H2 = h2
	return ws, h1, err
}

// attemptH2 opens the WebSocket with an HTTP/2 extended CONNECT (RFC 8441).
// auto marks a browser-like attempt that falls back instead of failing
// when HTTP/2 or the setting is missing (hs.H2.Fallback; hs.pre holds the
// TLS connection when ALPN chose http/1.1).
func (p *dialPlan) attemptH2(ctx context.Context, u *url.URL, auto bool) (*websocket.Conn, *Handshake, error) {
	hs := &Handshake{URL: Redacted(u), Started: time.Now(), HTTPVersion: HTTP2, H2: &H2Info{}}
	a := &attemptState{plan: p, u: u, hs: hs, phase: "connect"}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()

	var nc net.Conn
	var err error
	if u.Scheme == "wss" {
		protos := []string{"h2"}
		if auto {
			protos = []string{"h2", "http/1.1"}
		}
		nc, err = a.dialTLSWith(ctx, protos)
		if err != nil && strings.Contains(err.Error(), "no application protocol") {
			return nil, hs, &Error{Class: ClassProtocol, Err: err,
				Msg:  safe(fmt.Sprintf("%s does not speak HTTP/2: it ended the TLS handshake because h2 was the only protocol offered in ALPN", hostPortString(u))),
				Hint: "browsers use HTTP/1.1 with this server, so --http 1.1 shows what they see"}
		}
		if err != nil {
			return nil, hs, classify(err, hs, p.cfg.Timeout, a.phase)
		}
		hs.H2.ALPN = hs.TLS.ALPN
		if hs.TLS.ALPN != "h2" {
			if auto {
				hs.H2.Fallback = true
				hs.H2.FallbackReason = fmt.Sprintf("ALPN chose %q, not h2", hs.TLS.ALPN)
				hs.pre = nc
				return nil, hs, nil
			}
			nc.Close()
			chose := "no protocol"
			if hs.TLS.ALPN != "" {
				chose = fmt.Sprintf("%q", hs.TLS.ALPN)
			}
			return nil, hs, &Error{Class: ClassProtocol,
				Msg:  safe(fmt.Sprintf("%s does not speak HTTP/2: TLS ALPN chose %s, not h2", hostPortString(u), chose)),
				Hint: "browsers use HTTP/1.1 with this server, so --http 1.1 shows what they see"}
		}
	} else {
		nc, err = a.dialTarget(ctx)
		if err != nil {
			return nil, hs, classify(err, hs, p.cfg.Timeout, a.phase)
		}
	}
	a.phase = "upgrade"

	req := h2ws.Request{Scheme: "https", Authority: u.Host, Path: u.RequestURI(), Protocol: "websocket",
		Header: p.h2Fields(u), Force: p.cfg.ForceH2 && !auto, MaxBody: MaxBodyCapture}
	if u.Scheme == "ws" {
		req.Scheme = "http"
	}
	for _, f := range req.Header {
		if f.Name == "host" {
			req.Authority = f.Value
		}
	}
	req.Header = dropField(req.Header, "host")
	resp, stream, err := h2ws.Dial(ctx, nc, req)
	p.fillH2(hs, resp, req)
	if errors.Is(err, h2ws.ErrNotAdvertised) {
		if auto {
			hs.H2.Fallback = true
			hs.H2.FallbackReason = "the server does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL"
			return nil, hs, nil
		}
		return nil, hs, &Error{Class: ClassProtocol, Err: err,
			Msg:  safe(fmt.Sprintf("%s speaks HTTP/2 but does not advertise WebSockets over it (no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1)", hostPortString(u))),
			Hint: "browsers use HTTP/1.1 for WebSockets here, so --http 1.1 shows what they see; --force-h2 sends the CONNECT anyway"}
	}
	if err != nil {
		return nil, hs, h2Error(err, hs, p.cfg.Timeout, parent)
	}
	if stream == nil {
		return nil, hs, statusError(hs)
	}
	var conn net.Conn = h2ws.ClientUpgrade(stream, resp)
	if p.compressOffer() != "" {
		conn = newInflateConn(conn, p.cfg.MaxMessageSize)
	}
	d := websocket.Dialer{
		NetDialContext:  func(context.Context, string, string) (net.Conn, error) { return conn, nil },
		Subprotocols:    p.cfg.Subprotocols,
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 16 << 10,
	}
	target := *u
	target.User, target.Scheme = nil, "ws"
	ws, _, err := d.DialContext(ctx, target.String(), nil)
	if err != nil {
		conn.Close()
		return nil, hs, &Error{Class: ClassProtocol, Err: err, Msg: safe("the HTTP/2 stream opened but the WebSocket on it did not: " + err.Error()),
			Hint: "a bug in wscope's HTTP/2 path; --http 1.1 avoids it"}
	}
	if !hs.Checks.SubprotocolOK {
		ws.Close()
		return nil, hs, &Error{Class: ClassProtocol,
			Msg:  safe(fmt.Sprintf("server selected subprotocol %q, which was not offered", hs.Checks.Subprotocol)),
			Hint: "offer it with --subprotocol, or fix the server's subprotocol selection"}
	}
	return ws, hs, nil
}

// h2Fields are the regular header fields of the extended CONNECT, in the
// order Chrome sends them, names in lower case as HTTP/2 requires.
func (p *dialPlan) h2Fields(u *url.URL) []hpack.HeaderField {
	h := p.requestHeader(u)
	var out []hpack.HeaderField
	add := func(name string) {
		for k, vs := range h {
			if strings.EqualFold(k, name) {
				for _, v := range vs {
					out = append(out, hpack.HeaderField{Name: strings.ToLower(k), Value: v})
				}
				delete(h, k)
			}
		}
	}
	add("Origin")
	add("User-Agent")
	out = append(out, hpack.HeaderField{Name: "sec-websocket-version", Value: "13"})
	if len(p.cfg.Subprotocols) > 0 {
		out = append(out, hpack.HeaderField{Name: "sec-websocket-protocol", Value: strings.Join(p.cfg.Subprotocols, ", ")})
	}
	add("Sec-WebSocket-Protocol")
	add("Sec-WebSocket-Extensions")
	add("Cookie")
	add("Authorization")
	// The user's -H headers, in the order given.
	for _, hd := range p.cfg.Headers {
		add(hd.Name)
	}
	for k := range h {
		add(k)
	}
	return out
}

func dropField(fs []hpack.HeaderField, name string) []hpack.HeaderField {
	out := fs[:0]
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

// fillH2 copies what the HTTP/2 exchange showed into the handshake.
func (p *dialPlan) fillH2(hs *Handshake, resp *h2ws.Response, req h2ws.Request) {
	info := hs.H2
	for _, s := range resp.Settings {
		info.Settings = append(info.Settings, H2Setting{ID: s.ID, Name: H2SettingName(s.ID), Value: s.Value})
	}
	info.ConnectProtocol = resp.ConnectProtocol
	info.Forced = req.Force && !resp.ConnectProtocol && len(resp.Sent) > 0
	if resp.Reset != nil {
		info.RST = &H2Code{Code: *resp.Reset, Name: H2CodeName(*resp.Reset)}
	}
	if g := resp.GoAway; g != nil {
		info.GoAway = &H2GoAway{H2Code: H2Code{Code: g.Code, Name: H2CodeName(g.Code)}, LastStreamID: g.LastStreamID, Debug: safe(g.Debug)}
	}
	if len(resp.Sent) == 0 {
		return // no CONNECT went out
	}
	info.StreamID = resp.StreamID
	hs.RequestLine = "CONNECT " + req.Path + " HTTP/2"
	hs.Request = fieldsToHeaders(resp.Sent)
	hs.RequestRaw = headBlock(hs.RequestLine, hs.Request)
	hs.Timings.Total = time.Since(hs.Started)
	if resp.Status == 0 {
		return
	}
	hs.Status = resp.Status
	hs.StatusLine = fmt.Sprintf("HTTP/2 %d", resp.Status)
	hs.Response = fieldsToHeaders(resp.Fields)
	hs.ResponseRaw = headBlock(hs.StatusLine, hs.Response)
	hs.Body, hs.BodyTrunc = resp.Body, resp.BodyTrunc
	hs.Timings.Upgrade = resp.HeadersAt.Sub(resp.SentAt)
	hs.Timings.Total = resp.HeadersAt.Sub(hs.Started)
	hs.Validate()
}

func fieldsToHeaders(fs []hpack.HeaderField) []Header {
	out := make([]Header, len(fs))
	for i, f := range fs {
		out[i] = Header{Name: f.Name, Value: f.Value}
	}
	return out
}

// headBlock renders a decoded header block as text, one "name: value" per
// line after the start line, so views and recordings treat it like an
// HTTP/1.1 head (ParseHead reads the pseudo-headers back).
func headBlock(start string, hs []Header) []byte {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	for _, h := range hs {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// h2Error explains an extended CONNECT that got no status.
func h2Error(err error, hs *Handshake, timeout time.Duration, parent context.Context) *Error {
	var re *h2ws.ResetError
	var ge *h2ws.GoAwayError
	switch {
	case errors.As(err, &re):
		return &Error{Class: ClassProtocol, Err: err,
			Msg:  safe(fmt.Sprintf("the server reset the extended CONNECT stream (RST_STREAM %s) instead of answering", H2CodeName(re.Code))),
			Hint: "browsers that use HTTP/2 fail here; the server (or an HTTP/2 backend behind it) lacks RFC 8441 support; compare with --http 1.1"}
	case errors.As(err, &ge):
		return &Error{Class: ClassProtocol, Err: err,
			Msg:  safe(fmt.Sprintf("the server closed the whole HTTP/2 connection (GOAWAY %s) on the extended CONNECT", H2CodeName(ge.GoAway.Code))),
			Hint: "it does not support WebSockets over HTTP/2; without --force-h2 browsers would not try, and --http 1.1 shows what they see"}
	case errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil && hs.RequestRaw == nil:
		return &Error{Class: ClassTimeout, Err: err,
			Msg:  safe(fmt.Sprintf("timed out after %s waiting for the server's HTTP/2 SETTINGS", timeout)),
			Hint: "the port took the TLS handshake and chose h2 but never spoke HTTP/2; --http 1.1 avoids HTTP/2"}
	case errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil:
		return &Error{Class: ClassTimeout, Err: err, NoResponseHead: true,
			Msg:  safe(fmt.Sprintf("timed out after %s waiting for the answer to the HTTP/2 extended CONNECT", timeout)),
			Hint: "the server (or a proxy) accepted the stream and held the answer"}
	}
	return classify(err, hs, timeout, "upgrade")
}

func hostPortString(u *url.URL) string {
	h, p := hostPort(u)
	return joinHostPort(h, p)
}
