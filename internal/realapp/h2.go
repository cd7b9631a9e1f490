package realapp

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wscope/wscope/internal/realproxy"
)

// Apps for WebSockets over HTTP/2 (RFC 8441), each over TLS on 127.0.0.1
// with a certificate from a fresh test CA (see realproxy.H2Server; the
// proxies are there too). What each one sends is written down in
// h2_test.go.

// GoXConnect builds and starts testdata/goxconnect: net/http serving TLS
// with HTTP/2 (ALPN h2, http/1.1) and GODEBUG=http2xconnect=1, so it
// advertises ENABLE_CONNECT_PROTOCOL, in front of a plain gorilla/websocket
// echo handler at /echo. HTTP/1.1 gets a 101 and the echo; an extended
// CONNECT reaches the handler, which gorilla refuses with a 400
// (golang/go#71128).
func GoXConnect(t *testing.T) *realproxy.H2Server {
	t.Helper()
	goBin := realproxy.Need(t, "go", "golang-go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "goxconnect")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Dir = filepath.Join(testdata(), "goxconnect")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/goxconnect: %v\n%s", err, out)
	}
	cert := realproxy.NewH2Cert(t, dir)
	port := realproxy.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := realproxy.Start(t, realproxy.Command{Dir: dir, Port: port, Name: bin,
		Env:  []string{"GODEBUG=http2xconnect=1"},
		Args: []string{addr, cert.Cert, cert.Key}})
	s := realproxy.NewH2Server("Go net/http (GODEBUG=http2xconnect=1) + gorilla/websocket", addr, "/echo", cert.CA)
	s.Proc = p
	return s
}

// NodeH2 modes.
const (
	// NodeH2Stream is http2.createSecureServer({settings:
	// {enableConnectProtocol: true}}), h2 only, with a 'stream' handler
	// that answers an extended CONNECT to /echo with :status 200 and runs
	// a `ws` WebSocket on the stream (WebSocket#setSocket, as in the
	// workarounds of socket.io#5067 and ws#1458). The echo works.
	NodeH2Stream = "stream"
	// NodeH2UpgradeOnly adds allowHTTP1, a request handler and an
	// HTTP/1.1 'upgrade' handler (ws) but no 'connect' handler, with the
	// setting advertised: HTTP/1.1 gets a 101 and the echo, an extended
	// CONNECT the compat layer's 405 (socket.io#5067).
	NodeH2UpgradeOnly = "upgrade"
	// NodeH2UpgradeNoSetting is NodeH2UpgradeOnly without
	// enableConnectProtocol (socket.io's HTTP/2 example): the setting is
	// not advertised, so clients keep WebSockets on HTTP/1.1.
	NodeH2UpgradeNoSetting = "upgrade-nosetting"
)

// NodeH2 starts Node's http2 (testdata/node/h2-server.js) in mode; its
// WebSocket echo endpoint is /echo.
func NodeH2(t *testing.T, mode string) *realproxy.H2Server {
	t.Helper()
	cert := realproxy.NewH2Cert(t, t.TempDir())
	p := startNode(t, "h2-server.js", mode, cert.Cert, cert.Key)
	s := realproxy.NewH2Server("Node http2 ("+mode+")", p.Addr, "/echo", cert.CA)
	s.Proc = p
	return s
}
