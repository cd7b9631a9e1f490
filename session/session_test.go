package session

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/internal/wstest"
)

func TestHandshakeCaptureMatchesTheWire(t *testing.T) {
	var sentResponse string
	rs := startRawServer(t, func(key string) string {
		sentResponse = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n" +
			"sec-websocket-accept: " + acceptFor(key) + "\r\nX-MiXeD: Case\r\nserver: test\r\n\r\n"
		return sentResponse
	})
	c, chain, err := Dial(context.Background(), Config{URL: rs.url("/ws?x=1"),
		Headers: []Header{{Name: "x-lower", Value: "a"}, {Name: "X-Upper-Case", Value: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Abort(); drain(c) }()
	got := <-rs.Head
	hs := chain[0]
	if string(hs.RequestRaw) != got {
		t.Errorf("captured request differs from what the server read:\ncaptured %q\nserver   %q", hs.RequestRaw, got)
	}
	if string(hs.ResponseRaw) != sentResponse {
		t.Errorf("captured response %q, server sent %q", hs.ResponseRaw, sentResponse)
	}
	wantNames := []string{"upgrade", "connection", "sec-websocket-accept", "X-MiXeD", "server"}
	for i, h := range hs.Response {
		if h.Name != wantNames[i] {
			t.Errorf("response header %d is %q, want %q (wire order and case)", i, h.Name, wantNames[i])
		}
	}
	if hs.RequestLine != "GET /ws?x=1 HTTP/1.1" || hs.RequestHeader("x-lower") != "a" || !strings.Contains(got, "x-lower: a\r\n") {
		t.Errorf("request line %q / headers %v", hs.RequestLine, hs.Request)
	}
	if !hs.Upgraded() || !hs.Checks.AcceptOK {
		t.Errorf("checks %+v", hs.Checks)
	}
	if hs.Timings.Total <= 0 || hs.Timings.Upgrade <= 0 || hs.Timings.Connect <= 0 {
		t.Errorf("timings not measured: %+v", hs.Timings)
	}
}

func TestEveryOpcodeBothWays(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/")})
	if err := c.SendText("héllo"); err != nil {
		t.Fatal(err)
	}
	if f, _ := next(t, c, is(Recv, OpText)); string(f.Payload) != "héllo" {
		t.Fatalf("text echo %q", f.Payload)
	}
	bin := []byte{0, 1, 2, 0xff}
	c.SendBinary(bin)
	if f, _ := next(t, c, is(Recv, OpBinary)); !bytes.Equal(f.Payload, bin) {
		t.Fatalf("binary echo %v", f.Payload)
	}
	c.Ping([]byte("p1"))
	if f, _ := next(t, c, is(Recv, OpPong)); string(f.Payload) != "p1" {
		t.Fatalf("pong payload %q", f.Payload)
	}
	c.Pong([]byte("u"))
	next(t, c, is(Send, OpPong))
	// The server pings: the ping is visible and still answered.
	c.SendText("cmd:ping")
	if f, _ := next(t, c, is(Recv, OpPing)); string(f.Payload) != "srv" {
		t.Fatalf("ping payload %q", f.Payload)
	}
	if f, _ := next(t, c, is(Send, OpPong)); f.Flags&FlagAuto == 0 || string(f.Payload) != "srv" {
		t.Fatalf("auto pong %+v", f)
	}
	c.SendText("cmd:pong")
	if f, _ := next(t, c, is(Recv, OpPong)); string(f.Payload) != "unsolicited" {
		t.Fatalf("unsolicited pong %q", f.Payload)
	}
	if err := c.Ping(make([]byte, 126)); err == nil {
		t.Fatal("a 126-byte ping was accepted")
	}
}

func TestServerCloseCodeAndReason(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/")})
	c.SendText("cmd:close:bye now")
	sc, frames := closedState(t, c)
	if sc.Cause != CauseRemoteClose || sc.Code != 4001 || sc.Reason != "bye now" || !sc.Cause.Clean() {
		t.Fatalf("state %+v", sc)
	}
	var sawEcho bool
	for _, f := range frames {
		if f.Dir == Send && f.Op == OpClose && f.Code == 4001 && f.Flags&FlagAuto != 0 {
			sawEcho = true
		}
	}
	if !sawEcho {
		t.Fatalf("no close echo among %+v", frames)
	}
}

func TestLocalClose(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/")})
	if err := c.Close(4999, "done"); err != nil {
		t.Fatal(err)
	}
	sc, _ := closedState(t, c)
	if sc.Cause != CauseLocalClose || sc.Code != 4999 {
		t.Fatalf("state %+v", sc)
	}
	if err := c.SendText("late"); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if err := c.Close(1000, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	for _, code := range []int{1005, 1006, 1015, 999, 5000} {
		if ValidateCloseCode(code) == nil {
			t.Errorf("close code %d accepted", code)
		}
	}
}

func TestAbnormalCloseWithoutCloseFrame(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/")})
	c.SendText("cmd:drop")
	sc, _ := closedState(t, c)
	if sc.Cause != CauseAbnormal || sc.Code != 1006 || sc.Cause.Clean() {
		t.Fatalf("state %+v", sc)
	}
	if !strings.Contains(sc.Detail, "without a close frame") {
		t.Fatalf("detail %q", sc.Detail)
	}
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("Done not closed")
	}
}

func TestInvalidUTF8IsFlaggedNotFatal(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/")})
	c.SendText("cmd:badutf8")
	f, _ := next(t, c, is(Recv, OpText))
	if f.Flags&FlagInvalidUTF8 == 0 {
		t.Fatalf("not flagged: %+v", f)
	}
	c.SendText("still alive")
	if f, _ := next(t, c, is(Recv, OpText)); string(f.Payload) != "still alive" {
		t.Fatalf("after invalid UTF-8: %q", f.Payload)
	}
}

func TestMaxMessageSizeCloses1009(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/"), MaxMessageSize: 1024})
	c.SendText("cmd:big:")
	sc, frames := closedState(t, c)
	if sc.Cause != CauseTooBig || sc.Code != 1009 {
		t.Fatalf("state %+v", sc)
	}
	last := frames[len(frames)-1]
	if last.Op != OpClose || last.Code != 1009 || last.Dir != Send {
		t.Fatalf("last frame %+v", last)
	}
}

func TestSubprotocolCompressionAndPingRTT(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/"), Subprotocols: []string{"chat.v1"}, Compress: true, PingInterval: 20 * time.Millisecond})
	hs := c.Handshake()
	if c.Subprotocol() != "chat.v1" || !hs.Checks.SubprotocolOK {
		t.Fatalf("subprotocol %q checks %+v", c.Subprotocol(), hs.Checks)
	}
	if len(hs.Checks.Extensions) != 1 || hs.Checks.Extensions[0] != "permessage-deflate" || !hs.Checks.ExtensionsOK {
		t.Fatalf("extensions %v", hs.Checks.Extensions)
	}
	c.SendText(strings.Repeat("compress me ", 100))
	if f, _ := next(t, c, is(Recv, OpText)); len(f.Payload) != 1200 {
		t.Fatalf("compressed echo %d bytes", len(f.Payload))
	}
	_, rtt := next(t, c, func(f Frame) bool { return f.Op == OpPong && f.Dir == Recv })
	if rtt <= 0 || rtt > time.Second || c.LastRTT() <= 0 {
		t.Fatalf("rtt %v last %v", rtt, c.LastRTT())
	}
}

func TestNoAutoPong(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/"), NoAutoPong: true})
	c.SendText("cmd:ping")
	next(t, c, is(Recv, OpPing))
	c.SendText("marker")
	f, _ := next(t, c, func(f Frame) bool { return f.Dir == Send && f.Op != OpText || f.Dir == Recv && f.Op == OpText })
	if f.Op == OpPong {
		t.Fatal("answered a ping despite NoAutoPong")
	}
}

func TestConcurrentSendsAreSafe(t *testing.T) {
	s := echoServer(t)
	c := dial(t, Config{URL: wsURL(s, "/")})
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				c.SendText("x")
				c.Ping(nil)
			}
			done <- struct{}{}
		}()
	}
	got := 0
	for got < 200 {
		next(t, c, is(Recv, OpText))
		got++
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// TestHalfOpenIsFoundByPingTimeout: a server that completes the handshake
// and then neither reads nor answers (a half-open connection looks the
// same from the client) is declared dead when pongs stop coming.
func TestHalfOpenIsFoundByPingTimeout(t *testing.T) {
	srv := wstest.Start(t, func(key string) string { return wstest.Upgrade101(key) },
		func(net.Conn) { time.Sleep(5 * time.Second) }) // silent, never reads: no pongs
	c := dial(t, Config{URL: "ws://" + srv.Addr + "/", PingInterval: 50 * time.Millisecond})
	sc, frames := closedState(t, c)
	if sc.Cause != CausePingTimeout || !strings.Contains(sc.Detail, "half-open") {
		t.Fatalf("state %+v", sc)
	}
	pings := 0
	for _, f := range frames {
		if f.Op == OpPing && f.Dir == Send {
			pings++
		}
	}
	if pings < 2 {
		t.Fatalf("%d pings before giving up", pings)
	}
}
