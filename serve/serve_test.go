package serve

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/internal/testca"
)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	c, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestEcho(t *testing.T) {
	s := start(t, Options{})
	c := dial(t, s.URL("/echo"))
	for _, m := range []struct {
		op   int
		data string
	}{{websocket.TextMessage, "hi"}, {websocket.BinaryMessage, "\x00\xff"}} {
		c.WriteMessage(m.op, []byte(m.data))
		op, data, err := c.ReadMessage()
		if err != nil || op != m.op || string(data) != m.data {
			t.Fatalf("echo: %d %q %v", op, data, err)
		}
	}
}

func TestHeadersShowsTheWireOrderAndCase(t *testing.T) {
	s := start(t, Options{})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET /headers?x=1 HTTP/1.1\r\nHost: example.test\r\nx-LoWeR: 1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"X-Custom-Header: a\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nX-Forwarded-Proto: https\r\n\r\n"
	io.WriteString(conn, req)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	// Read the first frame by hand: a small unmasked text frame.
	hdr := make([]byte, 2)
	io.ReadFull(br, hdr)
	n := int(hdr[1] & 0x7f)
	if n == 126 {
		ext := make([]byte, 2)
		io.ReadFull(br, ext)
		n = int(ext[0])<<8 | int(ext[1])
	}
	body := make([]byte, n)
	io.ReadFull(br, body)
	var rep headersReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := []string{"Host", "x-LoWeR", "Upgrade", "Connection", "X-Custom-Header", "Sec-WebSocket-Key", "sec-websocket-version", "X-Forwarded-Proto"}
	if !rep.Exact || rep.RequestLine != "GET /headers?x=1 HTTP/1.1" || len(rep.Headers) != len(want) {
		t.Fatalf("report %+v", rep)
	}
	for i, h := range rep.Headers {
		if h.Name != want[i] {
			t.Errorf("header %d: %q, want %q", i, h.Name, want[i])
		}
	}
	if rep.Headers[1].Value != "1" || !strings.HasPrefix(rep.RemoteAddr, "127.0.0.1:") || rep.TLS != nil {
		t.Fatalf("report %+v", rep)
	}
}

func TestHeadersOverTLS(t *testing.T) {
	cert, err := testca.SelfSigned("serve test", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	testca.WriteKeyPair(cert, cf, kf)
	s := start(t, Options{TLSCertFile: cf, TLSKeyFile: kf})
	if !strings.HasPrefix(s.URL("/x"), "wss://") {
		t.Fatal(s.URL("/x"))
	}
	c := dial(t, s.URL("/headers"))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var rep headersReport
	json.Unmarshal(data, &rep)
	if rep.TLS == nil || !strings.HasPrefix(rep.TLS.Version, "TLS 1.") || !rep.Exact {
		t.Fatalf("%s", data)
	}
}

func TestFirehose(t *testing.T) {
	s := start(t, Options{})
	for _, size := range []int{5, 64, 300, 70000} {
		c := dial(t, s.URL(fmt.Sprintf("/firehose?n=500&size=%d", size)))
		for i := 1; i <= 500; i++ {
			op, data, err := c.ReadMessage()
			if err != nil || op != websocket.TextMessage || len(data) != size {
				t.Fatalf("size %d message %d: op %d len %d err %v", size, i, op, len(data), err)
			}
			if size >= 9 && string(data[:9]) != fmt.Sprintf("%08d ", i) {
				t.Fatalf("message %d starts %q", i, data[:9])
			}
		}
		_, _, err := c.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 1000 || ce.Text != "done" {
			t.Fatalf("after the firehose: %v", err)
		}
	}
	c := dial(t, s.URL("/firehose?n=3&size=4&binary=1"))
	if op, _, _ := c.ReadMessage(); op != websocket.BinaryMessage {
		t.Fatalf("binary=1 sent op %d", op)
	}
}

func TestCloseEndpoint(t *testing.T) {
	s := start(t, Options{})
	c := dial(t, s.URL("/close?code=4001&reason=bye"))
	_, _, err := c.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 4001 || ce.Text != "bye" {
		t.Fatalf("close: %v", err)
	}
	c = dial(t, s.URL("/close?abrupt=1"))
	_, _, err = c.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("abrupt: %v", err)
	}
}

func TestTickerAndSilent(t *testing.T) {
	s := start(t, Options{})
	c := dial(t, s.URL("/ticker?interval=10ms"))
	for i := 1; i <= 3; i++ {
		_, data, err := c.ReadMessage()
		if err != nil || !strings.Contains(string(data), fmt.Sprintf(`"tick":%d`, i)) {
			t.Fatalf("tick %d: %s %v", i, data, err)
		}
	}
	q := dial(t, s.URL("/silent"))
	q.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := q.ReadMessage(); err == nil {
		t.Fatal("/silent spoke")
	}
}

func TestBadRequestsAndNonUpgrade(t *testing.T) {
	s := start(t, Options{})
	base := "http://" + s.Addr()
	for path, want := range map[string]int{
		"/firehose?n=-1":        400,
		"/firehose?size=abc":    400,
		"/ticker?interval=fast": 400,
		"/close?code=1006":      400,
		"/close?code=99":        400,
		"/echo":                 426,
		"/":                     200,
		"/nope":                 404,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestCloseIsPromptWithLiveConnections(t *testing.T) {
	s, err := Start(Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s.URL("/silent"))
	dial(t, s.URL("/ticker?interval=1h"))
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("connection survived Close")
	}
}

func TestListenErrorsAndLoopback(t *testing.T) {
	s := start(t, Options{})
	if _, err := Start(Options{Addr: s.Addr()}); err == nil || !strings.Contains(err.Error(), "address already in use") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("busy port: %v", err)
	}
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "localhost:1": true, "[::1]:1": true, ":8765": false, "0.0.0.0:1": false, "192.0.2.1:1": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) = %v", addr, !want)
		}
	}
}
