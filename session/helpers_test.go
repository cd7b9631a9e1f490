package session

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/internal/wstest"
)

// wsURL turns an httptest URL into a ws URL with path.
func wsURL(s *httptest.Server, path string) string {
	return strings.Replace(s.URL, "http", "ws", 1) + path
}

// echoServer is a real gorilla server that echoes, and on "cmd:" messages
// does what they say, so one server covers every opcode both ways.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }, EnableCompression: true,
		Subprotocols: []string{"chat.v1"}}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, http.Header{"X-Mixed-Case": {"yes"}})
		if err != nil {
			return
		}
		defer c.Close()
		for {
			op, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch s := string(data); {
			case s == "cmd:ping":
				c.WriteControl(websocket.PingMessage, []byte("srv"), time.Now().Add(time.Second))
			case s == "cmd:pong":
				c.WriteControl(websocket.PongMessage, []byte("unsolicited"), time.Now().Add(time.Second))
			case strings.HasPrefix(s, "cmd:close:"):
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, strings.TrimPrefix(s, "cmd:close:")), time.Now().Add(time.Second))
				c.ReadMessage() // wait for the echo
				return
			case s == "cmd:drop":
				c.NetConn().Close()
				return
			case s == "cmd:badutf8":
				c.WriteMessage(websocket.TextMessage, []byte{'o', 'k', 0xff, 0xfe})
			case strings.HasPrefix(s, "cmd:big:"):
				c.WriteMessage(websocket.BinaryMessage, make([]byte, 4096))
			default:
				c.WriteMessage(op, data)
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// dial connects with cfg and fails the test on error.
func dial(t *testing.T, cfg Config) *Conn {
	t.Helper()
	c, _, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(%s): %v", cfg.URL, err)
	}
	t.Cleanup(func() { c.Abort(); drain(c) })
	return c
}

// next returns the next frame event matching want, failing after a timeout.
func next(t *testing.T, c *Conn, want func(Frame) bool) (Frame, time.Duration) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed before the expected frame")
			}
			if e.Kind == EventFrame && want(e.Frame) {
				return e.Frame, e.RTT
			}
		case <-timeout:
			t.Fatal("timed out waiting for a frame")
		}
	}
}

// closedState drains until the final state change.
func closedState(t *testing.T, c *Conn) (*StateChange, []Frame) {
	t.Helper()
	var frames []Frame
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed without a closed state")
			}
			if e.Kind == EventFrame {
				frames = append(frames, e.Frame)
			}
			if e.Kind == EventState && e.State.State == StateClosed {
				return e.State, frames
			}
		case <-timeout:
			t.Fatal("timed out waiting for the close")
		}
	}
}

func drain(c *Conn) {
	for range c.Events() {
	}
}

func is(dir Direction, op Opcode) func(Frame) bool {
	return func(f Frame) bool { return f.Dir == dir && f.Op == op }
}

// rawServer answers one upgrade with respond's bytes (see wstest).
type rawServer struct{ *wstest.Server }

func startRawServer(t *testing.T, respond func(key string) string) *rawServer {
	t.Helper()
	return &rawServer{wstest.Start(t, respond, func(net.Conn) { time.Sleep(200 * time.Millisecond) })}
}

func (rs *rawServer) url(path string) string { return "ws://" + rs.Addr + path }
