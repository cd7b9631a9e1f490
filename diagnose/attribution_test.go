package diagnose

import (
	"strings"
	"testing"

	"github.com/wscope/wscope/session"
)

// Each refusal names who answered, the cause, and only that responder's fix.
func TestRefusalsAreAttributed(t *testing.T) {
	cases := []struct {
		name       string
		hs         *session.Handshake
		id         string
		role       Role
		responder  string // "" when the finding must not name one
		conf       Confidence
		fix        string   // a line the fix must contain
		allowed    []string // responders whose fix tokens may appear
		alt        string   // an alternative's id, when the evidence is ambiguous
		pathHas    string   // a proxy the path must list
		checkHas   string
		notFixHave string
	}{
		{name: "nginx without upgrade headers in front of gorilla", hs: fixture("ws://app.example.com/ws", nginxGorilla400, "Origin", "http://app.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "gorilla", conf: Medium, fix: "proxy_set_header Upgrade $http_upgrade", allowed: []string{"nginx"}, pathHas: "nginx", checkHas: "--connect-to"},
		{name: "varnish without pipe", hs: fixture("ws://app.example.com/ws", varnishGorilla400, "Origin", "http://app.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "gorilla", fix: "return (pipe)", allowed: []string{"varnish"}, pathHas: "varnish"},
		{name: "lighttpd without proxy.header upgrade", hs: fixture("ws://app.example.com/ws", lighttpdGorilla400, "Origin", "http://app.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "gorilla", fix: `proxy.header = ( "upgrade" => "enable" )`, allowed: []string{"lighttpd"}, pathHas: "lighttpd"},
		{name: "h2o without proxy.websocket", hs: fixture("ws://app.example.com/ws", h2oGorilla400, "Origin", "http://app.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "gorilla", fix: "proxy.websocket: ON", allowed: []string{"h2o"}, pathHas: "h2o"},
		{name: "Apache without upgrade=websocket", hs: fixture("ws://app.example.com/ws", apacheGorilla400, "Origin", "http://app.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "gorilla", fix: "upgrade=websocket", allowed: []string{"apache"}, pathHas: "apache"},
		{name: "gorilla refuses the origin behind HAProxy", hs: fixture("ws://app.example.com/ws", haproxyGorilla403, "Origin", "http://evil.example"),
			id: "origin-rejected", role: RoleApp, responder: "gorilla", conf: High, fix: "CheckOrigin", pathHas: "haproxy", checkHas: "--origin http://app.example.com"},
		{name: "HAProxy with no server up", hs: fixture("ws://app.example.com/ws", haproxy503),
			id: "proxy-error", role: RoleReverseProxy, responder: "haproxy", conf: High, fix: "server lines", allowed: []string{"haproxy"}},
		{name: "HAProxy deny rule", hs: fixture("ws://app.example.com/ws", haproxy403, "Origin", "http://app.example.com"),
			id: "proxy-denied", role: RoleReverseProxy, responder: "haproxy", conf: High, fix: "http-request deny", allowed: []string{"haproxy"}},
		{name: "nginx 502", hs: fixture("ws://app.example.com/ws", nginx502),
			id: "proxy-error", role: RoleReverseProxy, responder: "nginx", conf: High, fix: "proxy_pass", allowed: []string{"nginx"}},
		{name: "nginx has no location", hs: fixture("ws://app.example.com/ws", nginx404),
			id: "upgrade-refused", role: RoleReverseProxy, responder: "nginx", fix: "nginx has no route for /ws"},
		{name: "Apache 503 (backend refused)", hs: fixture("ws://app.example.com/ws", apache503),
			id: "proxy-error", role: RoleReverseProxy, responder: "apache", conf: High, fix: "ProxyPass", allowed: []string{"apache"}},
		{name: "Caddy 502 with an empty body", hs: fixture("ws://app.example.com/ws", caddy502),
			id: "proxy-error", role: RoleReverseProxy, responder: "caddy", conf: Medium, fix: "reverse_proxy", allowed: []string{"caddy"}},
		{name: "lighttpd 503", hs: fixture("ws://app.example.com/ws", lighttpd503),
			id: "proxy-error", role: RoleReverseProxy, responder: "lighttpd", fix: "proxy.server", allowed: []string{"lighttpd"}},
		{name: "varnish 503 Backend fetch failed", hs: fixture("ws://app.example.com/ws", varnish503),
			id: "proxy-error", role: RoleReverseProxy, responder: "varnish", conf: High, fix: "Backend fetch failed", allowed: []string{"varnish"}},
		{name: "h2o 502 connection failed", hs: fixture("ws://app.example.com/ws", h2o502),
			id: "proxy-error", role: RoleReverseProxy, responder: "h2o", conf: High, fix: "proxy.reverse.url", allowed: []string{"h2o"}},
		{name: "Engine.IO session unknown behind nginx", hs: fixture("ws://app.example.com/socket.io/?EIO=4&transport=websocket&sid=abc", strings.Replace(eioSticky, "\r\n\r\n", "\r\nServer: nginx/1.22.1\r\n\r\n", 1)),
			id: "sticky-session-missing", role: RoleApp, responder: "engine.io", conf: High, fix: "ip_hash", allowed: []string{"nginx"}, pathHas: "nginx"},
		{name: "Engine.IO bad request: upgrade lost in nginx", hs: fixture("ws://app.example.com/socket.io/?EIO=4&transport=websocket", strings.Replace(eioBadRequest, "\r\n\r\n", "\r\nServer: nginx/1.22.1\r\n\r\n", 1)),
			id: "upgrade-rejected", role: RoleApp, responder: "engine.io", conf: High, fix: "proxy_set_header Upgrade", allowed: []string{"nginx"}},
		{name: "Engine.IO transport unknown", hs: fixture("ws://app.example.com/socket.io/?EIO=4", eioTransport),
			id: "upgrade-refused", role: RoleApp, responder: "engine.io", conf: High, notFixHave: "proxy_set_header"},
		// The real upgrade-path answers: a bare message, not JSON.
		{name: "Engine.IO transport unknown on the upgrade path", hs: fixture("ws://app.example.com/socket.io/?EIO=4", eioUpgradeTransport),
			id: "upgrade-refused", role: RoleApp, responder: "engine.io", conf: High, fix: "transport=websocket", notFixHave: "proxy_set_header"},
		{name: "Engine.IO session unknown through HAProxy round robin", hs: fixture("ws://app.example.com/socket.io/?EIO=4&transport=websocket&sid=abc", eioUpgradeStickyHA),
			id: "sticky-session-missing", role: RoleApp, responder: "engine.io", conf: High, fix: "balance source", allowed: []string{"haproxy"}, pathHas: "haproxy"},
		{name: "Engine.IO session unknown through nginx round robin", hs: fixture("ws://app.example.com/socket.io/?EIO=4&transport=websocket&sid=abc", eioUpgradeStickyNginx),
			id: "sticky-session-missing", role: RoleApp, responder: "engine.io", conf: High, fix: "ip_hash", allowed: []string{"nginx"}, pathHas: "nginx"},
		// A bare "Bad request" means the upgrade arrived: not a lost upgrade.
		{name: "Engine.IO refuses an upgrade as a bad request", hs: fixture("ws://app.example.com/socket.io/?EIO=4&transport=websocket", eioUpgradeBadRequest),
			id: "upgrade-refused", role: RoleApp, responder: "engine.io", conf: Medium, fix: "Origin header", notFixHave: "proxy_set_header"},
		{name: "Engine.IO JSON with spaces", hs: fixture("ws://app.example.com/socket.io/?EIO=3&transport=websocket", eioSpacedVersion),
			id: "upgrade-refused", role: RoleApp, responder: "engine.io", conf: High, fix: "allowEIO3", notFixHave: "transport=websocket"},
		// Go's "Bad Request" on the same path is not Engine.IO's.
		{name: "gorilla at /socket.io/ without the upgrade", hs: fixture("ws://app.example.com/socket.io/", strings.Replace(nginxGorilla400, "Server: nginx/1.22.1\r\n", "", 1)),
			id: "upgrade-rejected", role: RoleApp, responder: "gorilla", conf: Medium},
		{name: "Python websockets without the upgrade", hs: fixture("ws://app.example.com/", pyWebsockets426),
			id: "upgrade-rejected", role: RoleApp, responder: "python-websockets", conf: Medium, fix: "Upgrade and Connection"},
		{name: "ws 426 direct", hs: fixture("ws://app.example.com/", ws426),
			id: "upgrade-rejected", role: RoleApp, responder: "ws", conf: Medium, fix: "Upgrade", allowed: []string{"nginx", "apache"}},
		{name: "ws refuses the extension offer", hs: fixture("ws://app.example.com/", wsExtensions, "Sec-WebSocket-Extensions", "permessage-deflate; client_no_context_takeover"),
			id: "extension-rejected", role: RoleApp, responder: "ws", conf: High, fix: "perMessageDeflate", notFixHave: "proxy_set_header"},
		{name: "Odoo without Origin", hs: fixture("ws://odoo.example.com/websocket", odooOrigin),
			id: "origin-rejected", role: RoleApp, responder: "odoo", conf: High, fix: "Origin", checkHas: "--origin"},
		{name: "Odoo behind nginx without upgrade headers", hs: fixture("ws://odoo.example.com/websocket", odooUpgrade, "Origin", "http://odoo.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "odoo", conf: High, fix: "proxy_http_version 1.1", allowed: []string{"nginx"}},
		{name: "Odoo on the prefork port", hs: fixture("ws://odoo.example.com/websocket", odoo8069, "Origin", "http://odoo.example.com"),
			id: "odoo-wrong-port", role: RoleApp, responder: "odoo", conf: High, fix: "8072", allowed: []string{"nginx"}},
		{name: "Odoo on the prefork port: werkzeug's generic 500 through nginx", hs: fixture("ws://odoo.example.com/websocket?version=17.0-1", odoo8069Generic, "Origin", "http://odoo.example.com"),
			id: "odoo-wrong-port", role: RoleApp, responder: "odoo", conf: Medium, fix: "location /websocket", allowed: []string{"nginx"}, pathHas: "nginx",
			alt: "upgrade-refused", checkHas: "Couldn't bind the websocket"},
		{name: "Tornado (Jupyter) without the upgrade", hs: fixture("ws://jupyter.example.com/api/kernels/1/channels", tornado400, "Origin", "http://jupyter.example.com"),
			id: "upgrade-rejected", role: RoleApp, responder: "tornado", conf: Medium, allowed: []string{"nginx", "apache"}},
		{name: "Envoy without upgrade_configs", hs: fixture("ws://app.example.com/ws", envoy403, "Origin", "http://app.example.com"),
			id: "upgrade-rejected", role: RoleReverseProxy, responder: "envoy", conf: High, fix: "upgrade_configs", allowed: []string{"envoy"}},
		{name: "ingress-nginx default backend", hs: fixture("ws://app.example.com/ws", ingressDefault404),
			id: "upgrade-refused", role: RoleReverseProxy, responder: "ingress-nginx", fix: "no route"},
		{name: "401 with WWW-Authenticate", hs: fixture("ws://app.example.com/ws", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\r\n"),
			id: "auth-required", conf: High, fix: "Authorization"},
		// Go's default 404 is also Traefik's: no proxy may be blamed for it.
		{name: "a Go server's 404 page not found", hs: fixture("ws://app.example.com/nope", "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n\r\n404 page not found\n"),
			id: "upgrade-refused", fix: "trailing slash"},
		{name: "unknown 418", hs: fixture("ws://app.example.com/ws", "HTTP/1.1 418 I'm a teapot\r\n\r\n"),
			id: "upgrade-refused", conf: Low},
		{name: "bare 400 behind nginx", hs: fixture("ws://app.example.com/ws", "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.24\r\n\r\nBad Request"),
			id: "upgrade-rejected", conf: Low, fix: "proxy_set_header Upgrade $http_upgrade", allowed: []string{"nginx"}, alt: "upgrade-refused"},
	}
	for _, c := range cases {
		fs := Diagnose(Evidence{Chain: []*session.Handshake{c.hs}})
		if len(fs) != 1 {
			t.Errorf("%s: %d findings %s", c.name, len(fs), ids(fs))
			continue
		}
		f := fs[0]
		if f.ID != c.id {
			t.Errorf("%s: id %s, want %s (%s; %s)", c.name, f.ID, c.id, f.Title, f.Detail)
			continue
		}
		if c.responder == "" && (f.Responder.Role == RoleReverseProxy || f.Responder.Role == RoleCDN) {
			t.Errorf("%s: blames %+v", c.name, f.Responder)
		}
		if c.responder != "" && (f.Responder.Name != c.responder || f.Responder.Role != c.role) {
			t.Errorf("%s: responder %+v, want %s %s", c.name, f.Responder, c.role, c.responder)
		}
		if c.conf != "" && f.Confidence != c.conf {
			t.Errorf("%s: confidence %s, want %s", c.name, f.Confidence, c.conf)
		}
		if !strings.Contains(f.Fix, c.fix) {
			t.Errorf("%s: fix lacks %q:\n%s", c.name, c.fix, f.Fix)
		}
		if c.notFixHave != "" && strings.Contains(f.Fix, c.notFixHave) {
			t.Errorf("%s: fix has %q:\n%s", c.name, c.notFixHave, f.Fix)
		}
		onlyFixOf(t, c.name, f.Fix, c.allowed...)
		if len(f.Evidence) == 0 || f.Evidence[0].Kind != "status" {
			t.Errorf("%s: evidence %+v", c.name, f.Evidence)
		}
		if c.alt != "" && (len(f.Alternatives) == 0 || f.Alternatives[0].ID != c.alt || f.Check == "") {
			t.Errorf("%s: alternatives %+v, check %q", c.name, f.Alternatives, f.Check)
		}
		if c.pathHas != "" && !hasPath(f.Path, c.pathHas) {
			t.Errorf("%s: path %+v lacks %s", c.name, f.Path, c.pathHas)
		}
		if c.checkHas != "" && !strings.Contains(f.Check, c.checkHas) {
			t.Errorf("%s: check %q lacks %q", c.name, f.Check, c.checkHas)
		}
	}
}

func hasPath(p []Responder, name string) bool {
	for _, r := range p {
		if r.Name == name {
			return true
		}
	}
	return false
}

// ActionCable's 404 is the same for a refused origin and a lost upgrade:
// the request decides the ranking, and the check separates them.
func TestActionCable404IsRankedByTheRequest(t *testing.T) {
	nginx := strings.Replace(rails404, "\r\n\r\n", "\r\nServer: nginx/1.22.1\r\n\r\n", 1)
	cases := []struct {
		name    string
		hs      *session.Handshake
		first   string
		second  string
		fixHas  string
		check   string
		xfpSaid bool
	}{
		{"no Origin, direct to puma", fixture("ws://chat.example.com/cable", rails404), "origin-rejected", "upgrade-rejected",
			"allowed_request_origins", "--origin http://chat.example.com", false},
		{"foreign Origin", fixture("ws://chat.example.com/cable", rails404, "Origin", "https://evil.example"), "origin-rejected", "upgrade-rejected",
			"allowed_request_origins", "--origin http://chat.example.com", false},
		{"matching Origin behind nginx over ws", fixture("ws://chat.example.com/cable", nginx, "Origin", "http://chat.example.com"), "upgrade-rejected", "origin-rejected",
			"proxy_set_header Upgrade", "Request origin not allowed", false},
		// Nothing in a Rails 404 says the upgrade was lost; an https page
		// behind a TLS proxy fails the same-origin check without
		// X-Forwarded-Proto (rails#31524).
		{"matching Origin behind nginx over wss", fixture("wss://chat.example.com/cable", nginx, "Origin", "https://chat.example.com"), "origin-rejected", "upgrade-rejected",
			"proxy_set_header X-Forwarded-Proto $scheme", "X-Forwarded-Proto", true},
		{"no Origin behind nginx over wss", fixture("wss://chat.example.com/cable", nginx), "origin-rejected", "upgrade-rejected",
			"X-Forwarded-Proto", "--origin https://chat.example.com", true},
		// Another host's Origin is refused whatever the scheme: no
		// X-Forwarded-Proto advice for a fault the answer does not show.
		{"foreign Origin behind nginx over wss", fixture("wss://chat.example.com/cable", nginx, "Origin", "https://evil.example"), "origin-rejected", "upgrade-rejected",
			"allowed_request_origins", "--origin https://chat.example.com", false},
	}
	for _, c := range cases {
		fs := Diagnose(Evidence{Chain: []*session.Handshake{c.hs}})
		if len(fs) != 1 {
			t.Fatalf("%s: %s", c.name, ids(fs))
		}
		f := fs[0]
		if f.ID != c.first || f.Responder.Name != "rails" || len(f.Alternatives) == 0 || f.Alternatives[0].ID != c.second {
			t.Errorf("%s: %s by %+v, alternatives %+v", c.name, f.ID, f.Responder, f.Alternatives)
		}
		if !strings.Contains(f.Fix, c.fixHas) || !strings.Contains(f.Check, c.check) {
			t.Errorf("%s: fix %q / check %q", c.name, f.Fix, f.Check)
		}
		said := strings.Contains(f.Detail+f.Fix+f.Alternatives[0].Title, "X-Forwarded-Proto")
		if said != c.xfpSaid {
			t.Errorf("%s: X-Forwarded-Proto named %v, want %v:\n%s\n%s", c.name, said, c.xfpSaid, f.Detail, f.Fix)
		}
	}
}

func TestRedirectsSayWhoRedirected(t *testing.T) {
	app := fixture("ws://chat.example.com/cable", railsForceSSL)
	fs := Diagnose(Evidence{Chain: []*session.Handshake{app}, DialErr: &session.Error{Class: session.ClassStatus}})
	if ids(fs) != "https-redirect:error" || !strings.Contains(fs[0].Fix, "proxy_set_header X-Forwarded-Proto $scheme") || fs[0].Responder.Role != RoleApp {
		t.Fatalf("app redirect behind nginx: %s %+v\n%s", ids(fs), fs[0].Responder, fs[0].Fix)
	}
	onlyFixOf(t, "app redirect", fs[0].Fix, "nginx")
	own := fixture("ws://chat.example.com/cable", nginx301)
	fs = Diagnose(Evidence{Chain: []*session.Handshake{own}, DialErr: &session.Error{Class: session.ClassStatus}})
	if ids(fs) != "https-redirect:error" || fs[0].Responder.Name != "nginx" || !strings.Contains(fs[0].Fix, "wss://chat.example.com/cable") {
		t.Fatalf("nginx's own redirect: %s %+v %q", ids(fs), fs[0].Responder, fs[0].Fix)
	}
}

// A forward proxy's refusal gets that proxy's fix, never squid's by default.
func TestForwardProxiesAreNamed(t *testing.T) {
	cases := []struct {
		hs        *session.Handshake
		id, who   string
		fix       string
		allowedTo string
	}{
		{forwardProxyFixture("app.example.com:8080", squid403, ""), "proxy-denied", "squid", "acl SSL_ports port 443 8080", "squid"},
		{forwardProxyFixture("app.example.com:8080", tinyproxy403, tinyproxyBody), "proxy-denied", "tinyproxy", "ConnectPort 8080", "tinyproxy"},
		{forwardProxyFixture("app.example.com:8080", privoxy403, ""), "proxy-denied", "privoxy", "+limit-connect{443,8080}", "privoxy"},
		{forwardProxyFixture("app.example.com:8080", "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_CACHE_ACCESS_DENIED 0\r\n\r\n", ""), "auth-required", "squid", "USER:PASS", "squid"},
	}
	for _, c := range cases {
		fs := Diagnose(Evidence{Chain: []*session.Handshake{c.hs}, DialErr: &session.Error{Class: session.ClassProxy}})
		if len(fs) != 1 || fs[0].ID != c.id || fs[0].Responder.Name != c.who || fs[0].Responder.Role != RoleForwardProxy {
			t.Errorf("%s: %s %+v", c.who, ids(fs), fs)
			continue
		}
		if !strings.Contains(fs[0].Fix, c.fix) {
			t.Errorf("%s: fix %q", c.who, fs[0].Fix)
		}
		onlyFixOf(t, c.who, fs[0].Fix, c.allowedTo)
	}
}

func TestSOCKS5Replies(t *testing.T) {
	socks := func(r session.SocksReply) *session.Handshake {
		return &session.Handshake{URL: "ws://app.example.com:8080/ws", Proxy: &session.ProxyExchange{Kind: "socks5", Proxy: "socks5://127.0.0.1:1080",
			Target: "app.example.com:8080", Request: "SOCKS5 CONNECT app.example.com:8080 (no auth)", Socks: &r}}
	}
	cases := []struct {
		r   session.SocksReply
		id  string
		fix string
	}{
		{session.SocksReply{Method: 0, AuthStatus: -1, Reply: 2}, "proxy-denied", "socks pass { from: 0.0.0.0/0 to: app.example.com/32 port = 8080 }"},
		{session.SocksReply{Method: 0xff, AuthStatus: -1, Reply: -1}, "auth-required", "--proxy socks5://USER:PASS@"},
		{session.SocksReply{Method: 2, AuthStatus: 1, Reply: -1}, "auth-required", "--proxy socks5://USER:PASS@"},
		{session.SocksReply{Method: 0, AuthStatus: -1, Reply: 5}, "proxy-error", "could not reach app.example.com:8080"},
	}
	for _, c := range cases {
		fs := Diagnose(Evidence{Chain: []*session.Handshake{socks(c.r)}, DialErr: &session.Error{Class: session.ClassProxy}})
		if len(fs) != 1 || fs[0].ID != c.id || fs[0].Responder.Name != "dante" || !strings.Contains(fs[0].Fix, c.fix) {
			t.Errorf("%+v: %s %+v", c.r, ids(fs), fs)
		}
	}
	ok := socks(session.SocksReply{Method: 0, AuthStatus: -1, Reply: 0})
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{ok}}); len(fs) != 0 {
		t.Errorf("a granted tunnel has findings: %s", ids(fs))
	}
}
