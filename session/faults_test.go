package session

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wscope/wscope/internal/testproxy"
	"github.com/wscope/wscope/internal/wstest"
)

// TestFaultsLeaveNoGoroutines drives the engine through every fault it
// must survive — the server closing abruptly, resetting, going half-open,
// the proxy dying mid-session, DNS and TLS failures — and checks each ends
// in a clear state and leaves no goroutine behind.
func TestFaultsLeaveNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	s := echoServer(t)
	run := func(name string, cfg Config, provoke func(c *Conn), want Cause) {
		t.Helper()
		c, _, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		provoke(c)
		sc, _ := closedState(t, c)
		if sc.Cause != want || sc.Detail == "" {
			t.Errorf("%s: cause %s (%q), want %s", name, sc.Cause, sc.Detail, want)
		}
		for range c.Events() {
		}
		<-c.Done()
	}
	run("abrupt close", Config{URL: wsURL(s, "/")}, func(c *Conn) { c.SendText("cmd:drop") }, CauseAbnormal)
	run("clean close", Config{URL: wsURL(s, "/")}, func(c *Conn) { c.SendText("cmd:close:bye") }, CauseRemoteClose)
	run("local close", Config{URL: wsURL(s, "/")}, func(c *Conn) { c.Close(1000, "") }, CauseLocalClose)
	run("too big", Config{URL: wsURL(s, "/"), MaxMessageSize: 100}, func(c *Conn) { c.SendText("cmd:big:") }, CauseTooBig)

	// A reset: the server aborts the TCP connection with RST.
	reset := resetServer(t)
	run("reset", Config{URL: "ws://" + reset + "/"}, func(*Conn) {}, CauseReadError)

	// The proxy dies mid-session.
	p, err := testproxy.StartHTTPConnect(testproxy.HTTPConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run("proxy dies", Config{URL: wsURL(s, "/"), Proxy: p.URL()}, func(*Conn) { p.Close() }, CauseAbnormal)

	// Failures before the connection exists.
	for _, cfg := range []Config{
		{URL: "ws://no-such-host.invalid/", Timeout: 2 * time.Second},
		{URL: strings.Replace(wsURL(s, "/"), "ws://", "wss://", 1)},
		{URL: "ws://127.0.0.1:1/"},
	} {
		if _, _, err := Dial(context.Background(), cfg); err == nil {
			t.Errorf("%s connected", cfg.URL)
		}
	}
	s.CloseClientConnections()
	s.Close()
	http.DefaultClient.CloseIdleConnections()
}

// resetServer completes the handshake and then resets the connection
// (SO_LINGER 0 makes close send RST instead of FIN).
func resetServer(t *testing.T) string {
	t.Helper()
	return wstest.Start(t, func(key string) string { return wstest.Upgrade101(key) }, func(c net.Conn) {
		time.Sleep(50 * time.Millisecond)
		c.(*net.TCPConn).SetLinger(0)
	}).Addr
}
