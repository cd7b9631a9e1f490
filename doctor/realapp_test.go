package doctor

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
)

// Real applications (internal/realapp): Rails ActionCable on puma, Node
// `ws`, Socket.IO.

// The first complaint, against real Rails: ActionCable refuses a
// handshake without Origin with 404 "Page not found". The doctor sends the
// browser's Origin, gets the welcome, and does not blame any proxy.
func TestRealActionCableWantsAnOrigin(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{})
	r := run(t, "ws://"+app.Addr+"/cable", nil)
	if !r.Healthy || r.ExitCode != 0 || r.Protocol != "actioncable" {
		t.Fatalf("exit %d causes %s\n%s\n%s", r.ExitCode, causeIDs(r), dump(r), app.Output())
	}
	if len(r.Causes) != 1 || r.Causes[0].ID != "origin-rejected" || r.Causes[0].Severity != diagnose.Info || r.Causes[0].Responder.Role != diagnose.RoleApp {
		t.Fatalf("causes %s\n%s", causeIDs(r), dump(r))
	}
	if c := check(r, ProbeProtocol); c == nil || !c.Passed {
		t.Fatalf("no welcome from real ActionCable: %+v", c)
	}
	if c := check(r, ProbeNoOrigin); c == nil || c.Passed || !strings.Contains(c.Result, "404") {
		t.Fatalf("no-origin %+v", c)
	}
}

// Real ActionCable behind nginx without the upgrade lines: 404 through
// nginx, exactly like the origin refusal above, but straight to the app
// the same request upgrades: nginx is the cause, with its fix.
func TestRealActionCableBehindNginxWithoutUpgrade(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{})
	px := nginx(t, app.Addr, "none", "keep", "60s")
	r := run(t, "ws://"+px.Addr+"/cable", func(o *Options) { o.Direct = app.Addr })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.Responder.Name != "nginx" || !top.Decisive || !slices.Contains(top.SeenBy, ProbeDirect) ||
		!strings.Contains(top.Fix, "proxy_set_header Upgrade") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if c := check(r, ProbeDirect); c == nil || !c.Passed {
		t.Fatalf("direct %+v", c)
	}
}

// Node's ws with a permessage-deflate setup that needs
// client_max_window_bits refuses another client's offer with 400; the
// same request without compression upgrades.
func TestRealWSRefusesACompressionOffer(t *testing.T) {
	app := realapp.WS(t, realapp.WSStrictDeflate)
	r := run(t, "ws://"+app.Addr+"/", func(o *Options) { o.Session.CompressOffer = "permessage-deflate; client_no_context_takeover" })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.ID != "extension-rejected" || !top.Decisive || !slices.Contains(top.SeenBy, ProbeNoCompress) ||
		!strings.Contains(top.Detail, "client_no_context_takeover") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	// Chrome's own offer is accepted.
	r = run(t, "ws://"+app.Addr+"/", nil)
	if !r.Healthy {
		t.Fatalf("Chrome's offer: %s\n%s", causeIDs(r), dump(r))
	}
}

// Real Socket.IO: the protocol is detected from the path and its open
// packet arrives; its first ping (pingInterval 25 s) is beyond a short
// --protocol-wait, which the check says without calling it a problem.
func TestRealSocketIOOpen(t *testing.T) {
	app := realapp.SocketIO(t, "a")
	r := run(t, "ws://"+app.Addr+"/socket.io/?EIO=4&transport=websocket", func(o *Options) { o.ProtocolWait = 2 * time.Second })
	if !r.Healthy || r.Protocol != "socketio" {
		t.Fatalf("protocol %q causes %s\n%s", r.Protocol, causeIDs(r), dump(r))
	}
	c := check(r, ProbeProtocol)
	if c == nil || c.Passed || !strings.Contains(c.Result, "open after") || !strings.Contains(c.Result, "no ping within 2s") {
		t.Fatalf("protocol check %+v", c)
	}
}

// rails#31524 against real Rails: ActionCable with the same-origin check
// behind nginx terminating TLS without X-Forwarded-Proto. The https page's
// Origin is refused with 404 "Page not found"; the http one is accepted.
// The doctor names the cause and nginx's lines, and not the Upgrade.
func TestRealActionCableBehindTLSNginxWithoutForwardedProto(t *testing.T) {
	app := realapp.ActionCable(t, realapp.CableOptions{SameOriginOnly: true})
	caFile, cert, key := tlsFiles(t)
	px := nginxWith(t, map[string]string{"upstream": app.Addr, "upgrade": "map", "host": "keep", "cert": cert, "key": key})
	r := run(t, "wss://"+px.Addr+"/cable", func(o *Options) { o.Session.CACertFile = caFile })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s\n%s", r.ExitCode, causeIDs(r), dump(r), app.Output())
	}
	top := r.Causes[0]
	if top.ID != "origin-rejected" || !top.Decisive || !slices.Contains(top.SeenBy, ProbeOriginScheme) ||
		!strings.Contains(top.Fix, "X-Forwarded-Proto $scheme") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if slices.ContainsFunc(r.Causes, func(c Cause) bool { return c.ID == "upgrade-rejected" }) {
		t.Fatalf("the dropped-Upgrade reading survived: %s", causeIDs(r))
	}
}
