// Package realapp starts real WebSocket application servers on 127.0.0.1
// for tests: Rails ActionCable on puma (Debian's ruby-actioncable and
// puma), Socket.IO v4, Node `ws` and graphql-ws (npm packages pinned in
// testdata/node/package-lock.json, installed with `npm ci`) and Python
// `websockets` (Debian's python3-websockets). Where no real server can be
// run here (Odoo), it serves the bytes the real one sends, from Go.
//
// Like realproxy, a missing runtime skips the test naming what to install,
// and fails it in CI (CI=true), which installs everything.
package realapp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wscope/wscope/internal/realproxy"
)

// App is a running application server: Addr is its 127.0.0.1:port and
// Output() what it printed.
type App = realproxy.Proxy

// testdata is this package's testdata directory, wherever the test runs.
func testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}

// NodeDir is where package.json and the Node scripts live.
func NodeDir() string { return filepath.Join(testdata(), "node") }

// node returns the node binary once the npm packages are installed.
func node(t *testing.T) string {
	t.Helper()
	bin := realproxy.Need(t, "node", "nodejs")
	for _, pkg := range []string{"ws", "socket.io", "graphql-ws", "graphql"} {
		if _, err := os.Stat(filepath.Join(NodeDir(), "node_modules", pkg, "package.json")); err != nil {
			realproxy.Missing(t, fmt.Sprintf("the npm package %s is not installed (run `npm ci` in %s; Debian packages nodejs and npm)", pkg, NodeDir()))
		}
	}
	return bin
}

func startNode(t *testing.T, script string, args ...string) *App {
	t.Helper()
	bin := node(t)
	port := realproxy.FreePort(t)
	argv := append([]string{filepath.Join(NodeDir(), script), fmt.Sprint(port)}, args...)
	return realproxy.Start(t, realproxy.Command{Dir: NodeDir(), Port: port, Name: bin, Args: argv})
}

// WS modes for WS.
const (
	WSEcho          = "echo"           // echoes; a plain GET gets ws's 426
	WSStrictDeflate = "strict-deflate" // permessage-deflate requiring client_max_window_bits and context takeover
	WSHeartbeat     = "heartbeat"      // pings every 500 ms, terminates a client that did not pong
	WSNoSubprotocol = "no-subprotocol" // selects no subprotocol
)

// WS starts a Node `ws` server (testdata/node/ws-server.js) in mode.
func WS(t *testing.T, mode string) *App {
	t.Helper()
	return startNode(t, "ws-server.js", mode)
}

// SocketIO starts a Socket.IO v4 server (testdata/node/socketio-server.js)
// that greets with name; its path is /socket.io/.
func SocketIO(t *testing.T, name string) *App {
	t.Helper()
	return startNode(t, "socketio-server.js", name)
}

// GraphQLWS starts graphql-ws on ws at /graphql
// (testdata/node/graphql-ws-server.js), with a 1 s init timeout.
func GraphQLWS(t *testing.T) *App {
	t.Helper()
	return startNode(t, "graphql-ws-server.js")
}

// CableOptions configure ActionCable.
type CableOptions struct {
	// ForceSSL puts ActionDispatch::SSL (config.force_ssl) in front: every
	// request that did not come over https (X-Forwarded-Proto) gets a 301.
	ForceSSL bool
	// SameOriginOnly allows only an Origin equal to the request's own
	// scheme://Host (allow_same_origin_as_host, no allowed_request_origins):
	// behind a TLS proxy that does not send X-Forwarded-Proto, the https
	// page's Origin fails (rails#31524).
	SameOriginOnly bool
}

// ActionCable starts Rails ActionCable on puma (testdata/actioncable/
// config.ru) at /cable with the origin check on: only http(s) origins of
// 127.0.0.1 or localhost, or the request's own scheme and host, are
// allowed (see CableOptions).
func ActionCable(t *testing.T, o CableOptions) *App {
	t.Helper()
	puma := realproxy.Need(t, "puma", "puma")
	ruby := realproxy.Need(t, "ruby", "ruby")
	if err := exec.Command(ruby, "-e", `require "action_cable"; require "action_dispatch"`).Run(); err != nil {
		realproxy.Missing(t, "Ruby cannot load action_cable (Debian package: ruby-actioncable)")
	}
	port := realproxy.FreePort(t)
	env := []string{"RACK_ENV=production", fmt.Sprintf("FORCE_SSL=%d", b2i(o.ForceSSL)), fmt.Sprintf("SAME_ORIGIN_ONLY=%d", b2i(o.SameOriginOnly))}
	return realproxy.Start(t, realproxy.Command{Dir: t.TempDir(), Port: port, Env: env, Name: puma,
		Args: []string{"-b", fmt.Sprintf("tcp://127.0.0.1:%d", port), "-t", "2:4", "--environment", "production",
			filepath.Join(testdata(), "actioncable", "config.ru")}})
}

// PythonWebsockets starts a Python `websockets` echo server that selects no
// subprotocol (testdata/python/echo_server.py), with Debian's python3.
func PythonWebsockets(t *testing.T) *App {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = realproxy.Need(t, "python3", "python3")
	}
	if err := exec.Command(py, "-c", "import websockets").Run(); err != nil {
		realproxy.Missing(t, py+" cannot import websockets (Debian package: python3-websockets)")
	}
	port := realproxy.FreePort(t)
	return realproxy.Start(t, realproxy.Command{Dir: t.TempDir(), Port: port, Name: py,
		Args: []string{filepath.Join(testdata(), "python", "echo_server.py"), fmt.Sprint(port)}})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
