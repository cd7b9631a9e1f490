package serve

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// readFrame reads one frame from the server, which must be unmasked and
// unfragmented.
func readFrame(t *testing.T, r io.Reader) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	if h[0]&0x80 == 0 || h[1]&0x80 != 0 {
		t.Fatalf("frame header % x: want FIN and no mask", h)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		io.ReadFull(r, ext[:])
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		io.ReadFull(r, ext[:])
		n = binary.BigEndian.Uint64(ext[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatalf("frame payload: %v", err)
	}
	return h[0] & 0x0f, p
}

// writeFrame writes a small masked client frame.
func writeFrame(t *testing.T, w io.Writer, op byte, payload []byte) {
	t.Helper()
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	f := append([]byte{0x80 | op, 0x80 | byte(len(payload))}, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	if _, err := w.Write(f); err != nil {
		t.Fatal(err)
	}
}

// rawUpgrade sends head (a complete request head) on conn and expects 101.
func rawUpgrade(t *testing.T, conn net.Conn, head string) *bufio.Reader {
	t.Helper()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("upgrade: %s %s", resp.Status, body)
	}
	return br
}

const upgradeHeaders = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

func TestIndex(t *testing.T) {
	s := start(t, Options{})
	resp, body := get(t, "http://"+s.Addr()+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"/echo", "/headers", "/firehose?n=1000&size=64", "binary=1", "/silent", "/ticker?interval=1s", "/close?code=1000&reason=bye", "delay=", "abrupt=1", "/demo", "subprotocol=accept-first"} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %q:\n%s", want, body)
		}
	}
}

func TestEcho(t *testing.T) {
	s := start(t, Options{})
	c, _ := dial(t, s.URL("/echo"), nil, nil)
	big := strings.Repeat("0123456789", 100_000)
	for _, m := range []struct {
		op   int
		data string
	}{{websocket.TextMessage, "hi"}, {websocket.BinaryMessage, "\x00\xff"}, {websocket.TextMessage, ""}, {websocket.BinaryMessage, big}} {
		if err := c.WriteMessage(m.op, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
		op, data, err := c.ReadMessage()
		if err != nil || op != m.op || string(data) != m.data {
			t.Fatalf("echo of %d bytes: op %d, %d bytes, %v", len(m.data), op, len(data), err)
		}
	}
	// A close is answered with the same code.
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"), time.Now().Add(time.Second))
	_, _, err := c.ReadMessage()
	closeErr(t, err, 4000, "")
}

func TestSubprotocolsAndCompression(t *testing.T) {
	s := start(t, Options{})
	offer := &websocket.Dialer{Subprotocols: []string{"first.v1", "second.v2"}}
	for _, path := range []string{"/echo", "/headers"} {
		c, _ := dial(t, s.URL(path), offer, nil)
		if p := c.Subprotocol(); p != "" {
			t.Errorf("%s selected %q by default", path, p)
		}
		c, _ = dial(t, s.URL(path+"?subprotocol=accept-first"), offer, nil)
		if p := c.Subprotocol(); p != "first.v1" {
			t.Errorf("%s?subprotocol=accept-first selected %q", path, p)
		}
	}

	compress := &websocket.Dialer{EnableCompression: true}
	c, resp := dial(t, s.URL("/echo"), compress, nil)
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("no permessage-deflate negotiated: %q", ext)
	}
	msg := strings.Repeat("squeeze me ", 1000)
	c.WriteMessage(websocket.TextMessage, []byte(msg))
	if _, data, err := c.ReadMessage(); err != nil || string(data) != msg {
		t.Fatalf("compressed echo: %d bytes, %v", len(data), err)
	}
	// The firehose's raw frames stay valid under permessage-deflate.
	c, _ = dial(t, s.URL("/firehose?n=50&size=200"), compress, nil)
	for i := 1; i <= 50; i++ {
		if _, data, err := c.ReadMessage(); err != nil || len(data) != 200 {
			t.Fatalf("compressed firehose message %d: %d bytes, %v", i, len(data), err)
		}
	}
	_, _, err := c.ReadMessage()
	closeErr(t, err, 1000, "done")
}

func TestSilent(t *testing.T) {
	s := start(t, Options{})
	c, _ := dial(t, s.URL("/silent"), nil, nil)
	pong := make(chan string, 1)
	c.SetPongHandler(func(d string) error { pong <- d; return nil })
	c.WriteControl(websocket.PingMessage, []byte("anyone?"), time.Now().Add(time.Second))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, data, err := c.ReadMessage()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("/silent sent %q, %v", data, err)
	}
	select {
	case p := <-pong:
		if p != "anyone?" {
			t.Fatalf("pong %q", p)
		}
	default:
		t.Fatal("/silent did not answer a ping")
	}

	c, _ = dial(t, s.URL("/silent"), nil, nil)
	c.WriteMessage(websocket.BinaryMessage, make([]byte, 1<<20)) // read and dropped
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1001, "going"), time.Now().Add(time.Second))
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, _, err = c.ReadMessage()
	closeErr(t, err, 1001, "")
}

func TestTickerAndDemo(t *testing.T) {
	s := start(t, Options{})
	for _, path := range []string{"/ticker?interval=20ms", "/demo?interval=20ms"} {
		c, _ := dial(t, s.URL(path), nil, nil)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var last time.Time
		for i := 1; i <= 3; i++ {
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]any
			var tick struct {
				Tick int    `json:"tick"`
				Time string `json:"time"`
			}
			json.Unmarshal(data, &fields)
			if err := json.Unmarshal(data, &tick); err != nil || len(fields) != 2 || tick.Tick != i {
				t.Fatalf("%s tick %d: %s %v", path, i, data, err)
			}
			at, err := time.Parse(time.RFC3339Nano, tick.Time)
			if err != nil || !at.After(last) {
				t.Fatalf("%s tick %d time %q: %v", path, i, tick.Time, err)
			}
			last = at
		}
		// Echoes too, with the opcode.
		c.WriteMessage(websocket.BinaryMessage, []byte("ping?"))
		for {
			op, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("%s echo: %v", path, err)
			}
			if op == websocket.BinaryMessage && string(data) == "ping?" {
				break
			}
			if !strings.HasPrefix(string(data), `{"tick":`) {
				t.Fatalf("%s sent %q", path, data)
			}
		}
	}
}

func TestCloseEndpoint(t *testing.T) {
	s := start(t, Options{})
	for query, want := range map[string]struct {
		code int
		text string
	}{
		"":                               {1000, ""},
		"?code=1000&reason=bye":          {1000, "bye"},
		"?code=4001&reason=go%20away":    {4001, "go away"},
		"?code=1011":                     {1011, ""},
		"?code=3000&reason=x&delay=10ms": {3000, "x"},
	} {
		c, _ := dial(t, s.URL("/close"+query), nil, nil)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, _, err := c.ReadMessage()
		closeErr(t, err, want.code, want.text)
	}

	began := time.Now()
	c, _ := dial(t, s.URL("/close?delay=300ms&code=4002"), nil, nil)
	_, _, err := c.ReadMessage()
	closeErr(t, err, 4002, "")
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Fatalf("delay=300ms closed after %v", d)
	}

	for _, q := range []string{"?abrupt=1", "?abrupt=1&delay=20ms&code=4000"} {
		c, _ = dial(t, s.URL("/close"+q), nil, nil)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, _, err = c.ReadMessage()
		closeErr(t, err, websocket.CloseAbnormalClosure, io.ErrUnexpectedEOF.Error())
	}
}

func TestCloseWaitsForThePeersClose(t *testing.T) {
	s := start(t, Options{})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := rawUpgrade(t, conn, "GET /close?code=4003&reason=raw HTTP/1.1\r\nHost: x\r\n"+upgradeHeaders+"\r\n")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	op, p := readFrame(t, br)
	if op != websocket.CloseMessage || binary.BigEndian.Uint16(p) != 4003 || string(p[2:]) != "raw" {
		t.Fatalf("frame %d % x", op, p)
	}
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := br.ReadByte(); !isTimeout(err) {
		t.Fatalf("the server did not wait for our close: %v", err)
	}
	writeFrame(t, conn, websocket.CloseMessage, p[:2])
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after our close: %v, want EOF", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestFirehose(t *testing.T) {
	s := start(t, Options{})
	for _, size := range []int{0, 5, 9, 64, 125, 126, 300, 65535, 65536, 70000} {
		n := 300
		if size > 1000 {
			n = 20
		}
		c, _ := dial(t, s.URL(fmt.Sprintf("/firehose?n=%d&size=%d", n, size)), nil, nil)
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		for i := 1; i <= n; i++ {
			op, data, err := c.ReadMessage()
			if err != nil || op != websocket.TextMessage || len(data) != size {
				t.Fatalf("size %d message %d: op %d, %d bytes, %v", size, i, op, len(data), err)
			}
			want := fmt.Sprintf("%08d ", i)
			if size > len(want) {
				want += strings.Repeat("x", size-len(want))
			}
			if string(data) != want[:size] {
				t.Fatalf("size %d message %d: %.40q", size, i, data)
			}
		}
		_, _, err := c.ReadMessage()
		closeErr(t, err, 1000, "done")
	}

	c, _ := dial(t, s.URL("/firehose"), nil, nil) // n=1000, size=64
	for i := 1; ; i++ {
		_, data, err := c.ReadMessage()
		if err != nil {
			closeErr(t, err, 1000, "done")
			if i != 1001 {
				t.Fatalf("default firehose sent %d messages", i-1)
			}
			break
		}
		if len(data) != 64 {
			t.Fatalf("default size %d", len(data))
		}
	}

	c, _ = dial(t, s.URL("/firehose?n=3&size=4&binary=1"), nil, nil)
	for range 3 {
		if op, data, err := c.ReadMessage(); op != websocket.BinaryMessage || len(data) != 4 || err != nil {
			t.Fatalf("binary=1: op %d, %q, %v", op, data, err)
		}
	}
	_, _, err := c.ReadMessage()
	closeErr(t, err, 1000, "done")

	c, _ = dial(t, s.URL("/firehose?n=0"), nil, nil)
	_, _, err = c.ReadMessage()
	closeErr(t, err, 1000, "done")
}

func TestFirehoseAnswersPingsAndStopsWhenThePeerCloses(t *testing.T) {
	s := start(t, Options{})
	c, _ := dial(t, s.URL("/firehose?n=100000000"), nil, nil)
	pong := make(chan string, 1)
	c.SetPongHandler(func(d string) error {
		select {
		case pong <- d:
		default:
		}
		return nil
	})
	c.WriteControl(websocket.PingMessage, []byte("still there?"), time.Now().Add(time.Second))
	// Reading all 10^8 would take far longer than this.
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for len(pong) == 0 {
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatalf("waiting for the pong: %v", err)
		}
	}
	if p := <-pong; p != "still there?" {
		t.Fatalf("pong %q", p)
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "enough"), time.Now().Add(time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err != nil {
			closeErr(t, err, 1000, "")
			break
		}
	}
}

func TestBadRequestsAndPlainHTTP(t *testing.T) {
	s := start(t, Options{})
	base := "http://" + s.Addr()
	for path, want := range map[string]int{
		"/firehose?n=-1":                            400,
		"/firehose?n=100000001":                     400,
		"/firehose?n=1.5":                           400,
		"/firehose?size=abc":                        400,
		"/firehose?size=67108865":                   400,
		"/firehose?binary=maybe":                    400,
		"/firehose?n=100000000&size=67108864":       426, // within bounds
		"/ticker?interval=fast":                     400,
		"/ticker?interval=999us":                    400,
		"/ticker?interval=-1s":                      400,
		"/demo?interval=x":                          400,
		"/ticker?interval=1ms":                      426,
		"/close?code=1004":                          400,
		"/close?code=1005":                          400,
		"/close?code=1006":                          400,
		"/close?code=1015":                          400,
		"/close?code=999":                           400,
		"/close?code=5000":                          400,
		"/close?code=abc":                           400,
		"/close?reason=" + strings.Repeat("r", 124): 400,
		"/close?reason=%ff":                         400,
		"/close?delay=-1s":                          400,
		"/close?abrupt=perhaps":                     400,
		"/close?code=1016&reason=" + strings.Repeat("r", 123): 426,
		"/close?code=4999": 426,
		"/echo":            426,
		"/headers":         426,
		"/silent":          426,
		"/nope":            404,
	} {
		resp, body := get(t, base+path)
		if resp.StatusCode != want {
			t.Errorf("%s: %d %q, want %d", path, resp.StatusCode, body, want)
		}
		if want == 426 && (resp.Header.Get("Upgrade") != "websocket" ||
			!strings.Contains(body, "this endpoint expects a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)")) {
			t.Errorf("%s: 426 with Upgrade %q and body %q", path, resp.Header.Get("Upgrade"), body)
		}
	}
	// Bad values are refused before any upgrade.
	_, resp, err := websocket.DefaultDialer.Dial(s.URL("/firehose?size=-1"), nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("upgrade with a bad value: %v %v", resp, err)
	}
	resp.Body.Close()
}
