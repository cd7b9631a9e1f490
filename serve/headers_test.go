package serve

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/session"
)

// rawHeadersRequest is a hand-written upgrade with names in mixed case, in
// an order net/http would not keep, and one folded header.
const rawHeadersRequest = "GET /headers?x=1 HTTP/1.1\r\n" +
	"x-LoWeR: 1\r\n" +
	"Host: example.test\r\n" +
	"upgrade: websocket\r\n" +
	"X-Custom-Header: a\r\n" +
	"CONNECTION: Upgrade\r\n" +
	"X-Folded: first\r\n" +
	"  second\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"sec-websocket-version: 13\r\n" +
	"X-Custom-Header: b\r\n" +
	"X-Forwarded-Proto: https\r\n" +
	"\r\n"

var rawHeadersWant = []session.Header{
	{Name: "x-LoWeR", Value: "1"},
	{Name: "Host", Value: "example.test"},
	{Name: "upgrade", Value: "websocket"},
	{Name: "X-Custom-Header", Value: "a"},
	{Name: "CONNECTION", Value: "Upgrade"},
	{Name: "X-Folded", Value: "first second"},
	{Name: "Sec-WebSocket-Key", Value: "dGhlIHNhbXBsZSBub25jZQ=="},
	{Name: "sec-websocket-version", Value: "13"},
	{Name: "X-Custom-Header", Value: "b"},
	{Name: "X-Forwarded-Proto", Value: "https"},
}

// readReport reads /headers' first message off a raw connection.
func readReport(t *testing.T, r io.Reader) (headersReport, string) {
	t.Helper()
	op, body := readFrame(t, r)
	if op != websocket.TextMessage {
		t.Fatalf("first frame has opcode %d", op)
	}
	var rep headersReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return rep, string(body)
}

func TestHeadersShowsTheWireOrderAndCase(t *testing.T) {
	s := start(t, Options{})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	br := rawUpgrade(t, conn, rawHeadersRequest)
	rep, body := readReport(t, br)
	if rep.RequestLine != "GET /headers?x=1 HTTP/1.1" || !rep.Exact {
		t.Fatalf("report %s", body)
	}
	if !reflect.DeepEqual(rep.Headers, rawHeadersWant) {
		t.Fatalf("headers\n got %v\nwant %v", rep.Headers, rawHeadersWant)
	}
	if rep.RemoteAddr != conn.LocalAddr().String() {
		t.Fatalf("remote_addr %q, want %q", rep.RemoteAddr, conn.LocalAddr())
	}
	if !strings.Contains(body, `"tls":null`) || !strings.Contains(body, `"request_line":`) || !strings.Contains(body, `"headers":[{"name":"x-LoWeR","value":"1"}`) {
		t.Fatalf("JSON shape: %s", body)
	}
	// Then it echoes.
	writeFrame(t, conn, websocket.TextMessage, []byte("after"))
	if op, p := readFrame(t, br); op != websocket.TextMessage || string(p) != "after" {
		t.Fatalf("echo: %d %q", op, p)
	}
}

func TestHeadersOnAKeptAliveConnection(t *testing.T) {
	s := start(t, Options{})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	send := func(head string, wantStatus int) {
		t.Helper()
		io.WriteString(conn, head)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantStatus {
			t.Fatalf("%q: %s", head[:20], resp.Status)
		}
	}
	// Earlier requests, more of them than the tap keeps, one of them to
	// /headers itself without the upgrade.
	filler := strings.Repeat("f", 4000)
	for range 2 * maxTap / 4000 {
		send("GET / HTTP/1.1\r\nHost: a\r\nX-Filler: "+filler+"\r\n\r\n", 200)
	}
	send("GET /headers?x=1 HTTP/1.1\r\nHost: a\r\nX-Old: 1\r\n\r\n", 426)
	io.WriteString(conn, rawHeadersRequest)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	rep, body := readReport(t, br)
	if !rep.Exact || !reflect.DeepEqual(rep.Headers, rawHeadersWant) {
		t.Fatalf("report after keep-alive requests: %s", body)
	}
}

func TestHeadersOverTLS(t *testing.T) {
	certFile, keyFile, pool := tlsFiles(t, "wscope.test")
	s := start(t, Options{TLSCertFile: certFile, TLSKeyFile: keyFile})
	if got, want := s.URL("/headers"), "wss://"+s.Addr()+"/headers"; got != want {
		t.Fatalf("URL %q, want %q", got, want)
	}

	// By hand, so the wire case is ours: the tap must see plaintext.
	conf := &tls.Config{RootCAs: pool, ServerName: "wscope.test", NextProtos: []string{"http/1.1"}}
	conn, err := tls.Dial("tcp", s.Addr(), conf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	br := rawUpgrade(t, conn, rawHeadersRequest)
	rep, body := readReport(t, br)
	if !rep.Exact || !reflect.DeepEqual(rep.Headers, rawHeadersWant) {
		t.Fatalf("report over TLS: %s", body)
	}
	st := conn.ConnectionState()
	want := tlsReport{Version: tls.VersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite), ServerName: "wscope.test", ALPN: "http/1.1"}
	if rep.TLS == nil || *rep.TLS != want || !strings.HasPrefix(want.Version, "TLS 1.") {
		t.Fatalf("tls %+v, want %+v", rep.TLS, want)
	}

	// And with gorilla's client, which then gets echoes over wss.
	c, _ := dial(t, s.URL("/headers"), &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "wscope.test"}}, http.Header{"X-Via-Gorilla": {"yes"}})
	_, data, err := c.ReadMessage()
	if err != nil || json.Unmarshal(data, &rep) != nil {
		t.Fatalf("%s %v", data, err)
	}
	if rep.TLS == nil || rep.TLS.Version == "" || !rep.Exact || !strings.Contains(string(data), `{"name":"Sec-WebSocket-Key"`) {
		t.Fatalf("gorilla over TLS: %s", data)
	}
	c.WriteMessage(websocket.TextMessage, []byte("secure echo"))
	if _, data, err := c.ReadMessage(); err != nil || string(data) != "secure echo" {
		t.Fatalf("echo over TLS: %q %v", data, err)
	}
}
