package doctor

import (
	"fmt"
	"strings"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// The findings only the battery can make: each needs two probes that
// differ in one respect. Their ids are the catalogue's (diagnose), so
// `wscope explain` has their full text; the fix lines are the proxy's own
// when the proxy on the path is known.

func (a *analyzer) originFinding(origin string, br *probe.Report) diagnose.Finding {
	return diagnose.Finding{ID: "origin-rejected", Severity: diagnose.Error,
		Title: "The app refused the page's Origin (" + origin + ")",
		Detail: fmt.Sprintf("With Origin: %s the server answered %s; the same request without Origin was accepted (101). "+
			"Browsers always send their page's Origin, so the page cannot connect.", origin, answerOf(br)),
		Fix: a.originAppFix(origin) + "\n" + a.originProxyFix()}
}

// originAppFix allows the origin in the app.
func (a *analyzer) originAppFix(origin string) string {
	return "Allow the page's origin in the app:\n" +
		"    Rails:      config.action_cable.allowed_request_origins = [\"" + origin + "\"]\n" +
		"    Socket.IO:  new Server(http, { cors: { origin: [\"" + origin + "\"] } })\n" +
		"    Go/gorilla: Upgrader.CheckOrigin"
}

// originProxyFix makes the proxy pass the Host and scheme the app compares
// the Origin with.
func (a *analyzer) originProxyFix() string {
	return "When the app compares the Origin with the Host and scheme it receives (gorilla's default,\n" +
		"Rails' allow_same_origin_as_host), the proxy must pass them on:\n" +
		a.fix("origin-rejected", "origin", "    the proxy in front did not name itself, so no one proxy's lines are given here:\n"+
			"    `wscope explain origin-rejected` lists them per proxy (nginx, Apache, HAProxy, Caddy, Traefik…)")
}

func (a *analyzer) originSchemeFinding(origin string, br *probe.Report) diagnose.Finding {
	httpOrigin := "http://" + strings.TrimPrefix(origin, "https://")
	return diagnose.Finding{ID: "origin-rejected", Severity: diagnose.Error,
		Title: "The app refused the https page's Origin: it thinks it is served over plain http",
		Detail: fmt.Sprintf("With Origin: %s the server answered %s; with Origin: %s it upgraded. "+
			"The app compares the Origin with the scheme it sees, and the TLS-terminating proxy does not tell it "+
			"that the request came over https (X-Forwarded-Proto).", origin, answerOf(br), httpOrigin),
		Fix: a.forwardedProtoFix(origin)}
}

// forwardedProtoFix: the proxy on the path's own lines when it has them,
// else the usual proxies' and the app's.
func (a *analyzer) forwardedProtoFix(origin string) string {
	list := "    config.action_cable.allowed_request_origins = [\"" + origin + "\"]"
	if a.proxy != nil && a.proxy.HasFix("forwarded-proto") {
		return a.fix("origin-rejected", "forwarded-proto", "") + "\nOr list the origin in the app (Rails):\n" + list
	}
	return "Make the TLS-terminating proxy send X-Forwarded-Proto: https and the app trust it. The proxy did\n" +
		"not name itself, so no one proxy's lines are given here: `wscope explain origin-rejected` lists them\n" +
		"per proxy. Rails: config.assume_ssl = true (7.1+), or list the origin:\n" + list
}

func (a *analyzer) originRequiredFinding(origin string, nr *probe.Report) diagnose.Finding {
	return diagnose.Finding{ID: "origin-rejected", Severity: diagnose.Info,
		Title: "The app refuses handshakes without an Origin; browsers always send one",
		Detail: fmt.Sprintf("Without Origin the server answered %s; with Origin: %s it upgraded. "+
			"Not a proxy problem: only clients that send no Origin (scripts, websocat, curl) see this refusal.", answerOf(nr), origin),
		Fix: "Nothing to change for browsers. Scripts and native clients must send the page's Origin\n" +
			"(wscope --origin " + origin + ", websocat --origin, wscat --origin)."}
}

func (a *analyzer) compressionFinding(br, nc *probe.Report) diagnose.Finding {
	offer := "permessage-deflate"
	if br.Request != nil {
		if v, ok := header(br.Request.Headers, "Sec-WebSocket-Extensions"); ok {
			offer = v
		}
	}
	got := answerOf(br)
	if br.Upgraded && br.Close != nil {
		got = "101, then the connection broke (" + br.Close.Cause + ": " + br.Close.Detail + ")"
	}
	fix := a.fix("extension-rejected", "", "")
	if p := a.proxy; p != nil {
		if s, ok := p.RenderFix("extensions", a.fixData()); ok {
			fix += "\n" + strings.TrimSpace(s)
		}
	}
	return diagnose.Finding{ID: "extension-rejected", Severity: diagnose.Error,
		Title:  "The connection fails when permessage-deflate is offered, as every browser does",
		Detail: fmt.Sprintf("Offering %q: %s; the same request without compression: %s.", offer, got, answerOf(nc)),
		Fix:    fix}
}

// answerOf is the probe's outcome in a few words: the status line and a
// body excerpt, 101, or the error.
func answerOf(r *probe.Report) string {
	switch {
	case r == nil:
		return "not run"
	case r.Upgraded:
		s := "101 Switching Protocols"
		if r.HTTPVersion == session.HTTP2 {
			s = "200 to the HTTP/2 extended CONNECT"
		} else if r.H2 != nil && r.H2.Fallback {
			s += " over HTTP/1.1 (" + r.H2.FallbackReason + ")"
		}
		if r.TimingsMS.Total > 0 {
			s += fmt.Sprintf(" in %.0f ms", r.TimingsMS.Total)
		}
		if len(r.Extensions) > 0 {
			s += ", extensions " + strings.Join(r.Extensions, ", ")
		}
		if r.Subprotocol != "" {
			s += ", subprotocol " + r.Subprotocol
		}
		return s
	case r.Response != nil:
		s := strings.TrimPrefix(r.Response.StartLine, "HTTP/1.1 ")
		if r.HTTPVersion == session.HTTP2 {
			s = strings.TrimPrefix(s, "HTTP/2 ") + " to the HTTP/2 extended CONNECT"
		}
		if b := excerpt(r.Response.Body, 80); b != "" {
			s += fmt.Sprintf(" %q", b)
		}
		return s
	case r.Error != "":
		return r.Error
	}
	return fmt.Sprintf("status %d", r.Status)
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func fmtMS(v float64) string {
	return (time.Duration(v * float64(time.Millisecond))).Round(time.Millisecond).String()
}
