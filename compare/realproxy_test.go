package compare

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/internal/testca"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/serve"
	"github.com/wscope/wscope/session"
)

// These tests put real proxies from Debian's packages on 127.0.0.1 in
// front of `wscope serve` and check what wscope reports through them.

func tmpl(t *testing.T, name string) string { return realproxy.Template(t, name) }

func backend(t *testing.T) *serve.Server { return servetest.Start(t) }

func nginx(t *testing.T, upstream, upgrade, readTimeout string) *realproxy.Proxy {
	return realproxy.Nginx(t, tmpl(t, "nginx.conf.tmpl"), map[string]string{"upstream": upstream, "upgrade": upgrade, "read_timeout": readTimeout})
}

func probeURL(t *testing.T, url string, mod func(*probe.Options)) *probe.Report {
	t.Helper()
	o := probe.Options{Session: session.Config{URL: url, Timeout: 5 * time.Second}, Options: flow.Options{Script: flow.Script{Wait: 300 * time.Millisecond}}}
	if mod != nil {
		mod(&o)
	}
	return probe.Run(context.Background(), o)
}

func ids(fs []diagnose.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return strings.Join(out, ",")
}

func TestNginxCorrectConfigUpgradesWithNoFindings(t *testing.T) {
	app := backend(t)
	px := nginx(t, app.Addr(), "yes", "60s")
	r := probeURL(t, "ws://"+px.Addr+"/echo", func(o *probe.Options) {
		o.Sends = []probe.Message{{Op: session.OpText, Payload: []byte("through nginx")}}
		o.Count = 1
	})
	if r.Status != 101 || !r.Upgraded || len(r.Findings) != 0 || r.Counts.RecvMessages != 1 {
		t.Fatalf("status %d upgraded %v findings %s recv %d err %q\n%s", r.Status, r.Upgraded, ids(r.Findings), r.Counts.RecvMessages, r.Error, px.Output())
	}
	// What nginx changed on the way: compare the direct path with nginx's.
	res := Run(context.Background(),
		probe.Options{Session: session.Config{URL: app.URL("/headers")}, Options: flow.Options{Script: flow.Script{Count: 1, Wait: 2 * time.Second}}},
		probe.Options{Session: session.Config{URL: "ws://" + px.Addr + "/headers"}, Options: flow.Options{Script: flow.Script{Count: 1, Wait: 2 * time.Second}}})
	var sawXFF, sawConnection bool
	for _, c := range res.BackendDiff {
		if c.Name == "X-Forwarded-For" && c.Change == "added" {
			sawXFF = true
		}
		if strings.EqualFold(c.Name, "Connection") && c.Change == "changed" && c.B == "upgrade" {
			sawConnection = true
		}
	}
	if !sawXFF || !sawConnection || res.ErrorLevel() {
		t.Fatalf("backend diff %+v, error level %v", res.BackendDiff, res.ErrorLevel())
	}
}

func TestNginxWithoutUpgradeHeaders(t *testing.T) {
	app := backend(t)
	px := nginx(t, app.Addr(), "no", "60s")
	r := probeURL(t, "ws://"+px.Addr+"/echo", nil)
	if r.Status != 426 || r.Upgraded || ids(r.Findings) != "upgrade-rejected" || r.ExitCode() != 1 {
		t.Fatalf("status %d findings %s", r.Status, ids(r.Findings))
	}
	if fix := r.Findings[0].Fix; !strings.Contains(fix, "proxy_set_header Upgrade $http_upgrade") || !strings.Contains(fix, "proxy_http_version 1.1") {
		t.Fatalf("not the nginx fix: %s", fix)
	}
	// compare: direct works, proxied does not — an error-level difference.
	res := Run(context.Background(), probe.Options{Session: session.Config{URL: app.URL("/echo")}, Options: flow.Options{Script: flow.Script{Wait: 200 * time.Millisecond}}},
		probe.Options{Session: session.Config{URL: "ws://" + px.Addr + "/echo"}, Options: flow.Options{Script: flow.Script{Wait: 200 * time.Millisecond}}})
	var out strings.Builder
	res.WriteText(&out, "direct", "nginx")
	if !res.ErrorLevel() || !strings.Contains(out.String(), "≠ status") || !strings.Contains(out.String(), "upgrade-rejected") {
		t.Fatalf("compare:\n%s", out.String())
	}
}

func TestNginxShortReadTimeoutIsAnIdleTimeout(t *testing.T) {
	app := backend(t)
	px := nginx(t, app.Addr(), "yes", "2s")
	r := probeURL(t, "ws://"+px.Addr+"/silent", func(o *probe.Options) { o.Idle = 6 * time.Second })
	if r.Idle == nil || r.Idle.Survived {
		t.Fatalf("survived the idle period: %+v", r.Idle)
	}
	if r.Idle.ClosedAfterMS < 1500 || r.Idle.ClosedAfterMS > 3500 {
		t.Fatalf("closed after %.0f ms, expected near nginx's 2s", r.Idle.ClosedAfterMS)
	}
	if ids(r.Findings) != "idle-timeout" || !strings.Contains(r.Findings[0].Title, "2s of silence") || !strings.Contains(r.Findings[0].Fix, "proxy_read_timeout") {
		t.Fatalf("findings %+v", r.Findings)
	}
}

func TestNginxDeadUpstreamIsAProxyError(t *testing.T) {
	dead := realproxy.FreePort(t)
	px := nginx(t, fmt.Sprintf("127.0.0.1:%d", dead), "yes", "60s")
	r := probeURL(t, "ws://"+px.Addr+"/echo", nil)
	if r.Status != 502 || ids(r.Findings) != "proxy-error" || !strings.Contains(r.Findings[0].Title, "nginx") {
		t.Fatalf("status %d findings %+v", r.Status, r.Findings)
	}
}

// forceSSLApp is an app like Rails with FORCE_SSL: it redirects to https
// unless the proxy says the request came over TLS.
func forceSSLApp(t *testing.T) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Proto") != "https" {
			http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			op, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.WriteMessage(op, d)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func haproxyTLS(t *testing.T, upstream, xfp string) (*realproxy.Proxy, string) {
	t.Helper()
	ca, err := testca.New("wscope test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf("haproxy", []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "ca.pem")
	testca.WriteKeyPair(leaf, certFile, keyFile)
	ca.WriteCertPEM(caFile)
	c, _ := os.ReadFile(certFile)
	k, _ := os.ReadFile(keyFile)
	pem := filepath.Join(dir, "haproxy.pem")
	os.WriteFile(pem, append(c, k...), 0o600)
	return realproxy.HAProxy(t, tmpl(t, "haproxy.cfg.tmpl"), map[string]string{"pem": pem, "xfp": xfp, "upstream": upstream}), caFile
}

func TestHAProxyTLSWithoutXForwardedProtoRedirects(t *testing.T) {
	app := forceSSLApp(t)
	upstream := strings.TrimPrefix(app.URL, "http://")
	px, caFile := haproxyTLS(t, upstream, "no")
	r := probeURL(t, "wss://"+px.Addr+"/cable", func(o *probe.Options) { o.Session.CACertFile = caFile })
	if r.Status != 301 || ids(r.Findings) != "https-redirect" || !strings.Contains(r.Findings[0].Fix, "X-Forwarded-Proto") {
		t.Fatalf("status %d findings %+v err %q\n%s", r.Status, r.Findings, r.Error, px.Output())
	}
	px2, caFile2 := haproxyTLS(t, upstream, "yes")
	r = probeURL(t, "wss://"+px2.Addr+"/cable", func(o *probe.Options) { o.Session.CACertFile = caFile2 })
	if r.Status != 101 || len(r.Findings) != 0 || r.TLS == nil || !r.TLS.Verified {
		t.Fatalf("with X-Forwarded-Proto: status %d findings %+v err %q", r.Status, r.Findings, r.Error)
	}
	// HAProxy lowercases the header names it writes; the capture keeps that.
	lower := false
	for _, h := range r.Response.Headers {
		if h.Name == "upgrade" || h.Name == "connection" {
			lower = true
		}
	}
	if !lower {
		t.Fatalf("HAProxy writes header names in lower case, the capture shows %v", r.Response.Headers)
	}
}

func TestSquidAndMicrosocks(t *testing.T) {
	app := backend(t)
	squid := realproxy.Squid(t, tmpl(t, "squid.conf.tmpl"), map[string]string{"auth": "no"})
	r := probeURL(t, app.URL("/echo"), func(o *probe.Options) { o.Session.Proxy = "http://" + squid.Addr })
	if r.Status != 101 || r.Proxy == nil || r.Proxy.Status != 200 || len(r.Findings) != 0 {
		t.Fatalf("squid: status %d proxy %+v findings %s err %q\n%s", r.Status, r.Proxy, ids(r.Findings), r.Error, squid.File("cache.log"))
	}
	authSquid := realproxy.Squid(t, tmpl(t, "squid.conf.tmpl"), map[string]string{"auth": "yes"})
	r = probeURL(t, app.URL("/echo"), func(o *probe.Options) { o.Session.Proxy = "http://" + authSquid.Addr })
	if r.Upgraded || ids(r.Findings) != "auth-required" || r.Proxy == nil || r.Proxy.Status != 407 || r.ErrorClass != "proxy" {
		t.Fatalf("squid without credentials: findings %s proxy %+v err %q", ids(r.Findings), r.Proxy, r.Error)
	}
	r = probeURL(t, app.URL("/echo"), func(o *probe.Options) { o.Session.Proxy = "http://user:pass@" + authSquid.Addr })
	if r.Status != 101 {
		t.Fatalf("squid with credentials: %d %q", r.Status, r.Error)
	}
	socks := realproxy.Microsocks(t, "", "")
	for _, scheme := range []string{"socks5", "socks5h"} {
		r = probeURL(t, strings.Replace(app.URL("/echo"), "127.0.0.1", "localhost", 1), func(o *probe.Options) {
			o.Session.Proxy = scheme + "://" + socks.Addr
			o.Sends = []probe.Message{{Op: session.OpText, Payload: []byte("via microsocks")}}
			o.Count = 1
		})
		if r.Status != 101 || r.Counts.RecvMessages != 1 || r.Proxy == nil || r.Proxy.Kind != "socks5" {
			t.Fatalf("microsocks %s: status %d err %q", scheme, r.Status, r.Error)
		}
	}
}
