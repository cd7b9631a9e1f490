package doctor

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/internal/testca"
)

// These tests put a real nginx (Debian's nginx-light) on 127.0.0.1 in
// front of the apps in apps_test.go, configured the ways people get it
// wrong, and check the doctor's ranked diagnosis.

func nginx(t *testing.T, upstream, upgrade, host, readTimeout string) *realproxy.Proxy {
	t.Helper()
	return nginxWith(t, map[string]string{"upstream": upstream, "upgrade": upgrade, "host": host, "read_timeout": readTimeout})
}

// nginxWith starts nginx with the template's settings; those not given
// are off.
func nginxWith(t *testing.T, extra map[string]string) *realproxy.Proxy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "nginx.conf.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"upstream", "upgrade", "host", "read_timeout", "cert", "key", "xfp"} {
		if _, ok := extra[k]; !ok {
			extra[k] = ""
		}
	}
	if extra["read_timeout"] == "" {
		extra["read_timeout"] = "60s"
	}
	return realproxy.Nginx(t, string(data), extra)
}

// tlsFiles writes a CA, and a certificate for 127.0.0.1 it signed, into a
// temporary directory: the CA file for --cacert, the pair for nginx.
func tlsFiles(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	ca, err := testca.New("wscope doctor test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf("127.0.0.1", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := ca.WriteCertPEM(caFile); err != nil {
		t.Fatal(err)
	}
	if err := testca.WriteKeyPair(leaf, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	os.Chmod(keyFile, 0o644) // nginx's workers read it
	return caFile, certFile, keyFile
}

func addr(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

// hassio-google-drive-backup#224: nginx with Connection "upgrade" on every
// request in front of an app that treats such a request as an upgrade.
// WebSockets work; every ordinary page hangs.
func TestNginxForcedConnectionUpgrade(t *testing.T) {
	app := upgradeHoldingApp(t)
	px := nginx(t, addr(app), "forced", "keep", "60s")

	r := run(t, "ws://"+px.Addr+"/", func(o *Options) { o.Direct = addr(app) })
	if c := check(r, ProbeBrowser); c == nil || !c.Passed {
		t.Fatalf("the upgrade should work through nginx: %+v\n%s", c, dump(r))
	}
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.ID != "connection-upgrade-forced" || top.Severity != diagnose.Error || !top.Decisive ||
		!slices.Equal(top.SeenBy, []string{ProbePlainGet, ProbeDirectGet}) {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if top.Responder.Name != "nginx" || !strings.Contains(top.Fix, "$connection_upgrade") {
		t.Fatalf("not attributed to nginx or not nginx's fix: %+v", top)
	}
	if g := check(r, ProbePlainGet); g == nil || g.Passed || !g.HTTP.Hung {
		t.Fatalf("plain GET %+v", g)
	}

	// Without --direct only the hang shows it: still the cause, but one
	// probe's word, not decided.
	r = run(t, "ws://"+px.Addr+"/", nil)
	if len(r.Causes) == 0 || r.Causes[0].ID != "connection-upgrade-forced" || r.Causes[0].Decisive || len(r.Causes[0].SeenBy) != 1 {
		t.Fatalf("without --direct: %s\n%s", causeIDs(r), dump(r))
	}

	// The documented map: the same app answers the plain GET through nginx.
	good := nginx(t, addr(app), "map", "keep", "60s")
	r = run(t, "ws://"+good.Addr+"/", nil)
	if !r.Healthy || r.ExitCode != 0 || len(r.Causes) != 0 {
		t.Fatalf("with the map: %s\n%s", causeIDs(r), dump(r))
	}
}

// nginx without the upgrade lines: the app answers gorilla's 400 through
// nginx; straight to the app the same request upgrades, so the proxy is
// the cause and nginx's fix is the one given.
func TestNginxDroppingUpgradeAppUpgradesDirectly(t *testing.T) {
	app := gorillaApp(t)
	px := nginx(t, addr(app), "none", "keep", "60s")
	r := run(t, "ws://"+px.Addr+"/ws", func(o *Options) { o.Direct = addr(app) })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.Severity != diagnose.Error || !top.Decisive || top.Responder.Role != diagnose.RoleReverseProxy ||
		!slices.Contains(top.SeenBy, ProbeDirect) || !slices.Contains(top.SeenBy, ProbeBrowser) {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if top.ID != "upgrade-rejected" || !strings.Contains(top.Fix, "proxy_set_header Upgrade") {
		t.Fatalf("not the upgrade finding with nginx's fix: %s: %s", top.ID, top.Fix)
	}
	if c := check(r, ProbeDirect); c == nil || !c.Passed {
		t.Fatalf("direct %+v", c)
	}
	if slices.ContainsFunc(r.Causes, func(c Cause) bool { return c.ID == "origin-rejected" }) {
		t.Fatalf("origin blamed: %s", causeIDs(r))
	}
}

// nginx's default Host is the upstream's address: gorilla's origin check
// compares the page's Origin with it and refuses (403); without Origin it
// upgrades, and straight to the app (Host kept) the same Origin passes.
func TestNginxDefaultHostBreaksTheOriginCheck(t *testing.T) {
	app := gorillaApp(t)
	px := nginx(t, addr(app), "map", "proxy", "60s")
	r := run(t, "ws://"+px.Addr+"/ws", func(o *Options) { o.Direct = addr(app) })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.ID != "origin-rejected" || !top.Decisive || top.Severity != diagnose.Error ||
		!slices.Contains(top.SeenBy, ProbeNoOrigin) || !slices.Contains(top.SeenBy, ProbeDirect) {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if !strings.Contains(top.Detail, "Straight to the app") || !strings.Contains(top.Fix, "proxy_set_header Host $host") {
		t.Fatalf("does not say the proxy changes the Host, or not nginx's fix:\n%s\n%s", top.Detail, top.Fix)
	}
}

// The app refuses the page's origin whatever the proxy does: the same 404
// comes back straight from the app, so the proxy is not blamed.
func TestSameRefusalDirectIsTheApp(t *testing.T) {
	app := cableApp(t)
	px := nginx(t, addr(app), "map", "keep", "60s")
	r := run(t, "ws://"+px.Addr+"/cable", func(o *Options) {
		o.Direct = addr(app)
		o.Session.Origin = "http://evil.example"
	})
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	// A dropped Upgrade is ruled out, as the cause and as an alternative:
	// the request that went straight to the app carried it.
	if top.ID != "origin-rejected" && top.ID != "upgrade-refused" {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if slices.ContainsFunc(top.Alternatives, func(a diagnose.Alternative) bool { return a.ID == "upgrade-rejected" }) {
		t.Fatalf("a dropped Upgrade is still offered: %+v", top.Alternatives)
	}
	if top.Responder.Role != diagnose.RoleApp || !top.Decisive || top.SeenBy[0] != ProbeDirect ||
		!slices.Contains(top.SeenBy, ProbeBrowser) || !strings.Contains(top.Detail, "not the proxy") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	for _, c := range r.Causes {
		if c.Responder.Role == diagnose.RoleReverseProxy {
			t.Fatalf("a cause still blames the proxy: %+v", c)
		}
	}
}

// nginx cuts a silent tunnel after proxy_read_timeout; the idle probe
// shows it and nginx's setting is named.
func TestNginxIdleTimeout(t *testing.T) {
	srv := startServe(t)
	px := nginx(t, srv.Addr(), "map", "keep", "2s")
	r := run(t, "ws://"+px.Addr+"/silent", func(o *Options) { o.Idle = 3500 * time.Millisecond })
	if r.ExitCode != 1 {
		t.Fatalf("exit %d\n%s", r.ExitCode, dump(r))
	}
	i := slices.IndexFunc(r.Causes, func(c Cause) bool { return c.ID == "idle-timeout" })
	if i < 0 || !slices.Contains(r.Causes[i].SeenBy, ProbeIdle) || !strings.Contains(r.Causes[i].Fix, "proxy_read_timeout") {
		t.Fatalf("causes %s\n%s", causeIDs(r), dump(r))
	}
	if c := check(r, ProbeIdle); c == nil || c.Passed || !strings.Contains(c.Result, "closed after") {
		t.Fatalf("idle check %+v", c)
	}
	if c := check(r, ProbeBrowser); c == nil || !c.Passed {
		t.Fatalf("browser %+v", c)
	}
}

// The Chatwoot case (rails#31524, octobox#1369): nginx terminates TLS in
// front of ActionCable and does not send X-Forwarded-Proto. Rails sees
// http, so the https page's Origin fails its check with 404 "Page not
// found" — the same answer as a dropped Upgrade. The doctor tries the
// http origin too, and the contrast names the cause and nginx's fix; the
// app itself, reached directly over plain ws:// (--direct without a
// scheme falls back from TLS), refuses the same way.
func TestNginxTLSWithoutForwardedProto(t *testing.T) {
	app := cableApp(t)
	caFile, cert, key := tlsFiles(t)
	px := nginxWith(t, map[string]string{"upstream": addr(app), "upgrade": "map", "host": "keep", "cert": cert, "key": key})
	url := "wss://" + px.Addr + "/cable"
	r := run(t, url, func(o *Options) {
		o.Session.CACertFile = caFile
		o.Direct = addr(app)
	})
	if r.ExitCode != 1 || len(r.Causes) == 0 || r.Origin != "https://"+px.Addr {
		t.Fatalf("exit %d origin %s causes %s\n%s", r.ExitCode, r.Origin, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.ID != "origin-rejected" || !top.Decisive || !slices.Contains(top.SeenBy, ProbeOriginScheme) ||
		!slices.Contains(top.SeenBy, ProbeDirect) || top.Responder.Role != diagnose.RoleApp {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if !strings.Contains(top.Fix, "proxy_set_header X-Forwarded-Proto $scheme") {
		t.Fatalf("not nginx's X-Forwarded-Proto fix:\n%s", top.Fix)
	}
	if c := check(r, ProbeDirect); c == nil || !strings.Contains(c.Result, "plain ws://") {
		t.Fatalf("direct did not fall back to plain ws://: %+v", c)
	}
	if slices.ContainsFunc(r.Causes, func(c Cause) bool { return c.ID == "upgrade-rejected" }) {
		t.Fatalf("the dropped-Upgrade reading survived: %s", causeIDs(r))
	}

	// With X-Forwarded-Proto the same page connects and ActionCable says welcome.
	good := nginxWith(t, map[string]string{"upstream": addr(app), "upgrade": "map", "host": "keep", "cert": cert, "key": key, "xfp": "yes"})
	r = run(t, "wss://"+good.Addr+"/cable", func(o *Options) { o.Session.CACertFile = caFile })
	if !r.Healthy || r.ExitCode != 0 {
		t.Fatalf("with X-Forwarded-Proto: %s\n%s", causeIDs(r), dump(r))
	}
	if c := check(r, ProbeProtocol); c == nil || !c.Passed {
		t.Fatalf("protocol %+v", c)
	}
}
