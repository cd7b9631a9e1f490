package realproxy

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// What each proxy sends to a client of WebSockets over HTTP/2, as seen
// with x/net/http2 (the Transport, and a bare Framer that sends the
// extended CONNECT whatever the SETTINGS said). Debian 12's packages:
// HAProxy 2.6.12, Apache 2.4.71 with its mod_http2, nginx 1.22.1.

// expectSettings requires the server's first SETTINGS frame to be exactly
// want ("NAME=value …" in the server's order) and on h2.
func expectSettings(t *testing.T, s *H2Server, a H2Answer, want string) {
	t.Helper()
	t.Logf("%s:\n%s", s.Name, a)
	if a.ALPN != "h2" {
		t.Fatalf("%s: ALPN %q, want h2", s.Name, a.ALPN)
	}
	if got := a.SettingsString(); got != want {
		t.Errorf("%s: SETTINGS %s, want %s", s.Name, got, want)
	}
}

// expectNotSupported requires x/net's Transport to refuse the extended
// CONNECT because the server did not advertise ENABLE_CONNECT_PROTOCOL.
func expectNotSupported(t *testing.T, s *H2Server) {
	t.Helper()
	res, _, err := s.Connect(t, "/echo")
	if err == nil || !strings.Contains(err.Error(), "extended connect not supported by peer") {
		t.Fatalf("%s: Transport: %v, %v; want \"extended connect not supported by peer\"", s.Name, res, err)
	}
}

// HAProxy advertises ENABLE_CONNECT_PROTOCOL first, answers the extended
// CONNECT 200 once the app's 101 came (passing its Sec-WebSocket-Accept
// on, and nothing else) and relays the frames.
func TestHAProxyH2ExtendedConnectToHTTP1App(t *testing.T) {
	t.Parallel()
	s := HAProxyH2(t)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "ENABLE_CONNECT_PROTOCOL=1 MAX_CONCURRENT_STREAMS=100")
	if a.Status != 200 || a.Reset != nil || a.GoAway != nil {
		t.Fatalf("%s: want a 200\n%s", s.Name, a)
	}
	if a.Header.Get("Sec-WebSocket-Accept") == "" || len(a.Header) != 1 {
		t.Errorf("%s: header %v, want only the app's Sec-WebSocket-Accept", s.Name, a.Header)
	}
	res := s.ExpectH2Echo(t, "hello over h2 through HAProxy")
	if res.ProtoMajor != 2 {
		t.Errorf("%s: %s", s.Name, res.Proto)
	}
	s.ExpectHTTP1Echo(t, "hello over HTTP/1.1 through HAProxy")
}

// HAProxy advertises ENABLE_CONNECT_PROTOCOL to the client whatever its
// server can do. Its h2 server (proto h2) did not advertise it, so HAProxy
// refuses the stream: RST_STREAM REFUSED_STREAM to the client, no HEADERS,
// no GOAWAY; the CONNECT never reaches the server. (HAProxy also sends the
// server a RST_STREAM INTERNAL_ERROR for its stream 1, which it never
// opened: Go answers with GOAWAY PROTOCOL_ERROR.) Over HTTP/1.1 the
// upgrade gets HAProxy's 502. Plain requests reach the server over h2.
func TestHAProxyH2BackendWithoutRFC8441RefusesStream(t *testing.T) {
	t.Parallel()
	s := HAProxyH2Backend(t)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "ENABLE_CONNECT_PROTOCOL=1 MAX_CONCURRENT_STREAMS=100")
	if a.Reset == nil || *a.Reset != http2.ErrCodeRefusedStream || a.Status != 0 || a.GoAway != nil {
		t.Fatalf("%s: want RST_STREAM REFUSED_STREAM and nothing else\n%s", s.Name, a)
	}

	// The Transport passes it on as a stream error (a whole
	// http2.Transport would retry a refused stream on a new connection).
	_, _, err := s.Connect(t, "/echo")
	var se http2.StreamError
	if !errors.As(err, &se) || se.Code != http2.ErrCodeRefusedStream {
		t.Fatalf("%s: Transport: %v, want a REFUSED_STREAM stream error", s.Name, err)
	}

	res, _ := s.HTTP1Upgrade(t)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "invalid or incomplete response") {
		t.Errorf("%s: HTTP/1.1 upgrade: %s %q, want HAProxy's 502", s.Name, res.Status, body)
	}

	// A plain GET goes through to the h2c server over HTTP/2.
	conn := s.DialTLS(t, "h2")
	cc, err := (&http2.Transport{}).NewClientConn(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	req, _ := http.NewRequest(http.MethodGet, "https://"+s.Addr+"/plain", nil)
	res, err = cc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "h2c backend: GET /plain HTTP/2.0\n" {
		t.Errorf("%s: GET /plain: %s %q", s.Name, res.Status, body)
	}
	log := s.BackendRequests()
	t.Logf("the h2c server's log: %q", log)
	for _, line := range log {
		if strings.HasPrefix(line, "CONNECT") || strings.HasPrefix(line, "GET /echo") {
			t.Errorf("%s: the WebSocket reached the h2c server: %q", s.Name, line)
		}
	}
}

// Apache (mod_http2, H2WebSockets on) advertises the setting after
// MAX_CONCURRENT_STREAMS and answers 200 with no other field at all (not
// even Server or Date, which its other h2 answers carry).
func TestApacheH2WebSockets(t *testing.T) {
	t.Parallel()
	s := ApacheH2(t)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "MAX_CONCURRENT_STREAMS=100 ENABLE_CONNECT_PROTOCOL=1")
	if a.Status != 200 || len(a.Header) != 0 || a.Reset != nil || a.GoAway != nil {
		t.Fatalf("%s: want a bare 200\n%s", s.Name, a)
	}
	s.ExpectH2Echo(t, "hello over h2 through Apache")
	res := s.ExpectHTTP1Echo(t, "hello over HTTP/1.1 through Apache")
	t.Logf("%s: HTTP/1.1: %s %v", s.Name, res.Status, res.Header)
}

// nginx 1.22 speaks h2 without RFC 8441: no ENABLE_CONNECT_PROTOCOL, so
// the Transport refuses to send the CONNECT; sent anyway, it gets nginx's
// 400 page. HTTP/1.1 upgrades work.
func TestNginxH2HasNoExtendedConnect(t *testing.T) {
	t.Parallel()
	s := NginxH2(t)
	a := s.ForceConnect(t, "/echo")
	expectSettings(t, s, a, "MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16777215")
	if a.ConnectProtocol {
		t.Fatalf("%s advertises ENABLE_CONNECT_PROTOCOL", s.Name)
	}
	if a.Status != 400 || !strings.HasPrefix(a.Header.Get("Server"), "nginx/") || !strings.Contains(a.Body, "400 Bad Request") {
		t.Fatalf("%s: want nginx's 400 page\n%s", s.Name, a)
	}
	expectNotSupported(t, s)
	s.ExpectHTTP1Echo(t, "hello over HTTP/1.1 through nginx")
}

func TestWSFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 5, 125, 126, 65535, 65536} {
		payload := []byte(strings.Repeat("x", n))
		for _, masked := range []bool{false, true} {
			op, got, m, err := ReadWSFrame(strings.NewReader(string(WSFrame(2, payload, masked))))
			if err != nil || op != 2 || m != masked || string(got) != string(payload) {
				t.Errorf("%d bytes masked %v: op %d masked %v %d bytes, %v", n, masked, op, m, len(got), err)
			}
		}
	}
}
