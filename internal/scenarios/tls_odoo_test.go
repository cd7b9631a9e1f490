package scenarios

import (
	"crypto/tls"
	"path/filepath"
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/internal/testca"
	"github.com/wscope/wscope/probe"
)

// TestTLSChainMissingIntermediate: nginx serves a certificate issued by an
// intermediate CA but not the intermediate itself (cert.pem instead of
// fullchain.pem). A client that trusts the root cannot build the chain.
// wscope must say tls-untrusted and "serve the full chain", not only what
// it says for a self-signed certificate.
func TestTLSChainMissingIntermediate(t *testing.T) {
	root, inter, err := testca.NewChain("wscope scenarios root", "wscope scenarios intermediate")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Leaf("nginx", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	full, only, key, ca := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "root.pem")
	if err := testca.WriteKeyPair(leaf, full, key); err != nil {
		t.Fatal(err)
	}
	leafOnly := tls.Certificate{Certificate: leaf.Certificate[:1], PrivateKey: leaf.PrivateKey}
	if err := testca.WriteKeyPair(leafOnly, only, filepath.Join(dir, "key2.pem")); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteCertPEM(ca); err != nil {
		t.Fatal(err)
	}
	app := wscopeServe(t)
	trust := func(o *probe.Options) { o.Session.CACertFile = ca }
	good := nginx(t, addrOf(app), map[string]string{"tls": "yes", "cert": full, "key": key})
	healthy(t, run(t, "wss://"+good.Addr+"/echo", trust), "nginx serving the full chain")

	bad := nginx(t, addrOf(app), map[string]string{"tls": "yes", "cert": only, "key": key})
	r := run(t, "wss://"+bad.Addr+"/echo", trust)
	if r.ErrorClass != "tls" {
		t.Fatalf("the handshake did not fail on TLS:\n%s", describe(r))
	}
	check(t, r, expect{ID: "tls-untrusted", Proxy: "", FixHas: []string{"full chain"}})
}

// TestOdooWebsocketOnPrefork: nginx sends /websocket to Odoo's HTTP port
// 8069 (workers > 0) instead of the evented port 8072 (odoo#106339). Odoo
// answers werkzeug's generic 500 page. wscope must say odoo-wrong-port,
// name Odoo, and give nginx's location for 8072.
func TestOdooWebsocketOnPrefork(t *testing.T) {
	nx := nginx(t, realapp.OdooPrefork(t), nil)
	r := run(t, "ws://"+nx.Addr+"/websocket?version=17.0-1", nil)
	if r.Status != 500 {
		t.Fatalf("expected Odoo's 500:\n%s", describe(r))
	}
	check(t, r, expect{ID: "odoo-wrong-port", Responder: []string{"odoo"}, Role: diagnose.RoleApp, Proxy: "nginx",
		FixHas: []string{"8072", "location /websocket"}})
	noFinding(t, r, "upgrade-rejected", "proxy-error")
}

// TestOdooEventedPortDown: nginx routes /websocket to 8072 correctly, but
// the gevent server is not running (workers = 0, or it crashed): nginx
// answers 502 itself. wscope must say proxy-error, name nginx, and say
// that Odoo's evented port is what is not listening.
func TestOdooEventedPortDown(t *testing.T) {
	nx := nginx(t, "127.0.0.1:"+itoa(realproxy.FreePort(t)), nil)
	r := run(t, "ws://"+nx.Addr+"/websocket?version=17.0-1", nil)
	if r.Status != 502 {
		t.Fatalf("expected nginx's 502:\n%s", describe(r))
	}
	check(t, r, expect{ID: "proxy-error", Responder: []string{"nginx"}, Role: diagnose.RoleReverseProxy, Proxy: "nginx",
		FixHas: []string{"8072"}})
}

// TestNginxSSIHoldsThe101: with `ssi on` in the WebSocket location, nginx
// takes Odoo's 101 — which carries Content-Type: text/html like every
// werkzeug response — into its SSI filter and never passes it on
// (odoo#139566): the client waits for a response head until its timeout.
// wscope must say upgrade-swallowed, name nginx and its ssi setting.
func TestNginxSSIHoldsThe101(t *testing.T) {
	odoo := realapp.OdooGevent(t)
	healthy(t, run(t, "ws://"+nginx(t, odoo, nil).Addr+"/websocket", nil), "nginx without ssi")
	nx := nginx(t, odoo, map[string]string{"ssi": "yes"})
	r := run(t, "ws://"+nx.Addr+"/websocket", func(o *probe.Options) { o.Session.Timeout = 3 * time.Second })
	if r.Upgraded || r.Status != 0 {
		t.Fatalf("nginx passed the 101 on:\n%s", describe(r))
	}
	check(t, r, expect{ID: "upgrade-swallowed", Responder: []string{"nginx"}, Role: diagnose.RoleReverseProxy, Proxy: "nginx",
		FixHas: []string{"ssi off"}})
}
