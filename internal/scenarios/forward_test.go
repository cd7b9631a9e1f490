package scenarios

import (
	"net"
	"testing"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/probe"
)

// The forward proxies refuse a ws:// tunnel each in its own words: squid
// (403, X-Squid-Error ERR_ACCESS_DENIED: CONNECT only to SSL_ports),
// tinyproxy (403 "Access violation" for a port not in ConnectPort, 403
// "Access denied" for a client not in Allow), privoxy (403 "Request blocked
// by Privoxy", limit-connect) and dante (SOCKS5 reply 2, not allowed by
// ruleset; method 0xFF, no acceptable authentication). wscope must name the
// proxy and give its own rule, not squid's for all of them.
func TestForwardProxyRefusals(t *testing.T) {
	app := wscopeServe(t)
	target := app.URL("/echo")
	cases := []struct {
		name  string
		id    string
		who   string
		start func(t *testing.T) string // the proxy URL
		fix   []string                  // the fix says all of these
	}{
		{"squid/SSL_ports", "proxy-denied", "squid", func(t *testing.T) string {
			return "http://" + realproxy.Squid(t, tmpl(t, "squid.conf.tmpl"), nil).Addr
		}, []string{"SSL_ports", "http_access"}},
		{"tinyproxy/ConnectPort", "proxy-denied", "tinyproxy", func(t *testing.T) string {
			return "http://" + realproxy.Tinyproxy(t, tmpl(t, "tinyproxy.conf.tmpl"), map[string]string{"allow": "127.0.0.1", "connect_port": "443"}).Addr
		}, []string{"ConnectPort"}},
		{"tinyproxy/Allow", "proxy-denied", "tinyproxy", func(t *testing.T) string {
			return "http://" + realproxy.Tinyproxy(t, tmpl(t, "tinyproxy.conf.tmpl"), map[string]string{"allow": "10.0.0.1", "connect_port": "443"}).Addr
		}, []string{"Allow"}},
		{"privoxy/limit-connect", "proxy-denied", "privoxy", func(t *testing.T) string {
			return "http://" + realproxy.Privoxy(t, tmpl(t, "privoxy.conf.tmpl"), "{+limit-connect{443}}\n/\n",
				map[string]string{"templates": "/etc/privoxy/templates"}).Addr
		}, []string{"limit-connect"}},
		{"dante/ruleset", "proxy-denied", "dante", func(t *testing.T) string {
			return "socks5://" + realproxy.Dante(t, tmpl(t, "danted.conf.tmpl"), map[string]string{"method": "none", "rule": "block"}).Addr
		}, []string{"socks pass"}},
		{"dante/auth", "auth-required", "dante", func(t *testing.T) string {
			return "socks5://" + realproxy.Dante(t, tmpl(t, "danted.conf.tmpl"), map[string]string{"method": "username", "rule": "pass"}).Addr
		}, []string{"socks5://"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			proxy := c.start(t)
			r := run(t, target, func(o *probe.Options) { o.Session.Proxy = proxy })
			if r.Upgraded || r.Proxy == nil {
				t.Fatalf("the proxy did not refuse:\n%s", describe(r))
			}
			check(t, r, expect{ID: c.id, Responder: []string{c.who}, Role: diagnose.RoleForwardProxy, Proxy: c.who, FixHas: c.fix})
		})
	}
}

// TestForwardProxyControls: the same proxies set up to allow the tunnel
// carry the WebSocket, so the refusals above are their rules at work.
func TestForwardProxyControls(t *testing.T) {
	app := wscopeServe(t)
	_, port, _ := net.SplitHostPort(addrOf(app))
	proxies := map[string]func(t *testing.T) string{
		"tinyproxy": func(t *testing.T) string {
			return "http://" + realproxy.Tinyproxy(t, tmpl(t, "tinyproxy.conf.tmpl"), map[string]string{"allow": "127.0.0.1", "connect_port": port}).Addr
		},
		"privoxy": func(t *testing.T) string {
			return "http://" + realproxy.Privoxy(t, tmpl(t, "privoxy.conf.tmpl"), "{+limit-connect{"+port+"}}\n/\n",
				map[string]string{"templates": "/etc/privoxy/templates"}).Addr
		},
		"dante": func(t *testing.T) string {
			return "socks5://" + realproxy.Dante(t, tmpl(t, "danted.conf.tmpl"), map[string]string{"method": "none", "rule": "pass"}).Addr
		},
	}
	for name, start := range proxies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			proxy := start(t)
			healthy(t, run(t, app.URL("/echo"), func(o *probe.Options) { o.Session.Proxy = proxy }), name+" allowing the tunnel")
		})
	}
}
