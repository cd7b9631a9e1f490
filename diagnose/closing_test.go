package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/session"
)

// cutAfter is the evidence of a quiet connection cut without a close frame.
func cutAfter(h *session.Handshake, d time.Duration) Evidence {
	open := time.Unix(1000, 0)
	return Evidence{Chain: []*session.Handshake{h}, OpenedAt: open, LastFrameAt: open,
		Closed: &session.StateChange{State: session.StateClosed, Time: open.Add(d), Cause: session.CauseAbnormal, Code: 1006,
			Detail: "the connection ended without a close frame (1006 abnormal closure)"}}
}

// The proxy the 101 names is the one whose idle setting the finding names,
// with the measured time, and no other proxy's setting.
func TestIdleTimeoutNamesTheProxyOfThe101(t *testing.T) {
	cases := []struct {
		name, raw string
		after     time.Duration
		who       string
		conf      Confidence
		fix       string
	}{
		{"nginx default", nginx101, 60 * time.Second, "nginx", High, "proxy_read_timeout 3600s"},
		{"nginx set to 5s", nginx101, 5 * time.Second, "nginx", Medium, "cut the quiet tunnel after 5s"},
		{"lighttpd cuts at N+1", lighttpd101, 61 * time.Second, "lighttpd", High, "server.max-read-idle = 60 (it cuts at N+1 s)"},
		{"lighttpd set to 2", lighttpd101, 3 * time.Second, "lighttpd", Medium, "server.max-read-idle = 2"},
		{"HAProxy timeout client 50s", haproxy101, 50 * time.Second, "haproxy", Medium, "timeout tunnel 1h"},
		{"h2o default 5 min", h2o101, 300 * time.Second, "h2o", High, "proxy.websocket.timeout: 3600000"},
		{"Caddy has no idle timeout of its own", caddy101, 30 * time.Second, "caddy", Medium, "stream_timeout"},
		{"Cloudflare", cloudflare101, 100 * time.Second, "cloudflare", High, "about 100s"},
		// Apache names itself only by how it rebuilds the 101: weaker.
		{"Apache default Timeout", apache101, 60 * time.Second, "apache", Medium, "Timeout 3600"},
		{"Apache Timeout 2", apache101, 2 * time.Second, "apache", Low, "upgrade=websocket timeout=3600"},
	}
	for _, c := range cases {
		fs := Diagnose(cutAfter(fixture("ws://app.example.com/ws", c.raw), c.after))
		if len(fs) != 1 || fs[0].ID != "idle-timeout" {
			t.Errorf("%s: %s", c.name, ids(fs))
			continue
		}
		f := fs[0]
		if f.Responder.Name != c.who || f.Confidence != c.conf || !strings.Contains(f.Fix, c.fix) {
			t.Errorf("%s: %+v %s\n%s", c.name, f.Responder, f.Confidence, f.Fix)
		}
		onlyFixOf(t, c.name, f.Fix, c.who)
		if f.Check == "" || !strings.Contains(f.Check, "--ping-interval") {
			t.Errorf("%s: check %q", c.name, f.Check)
		}
	}
}

// A 101 that names nobody (varnish's pipe passes the app's untouched) gets
// the candidates by their defaults, at low confidence, and the generic fix.
func TestIdleTimeoutWithoutANamedProxy(t *testing.T) {
	for _, raw := range []string{varnishPiped101} {
		fs := Diagnose(cutAfter(fixture("ws://app.example.com/ws", raw), 60*time.Second))
		if ids(fs) != "idle-timeout:error" {
			t.Fatalf("%s", ids(fs))
		}
		f := fs[0]
		if f.Responder != (Responder{}) || f.Confidence != Low || len(f.Alternatives) < 3 {
			t.Errorf("unnamed: %+v %s %d alternatives", f.Responder, f.Confidence, len(f.Alternatives))
		}
		onlyFixOf(t, "unnamed", f.Fix)
		var alt []string
		for _, a := range f.Alternatives {
			alt = append(alt, a.Title)
		}
		for _, want := range []string{"nginx", "Apache", "varnish", "AWS ALB"} {
			if !strings.Contains(strings.Join(alt, "|"), want) {
				t.Errorf("candidates %q lack %s", alt, want)
			}
		}
	}
}

// A plain GET of the same URL (session.PlainGet, passed as Related) names
// the proxy a piped 101 hides.
func TestIdleTimeoutNamedByARelatedAnswer(t *testing.T) {
	ev := cutAfter(fixture("ws://app.example.com/ws", varnishPiped101), 60*time.Second)
	ev.Related = []*session.Handshake{fixture("ws://app.example.com/ws", varnishGorilla400)}
	fs := Diagnose(ev)
	if ids(fs) != "idle-timeout:error" || fs[0].Responder.Name != "varnish" || fs[0].Confidence != High || !strings.Contains(fs[0].Fix, "pipe_timeout") {
		t.Fatalf("%s %+v", ids(fs), fs)
	}
	onlyFixOf(t, "varnish by Related", fs[0].Fix, "varnish")
}

// A server that pinged while wscope did not answer, then dropped the
// connection, enforced its own ping timeout: not a proxy idle timeout.
func TestServerPingTimeoutIsNotIdle(t *testing.T) {
	ev := cutAfter(fixture("ws://app.example.com/ws", nginx101), 31*time.Second)
	ev.ServerPings, ev.UnansweredPings = 3, 3
	ev.FirstUnansweredPing = ev.OpenedAt.Add(10 * time.Second)
	ev.LastServerPing = ev.OpenedAt.Add(30 * time.Second)
	ev.LastFrameAt = ev.LastServerPing
	fs := Diagnose(ev)
	if ids(fs) != "ping-timeout:error" || fs[0].Responder.Role != RoleApp || !strings.Contains(fs[0].Detail, "21s after the first unanswered") ||
		!strings.Contains(fs[0].Check, "--no-auto-pong") || strings.Contains(fs[0].Fix, "proxy_read_timeout") {
		t.Fatalf("%s %+v", ids(fs), fs)
	}
	// The same cut with every ping answered is not the server's ping timeout.
	ev.UnansweredPings = 0
	ev.LastFrameAt = ev.Closed.Time.Add(-200 * time.Millisecond)
	if fs := Diagnose(ev); ids(fs) != "abnormal-close:error" {
		t.Fatalf("answered pings: %s", ids(fs))
	}
	// wscope's own pings unanswered: half-open, the network's doing.
	half := cutAfter(fixture("ws://app.example.com/ws", nginx101), 10*time.Second)
	half.Closed.Cause = session.CausePingTimeout
	if fs := Diagnose(half); ids(fs) != "ping-timeout:error" || fs[0].Responder.Role != RoleNetwork {
		t.Fatalf("half-open: %s %+v", ids(fs), fs)
	}
}

func closedWith(h *session.Handshake, code int, reason string) Evidence {
	open := time.Unix(1000, 0)
	return Evidence{Chain: []*session.Handshake{h}, OpenedAt: open, LastFrameAt: open.Add(time.Second),
		Closed: &session.StateChange{State: session.StateClosed, Time: open.Add(2 * time.Second), Cause: session.CauseRemoteClose, Code: code, Reason: reason,
			Detail: "closed cleanly by the server: " + session.CloseCodeText(code)}}
}

func TestServerAndAppCloses(t *testing.T) {
	fs := Diagnose(closedWith(fixture("ws://app.example.com/ws", caddy101), 1001, ""))
	if ids(fs) != "server-close:warn" || fs[0].Responder.Name != "caddy" || !strings.Contains(fs[0].Fix, "stream_close_delay") || len(fs[0].Alternatives) == 0 {
		t.Errorf("Caddy reload: %s %+v", ids(fs), fs)
	}
	fs = Diagnose(closedWith(fixture("ws://app.example.com/ws", nginx101), 1001, ""))
	if ids(fs) != "server-close:warn" || fs[0].Responder.Role != RoleApp || strings.Contains(fs[0].Fix, "caddy") {
		t.Errorf("1001 through nginx: %s %+v", ids(fs), fs)
	}
	if fs := Diagnose(closedWith(fixture("ws://app.example.com/ws", nginx101), 1011, "")); ids(fs) != "server-close:error" {
		t.Errorf("1011: %s", ids(fs))
	}
	if fs := Diagnose(closedWith(fixture("ws://app.example.com/ws", nginx101), 1000, "")); len(fs) != 0 {
		t.Errorf("1000: %s", ids(fs))
	}
	gql := fixture("ws://app.example.com/graphql", nginx101+"", "Sec-WebSocket-Protocol", "graphql-transport-ws")
	gql.Response = append(gql.Response, session.Header{Name: "Sec-WebSocket-Protocol", Value: "graphql-transport-ws"})
	gql.Validate()
	fs = Diagnose(closedWith(gql, 4401, "Unauthorized"))
	if ids(fs) != "app-close:error" || !strings.Contains(fs[0].Title, "unauthorized") || !strings.Contains(fs[0].Fix, "connection_ack") || fs[0].Confidence != High {
		t.Errorf("graphql 4401: %s %+v", ids(fs), fs)
	}
	fs = Diagnose(closedWith(fixture("ws://odoo.example.com/websocket", nginx101), 4001, ""))
	if ids(fs) != "app-close:error" || fs[0].Responder.Name != "odoo" || !strings.Contains(fs[0].Title, "session expired") {
		t.Errorf("odoo 4001: %s %+v", ids(fs), fs)
	}
	if fs := Diagnose(closedWith(fixture("ws://app.example.com/ws", nginx101), 4000, "bye")); ids(fs) != "app-close:warn" {
		t.Errorf("unknown 4000: %s", ids(fs))
	}
}

// protocol-error shows the bytes the server sent after the 101, escaped.
func TestProtocolErrorShowsTheBytes(t *testing.T) {
	h := fixture("ws://app.example.com/socket.io/?EIO=3&transport=websocket", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
	ev := closedWith(h, 1002, "")
	ev.Closed.Cause = session.CauseProtocol
	ev.Closed.Detail = "the server broke the WebSocket framing rules: websocket: RSV1 set, RSV2 set, bad opcode 4"
	ev.Closed.Raw = []byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\n\r\n\x1b[2J")
	fs := Diagnose(ev)
	if ids(fs) != "protocol-error:error" || fs[0].Responder.Name != "engine.io" || !strings.Contains(fs[0].Fix, "allowEIO3") ||
		!strings.Contains(fs[0].Detail, `"HTTP/1.1 400 Bad Request\r\nConnection: close`) || strings.Contains(fs[0].Detail, "\x1b") {
		t.Fatalf("%s %+v", ids(fs), fs)
	}
	ev.Chain = []*session.Handshake{fixture("ws://app.example.com/ws", nginx101)}
	ev.Closed.Raw = []byte{0xc1, 0x05, 1, 2, 3, 4, 5}
	ev.Closed.Detail = "the server broke the WebSocket framing rules: websocket: RSV1 set, bad opcode 1"
	fs = Diagnose(ev)
	if ids(fs) != "protocol-error:error" || !strings.Contains(fs[0].Title, "compressed") || fs[0].Responder.Name != "nginx" {
		t.Fatalf("RSV1: %s %+v", ids(fs), fs)
	}
}

func TestUpgradeSwallowed(t *testing.T) {
	h := &session.Handshake{URL: "ws://odoo.example.com/websocket", ConnectAddr: "127.0.0.1:80", RequestRaw: []byte("GET /websocket HTTP/1.1\r\n\r\n")}
	h.Timings.Total = 10 * time.Second
	timeout := &session.Error{Class: session.ClassTimeout, NoResponseHead: true, Msg: "timed out after 10s waiting for the upgrade response"}
	fs := Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: timeout})
	if ids(fs) != "upgrade-swallowed:error" || fs[0].Check == "" || !strings.Contains(fs[0].Fix, "ssi") {
		t.Fatalf("%s %+v", ids(fs), fs)
	}
	// A plain GET of the same server names nginx: its fix, and only it.
	get := fixture("ws://odoo.example.com/", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n")
	fs = Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: timeout, Related: []*session.Handshake{get}})
	if ids(fs) != "upgrade-swallowed:error" || fs[0].Responder.Name != "nginx" || !strings.Contains(fs[0].Fix, "ssi off;") {
		t.Fatalf("with nginx named: %s %+v", ids(fs), fs)
	}
	onlyFixOf(t, "swallowed", fs[0].Fix, "nginx")
	// The session's own follow-up GET names nginx just as well.
	h.PlainGet = get
	fs = Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: timeout})
	if fs[0].Responder.Name != "nginx" || !strings.Contains(fs[0].Fix, "ssi off;") {
		t.Fatalf("with the session's plain GET: %+v", fs[0])
	}
	// A connect timeout is not a swallowed upgrade.
	connect := &session.Error{Class: session.ClassTimeout, Msg: "timed out after 10s waiting for connecting to 10.0.0.1:80"}
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{{URL: "ws://10.0.0.1/"}}, DialErr: connect}); len(fs) != 0 {
		t.Fatalf("connect timeout: %s", ids(fs))
	}
}

func TestIncompleteChain(t *testing.T) {
	h := &session.Handshake{URL: "wss://app.example.com/ws", TLS: &session.TLSInfo{
		Chain:           []session.CertInfo{{Subject: "CN=app.example.com", Issuer: "CN=R3,O=Let's Encrypt,C=US"}},
		ChainIncomplete: true, MissingIssuer: "CN=R3,O=Let's Encrypt,C=US", IssuerURL: "http://r3.i.lencr.org/"}}
	err := &session.Error{Class: session.ClassTLS, Msg: "TLS: the certificate of app.example.com:443 is signed by an unknown authority"}
	fs := Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: err})
	if ids(fs) != "tls-untrusted:error" || !strings.Contains(fs[0].Title, "incomplete") || !strings.Contains(fs[0].Fix, "full chain") || fs[0].Confidence != High {
		t.Fatalf("%s %+v", ids(fs), fs)
	}
	h.TLS.IssuerURL = ""
	fs = Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: err})
	if fs[0].Confidence != Medium || len(fs[0].Alternatives) != 1 || !strings.Contains(fs[0].Alternatives[0].Fix, "--cacert") {
		t.Fatalf("without AIA: %+v", fs[0])
	}
	h.TLS.ChainIncomplete = false
	fs = Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: err})
	if strings.Contains(fs[0].Title, "incomplete") {
		t.Fatalf("self-signed called incomplete: %+v", fs[0])
	}
}

// The Collector counts the server's pings and whether wscope answered.
func TestCollectorCountsServerPings(t *testing.T) {
	c := NewCollector([]*session.Handshake{fixture("ws://a/ws", nginx101)}, nil, nil, 0)
	t0 := time.Unix(2000, 0)
	frame := func(dir session.Direction, op session.Opcode, at time.Duration) *session.Event {
		return &session.Event{Kind: session.EventFrame, Frame: session.Frame{Dir: dir, Op: op, Time: t0.Add(at)}}
	}
	c.Observe(frame(session.Recv, session.OpPing, 0))
	c.Observe(frame(session.Send, session.OpPong, 10*time.Millisecond))
	c.Observe(frame(session.Recv, session.OpPing, time.Second))
	c.Observe(frame(session.Recv, session.OpPing, 2*time.Second))
	ev := c.Evidence()
	if ev.ServerPings != 3 || ev.UnansweredPings != 2 || !ev.FirstUnansweredPing.Equal(t0.Add(time.Second)) || !ev.LastServerPing.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("%+v", ev)
	}
}
