package main

import (
	"testing"
	"time"

	"github.com/wscope/wscope/internal/realproxy"
)

// TestE2EInspectorOverHTTP2 runs the inspector in tmux against a real
// HAProxy that takes WebSockets over HTTP/2 (RFC 8441): the session opens
// with an extended CONNECT, the status bar says HTTP/2, a typed message is
// echoed over the stream, and the handshake pane shows the pseudo-headers.
func TestE2EInspectorOverHTTP2(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	srv := realproxy.HAProxyH2(t)
	bin := buildBinary(t)
	tm := startTmux(t, 140, 40, bin+" --http 2 --cacert "+srv.CAFile+" "+srv.URL)
	tm.waitFor(10*time.Second, "● open", "HTTP/2")
	tm.keys("i")
	tm.keys("hello over h2")
	tm.keys("Enter")
	tm.waitFor(5*time.Second, "→ text", "hello over h2", "← text")
	tm.keys("Escape")
	time.Sleep(300 * time.Millisecond)
	tm.keys("h")
	tm.waitFor(5*time.Second, "CONNECT /echo HTTP/2", ":protocol", "websocket")
	tm.keys("q")
	tm.waitFor(5*time.Second, "EXITED 0")
}
