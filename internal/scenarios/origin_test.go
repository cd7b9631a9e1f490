package scenarios

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/internal/testca"
	"github.com/wscope/wscope/probe"
)

// TestActionCableOrigin: Rails answers a missing or foreign Origin with
// 404 "Page not found", text/plain — the same bytes as a dropped Upgrade
// (rails#31524). Directly and through a correctly set up nginx, wscope
// must say origin-rejected, name Rails, and not blame nginx or give its
// Upgrade lines. The controls show the same path works with the page's own
// origin (wscope's default, like a browser).
func TestActionCableOrigin(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{})
	nx := nginx(t, app.Addr, nil)
	routes := []struct{ name, addr, proxy string }{{"direct", app.Addr, ""}, {"nginx", nx.Addr, "nginx"}}
	for _, rt := range routes {
		healthy(t, run(t, "ws://"+rt.addr+"/cable", nil), "ActionCable "+rt.name+" with the page's origin")
	}
	origins := []struct {
		name string
		set  func(*probe.Options)
	}{
		{"missing", func(o *probe.Options) { o.Session.NoOrigin = true }},
		{"foreign", func(o *probe.Options) { o.Session.Origin = "https://evil.example" }},
	}
	for _, rt := range routes {
		for _, og := range origins {
			t.Run(rt.name+"/"+og.name, func(t *testing.T) {
				t.Parallel()
				r := run(t, "ws://"+rt.addr+"/cable", og.set)
				if r.Status != 404 {
					t.Fatalf("ActionCable did not refuse:\n%s", describe(r))
				}
				check(t, r, expect{ID: "origin-rejected", Responder: []string{"rails"}, Role: diagnose.RoleApp,
					NotResponder: []string{"nginx"}, Proxy: rt.proxy, FixHas: []string{"allowed_request_origins"},
					FixLacks: []string{"proxy_set_header Upgrade", "upgrade=websocket"}})
				noFinding(t, r, "upgrade-rejected")
			})
		}
	}
}

// tlsFiles writes a server certificate for 127.0.0.1 from a fresh CA:
// cert and key files, both in one PEM (HAProxy), and the CA file the
// client trusts.
func tlsFiles(t *testing.T) (cert, key, pem, ca string) {
	t.Helper()
	root, err := testca.New("wscope scenarios CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Leaf("proxy", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key, ca, pem = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem"), filepath.Join(dir, "both.pem")
	if err := testca.WriteKeyPair(leaf, cert, key); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteCertPEM(ca); err != nil {
		t.Fatal(err)
	}
	c, _ := os.ReadFile(cert)
	k, _ := os.ReadFile(key)
	if err := os.WriteFile(pem, append(c, k...), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, pem, ca
}

// TestHTTPSRedirect: Rails with config.force_ssl (ActionDispatch::SSL)
// behind a TLS-terminating proxy that does not send X-Forwarded-Proto
// answers the wss:// handshake with 301 to https (chatwoot#8526). wscope
// must say https-redirect and give that proxy's X-Forwarded-Proto line.
func TestHTTPSRedirect(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{ForceSSL: true})
	cert, key, pem, ca := tlsFiles(t)
	proxies := []struct {
		name  string
		start func(xfp string) string
		fix   string
	}{
		{"nginx", func(xfp string) string {
			return nginx(t, app.Addr, map[string]string{"tls": "yes", "cert": cert, "key": key, "xfp": xfp}).Addr
		}, "proxy_set_header X-Forwarded-Proto $scheme"},
		{"haproxy", func(xfp string) string {
			return haproxy(t, app.Addr, map[string]string{"tls": "yes", "pem": pem, "xfp": xfp}).Addr
		}, "http-request set-header X-Forwarded-Proto https"},
	}
	trust := func(o *probe.Options) { o.Session.CACertFile = ca }
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			t.Parallel()
			healthy(t, run(t, "wss://"+px.start("yes")+"/cable", trust), px.name+" with X-Forwarded-Proto")
			r := run(t, "wss://"+px.start("no")+"/cable", trust)
			if r.Status != 301 {
				t.Fatalf("no redirect:\n%s", describe(r))
			}
			check(t, r, expect{ID: "https-redirect", Responder: []string{"rails", px.name}, Proxy: px.name, FixHas: []string{px.fix}})
		})
	}
}

// TestActionCableOriginBehindTLSProxy: ActionCable allowing only its own
// origin (allow_same_origin_as_host) behind nginx terminating TLS. The
// https page's Origin is compared with http://Host when nginx does not send
// X-Forwarded-Proto, and refused with 404 (rails#31524, octobox#1369). The
// cause is the app's origin check; the fix is nginx's X-Forwarded-Proto.
func TestActionCableOriginBehindTLSProxy(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{SameOriginOnly: true})
	cert, key, _, ca := tlsFiles(t)
	trust := func(o *probe.Options) { o.Session.CACertFile = ca }
	ok := nginx(t, app.Addr, map[string]string{"tls": "yes", "cert": cert, "key": key, "xfp": "yes", "host": "$http_host"})
	healthy(t, run(t, "wss://"+ok.Addr+"/cable", trust), "nginx sending X-Forwarded-Proto")
	nx := nginx(t, app.Addr, map[string]string{"tls": "yes", "cert": cert, "key": key, "xfp": "no", "host": "$http_host"})
	r := run(t, "wss://"+nx.Addr+"/cable", trust)
	if r.Status != 404 {
		t.Fatalf("ActionCable did not refuse:\n%s", describe(r))
	}
	check(t, r, expect{ID: "origin-rejected", Responder: []string{"rails"}, NotResponder: []string{"nginx"}, Proxy: "nginx",
		FixHas: []string{"X-Forwarded-Proto"}, FixLacks: []string{"proxy_set_header Upgrade"}})
	noFinding(t, r, "upgrade-rejected")
}

// TestOdooRequiresOrigin: Odoo's /websocket answers a handshake without
// Origin with 400 "Empty or missing header(s): origin" (werkzeug's page).
func TestOdooRequiresOrigin(t *testing.T) {
	odoo := realapp.OdooGevent(t)
	healthy(t, run(t, "ws://"+odoo+"/websocket", nil), "Odoo with the page's origin")
	r := run(t, "ws://"+odoo+"/websocket", func(o *probe.Options) { o.Session.NoOrigin = true })
	if r.Status != 400 {
		t.Fatalf("Odoo did not refuse:\n%s", describe(r))
	}
	check(t, r, expect{ID: "origin-rejected", Responder: []string{"odoo"}, Role: diagnose.RoleApp, Proxy: "",
		Shows: []string{"Empty or missing header(s): origin"}})
	noFinding(t, r, "upgrade-rejected")
}
