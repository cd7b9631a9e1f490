package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/themes"
)

// h2Settings are the SETTINGS an RFC 8441 server (h2ws) sends.
func h2Settings(connect bool) []session.H2Setting {
	s := []session.H2Setting{{ID: 1, Name: "HEADER_TABLE_SIZE", Value: 65536}, {ID: 3, Name: "MAX_CONCURRENT_STREAMS", Value: 100},
		{ID: 4, Name: "INITIAL_WINDOW_SIZE", Value: 6291456}, {ID: 6, Name: "MAX_HEADER_LIST_SIZE", Value: 262144}}
	if connect {
		s = append(s, session.H2Setting{ID: 8, Name: "ENABLE_CONNECT_PROTOCOL", Value: 1})
	}
	return s
}

// h2Open is a successful extended CONNECT as session records it.
func h2Open() *session.Handshake {
	hs := &session.Handshake{
		URL: "wss://127.0.0.1:8765/demo", ConnectAddr: "127.0.0.1:8765", HTTPVersion: session.HTTP2,
		RequestLine: "CONNECT /demo HTTP/2",
		Request: []session.Header{{Name: ":method", Value: "CONNECT"}, {Name: ":protocol", Value: "websocket"}, {Name: ":scheme", Value: "https"},
			{Name: ":path", Value: "/demo"}, {Name: ":authority", Value: "127.0.0.1:8765"}, {Name: "origin", Value: "https://127.0.0.1:8765"},
			{Name: "sec-websocket-version", Value: "13"}, {Name: "sec-websocket-protocol", Value: "chat"}},
		StatusLine: "HTTP/2 200", Status: 200,
		Response: []session.Header{{Name: ":status", Value: "200"}, {Name: "sec-websocket-protocol", Value: "chat"},
			{Name: "server", Value: "evil\x1b]52;c;aGk=\x07"}},
		Timings: session.Timings{Connect: 300 * time.Microsecond, TLS: 1500 * time.Microsecond, Upgrade: 700 * time.Microsecond, Total: 2600 * time.Microsecond},
		TLS: &session.TLSInfo{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ALPN: "h2", SNI: "", Verified: true,
			Chain: []session.CertInfo{{Subject: "CN=wscope serve (self-signed)", Issuer: "CN=wscope serve (self-signed)", NotAfter: epoch.AddDate(0, 1, 0)}}},
		H2: &session.H2Info{ALPN: "h2", ConnectProtocol: true, StreamID: 1, Settings: h2Settings(true)},
	}
	hs.RequestRaw = []byte(headBlockText(hs.RequestLine, hs.Request))
	hs.ResponseRaw = []byte(headBlockText(hs.StatusLine, hs.Response))
	hs.Validate()
	return hs
}

func headBlockText(start string, hs []session.Header) string {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	for _, h := range hs {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	return b.String() + "\r\n"
}

// h2Reset is a forced extended CONNECT that the server reset and then
// closed the connection over.
func h2Reset() ([]*session.Handshake, *session.Error) {
	hs := &session.Handshake{
		URL: "wss://app.example/cable", HTTPVersion: session.HTTP2, RequestLine: "CONNECT /cable HTTP/2",
		Request: []session.Header{{Name: ":method", Value: "CONNECT"}, {Name: ":protocol", Value: "websocket"}, {Name: ":scheme", Value: "https"},
			{Name: ":path", Value: "/cable"}, {Name: ":authority", Value: "app.example"}},
		Timings: session.Timings{Connect: 11 * time.Millisecond, TLS: 25 * time.Millisecond, Total: 40 * time.Millisecond},
		H2: &session.H2Info{ALPN: "h2", Forced: true, StreamID: 1, Settings: h2Settings(false)[:3],
			RST:    &session.H2Code{Code: 1, Name: "PROTOCOL_ERROR"},
			GoAway: &session.H2GoAway{H2Code: session.H2Code{Code: 1, Name: "PROTOCOL_ERROR"}, LastStreamID: 0, Debug: "bad :protocol\x1b[2J"}},
	}
	err := &session.Error{Class: session.ClassProtocol, Msg: "the server reset the extended CONNECT stream (RST_STREAM PROTOCOL_ERROR) instead of answering",
		Hint: "compare with --http 1.1"}
	return []*session.Handshake{hs}, err
}

// autoFallback is auto mode's HTTP/1.1 after an HTTP/2 server without
// extended CONNECT.
func autoFallback() *session.Handshake {
	hs := &session.Handshake{
		URL: "wss://app.example/cable", HTTPVersion: session.HTTP11, RequestLine: "GET /cable HTTP/1.1",
		Request: []session.Header{{Name: "Host", Value: "app.example"}, {Name: "Upgrade", Value: "websocket"},
			{Name: "Connection", Value: "Upgrade"}, {Name: "Sec-WebSocket-Key", Value: "dGhlIHNhbXBsZSBub25jZQ=="}},
		StatusLine: "HTTP/1.1 101 Switching Protocols", Status: 101,
		Response: []session.Header{{Name: "Upgrade", Value: "websocket"}, {Name: "Connection", Value: "Upgrade"},
			{Name: "Sec-WebSocket-Accept", Value: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		Timings: session.Timings{Connect: 300 * time.Microsecond, TLS: 1500 * time.Microsecond, Upgrade: 700 * time.Microsecond, Total: 4100 * time.Microsecond},
		H2: &session.H2Info{ALPN: "h2", StreamID: 0, Settings: h2Settings(false), Fallback: true,
			FallbackReason: "the server does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL"},
	}
	hs.Validate()
	return hs
}

// handshakeView renders the pane alone at 80 columns.
func handshakeView(theme string, chain []*session.Handshake, err *session.Error, raw bool) string {
	p := newHandshakePane(&Common{Styles: themes.New(themes.Default(theme == "dark")), Now: fixedNow})
	p.SetSize(80, 60)
	p.Set(chain, err, nil)
	if raw {
		p.Update(keyMsg("v"))
	}
	return p.View()
}

// Golden tests of the handshake pane under HTTP/2
// (testdata/TestGoldenHandshakeHTTP2/*.golden; go test ./ui -run Golden
// -update rewrites them).
func TestGoldenHandshakeHTTP2(t *testing.T) {
	resetChain, resetErr := h2Reset()
	cases := map[string]func(theme string) string{
		"open":     func(th string) string { return handshakeView(th, []*session.Handshake{h2Open()}, nil, false) },
		"raw":      func(th string) string { return handshakeView(th, []*session.Handshake{h2Open()}, nil, true) },
		"reset":    func(th string) string { return handshakeView(th, resetChain, resetErr, false) },
		"fallback": func(th string) string { return handshakeView(th, []*session.Handshake{autoFallback()}, nil, false) },
	}
	for name, view := range cases {
		for _, theme := range []string{"dark", "light"} {
			t.Run(theme+"-"+name, func(t *testing.T) { golden.RequireEqual(t, view(theme)) })
		}
	}
}

func TestHandshakePaneShowsHTTP2(t *testing.T) {
	s := ansi.Strip(handshakeView("dark", []*session.Handshake{h2Open()}, nil, false))
	for _, want := range []string{
		"http   HTTP/2 · alpn h2 · stream 1 · extended CONNECT (RFC 8441)",
		"→ CONNECT /demo HTTP/2\n  :method: CONNECT\n  :protocol: websocket\n  :scheme: https\n  :path: /demo\n  :authority: 127.0.0.1:8765",
		"← HTTP/2 200\n  :status: 200 ✓\n  sec-websocket-protocol: chat ✓",
		"  HEADER_TABLE_SIZE        65536",
		"  ENABLE_CONNECT_PROTOCOL  1 ✓ WebSockets over HTTP/2",
		"timing dns –  tcp 0.3ms  proxy –  tls 1.5ms  CONNECT 0.7ms  total 2.6ms",
		"alpn=h2",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("pane lacks %q:\n%s", want, s)
		}
	}
	if strings.ContainsAny(s, "\x1b\x07") || strings.Contains(s, "upgrade 0.7ms") {
		t.Errorf("raw control bytes or HTTP/1.1 wording:\n%q", s)
	}

	chain, err := h2Reset()
	s = ansi.Strip(handshakeView("dark", chain, err, false))
	for _, want := range []string{
		"forced (--force-h2)",
		"✗ ENABLE_CONNECT_PROTOCOL not advertised: no WebSockets over HTTP/2\n    the CONNECT went anyway (--force-h2)",
		"rst    RST_STREAM PROTOCOL_ERROR (0x1) on stream 1",
		`goaway GOAWAY PROTOCOL_ERROR (0x1), last stream 0: "bad :protocol\x1b[2J"`,
		"✗ the server reset the extended CONNECT stream",
	} {
		want = strings.ReplaceAll(want, "\x1b", `\x1b`) // as termsafe shows it
		if !strings.Contains(s, want) {
			t.Errorf("pane lacks %q:\n%s", want, s)
		}
	}

	s = ansi.Strip(handshakeView("dark", []*session.Handshake{autoFallback()}, nil, false))
	for _, want := range []string{
		"http   HTTP/1.1 · HTTP/2 was tried first (auto) and not used: the server does\n       not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL",
		"← HTTP/1.1 101 Switching Protocols",
		"  MAX_HEADER_LIST_SIZE    262144",
		"timing dns –  tcp 0.3ms  proxy –  tls 1.5ms  upgrade 0.7ms  total 4.1ms",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("fallback pane lacks %q:\n%s", want, s)
		}
	}

	s = ansi.Strip(handshakeView("dark", []*session.Handshake{h2Open()}, nil, true))
	if !strings.Contains(s, "decoded (HPACK on the wire)") || !strings.Contains(s, "→ :protocol: websocket") || strings.Contains(s, "␍␊") {
		t.Errorf("raw view:\n%s", s)
	}
}
