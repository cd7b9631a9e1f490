package realapp

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/wscope/wscope/internal/realproxy"
)

// What each app sends to a client of WebSockets over HTTP/2, as seen with
// x/net/http2 (the Transport, and a bare Framer that sends the extended
// CONNECT whatever the SETTINGS said): Go 1.26's net/http, Node 20's
// http2 with ws 8.18.3.

func expectSettings(t *testing.T, s *realproxy.H2Server, a realproxy.H2Answer, want string) {
	t.Helper()
	t.Logf("%s:\n%s", s.Name, a)
	if a.ALPN != "h2" {
		t.Fatalf("%s: ALPN %q, want h2", s.Name, a.ALPN)
	}
	if got := a.SettingsString(); got != want {
		t.Errorf("%s: SETTINGS %s, want %s", s.Name, got, want)
	}
}

// net/http with GODEBUG=http2xconnect=1 advertises the setting (last) and
// hands the extended CONNECT to the handler; gorilla/websocket finds no
// Connection: upgrade and answers http.Error's 400 with
// Sec-WebSocket-Version: 13 (golang/go#71128). HTTP/1.1 gets the 101.
func TestGoXConnectGorillaRefusesH2(t *testing.T) {
	t.Parallel()
	s := GoXConnect(t)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "MAX_FRAME_SIZE=1048576 MAX_CONCURRENT_STREAMS=250 MAX_HEADER_LIST_SIZE=1048896 HEADER_TABLE_SIZE=4096 INITIAL_WINDOW_SIZE=1048576 ENABLE_CONNECT_PROTOCOL=1")
	if a.Status != 400 || a.Body != "Bad Request\n" || a.Header.Get("Sec-WebSocket-Version") != "13" || a.Header.Get("Server") != "" {
		t.Fatalf("%s: want gorilla's 400\n%s", s.Name, a)
	}
	res, _, err := s.Connect(t, "/echo")
	if err != nil || res.StatusCode != 400 {
		t.Fatalf("%s: Transport: %v %v, want the 400", s.Name, res, err)
	}
	s.ExpectHTTP1Echo(t, "hello over HTTP/1.1 to Go")
	out := s.Proc.Output()
	if !strings.Contains(out, `CONNECT /echo HTTP/2.0 :protocol="websocket"`) ||
		!strings.Contains(out, "'upgrade' token not found in 'Connection' header") {
		t.Errorf("%s: the handler did not see the CONNECT, or gorilla did not refuse it:\n%s", s.Name, out)
	}
}

// Node's 'stream' handler with ws on the stream: the setting is the only
// one Node sends, the answer is 200 with a date, and ws echoes, answers a
// ping and a close. Node offers only h2: an http/1.1-only client gets the
// TLS alert no_application_protocol.
func TestNodeH2StreamWebSocket(t *testing.T) {
	t.Parallel()
	s := NodeH2(t, NodeH2Stream)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "ENABLE_CONNECT_PROTOCOL=1")
	if a.Status != 200 || a.Header.Get("Date") == "" || len(a.Header) != 1 || a.Reset != nil {
		t.Fatalf("%s: want a 200 with a date\n%s", s.Name, a)
	}
	s.ExpectH2Echo(t, "hello over h2 to Node")

	res, w, err := s.Connect(t, "/echo")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%s: %v %v", s.Name, res, err)
	}
	w.Write(realproxy.WSFrame(9, []byte("ping!"), true))
	if op, p, _, err := realproxy.ReadWSFrame(res.Body); err != nil || op != 10 || string(p) != "ping!" {
		t.Fatalf("%s: after a ping: opcode %d %q %v, want the pong", s.Name, op, p, err)
	}
	w.Write(realproxy.WSFrame(8, []byte{0x03, 0xe8}, true))
	if op, p, _, err := realproxy.ReadWSFrame(res.Body); err != nil || op != 8 || string(p) != "\x03\xe8" {
		t.Fatalf("%s: after a close: opcode %d %q %v, want close 1000", s.Name, op, p, err)
	}
	// ws ends the stream after the closing handshake.
	if n, err := io.Copy(io.Discard, res.Body); n != 0 || err != nil {
		t.Errorf("%s: after the close: %d more bytes, %v; want END_STREAM", s.Name, n, err)
	}

	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.Addr, s.TLSConfig(t, "http/1.1"))
	if err == nil {
		c.Close()
		t.Fatalf("%s accepted a TLS connection offering only http/1.1", s.Name)
	}
	if !strings.Contains(err.Error(), "no application protocol") {
		t.Errorf("%s: http/1.1 only: %v, want the alert no_application_protocol", s.Name, err)
	}
}

// Node with allowHTTP1, the setting, and only an 'upgrade' handler: the
// compat layer answers the extended CONNECT 405 with END_STREAM and only a
// date (socket.io#5067). HTTP/1.1 gets the 101.
func TestNodeH2UpgradeOnlyAnswers405(t *testing.T) {
	t.Parallel()
	s := NodeH2(t, NodeH2UpgradeOnly)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "ENABLE_CONNECT_PROTOCOL=1")
	if a.Status != 405 || a.Header.Get("Date") == "" || len(a.Header) != 1 || a.Body != "" || a.End != "answer" {
		t.Fatalf("%s: want a bare 405\n%s", s.Name, a)
	}
	res, _, err := s.Connect(t, "/echo")
	if err != nil || res.StatusCode != 405 {
		t.Fatalf("%s: Transport: %v %v, want the 405", s.Name, res, err)
	}
	s.ExpectHTTP1Echo(t, "hello over HTTP/1.1 to Node")
}

// Without enableConnectProtocol Node sends an empty SETTINGS frame; an
// extended CONNECT sent anyway gets RST_STREAM PROTOCOL_ERROR (nghttp2).
// HTTP/1.1 gets the 101.
func TestNodeH2NoSettingResetsConnect(t *testing.T) {
	t.Parallel()
	s := NodeH2(t, NodeH2UpgradeNoSetting)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "")
	if a.Reset == nil || *a.Reset != http2.ErrCodeProtocol || a.Status != 0 || a.GoAway != nil {
		t.Fatalf("%s: want RST_STREAM PROTOCOL_ERROR\n%s", s.Name, a)
	}
	_, _, err := s.Connect(t, "/echo")
	if err == nil || !strings.Contains(err.Error(), "extended connect not supported by peer") {
		t.Fatalf("%s: Transport: %v, want \"extended connect not supported by peer\"", s.Name, err)
	}
	var se http2.StreamError
	if errors.As(err, &se) {
		t.Errorf("%s: the Transport sent the CONNECT: %v", s.Name, err)
	}
	s.ExpectHTTP1Echo(t, "hello over HTTP/1.1 to Node")
}
