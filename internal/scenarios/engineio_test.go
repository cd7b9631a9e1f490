package scenarios

import (
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/probe"
)

var sidRE = regexp.MustCompile(`"sid":"([^"]+)"`)

// pollingSID opens an Engine.IO session the way the Socket.IO client does
// by default (a long-polling handshake) and returns its sid.
func pollingSID(t *testing.T, addr string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get("http://" + addr + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := sidRE.FindSubmatch(body)
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("polling handshake: %s %q", res.Status, body)
	}
	return string(m[1])
}

// TestEngineIOStickySessions: two Socket.IO nodes behind a round-robin
// balancer without stickiness (socket.io-sticky#2). The client opens its
// session by polling on one node and upgrades on the other, which answers
// 400 "Session ID unknown". wscope must say sticky-session-missing, not
// upgrade-rejected, and give the balancer's way to stick.
func TestEngineIOStickySessions(t *testing.T) {
	a, b := realapp.SocketIO(t, "a"), realapp.SocketIO(t, "b")
	balancers := []struct {
		name  string
		start func(t *testing.T) *realproxy.Proxy
		fix   []string
	}{
		{"nginx", func(t *testing.T) *realproxy.Proxy {
			return nginx(t, a.Addr, map[string]string{"upstream2": b.Addr})
		}, []string{"ip_hash", "hash $remote_addr"}},
		{"haproxy", func(t *testing.T) *realproxy.Proxy {
			return haproxy(t, a.Addr, map[string]string{"upstream2": b.Addr})
		}, []string{"balance source", "cookie"}},
	}
	for _, lb := range balancers {
		t.Run(lb.name, func(t *testing.T) {
			t.Parallel()
			p := lb.start(t)
			// Round robin sends the upgrade to the other node; should the
			// two requests land on the same one (another client in
			// between), open a new session.
			var r *probe.Report
			for try := 0; try < 4; try++ {
				sid := pollingSID(t, p.Addr)
				r = run(t, "ws://"+p.Addr+"/socket.io/?EIO=4&transport=websocket&sid="+sid, nil)
				if r.Status == 400 {
					break
				}
			}
			if r.Status != 400 {
				t.Fatalf("never landed on the other node:\n%s", describe(r))
			}
			check(t, r, expect{ID: "sticky-session-missing", Responder: []string{"engine.io", lb.name}, Proxy: lb.name, FixAny: lb.fix})
			noFinding(t, r, "upgrade-rejected")
		})
	}
}

// TestSocketIOTransportUnknown: a Socket.IO URL without
// transport=websocket gets 400 {"code":0,"message":"Transport unknown"}
// from Engine.IO itself: no proxy is involved and nothing is missing from
// the handshake; the fix is the query.
func TestSocketIOTransportUnknown(t *testing.T) {
	app := realapp.SocketIO(t, "a")
	r := run(t, "ws://"+app.Addr+"/socket.io/?EIO=4", nil)
	if r.Status != 400 {
		t.Fatalf("Engine.IO did not refuse:\n%s", describe(r))
	}
	check(t, r, expect{ID: "upgrade-refused", Responder: []string{"engine.io"}, Role: diagnose.RoleApp, Proxy: "",
		FixHas: []string{"transport=websocket"}, Shows: []string{"Transport unknown"}})
	noFinding(t, r, "upgrade-rejected")
}

// TestSocketIOAnswersEIO3WithHTTPAfter101: Socket.IO v4 (without
// allowEIO3) completes the upgrade of an EIO=3 client and then writes an
// HTTP 400 ("Unsupported protocol version") on the WebSocket. wscope must
// say protocol-error and show those bytes, not only "RSV1 set".
func TestSocketIOAnswersEIO3WithHTTPAfter101(t *testing.T) {
	app := realapp.SocketIO(t, "a")
	r := run(t, "ws://"+app.Addr+"/socket.io/?EIO=3&transport=websocket", nil)
	if r.Status != 101 {
		t.Fatalf("expected the 101 first:\n%s", describe(r))
	}
	check(t, r, expect{ID: "protocol-error", Responder: []string{"engine.io"}, Proxy: "",
		Shows: []string{"HTTP/1.1 400 Bad Request"}})
}
