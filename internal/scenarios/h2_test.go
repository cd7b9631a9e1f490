package scenarios

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/compare"
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// WebSockets over HTTP/2 (RFC 8441) against real servers: what `wscope
// probe URL --http 2|auto|1.1` reports. The browsers' path is the
// extended CONNECT whenever the server advertises it, with no fallback
// when it then fails.

// h2run probes the fixture's echo URL in mode, sending one message.
func h2run(t *testing.T, s *realproxy.H2Server, mode string, mod func(*probe.Options)) *probe.Report {
	t.Helper()
	return run(t, s.URL, func(o *probe.Options) {
		o.Session.CACertFile = s.CAFile
		o.Session.HTTP = mode
		o.Sends = []probe.Message{{Op: session.OpText, Payload: []byte("hello over " + mode)}}
		o.Count = 1
		if mod != nil {
			mod(o)
		}
	})
}

// echoedOverH2 asserts an HTTP/2 upgrade whose echo came back and that
// closed cleanly.
func echoedOverH2(t *testing.T, r *probe.Report, msg string) {
	t.Helper()
	if !r.Upgraded || r.Status != 200 || r.HTTPVersion != session.HTTP2 || r.H2 == nil || !r.H2.ConnectProtocol || r.H2.ALPN != "h2" {
		t.Fatalf("want an HTTP/2 extended CONNECT answered 200:\n%s", describe(r))
	}
	got := false
	for _, f := range r.Frames {
		if f.Dir == "recv" && f.Text != nil && *f.Text == msg {
			got = true
		}
	}
	if !got {
		t.Fatalf("no echo of %q over the HTTP/2 stream:\n%s", msg, describe(r))
	}
	if r.Close == nil || !r.Close.Clean || r.Close.Code != 1000 {
		t.Errorf("want a clean close over the stream:\n%s", describe(r))
	}
	if r.Request == nil || !strings.Contains(r.Request.Raw, ":protocol: websocket") || strings.Contains(strings.ToLower(r.Request.Raw), "sec-websocket-key") {
		t.Errorf("the request is not an extended CONNECT:\n%v", r.Request)
	}
}

func TestH2WorkingServers(t *testing.T) {
	servers := []struct {
		name  string
		start func(t *testing.T) *realproxy.H2Server
	}{
		{"haproxy", realproxy.HAProxyH2},
		{"apache", realproxy.ApacheH2},
		{"node-stream", func(t *testing.T) *realproxy.H2Server { return realapp.NodeH2(t, realapp.NodeH2Stream) }},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.start(t)
			for _, mode := range []string{session.HTTPMode2, session.HTTPModeAuto} {
				r := h2run(t, srv, mode, nil)
				echoedOverH2(t, r, "hello over "+mode)
				noFinding(t, r, "h2-websocket-refused", "h2-not-advertised", "upgrade-rejected")
			}
		})
	}
}

func TestH2NotAdvertisedNginx(t *testing.T) {
	srv := realproxy.NginxH2(t)
	r := h2run(t, srv, session.HTTPMode2, nil)
	if r.Upgraded || r.H2 == nil || r.H2.ConnectProtocol || len(r.H2.Settings) == 0 || !strings.Contains(r.Error, "SETTINGS_ENABLE_CONNECT_PROTOCOL") {
		t.Fatalf("want a refusal to send the CONNECT (not advertised):\n%s", describe(r))
	}
	check(t, r, expect{ID: "h2-not-advertised", Severity: diagnose.Info})
	noFinding(t, r, "h2-websocket-refused", "upgrade-rejected")
	// auto: what a browser does — HTTP/1.1, which works.
	a := h2run(t, srv, session.HTTPModeAuto, nil)
	if !a.Upgraded || a.HTTPVersion != session.HTTP11 || a.H2 == nil || !a.H2.Fallback {
		t.Fatalf("auto should fall back to HTTP/1.1 like a browser:\n%s", describe(a))
	}
	if diagnose.HasError(a.Findings) {
		t.Errorf("the browsers' path works here:\n%s", describe(a))
	}
	// forced: nginx answers the CONNECT it never advertised with 400.
	f := h2run(t, srv, session.HTTPMode2, func(o *probe.Options) { o.Session.ForceH2 = true })
	if f.Upgraded || f.Status != 400 || !f.H2.Forced {
		t.Fatalf("forced CONNECT to nginx:\n%s", describe(f))
	}
	// No browser sends this CONNECT: information, not an error.
	check(t, f, expect{ID: "h2-websocket-refused", Severity: diagnose.Info, Responder: []string{"nginx"}})
}

func TestH2RefusedBehindHAProxyH2Backend(t *testing.T) {
	srv := realproxy.HAProxyH2Backend(t)
	r := h2run(t, srv, session.HTTPMode2, nil)
	if r.Upgraded || r.H2 == nil || r.H2.RST == nil || r.H2.RST.Name != "REFUSED_STREAM" {
		t.Fatalf("want RST_STREAM REFUSED_STREAM:\n%s", describe(r))
	}
	check(t, r, expect{ID: "h2-websocket-refused", Severity: diagnose.Error, Responder: []string{"haproxy"}, Proxy: "haproxy",
		FixHas: []string{"proto h2"}, Shows: []string{"REFUSED_STREAM"}})
	// auto goes the same way: the browser fails here.
	a := h2run(t, srv, session.HTTPModeAuto, nil)
	if a.Upgraded || a.HTTPVersion != session.HTTP2 {
		t.Fatalf("auto must take the browser's path (HTTP/2, refused):\n%s", describe(a))
	}
}

func TestH2RefusedByGoXConnect(t *testing.T) {
	srv := realapp.GoXConnect(t)
	r := h2run(t, srv, session.HTTPMode2, nil)
	if r.Upgraded || r.Status != 400 || r.HTTPVersion != session.HTTP2 || !r.H2.ConnectProtocol {
		t.Fatalf("want a 400 to the extended CONNECT:\n%s", describe(r))
	}
	check(t, r, expect{ID: "h2-websocket-refused", Severity: diagnose.Error, Responder: []string{"gorilla", "go-net-http"}, Proxy: "",
		FixHas: []string{"http2xconnect"}})
	noFinding(t, r, "upgrade-rejected")
	h1 := h2run(t, srv, session.HTTPMode11, nil)
	if !h1.Upgraded || h1.Status != 101 {
		t.Fatalf("HTTP/1.1 must work against the same server:\n%s", describe(h1))
	}
	a := h2run(t, srv, session.HTTPModeAuto, nil)
	if a.Upgraded || a.Status != 400 {
		t.Fatalf("auto (the browser's path) must fail like the browser:\n%s", describe(a))
	}
}

func TestH2RefusedByNodeUpgradeOnly(t *testing.T) {
	srv := realapp.NodeH2(t, realapp.NodeH2UpgradeOnly)
	r := h2run(t, srv, session.HTTPMode2, nil)
	if r.Upgraded || r.Status != 405 || r.HTTPVersion != session.HTTP2 {
		t.Fatalf("want a 405 to the extended CONNECT:\n%s", describe(r))
	}
	check(t, r, expect{ID: "h2-websocket-refused", Severity: diagnose.Error, Responder: []string{"node-http2"}, Proxy: "",
		FixHas: []string{"enableConnectProtocol"}})
}

func TestH2GoAwayFromH2O(t *testing.T) {
	srv := realproxy.H2OH2(t)
	a := h2run(t, srv, session.HTTPModeAuto, nil)
	if !a.Upgraded || a.HTTPVersion != session.HTTP11 || a.H2 == nil || !a.H2.Fallback || a.H2.ConnectProtocol {
		t.Fatalf("h2o does not advertise RFC 8441; auto should use HTTP/1.1:\n%s", describe(a))
	}
	f := h2run(t, srv, session.HTTPMode2, func(o *probe.Options) { o.Session.ForceH2 = true })
	if f.Upgraded || f.H2 == nil || f.H2.GoAway == nil || !f.H2.Forced {
		t.Fatalf("want a GOAWAY on the forced CONNECT:\n%s", describe(f))
	}
	check(t, f, expect{ID: "h2-goaway", Severity: diagnose.Info})
	t.Logf("h2o: GOAWAY %s (last stream %d); %s", f.H2.GoAway.Name, f.H2.GoAway.LastStreamID, f.Error)
}

// TestH2CompareAcrossHTTPVersions: `wscope compare URL URL --a-http 1.1
// --b-http 2` against a Go http2xconnect origin names the browser-only
// failure and is an error; against nginx (HTTP/2 for WebSockets not
// advertised, so browsers use HTTP/1.1) the difference is no error.
func TestH2CompareAcrossHTTPVersions(t *testing.T) {
	side := func(s *realproxy.H2Server, mode string) probe.Options {
		o := probe.Options{Session: session.Config{URL: s.URL, CACertFile: s.CAFile, HTTP: mode}}
		o.Wait = 300 * time.Millisecond
		return o
	}
	goSrv := realapp.GoXConnect(t)
	res := compare.Run(context.Background(), side(goSrv, session.HTTPMode11), side(goSrv, session.HTTPMode2))
	if !res.ErrorLevel() || !slices.ContainsFunc(res.Findings, func(f diagnose.Finding) bool { return f.ID == "h2-websocket-refused" }) {
		t.Fatalf("Go http2xconnect: error level %v, findings %v", res.ErrorLevel(), findingIDs(res.Findings))
	}
	ng := realproxy.NginxH2(t)
	res = compare.Run(context.Background(), side(ng, session.HTTPMode11), side(ng, session.HTTPMode2))
	if res.ErrorLevel() {
		t.Fatalf("nginx: not advertised is no error for browsers; findings %v", findingIDs(res.Findings))
	}
}

func findingIDs(fs []diagnose.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// TestH2AppRefusalIsNotAnHTTP2Failure: Rails ActionCable behind HAProxy's
// HTTP/2 frontend refuses a foreign Origin with its 404 over HTTP/2 just as
// over HTTP/1.1. That is the app's origin check, not the HTTP/2 path: the
// finding is origin-rejected from Rails, with no h2 blame and no proxy fix;
// with the page's own origin the CONNECT opens.
func TestH2AppRefusalIsNotAnHTTP2Failure(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{})
	srv := realproxy.HAProxyH2To(t, app.Addr, "/cable")
	ok := h2run(t, srv, session.HTTPMode2, func(o *probe.Options) { o.Sends, o.Count = nil, 0 })
	if !ok.Upgraded || ok.HTTPVersion != session.HTTP2 || diagnose.HasError(ok.Findings) {
		t.Fatalf("control: ActionCable over HTTP/2 through HAProxy with the page's origin:\n%s", describe(ok))
	}
	r := h2run(t, srv, session.HTTPMode2, func(o *probe.Options) {
		o.Sends, o.Count = nil, 0
		o.Session.Origin = "https://evil.example"
	})
	if r.Upgraded || r.Status != 404 || r.HTTPVersion != session.HTTP2 {
		t.Fatalf("ActionCable did not refuse over HTTP/2:\n%s", describe(r))
	}
	check(t, r, expect{ID: "origin-rejected", Responder: []string{"rails"}, Role: diagnose.RoleApp,
		NotResponder: []string{"haproxy"}, Proxy: "haproxy", FixHas: []string{"allowed_request_origins"},
		FixLacks: []string{"X-Forwarded-Proto", "proto h2"}})
	noFinding(t, r, "h2-websocket-refused", "upgrade-rejected")
}
