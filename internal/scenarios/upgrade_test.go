package scenarios

import (
	"testing"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/internal/realproxy"
)

// An app behind a proxy, for the matrix.
type backend struct {
	name string // the app's catalogue name
	addr string
	path string // the WebSocket path, with the query the client sends
}

// A reverse proxy set up without WebSocket support, and the line of its
// own configuration that fixes it.
type brokenProxy struct {
	name  string
	start func(t *testing.T, upstream string) *realproxy.Proxy
	fix   []string // the fix must say all of these
}

var brokenProxies = []brokenProxy{
	{"nginx", func(t *testing.T, up string) *realproxy.Proxy {
		return nginx(t, up, map[string]string{"upgrade": "no"})
	},
		[]string{"proxy_http_version 1.1", "proxy_set_header Upgrade $http_upgrade"}},
	{"apache", func(t *testing.T, up string) *realproxy.Proxy {
		return apache(t, up, map[string]string{"upgrade": "no"})
	},
		[]string{"upgrade=websocket"}},
	{"lighttpd", func(t *testing.T, up string) *realproxy.Proxy {
		return lighttpd(t, up, map[string]string{"upgrade": "no"})
	},
		[]string{"proxy.header", "upgrade"}},
	{"varnish", func(t *testing.T, up string) *realproxy.Proxy { return varnish(t, up, map[string]string{"pipe": "no"}) },
		[]string{"pipe"}},
	{"h2o", func(t *testing.T, up string) *realproxy.Proxy {
		return h2o(t, up, map[string]string{"websocket": "no"})
	},
		[]string{"proxy.websocket: ON"}},
}

// TestUpgradeNotForwarded: each reverse proxy without its WebSocket
// configuration, in front of each app. The app answers what it answers to
// a plain GET — ActionCable 404 "Page not found", Engine.IO 400 code 3, ws
// 426, gorilla (`wscope serve`) 426 with its explanation, Odoo 400 "Empty
// or missing header(s)" — and wscope must say upgrade-rejected, name who
// answered, and give that proxy's fix alone.
func TestUpgradeNotForwarded(t *testing.T) {
	gorilla := wscopeServe(t)
	apps := []backend{
		{"rails", realapp.ActionCable(t, realapp.CableOptions{}).Addr, "/cable"},
		{"engine.io", realapp.SocketIO(t, "a").Addr, "/socket.io/?EIO=4&transport=websocket"},
		{"ws", realapp.WS(t, realapp.WSEcho).Addr, "/"},
		{"gorilla", addrOf(gorilla), "/echo"},
		{"odoo", realapp.OdooGevent(t), "/websocket"},
	}
	// Controls: the apps answer 101 directly, so any refusal below is the
	// proxy's doing.
	for _, app := range apps {
		healthy(t, run(t, "ws://"+app.addr+app.path, nil), app.name+" directly")
	}
	for _, px := range brokenProxies {
		for _, app := range apps {
			t.Run(px.name+"/"+app.name, func(t *testing.T) {
				t.Parallel()
				p := px.start(t, app.addr)
				r := run(t, "ws://"+p.Addr+app.path, nil)
				if r.Upgraded {
					t.Fatalf("%s passed the upgrade on: the scenario is wrong\n%s", px.name, describe(r))
				}
				check(t, r, expect{ID: "upgrade-rejected", Responder: []string{app.name, px.name},
					Proxy: px.name, FixHas: px.fix, Severity: diagnose.Error})
			})
		}
	}
}
