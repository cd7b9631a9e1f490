package diagnose

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wscope/wscope/session"
)

// HTTP/2 answers to an extended CONNECT (RFC 8441), as the real servers
// sent them (internal/realapp and internal/realproxy h2_test.go: Go 1.26
// net/http with GODEBUG=http2xconnect=1 in front of gorilla, Node 20's
// http2, HAProxy 2.6.12, Apache 2.4.71, nginx 1.22.1). SETTINGS are in the
// server's order.
const (
	goSettings      = "MAX_FRAME_SIZE=1048576 MAX_CONCURRENT_STREAMS=250 MAX_HEADER_LIST_SIZE=1048896 HEADER_TABLE_SIZE=4096 INITIAL_WINDOW_SIZE=1048576 ENABLE_CONNECT_PROTOCOL=1"
	nodeSettings    = "ENABLE_CONNECT_PROTOCOL=1"
	haproxySettings = "ENABLE_CONNECT_PROTOCOL=1 MAX_CONCURRENT_STREAMS=100"
	apacheSettings  = "MAX_CONCURRENT_STREAMS=100 ENABLE_CONNECT_PROTOCOL=1"
	nginxSettings   = "MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16777215"
	// h2o's were not captured; these only have to name nobody.
	h2oSettings = "HEADER_TABLE_SIZE=4096 INITIAL_WINDOW_SIZE=16777216 MAX_FRAME_SIZE=16384"

	haproxy502Page = "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n"
	nginx400Page   = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
	// HAProxy's 502 to an HTTP/1.1 upgrade when its server speaks h2 (proto h2).
	haproxy502 = "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n" + haproxy502Page
)

// h2settings reads "NAME=value …" into SETTINGS as session records them.
func h2settings(spec string) []session.H2Setting {
	ids := map[string]uint16{}
	for id := uint16(1); id <= 9; id++ {
		ids[session.H2SettingName(id)] = id
	}
	var out []session.H2Setting
	for _, f := range strings.Fields(spec) {
		name, v, _ := strings.Cut(f, "=")
		var n uint32
		fmt.Sscan(v, &n)
		out = append(out, session.H2Setting{ID: ids[name], Name: name, Value: n})
	}
	return out
}

// h2fixture builds an HTTP/2 attempt as session's attemptH2 records it:
// ALPN h2, the server's SETTINGS, the CONNECT's header block (pseudo-headers
// first, lowercase names) and, when status is not 0, the answer's block
// (:status first, then fields as name/value pairs) and body.
func h2fixture(rawURL, settings string, status int, body string, fields ...string) *session.Handshake {
	u, _ := url.Parse(rawURL)
	hs := &session.Handshake{URL: rawURL, HTTPVersion: session.HTTP2, ConnectAddr: u.Host,
		TLS: &session.TLSInfo{Version: "TLS 1.3", ALPN: "h2", Verified: true},
		H2:  &session.H2Info{ALPN: "h2", Settings: h2settings(settings), StreamID: 1}}
	_, hs.H2.ConnectProtocol = hs.H2.Setting(session.SettingEnableConnectProtocol)
	hs.RequestLine = "CONNECT " + u.RequestURI() + " HTTP/2"
	hs.Request = []session.Header{{Name: ":method", Value: "CONNECT"}, {Name: ":protocol", Value: "websocket"},
		{Name: ":scheme", Value: "https"}, {Name: ":path", Value: u.RequestURI()}, {Name: ":authority", Value: u.Host},
		{Name: "origin", Value: "https://" + u.Hostname()}, {Name: "user-agent", Value: "wscope"},
		{Name: "sec-websocket-version", Value: "13"}}
	if status != 0 {
		hs.Status = status
		hs.StatusLine = fmt.Sprintf("HTTP/2 %d", status)
		hs.Response = []session.Header{{Name: ":status", Value: fmt.Sprint(status)}}
		for i := 0; i+1 < len(fields); i += 2 {
			hs.Response = append(hs.Response, session.Header{Name: fields[i], Value: fields[i+1]})
		}
		hs.Body = []byte(body)
	}
	hs.Validate()
	return hs
}

// notAdvertised is --http 2 against a server that speaks h2 without the
// setting: no CONNECT went out.
func notAdvertised(rawURL, settings string) *session.Handshake {
	hs := h2fixture(rawURL, settings, 0, "")
	hs.Request, hs.RequestLine = nil, ""
	hs.H2.StreamID = 0
	return hs
}

const goDate = "Wed, 25 Nov 2026 04:10:00 GMT"

// goGorilla400 is net/http (http2xconnect=1) handing the CONNECT to
// gorilla: http.Error's 400, sec-websocket-version: 13, no Server.
func goGorilla400() *session.Handshake {
	return h2fixture("wss://app.example.com/echo", goSettings, 400, "Bad Request\n",
		"content-type", "text/plain; charset=utf-8", "sec-websocket-version", "13", "x-content-type-options", "nosniff",
		"content-length", "12", "date", goDate)
}

func node405() *session.Handshake {
	return h2fixture("wss://app.example.com/echo", nodeSettings, 405, "", "date", goDate)
}

func haproxyRST() *session.Handshake {
	hs := h2fixture("wss://app.example.com/echo", haproxySettings, 0, "")
	hs.H2.RST = &session.H2Code{Code: 7, Name: "REFUSED_STREAM"}
	return hs
}

// h1ws101 is the same URL over HTTP/1.1: the app's 101 (gorilla's and ws's
// are the same bytes).
func h1ws101(rawURL string) *session.Handshake {
	h := fixture(rawURL, ws101)
	h.HTTPVersion = session.HTTP11
	return h
}

func refusedErr(hs *session.Handshake) *session.Error {
	if hs.Status != 0 {
		return &session.Error{Class: session.ClassStatus, Msg: fmt.Sprintf("server answered %d to the HTTP/2 extended CONNECT instead of 200", hs.Status)}
	}
	return &session.Error{Class: session.ClassProtocol, Msg: "the server reset the extended CONNECT stream (RST_STREAM REFUSED_STREAM) instead of answering"}
}

func only(t *testing.T, name string, fs []Finding, want string) Finding {
	t.Helper()
	if len(fs) != 1 || fs[0].ID+":"+string(fs[0].Severity) != want {
		t.Fatalf("%s: findings %s, want %s\n%+v", name, ids(fs), want, fs)
	}
	return fs[0]
}

func hasClue(f Finding, kind, text string) bool {
	for _, c := range f.Evidence {
		if c.Kind == kind && strings.Contains(c.Text, text) {
			return true
		}
	}
	return false
}

// noTokens fails when text carries any of the words.
func noTokens(t *testing.T, name, text string, words ...string) {
	t.Helper()
	for _, w := range words {
		if strings.Contains(text, w) {
			t.Errorf("%s: %q in\n%s", name, w, text)
		}
	}
}

// A Go server with http2xconnect=1 in front of gorilla: 400 over HTTP/2,
// 101 over HTTP/1.1. gorilla answered, Go's SETTINGS name the server, the
// fix is Go's, and nothing blames a proxy or the Upgrade headers (HTTP/2
// names are lowercase by the protocol: not HAProxy's doing).
func TestH2GoXConnectGorilla(t *testing.T) {
	hs := goGorilla400()
	h1 := h1ws101(hs.URL)
	f := only(t, "proven", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs), OtherHTTP: h1}), "h2-websocket-refused:error")
	if f.Responder != (Responder{Role: RoleApp, Name: "gorilla"}) || f.Confidence != High || len(f.Path) != 0 {
		t.Errorf("responder %+v, confidence %s, path %+v", f.Responder, f.Confidence, f.Path)
	}
	if f.Title != "Browsers that use HTTP/2 fail here while HTTP/1.1 clients work" || !strings.Contains(f.Detail, "Over HTTP/1.1 the same URL got HTTP/1.1 101") {
		t.Errorf("title %q\ndetail %s", f.Title, f.Detail)
	}
	if !strings.Contains(f.Fix, "http2xconnect") || !strings.Contains(f.Fix, "/echo") {
		t.Errorf("fix:\n%s", f.Fix)
	}
	onlyFixOf(t, "go", f.Fix, "go-net-http")
	noTokens(t, "go fix", f.Fix, "HAProxy", "proto h2", "enableConnectProtocol", "H2WebSockets", "Upgrade and Connection")
	if !hasClue(f, "other-http", "101") || !hasClue(f, "h2", "ENABLE_CONNECT_PROTOCOL=1") || !hasClue(f, "header", "sec-websocket-version: 13") {
		t.Errorf("evidence %+v", f.Evidence)
	}
	if !strings.Contains(f.Check, "http2xconnect") || strings.Contains(f.Check, "--http 1.1:") {
		t.Errorf("check %q", f.Check)
	}

	// Without the HTTP/1.1 attempt the HTTP/1.1 half is a likelihood, and
	// the check is to try it.
	f = only(t, "unproven", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs)}), "h2-websocket-refused:error")
	if !strings.Contains(f.Title, "likely work") || strings.Contains(f.Detail, "got HTTP/1.1 101") {
		t.Errorf("title %q detail %s", f.Title, f.Detail)
	}
	if !strings.HasPrefix(f.Check, "wscope probe wss://app.example.com/echo --http 1.1") {
		t.Errorf("check %q", f.Check)
	}
	if f.Confidence != High {
		t.Errorf("confidence %s: two signatures (Go's SETTINGS, gorilla's 400) name the cause", f.Confidence)
	}

	// Without Go's SETTINGS order, gorilla's answer alone: medium, and
	// another HTTP/2 server in front is the alternative.
	odd := goGorilla400()
	odd.H2.Settings = h2settings("ENABLE_CONNECT_PROTOCOL=1 INITIAL_WINDOW_SIZE=65535 MAX_FRAME_SIZE=16384")
	f = only(t, "gorilla alone", Diagnose(Evidence{Chain: []*session.Handshake{odd}, DialErr: refusedErr(odd)}), "h2-websocket-refused:error")
	if f.Responder.Name != "gorilla" || f.Confidence != Medium || len(f.Alternatives) == 0 || !strings.Contains(f.Fix, "http2xconnect") {
		t.Errorf("%+v", f)
	}
}

// Node's http2 with enableConnectProtocol and only an 'upgrade' handler:
// the compat layer's bare 405.
func TestH2NodeUpgradeOnly405(t *testing.T) {
	hs := node405()
	f := only(t, "node", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs), OtherHTTP: h1ws101(hs.URL)}), "h2-websocket-refused:error")
	if f.Responder != (Responder{Role: RoleApp, Name: "node-http2"}) || f.Confidence != High {
		t.Errorf("responder %+v, confidence %s", f.Responder, f.Confidence)
	}
	if !strings.Contains(f.Fix, "enableConnectProtocol") || !strings.Contains(f.Detail, "socket.io#5067") {
		t.Errorf("fix %s\ndetail %s", f.Fix, f.Detail)
	}
	onlyFixOf(t, "node", f.Fix, "node-http2")
	noTokens(t, "node fix", f.Fix, "http2xconnect", "GODEBUG", "proto h2", "HAProxy")
	if !hasClue(f, "header", "no header but date") {
		t.Errorf("evidence %+v", f.Evidence)
	}
	// A bare 405 over HTTP/1.1 is nobody's in particular.
	h1 := fixture("ws://app.example.com/echo", "HTTP/1.1 405 Method Not Allowed\r\nDate: "+goDate+"\r\n\r\n")
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{h1}}); len(fs) != 1 || fs[0].Responder.Name == "node-http2" || strings.HasPrefix(fs[0].ID, "h2-") {
		t.Errorf("HTTP/1.1 405: %s %+v", ids(fs), fs)
	}
}

// HAProxy with an HTTP/2 server (proto h2) that lacks RFC 8441: RST_STREAM
// REFUSED_STREAM over HTTP/2, its 502 over HTTP/1.1. Both fail.
func TestH2HAProxyH2BackendRefusesStream(t *testing.T) {
	hs := haproxyRST()
	f := only(t, "rst", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs)}), "h2-websocket-refused:error")
	if f.Responder != (Responder{Role: RoleReverseProxy, Name: "haproxy"}) || f.Confidence != Medium || !hasPath(f.Path, "haproxy") {
		t.Errorf("responder %+v, confidence %s, path %+v", f.Responder, f.Confidence, f.Path)
	}
	if !strings.Contains(f.Fix, "proto h2") || !hasClue(f, "h2", "RST_STREAM REFUSED_STREAM") {
		t.Errorf("fix %s\nevidence %+v", f.Fix, f.Evidence)
	}
	onlyFixOf(t, "haproxy", f.Fix, "haproxy")
	noTokens(t, "haproxy fix", f.Fix, "http2xconnect", "enableConnectProtocol", "H2WebSockets")
	if !strings.Contains(f.Title, "likely fail too") || len(f.Alternatives) == 0 || f.Alternatives[0].ID != "proxy-error" {
		t.Errorf("title %q, alternatives %+v", f.Title, f.Alternatives)
	}

	h1 := fixture("wss://app.example.com/echo", haproxy502)
	f = only(t, "rst + 502", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs), OtherHTTP: h1}), "h2-websocket-refused:error")
	if !strings.Contains(f.Title, "HTTP/1.1 clients fail too (502)") || f.Confidence != High || !hasClue(f, "other-http", "502") {
		t.Errorf("title %q, confidence %s, evidence %+v", f.Title, f.Confidence, f.Evidence)
	}
	if strings.Contains(f.Detail, "clients work") {
		t.Errorf("claims HTTP/1.1 works: %s", f.Detail)
	}
	// The HTTP/1.1 side alone: HAProxy's 502, with proto h2 as the other cause.
	f = only(t, "h1 502", Diagnose(Evidence{Chain: []*session.Handshake{h1}}), "proxy-error:error")
	if f.Responder.Name != "haproxy" || len(f.Alternatives) == 0 || !strings.Contains(f.Alternatives[len(f.Alternatives)-1].Title, "proto h2") || !strings.Contains(f.Check, "proto h2") {
		t.Errorf("%+v", f)
	}

	// HAProxy's own 502 page to the CONNECT: the same cause, the dead
	// backend the alternative.
	page := h2fixture("wss://app.example.com/echo", haproxySettings, 502, haproxy502Page,
		"content-length", "107", "cache-control", "no-cache", "content-type", "text/html")
	f = only(t, "h2 502", Diagnose(Evidence{Chain: []*session.Handshake{page}, DialErr: refusedErr(page)}), "h2-websocket-refused:error")
	if f.Responder.Name != "haproxy" || !strings.Contains(f.Fix, "proto h2") || f.Alternatives[0].ID != "proxy-error" {
		t.Errorf("%+v", f)
	}
}

// Apache with H2WebSockets on and a ProxyPass without upgrade=websocket:
// the backend (gorilla) gets a plain request. gorilla answered; Apache's
// fix, not Go's.
func TestH2ApacheBackendRefuses(t *testing.T) {
	hs := h2fixture("wss://app.example.com/echo", apacheSettings, 400, "Bad Request\n",
		"content-type", "text/plain; charset=utf-8", "sec-websocket-version", "13", "x-content-type-options", "nosniff",
		"content-length", "12", "date", goDate, "server", "Apache/2.4.71 (Debian)")
	f := only(t, "apache", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs), OtherHTTP: h1ws101(hs.URL)}), "h2-websocket-refused:error")
	if f.Responder != (Responder{Role: RoleApp, Name: "gorilla"}) || !hasPath(f.Path, "apache") {
		t.Errorf("responder %+v path %+v", f.Responder, f.Path)
	}
	if !strings.Contains(f.Fix, "H2WebSockets off") || !strings.Contains(f.Fix, "upgrade=websocket") {
		t.Errorf("fix %s", f.Fix)
	}
	onlyFixOf(t, "apache", f.Fix, "apache")
	noTokens(t, "apache fix", f.Fix, "http2xconnect", "enableConnectProtocol", "proto h2")
}

// An unknown server: the generic fix, low confidence, no product named.
func TestH2UnknownServerGetsTheGenericFix(t *testing.T) {
	hs := h2fixture("wss://app.example.com/ws", "ENABLE_CONNECT_PROTOCOL=1 HEADER_TABLE_SIZE=65536", 501, "", "content-length", "0")
	f := only(t, "unknown", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: refusedErr(hs)}), "h2-websocket-refused:error")
	if f.Confidence != Low || f.Responder.Name != "" || !strings.Contains(f.Fix, "stop advertising it") {
		t.Errorf("%+v", f)
	}
	onlyFixOf(t, "unknown", f.Fix)
}

// Success over HTTP/2 is a 2xx with none of the HTTP/1.1 headers: no
// finding at all (no missing Upgrade/Connection, no bad Accept).
func TestH2OpenedHasNoFindings(t *testing.T) {
	cases := map[string]*session.Handshake{
		"haproxy": h2fixture("wss://app.example.com/echo", haproxySettings, 200, "", "sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
		"apache":  h2fixture("wss://app.example.com/echo", apacheSettings, 200, ""),
		"node":    h2fixture("wss://app.example.com/echo", nodeSettings, 200, "", "date", goDate),
	}
	for name, hs := range cases {
		if !hs.Upgraded() {
			t.Fatalf("%s: fixture does not open", name)
		}
		ev := Evidence{Chain: []*session.Handshake{hs}, OtherHTTP: h1ws101(hs.URL)}
		if fs := Diagnose(ev); len(fs) != 0 {
			t.Errorf("%s: %s %+v", name, ids(fs), fs)
		}
		// A recording keeps the checks as they were: even without them the
		// HTTP/1.1 header rules stay quiet over HTTP/2.
		hs.Checks = session.Checks{SubprotocolOK: true, ExtensionsOK: true}
		if fs := Diagnose(ev); len(fs) != 0 {
			t.Errorf("%s without checks: %s", name, ids(fs))
		}
	}
}

// The subprotocol rule reads the HTTP/2 200 as it reads a 101.
func TestH2SubprotocolMismatch(t *testing.T) {
	hs := h2fixture("wss://app.example.com/graphql", haproxySettings, 200, "")
	hs.Request = append(hs.Request, session.Header{Name: "sec-websocket-protocol", Value: "graphql-transport-ws"})
	hs.Validate()
	f := only(t, "subprotocol", Diagnose(Evidence{Chain: []*session.Handshake{hs}, Subprotos: []string{"graphql-transport-ws"}}), "subprotocol-mismatch:error")
	if !hasClue(f, "header", "Sec-WebSocket-Protocol: ") || strings.Contains(fmt.Sprint(f.Evidence), "the 101") || !strings.Contains(fmt.Sprint(f.Evidence), "HTTP/2 200") {
		t.Errorf("evidence %+v", f.Evidence)
	}
}

// A refusal that is not about HTTP/2 (an origin, a session id) keeps its
// own diagnosis; the same answer with HTTP/1.1 opening is HTTP/2's.
func TestH2RefusalsThatAreNotAboutHTTP2(t *testing.T) {
	forbid := h2fixture("wss://app.example.com/ws", goSettings, 403, "Forbidden\n",
		"content-type", "text/plain; charset=utf-8", "sec-websocket-version", "13", "x-content-type-options", "nosniff")
	forbid.Request[5].Value = "https://evil.example"
	f := only(t, "origin", Diagnose(Evidence{Chain: []*session.Handshake{forbid}, DialErr: refusedErr(forbid)}), "origin-rejected:error")
	if f.Responder.Name != "gorilla" || !strings.Contains(f.Detail, "HTTP/2 extended CONNECT") || !strings.Contains(f.Fix, "CheckOrigin") {
		t.Errorf("%+v", f)
	}
	f = only(t, "origin, HTTP/1.1 opens", Diagnose(Evidence{Chain: []*session.Handshake{forbid}, DialErr: refusedErr(forbid), OtherHTTP: h1ws101(forbid.URL)}), "h2-websocket-refused:error")
	if !strings.Contains(f.Title, "HTTP/1.1 clients work") {
		t.Errorf("title %q", f.Title)
	}
	sticky := h2fixture("wss://app.example.com/socket.io/?EIO=4&transport=websocket&sid=abc", haproxySettings, 400, "Session ID unknown",
		"content-type", "text/html", "content-length", "18")
	only(t, "sticky", Diagnose(Evidence{Chain: []*session.Handshake{sticky}, DialErr: refusedErr(sticky)}), "sticky-session-missing:error")
}

// nginx speaks h2 without RFC 8441: --http 2 sends nothing, auto falls
// back to HTTP/1.1 (what browsers see), and a forced CONNECT's 400 is no
// browser's problem.
func TestH2NotAdvertised(t *testing.T) {
	hs := notAdvertised("wss://app.example.com/ws", nginxSettings)
	dialErr := &session.Error{Class: session.ClassProtocol, Msg: "app.example.com:443 speaks HTTP/2 but does not advertise WebSockets over it (no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1)"}
	f := only(t, "--http 2", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: dialErr}), "h2-not-advertised:info")
	if f.Responder != (Responder{Role: RoleReverseProxy, Name: "nginx"}) || !strings.Contains(f.Check, "--http 1.1") || !strings.Contains(f.Detail, "HTTP/1.1 result is what they see") {
		t.Errorf("%+v", f)
	}
	if !strings.Contains(f.Fix, "Nothing to fix") {
		t.Errorf("fix %q", f.Fix)
	}

	// --http auto: the HTTP/1.1 101 is the final handshake.
	h1 := fixture("wss://app.example.com/ws", nginx101)
	h1.HTTPVersion = session.HTTP11
	h1.H2 = &session.H2Info{ALPN: "h2", Settings: h2settings(nginxSettings), Fallback: true, FallbackReason: "the server does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL"}
	fs := Diagnose(Evidence{Chain: []*session.Handshake{h1}})
	f = only(t, "auto", fs, "h2-not-advertised:info")
	if HasError(fs) || !strings.Contains(f.Detail, "101") || f.Responder.Name != "nginx" || f.Check != "" {
		t.Errorf("%+v", f)
	}
	// Auto against an HTTP/1.1-only server says nothing about HTTP/2.
	h1.H2 = &session.H2Info{Fallback: true, FallbackReason: `ALPN chose "http/1.1", not h2`, ALPN: "http/1.1"}
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{h1}}); len(fs) != 0 {
		t.Errorf("auto, HTTP/1.1 only: %s", ids(fs))
	}

	// Forced: nginx's 400 page. Information only, never a proxy's upgrade fault.
	forced := h2fixture("wss://app.example.com/ws", nginxSettings, 400, nginx400Page,
		"server", "nginx/1.22.1", "date", goDate, "content-type", "text/html", "content-length", "157")
	forced.H2.Forced = true
	fs = Diagnose(Evidence{Chain: []*session.Handshake{forced}, DialErr: refusedErr(forced)})
	f = only(t, "forced", fs, "h2-websocket-refused:info")
	if HasError(fs) || f.Responder.Name != "nginx" || !strings.Contains(f.Title, "browsers never try") || strings.Contains(f.Fix, "proxy_set_header") {
		t.Errorf("%+v", f)
	}
}

// --http 2 against a server without HTTP/2.
func TestH2NotNegotiated(t *testing.T) {
	hs := &session.Handshake{URL: "wss://app.example.com/ws", HTTPVersion: session.HTTP2, H2: &session.H2Info{ALPN: "http/1.1"},
		TLS: &session.TLSInfo{Version: "TLS 1.3", ALPN: "http/1.1", Verified: true}}
	dialErr := &session.Error{Class: session.ClassProtocol, Msg: `app.example.com:443 does not speak HTTP/2: TLS ALPN chose "http/1.1", not h2`}
	f := only(t, "alpn http/1.1", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: dialErr}), "h2-not-negotiated:info")
	if !strings.Contains(f.Detail, `"http/1.1"`) || !strings.Contains(f.Check, "--http 1.1") {
		t.Errorf("%+v", f)
	}
	// The TLS alert when h2 was all that was offered.
	alert := &session.Handshake{URL: "wss://app.example.com/ws", HTTPVersion: session.HTTP2, H2: &session.H2Info{}}
	dialErr = &session.Error{Class: session.ClassProtocol, Msg: "app.example.com:443 does not speak HTTP/2: it ended the TLS handshake because h2 was the only protocol offered in ALPN"}
	only(t, "alert", Diagnose(Evidence{Chain: []*session.Handshake{alert}, DialErr: dialErr}), "h2-not-negotiated:info")
}

// GOAWAY on the CONNECT: information when it was forced (h2o does not
// advertise), an error when the server advertised the setting.
func TestH2GoAway(t *testing.T) {
	forced := h2fixture("wss://app.example.com/ws", h2oSettings, 0, "")
	forced.H2.Forced = true
	forced.H2.GoAway = &session.H2GoAway{H2Code: session.H2Code{Code: 1, Name: "PROTOCOL_ERROR"}}
	plain := &session.Handshake{URL: forced.URL, Status: 404, StatusLine: "HTTP/1.1 404 File Not Found", Reason: "File Not Found",
		Response: []session.Header{{Name: "Server", Value: "h2o/2.2.5"}}}
	dialErr := &session.Error{Class: session.ClassProtocol, Msg: "the server closed the whole HTTP/2 connection (GOAWAY PROTOCOL_ERROR) on the extended CONNECT"}
	fs := Diagnose(Evidence{Chain: []*session.Handshake{forced}, DialErr: dialErr, Related: []*session.Handshake{plain}})
	f := only(t, "forced", fs, "h2-goaway:info")
	if HasError(fs) || f.Responder.Name != "h2o" || f.Confidence != High || !hasClue(f, "h2", "GOAWAY PROTOCOL_ERROR") || !strings.Contains(f.Check, "--http auto") {
		t.Errorf("%+v", f)
	}

	adv := h2fixture("wss://app.example.com/ws", "ENABLE_CONNECT_PROTOCOL=1 INITIAL_WINDOW_SIZE=65535 MAX_FRAME_SIZE=16384", 0, "")
	adv.H2.GoAway = &session.H2GoAway{H2Code: session.H2Code{Code: 1, Name: "PROTOCOL_ERROR"}}
	f = only(t, "advertised", Diagnose(Evidence{Chain: []*session.Handshake{adv}, DialErr: dialErr, OtherHTTP: h1ws101(adv.URL)}), "h2-goaway:error")
	if !strings.Contains(f.Detail, "every other request") || !strings.Contains(f.Detail, "HTTP/1.1 clients work") || f.Confidence != High {
		t.Errorf("%+v", f)
	}
	// A graceful GOAWAY that still covers the stream may be a restart.
	adv.H2.GoAway = &session.H2GoAway{H2Code: session.H2Code{Code: 0, Name: "NO_ERROR"}, LastStreamID: 1}
	f = only(t, "graceful", Diagnose(Evidence{Chain: []*session.Handshake{adv}, DialErr: dialErr}), "h2-goaway:error")
	if f.Confidence != Medium || len(f.Alternatives) == 0 {
		t.Errorf("%+v", f)
	}
}

// The HTTP/1.1 side's diagnosis says what the HTTP/2 side (doctor's
// browser probe) showed: its 101 is fine, browsers fail.
func TestH2FromTheHTTP1Side(t *testing.T) {
	h1 := h1ws101("wss://app.example.com/echo")
	h2 := goGorilla400()
	fs := Diagnose(Evidence{Chain: []*session.Handshake{h1}, OtherHTTP: h2})
	f := only(t, "h1 side", fs, "h2-websocket-refused:error")
	if f.Title != "Browsers that use HTTP/2 fail here while HTTP/1.1 clients work" || f.Responder.Name != "gorilla" || !strings.Contains(f.Fix, "http2xconnect") {
		t.Errorf("%+v", f)
	}
	// An HTTP/2 refusal that is the other attempt's own business (an
	// origin) is not repeated on the HTTP/1.1 side... unless HTTP/1.1
	// opened, which makes it HTTP/2's.
	other := &session.Handshake{URL: h1.URL, HTTPVersion: session.HTTP11, Status: 403, StatusLine: "HTTP/1.1 403 Forbidden"}
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{other}, OtherHTTP: h2}); !strings.Contains(ids(fs), "h2-websocket-refused:error") || !strings.Contains(fs[len(fs)-1].Title, "fail too (403)") {
		t.Errorf("both refused: %s %+v", ids(fs), fs)
	}
}

// Recordings from before HTTP/2 (HTTPVersion "") read as HTTP/1.1: the
// same findings as with "1.1".
func TestHTTPVersionEmptyIsHTTP11(t *testing.T) {
	for _, raw := range []string{rails404, nginxGorilla400, haproxyGorilla403, ws426, nginx101} {
		a, b := fixture("ws://app.example.com/cable", raw), fixture("ws://app.example.com/cable", raw)
		b.HTTPVersion = session.HTTP11
		fa, fb := Diagnose(Evidence{Chain: []*session.Handshake{a}}), Diagnose(Evidence{Chain: []*session.Handshake{b}})
		if ids(fa) != ids(fb) || (len(fa) > 0 && fa[0].Fix != fb[0].Fix) {
			t.Errorf("%q: %s vs %s", firstLine(raw), ids(fa), ids(fb))
		}
	}
	// And a Rails 404 is diagnosed as before.
	f := only(t, "rails", Diagnose(Evidence{Chain: []*session.Handshake{fixture("ws://chat.example.com/cable", rails404)}}), "origin-rejected:error")
	if f.Responder.Name != "rails" || f.Alternatives[0].ID != "upgrade-rejected" {
		t.Errorf("%+v", f)
	}
}

// An HTTP/2 CONNECT that got no HEADERS is held, worded for HTTP/2.
func TestH2Held(t *testing.T) {
	hs := h2fixture("wss://app.example.com/ws", haproxySettings, 0, "")
	hs.Timings.Total = 10 * time.Second
	dialErr := &session.Error{Class: session.ClassTimeout, NoResponseHead: true, Msg: "timed out after 10s waiting for the answer to the HTTP/2 extended CONNECT"}
	f := only(t, "held", Diagnose(Evidence{Chain: []*session.Handshake{hs}, DialErr: dialErr}), "upgrade-swallowed:error")
	if !strings.Contains(f.Detail, "extended CONNECT (stream 1)") || strings.Contains(f.Check, "ssi") || !strings.Contains(f.Check, "--http 1.1") {
		t.Errorf("%+v", f)
	}
}

// An idle cut over HTTP/2 through HAProxy: its 200 names nobody, its
// SETTINGS name HAProxy.
func TestH2IdleCutNamesHAProxyBySettings(t *testing.T) {
	hs := h2fixture("wss://app.example.com/echo", haproxySettings, 200, "", "sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
	f := only(t, "idle", Diagnose(cutAfter(hs, 50*time.Second)), "idle-timeout:error")
	if f.Responder.Name != "haproxy" || !strings.Contains(f.Fix, "timeout tunnel") || !strings.Contains(fmt.Sprint(f.Evidence), "on the HTTP/2 200") {
		t.Errorf("%+v", f)
	}
}

// compare with --a-http 1.1 --b-http 2 (or the reverse): the browsers'
// failure, proven by the other side's 101, not just "the sides differ".
func TestCompareHTTPVersions(t *testing.T) {
	h1 := h1ws101("wss://app.example.com/echo")
	h2 := goGorilla400()
	s1 := Side{Evidence: Evidence{Chain: []*session.Handshake{h1}}}
	s2ev := Evidence{Chain: []*session.Handshake{h2}, DialErr: refusedErr(h2)}
	s2 := Side{Evidence: s2ev, Findings: Diagnose(s2ev)}
	now := time.Unix(2000, 0)
	for name, c := range map[string]Comparison{"a=1.1 b=2": Compare(s1, s2, now), "a=2 b=1.1": Compare(s2, s1, now)} {
		if len(c.Findings) != 1 || c.Findings[0].ID != "h2-websocket-refused" || !c.ErrorLevel() {
			t.Fatalf("%s: %s", name, ids(c.Findings))
		}
		f := c.Findings[0]
		if f.Title != "Browsers that use HTTP/2 fail here while HTTP/1.1 clients work" || f.Responder.Name != "gorilla" || !strings.Contains(f.Fix, "http2xconnect") || !hasClue(f, "other-http", "101") {
			t.Errorf("%s: %+v", name, f)
		}
		onlyFixOf(t, name, f.Fix, "go-net-http")
		for _, ch := range c.ResponseDiff {
			if ch.Change == "case" || strings.EqualFold(ch.Name, "upgrade") || strings.EqualFold(ch.Name, "connection") || strings.HasPrefix(ch.Name, ":") {
				t.Errorf("%s: protocol difference in the diff: %+v", name, ch)
			}
		}
	}
	// Another URL: HTTP/2 is not the only difference.
	other := goGorilla400()
	other.URL = "wss://other.example.com/echo"
	oev := Evidence{Chain: []*session.Handshake{other}, DialErr: refusedErr(other)}
	if c := Compare(s1, Side{Evidence: oev}, now); len(c.Findings) != 0 {
		t.Errorf("different URLs: %s", ids(c.Findings))
	}
	// HTTP/2 opens and HTTP/1.1 does not: not a browser failure.
	up := h2fixture("wss://app.example.com/echo", haproxySettings, 200, "")
	down := fixture("wss://app.example.com/echo", haproxy502)
	if c := Compare(Side{Evidence: Evidence{Chain: []*session.Handshake{down}, DialErr: refusedErr(down)}}, Side{Evidence: Evidence{Chain: []*session.Handshake{up}}}, now); len(c.Findings) != 0 {
		t.Errorf("HTTP/2 opens: %s", ids(c.Findings))
	}
}

func TestCollectorSetOtherHTTP(t *testing.T) {
	c := NewCollector([]*session.Handshake{goGorilla400()}, nil, nil, 0)
	h1 := h1ws101("wss://app.example.com/echo")
	c.SetOtherHTTP(h1)
	if c.Evidence().OtherHTTP != h1 {
		t.Fatal("OtherHTTP not kept")
	}
}

// The loader checks the signatures the HTTP/2 rules added.
func TestCatalogueRejectsBadH2Signatures(t *testing.T) {
	good := "[x]\nseverity = \"error\"\ntitle = \"t\"\nmeaning = \"m\"\ngeneric = \"g\"\n"
	for name, sig := range map[string]string{
		"bad http":             "where = \"header\"\nname = \"Server\"\nhttp = \"3\"\n",
		"h2-settings no match": "where = \"h2-settings\"\n",
		"only-headers no name": "where = \"only-headers\"\n",
	} {
		file := "name = \"a\"\nrole = \"app\"\n[[signature]]\n" + sig + "proves = \"path\"\nconfidence = \"high\"\n"
		fsys := fstest.MapFS{"findings.toml": {Data: []byte(good)}, "responders/a.toml": {Data: []byte(file)}}
		if _, err := parseCatalogue(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
