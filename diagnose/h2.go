package diagnose

import (
	"fmt"
	"strings"

	"github.com/wscope/wscope/session"
)

// WebSockets over HTTP/2 (RFC 8441). Chrome (121+) and Firefox open a
// WebSocket as an extended CONNECT (:method CONNECT, :protocol websocket)
// on their HTTP/2 connection whenever the server advertised
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, and they do not fall back to
// HTTP/1.1 when the CONNECT is then refused. A server can so work for
// curl and wscat (HTTP/1.1) and fail for every browser. Success is a 2xx,
// not a 101; there are no Upgrade, Connection nor Sec-WebSocket-Accept
// headers to check.

// h2Outcome is how an HTTP/2 attempt ended, as the findings read it.
type h2Outcome int

const (
	h2Nothing       h2Outcome = iota // not an HTTP/2 attempt, opened, or a redirect (redirectFindings)
	h2NotNegotiated                  // --http 2 and TLS ALPN did not choose h2: no HTTP/2 at all
	h2NotAdvertised                  // h2 spoken, the setting not advertised, no CONNECT sent
	h2GoAway                         // the CONNECT got GOAWAY and no answer: the connection died
	h2Refused                        // a status other than 2xx, RST_STREAM, or the stream ended unanswered
	h2Held                           // the CONNECT got no answer before the timeout
)

// h2OutcomeOf reads an attempt. An HTTP/1.1 handshake whose H2 says the
// browser-like (auto) attempt fell back because h2 was chosen without the
// setting is h2NotAdvertised; any other HTTP/1.1 handshake (or a recording
// from before HTTP/2, HTTPVersion "") is h2Nothing.
func h2OutcomeOf(hs *session.Handshake, dialErr *session.Error) h2Outcome {
	info := hs.H2
	if !hs.IsHTTP2() {
		if info != nil && info.Fallback && info.ALPN == "h2" && !info.ConnectProtocol {
			return h2NotAdvertised
		}
		return h2Nothing
	}
	if info == nil {
		info = &session.H2Info{}
	}
	sent := len(hs.Request) > 0 // fillH2 records the request only when the CONNECT went out
	switch st := hs.Status; {
	case st >= 200 && st < 400:
		return h2Nothing
	case st != 0 || info.RST != nil:
		return h2Refused
	case info.GoAway != nil && sent:
		return h2GoAway
	case !sent && info.ALPN == "h2" && !info.ConnectProtocol:
		return h2NotAdvertised
	case !sent && len(info.Settings) == 0 && notSpokenH2(hs, dialErr):
		return h2NotNegotiated
	case sent && dialErr != nil && dialErr.NoResponseHead:
		return h2Held
	case sent && dialErr != nil:
		return h2Refused
	}
	return h2Nothing
}

// notSpokenH2: --http 2 found no HTTP/2: TLS ALPN chose another protocol,
// or the server ended the TLS handshake because h2 was all it was offered.
func notSpokenH2(hs *session.Handshake, dialErr *session.Error) bool {
	if hs.H2 != nil && hs.H2.ALPN != "" && hs.H2.ALPN != "h2" {
		return true
	}
	if hs.TLS != nil && hs.TLS.Version != "" && hs.TLS.ALPN != "h2" {
		return true
	}
	return dialErr != nil && dialErr.Class == session.ClassProtocol && strings.Contains(dialErr.Msg, "does not speak HTTP/2")
}

// h2Findings explain an HTTP/2 attempt. hs is the final handshake (own)
// or Evidence.OtherHTTP (not own: only what HTTP/2 itself shows is said,
// the rest is that attempt's own diagnosis); h1 is the same URL over
// HTTP/1.1, nil when not tried.
func (b *builder) h2Findings(hs, h1 *session.Handshake, own bool) []Finding {
	var dialErr *session.Error
	if own {
		dialErr = b.ev.DialErr
	}
	switch h2OutcomeOf(hs, dialErr) {
	case h2NotNegotiated:
		if own {
			return []Finding{b.h2NotNegotiated(hs)}
		}
	case h2NotAdvertised:
		return []Finding{b.h2NotAdvertised(hs, h1)}
	case h2GoAway:
		return []Finding{b.h2GoAway(hs, h1)}
	case h2Refused:
		if own && b.h2SameOverHTTP1(hs, h1) {
			return []Finding{b.statusFinding()}
		}
		return []Finding{b.h2Refused(hs, h1)}
	case h2Held:
		if own {
			return []Finding{b.swallowedFinding()}
		}
	}
	return nil
}

// h2SameOverHTTP1: the refusal says something that is not about HTTP/2
// (an origin, credentials, a session id, a proxy's rule or a dead
// backend), so the HTTP/1.1 status rules explain it as they would a
// refused upgrade. Never when the CONNECT was forced (not advertised) or
// HTTP/1.1 is known to open: then HTTP/2 is the difference.
func (b *builder) h2SameOverHTTP1(hs, h1 *session.Handshake) bool {
	if hs.Status == 0 || hs.H2 == nil || !hs.H2.ConnectProtocol || (h1 != nil && h1.Upgraded()) {
		return false
	}
	at := b.cat.identify(answerOf(hs))
	if at.answered != nil && at.answered.Role == RoleApp && b.h2Context(hs, h1).proxy != nil {
		// A reverse proxy that speaks HTTP/2 to the browser (HAProxy,
		// Apache) turns the CONNECT into an HTTP/1.1 Upgrade for the app;
		// an answer the app itself wrote (Rails' 404, Engine.IO's 400) is
		// its verdict on that upgrade — an Origin, a path, a session —
		// and the HTTP/1.1 rules read it, not the HTTP/2 ones.
		return true
	}
	switch at.means {
	case "sticky-session-missing", "odoo-wrong-port", "extension-rejected", "origin-rejected", "proxy-denied":
		return true
	case "proxy-error":
		// HAProxy's 502 to an extended CONNECT is its HTTP/2 backend's doing.
		return at.answered == nil || at.answered.Name != "haproxy" || hs.Status != 502
	}
	switch hs.Status {
	case 401, 403, 407, 503, 504:
		return true
	case 502:
		p := at.proxy(nil)
		return p == nil || p.Name != "haproxy"
	}
	return false
}

// h2Context is what every HTTP/2 finding reads: who speaks HTTP/2 here
// (the SETTINGS), who is on the path (the answer, the related answers and
// the HTTP/1.1 answer of the same URL), and the HTTP/1.1 outcome.
type h2Context struct {
	hs, h1      *session.Handshake
	info        *session.H2Info
	a           answer
	at          attribution
	server      *ResponderSpec // named by its SETTINGS alone (an app's own HTTP/2 server too)
	serverClue  Clue
	serverConf  Confidence
	proxy       *ResponderSpec // the reverse proxy or CDN on the path, if one is named
	h1Up, h1Bad bool           // HTTP/1.1 was tried and opened / got an answer that is no upgrade
	d           FixData
}

func (b *builder) h2Context(hs, h1 *session.Handshake) *h2Context {
	c := &h2Context{hs: hs, h1: h1, info: hs.H2, d: fixDataFor(hs)}
	if c.info == nil {
		c.info = &session.H2Info{}
	}
	c.a = answerOf(hs)
	c.at = b.cat.identify(c.a)
	for _, rel := range b.related() {
		c.at.addPath(b.cat.identify(answerOf(rel)))
	}
	if h1 != nil && h1 != hs {
		c.at.addPath(b.cat.identify(answerOf(h1)))
		c.h1Up = h1.Upgraded()
		c.h1Bad = !c.h1Up && h1.Status != 0
	}
	c.server, c.serverClue, c.serverConf = b.cat.h2Server(c.info)
	c.proxy = c.at.proxy(nil)
	return c
}

// settingsClue says what the SETTINGS frame shows: whether WebSockets
// over HTTP/2 are offered, and whose HTTP/2 server sent it when its order
// names one.
func (c *h2Context) settingsClue() Clue {
	text := "SETTINGS " + settingsText(c.info.Settings)
	if len(c.info.Settings) == 0 {
		text = "an empty SETTINGS frame"
	}
	means := "no ENABLE_CONNECT_PROTOCOL = 1: WebSockets over HTTP/2 are not offered, so browsers open them over HTTP/1.1"
	if c.info.ConnectProtocol {
		means = "ENABLE_CONNECT_PROTOCOL = 1: the server invites browsers to open WebSockets over HTTP/2; Chrome and Firefox then send an extended CONNECT and do not fall back to HTTP/1.1"
	}
	if c.server != nil {
		means += ". " + c.server.Display + " sent it: " + c.serverClue.Means
	}
	return Clue{Kind: "h2", Text: text, Means: means}
}

// answerClues are the answer's clues without the SETTINGS (settingsClue
// says them once).
func (c *h2Context) answerClues() []Clue {
	var out []Clue
	for _, cl := range c.at.clues(c.a) {
		if cl.Kind != "h2" {
			out = append(out, cl)
		}
	}
	return out
}

// h1Clue is the HTTP/1.1 outcome of the same URL, when it was tried.
func (c *h2Context) h1Clue() (Clue, bool) {
	if c.h1 == nil || c.h1 == c.hs {
		return Clue{}, false
	}
	switch {
	case c.h1Up:
		return Clue{Kind: "other-http", Text: "over HTTP/1.1 the same URL got " + orStatus(c.h1.StatusLine, "101"),
			Means: "HTTP/1.1 clients (curl, wscat, server-side clients) open it: only the HTTP/2 path fails"}, true
	case c.h1Bad:
		return Clue{Kind: "other-http", Text: "over HTTP/1.1 the same URL got " + orStatus(c.h1.StatusLine, fmt.Sprint(c.h1.Status)),
			Means: "HTTP/1.1 clients fail too"}, true
	}
	return Clue{}, false
}

func orStatus(line, fallback string) string {
	if line != "" {
		return line
	}
	return fallback
}

// h2Refused: the server advertised WebSockets over HTTP/2 and refused the
// extended CONNECT (a status, a RST_STREAM, a stream ended unanswered); or
// it was forced and refused, which no browser meets.
func (b *builder) h2Refused(hs, h1 *session.Handshake) Finding {
	c := b.h2Context(hs, h1)
	info := c.info
	f := b.base("h2-websocket-refused")
	f.Path = c.at.pathResponders()
	url := hs.URL
	probe11 := fmt.Sprintf("wscope probe %s --http 1.1", url)

	// What came back.
	var got string
	switch {
	case hs.Status != 0:
		f.Evidence = c.answerClues()
		got = fmt.Sprintf("%q", hs.StatusLine)
		if info.RST != nil && info.RST.Code != 0 {
			f.Evidence = append(f.Evidence, Clue{Kind: "h2", Text: "RST_STREAM " + info.RST.Name + " after the answer"})
		}
	case info.RST != nil:
		got = "RST_STREAM " + info.RST.Name + " and no answer"
		f.Evidence = []Clue{{Kind: "h2", Text: fmt.Sprintf("RST_STREAM %s on stream %d, no HEADERS", info.RST.Name, max(info.StreamID, 1)),
			Means: "the stream was refused before any answer: the HTTP/2 server (or a backend it speaks HTTP/2 to) does not take the CONNECT"}}
	default:
		got = "no answer: the stream ended without one"
		if b.ev.DialErr != nil && hs == b.final {
			got += " (" + b.ev.DialErr.Msg + ")"
		}
		f.Evidence = []Clue{{Kind: "h2", Text: "the CONNECT's stream ended without HEADERS", Means: "the HTTP/2 server dropped the CONNECT"}}
	}
	f.Evidence = append([]Clue{c.settingsClue()}, f.Evidence...)
	f.Evidence = append(f.Evidence, Clue{Kind: "request", Text: fmt.Sprintf("CONNECT %s :protocol websocket (HTTP/2 stream %d)", c.d.Path, max(info.StreamID, 1))})
	if cl, ok := c.h1Clue(); ok {
		f.Evidence = append(f.Evidence, cl)
	}

	if !info.ConnectProtocol {
		// --force-h2: a CONNECT the server never invited. No browser
		// sends it, so nothing is broken for them.
		f.Severity = Info
		f.Title = "The server does not take WebSockets over HTTP/2, and does not advertise them: browsers never try"
		f.Detail = fmt.Sprintf("%s does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL; the CONNECT sent anyway (--force-h2) got %s. Browsers open WebSockets here over HTTP/1.1", hostOf(url), got)
		f.Evidence = append(f.Evidence, Clue{Kind: "request", Text: "--force-h2", Means: "the CONNECT was sent although the setting was not advertised"})
		f.Responder = c.answerer()
		f.Confidence = High
		f.Fix = "Nothing to fix for browsers: they use HTTP/1.1 with this server. Diagnose with --http 1.1 (or --http auto, which does what a browser does)."
		f.Check = fmt.Sprintf("wscope probe %s --http auto: without the setting it falls back to HTTP/1.1, as browsers do.", url)
		return f
	}

	cause := b.h2RefusalCause(c)
	f.Responder = c.answerer()
	if cause.responder != nil {
		f.Responder = c.at.responderOf(cause.responder)
	}
	f.Confidence = cause.conf
	f.Alternatives = cause.alts
	f.Fix = b.fix("h2-websocket-refused", c.d, cause.fixer)

	who := whoText(c.at.answered)
	if c.at.answered == nil {
		who = hostOf(url)
		if cause.responder != nil {
			who = whoText(cause.responder)
		}
	}
	f.Detail = fmt.Sprintf("%s advertised SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so Chrome (121+) and Firefox open this WebSocket as an HTTP/2 extended CONNECT and do not fall back to HTTP/1.1 when it fails; the CONNECT to %s got %s",
		hostOf(url), c.d.Path, got)
	if hs.Status != 0 {
		f.Detail += " from " + who
	}
	if body := excerpt(string(hs.Body), 160); body != "" {
		f.Detail += "; body: " + body
	}
	if cause.why != "" {
		f.Detail += ". " + cause.why
	}
	switch {
	case c.h1Up:
		f.Detail += fmt.Sprintf(". Over HTTP/1.1 the same URL got %s: curl, wscat and other HTTP/1.1 clients work, every browser that takes the HTTP/2 path fails (the page sees close code 1006)", orStatus(h1.StatusLine, "101"))
		f.Check = cause.check
	case c.h1Bad:
		f.Title = fmt.Sprintf("Browsers that use HTTP/2 fail here, and HTTP/1.1 clients fail too (%d)", h1.Status)
		f.Detail += fmt.Sprintf(". Over HTTP/1.1 the same URL got %s", orStatus(h1.StatusLine, fmt.Sprint(h1.Status)))
		if cause.h1Fails != "" {
			f.Detail += ": likely the same cause (" + cause.h1Fails + ")"
		} else {
			f.Detail += ": that refusal has its own diagnosis (probe it with --http 1.1)"
		}
		f.Check = cause.check
	default:
		f.Title = "Browsers that use HTTP/2 fail here; HTTP/1.1 clients likely work (not tried)"
		if cause.h1Fails != "" {
			f.Title = "Browsers that use HTTP/2 fail here; HTTP/1.1 clients likely fail too (not tried)"
			f.Detail += ". HTTP/1.1 was not tried: " + cause.h1Fails
		} else {
			f.Detail += ". HTTP/1.1 was not tried: HTTP/1.1 clients (curl, wscat) likely work, which is how such a server looks healthy"
		}
		f.Check = probe11 + ": a 101 there proves that only the HTTP/2 path (every browser's) fails."
		if cause.check != "" {
			f.Check += " Then: " + cause.check
		}
	}
	if f.Check == "" {
		f.Check = probe11 + " shows what HTTP/1.1 clients get."
	}
	return f
}

// answerer is who wrote the answer: its own signature, else the proxy on
// the path, else the HTTP/2 server its SETTINGS name.
func (c *h2Context) answerer() Responder {
	switch {
	case c.at.answered != nil:
		return c.at.responderOf(c.at.answered)
	case c.proxy != nil:
		return c.at.responderOf(c.proxy)
	case c.server != nil:
		return Responder{Role: c.server.Role, Name: c.server.Name}
	}
	return Responder{}
}

// h2Cause is the cause of a refused extended CONNECT, read from who
// answered.
type h2Cause struct {
	responder *ResponderSpec // who the finding names (nil: the answerer)
	fixer     *ResponderSpec // whose h2-websocket fix applies (nil: the generic fix)
	conf      Confidence
	why       string
	alts      []Alternative
	check     string
	h1Fails   string // why HTTP/1.1 likely fails as well, when it does
}

func (b *builder) h2RefusalCause(c *h2Context) h2Cause {
	hs, info, at := c.hs, c.info, c.at
	goServer, nodeServer := b.responder("go-net-http"), b.responder("node-http2")
	path := c.d.Path
	switch {
	case c.proxy != nil && c.proxy.Name == "haproxy" && (info.RST != nil || hs.Status == 502):
		cause := h2Cause{responder: c.proxy, fixer: c.proxy, conf: Medium,
			why: "HAProxy advertises WebSockets over HTTP/2 to clients whatever its servers can do, and refuses the stream when the server it would pass the CONNECT to speaks HTTP/2 (proto h2) without RFC 8441",
			alts: []Alternative{{ID: "proxy-error", Title: "HAProxy's server for this path is down or answered something HAProxy could not use (its log's termination state says which)",
				Fix: b.fix("proxy-error", c.d, c.proxy)}},
			check:   fmt.Sprintf("Look at the server line of the backend that serves %s: \"proto h2\" (or \"alpn h2\" on an ssl server) makes HAProxy speak HTTP/2 to it; the HTTP/1.1 upgrade then gets HAProxy's 502 too.", path),
			h1Fails: "an HTTP/2 backend fails HTTP/1.1 upgrades through HAProxy too, with a 502"}
		if c.h1Bad && c.h1.Status == 502 {
			cause.conf = High
		}
		return cause
	case c.proxy != nil:
		conf := Low
		if c.proxy.HasFix("h2-websocket") {
			conf = Medium
		}
		return h2Cause{responder: nil, fixer: c.proxy, conf: conf,
			why:   fmt.Sprintf("%s advertises WebSockets over HTTP/2 and passes the CONNECT on (as an HTTP/1.1 upgrade, or over HTTP/2 to its backend); what is behind it refused it", c.proxy.Display),
			check: fmt.Sprintf("Send the same request to the app directly (--connect-to %s:%s:APP_HOST:APP_PORT) with --http 1.1: a 101 there puts the fault in %s's handling of the CONNECT.", c.d.Host, c.d.Port, c.proxy.Display)}
	case nodeServer != nil && (c.server == nodeServer || at.answered == nodeServer):
		cause := h2Cause{responder: nodeServer, fixer: nodeServer, conf: Medium,
			check: "Look for enableConnectProtocol in the settings of http2.createSecureServer: without it (or with a handler for the CONNECT) browsers stop getting this answer."}
		if c.server == nodeServer && at.answered == nodeServer {
			cause.conf = High
		}
		if hs.Status == 405 || hs.Status == 0 {
			cause.why = "Node's http2 server advertises WebSockets over HTTP/2 (settings: { enableConnectProtocol: true }) while the app handles WebSockets only on the HTTP/1.1 'upgrade' event; its compatibility layer answers a CONNECT that no 'connect' handler takes with 405 (socket.io#5067)"
		} else {
			cause.why = fmt.Sprintf("Node's http2 server advertises WebSockets over HTTP/2 (settings: { enableConnectProtocol: true }); the app's handler for the CONNECT answered %d", hs.Status)
			cause.alts = []Alternative{{ID: "upgrade-refused", Title: fmt.Sprintf("The app's own CONNECT handler does not serve %s (a path or header it checks)", path)}}
		}
		return cause
	case goServer != nil && (c.server == goServer || (c.server == nil && at.answered != nil && at.answered.Name == "gorilla")):
		cause := h2Cause{fixer: goServer, conf: Medium,
			why:   "The Go server advertises WebSockets over HTTP/2, which net/http does only with GODEBUG=http2xconnect=1 (golang/go#71128), and hands the extended CONNECT to a handler that only knows the HTTP/1.1 Upgrade",
			check: "Look for http2xconnect in the Go program's GODEBUG (environment, //go:debug lines, go.mod's godebug block): without it net/http stops advertising and browsers use HTTP/1.1."}
		if at.answered != nil && at.answered.Name == "gorilla" {
			cause.responder = at.answered
			cause.why += " (gorilla/websocket refuses it with 400 \"Bad Request\": a CONNECT has no Connection: upgrade)"
			if c.server == goServer {
				cause.conf = High
			}
		} else {
			cause.responder = goServer
		}
		if c.server == nil {
			cause.alts = []Alternative{{ID: "h2-websocket-refused", Title: "Another HTTP/2 server in front of the Go app, one that names itself nowhere, advertises WebSockets over HTTP/2 and passes the CONNECT on"}}
		}
		return cause
	case at.answered != nil:
		conf := Low
		if at.answered.HasFix("h2-websocket") {
			conf = Medium
		}
		return h2Cause{fixer: at.answered, conf: conf,
			why: fmt.Sprintf("%s answered the CONNECT; the server that advertises WebSockets over HTTP/2 hands it a request it does not take", whoText(at.answered))}
	case c.server != nil:
		return h2Cause{responder: c.server, fixer: c.server, conf: Low}
	}
	return h2Cause{conf: Low}
}

// h2NotAdvertised: the server speaks h2 but does not advertise WebSockets
// over it, so browsers open them over HTTP/1.1. Not a problem: the
// HTTP/1.1 result is what browsers see.
func (b *builder) h2NotAdvertised(hs, h1 *session.Handshake) Finding {
	if h1 == nil && !hs.IsHTTP2() {
		h1 = hs // auto fell back: this handshake is the HTTP/1.1 one
	}
	c := b.h2Context(hs, h1)
	f := b.base("h2-not-advertised")
	f.Path = c.at.pathResponders()
	f.Confidence = High
	f.Evidence = []Clue{{Kind: "tls", Text: "TLS ALPN: h2", Means: "the server speaks HTTP/2"}, c.settingsClue()}
	switch {
	case c.proxy != nil:
		f.Responder = c.at.responderOf(c.proxy)
	case c.server != nil:
		f.Responder = Responder{Role: c.server.Role, Name: c.server.Name}
	}
	f.Detail = fmt.Sprintf("%s speaks HTTP/2 (TLS ALPN chose h2) but does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL: browsers open WebSockets here over HTTP/1.1, on a connection of their own, so the HTTP/1.1 result is what they see", hostOf(hs.URL))
	f.Fix = b.fix(f.ID, c.d)
	switch {
	case h1 != nil && h1.Status != 0:
		f.Detail += fmt.Sprintf("; over HTTP/1.1 it got %s", orStatus(h1.StatusLine, fmt.Sprint(h1.Status)))
		if h1 == hs {
			f.Detail += " (--http auto fell back, as browsers do)"
		}
	default:
		f.Check = fmt.Sprintf("wscope probe %s --http 1.1 (or --http auto, which does what a browser does) shows what browsers get.", hs.URL)
	}
	return f
}

// h2NotNegotiated: --http 2 against a server that does not speak HTTP/2.
func (b *builder) h2NotNegotiated(hs *session.Handshake) Finding {
	f := b.base("h2-not-negotiated")
	f.Confidence = High
	chose := "no protocol"
	if alpn := hs.H2.ALPN; alpn != "" {
		chose = fmt.Sprintf("%q", alpn)
	} else if hs.TLS != nil && hs.TLS.ALPN != "" {
		chose = fmt.Sprintf("%q", hs.TLS.ALPN)
	}
	f.Detail = fmt.Sprintf("%s does not speak HTTP/2 (TLS ALPN chose %s, not h2): browsers use HTTP/1.1 for everything here, WebSockets included", hostOf(hs.URL), chose)
	if b.ev.DialErr != nil && hs.TLS == nil {
		f.Detail = fmt.Sprintf("%s does not speak HTTP/2 (%s): browsers use HTTP/1.1 here, WebSockets included", hostOf(hs.URL), b.ev.DialErr.Msg)
	}
	f.Evidence = []Clue{{Kind: "tls", Text: "TLS ALPN: " + chose, Means: "no HTTP/2 on this address"}}
	for _, rel := range b.related() {
		at := b.cat.identify(answerOf(rel))
		f.Path = append(f.Path, at.pathResponders()...)
	}
	f.Fix = b.fix(f.ID, b.data)
	f.Check = fmt.Sprintf("wscope probe %s --http 1.1 shows what browsers get.", hs.URL)
	return f
}

// h2GoAway: the CONNECT killed the whole HTTP/2 connection (h2o does
// this). An error when the server advertised WebSockets over HTTP/2 (every
// browser fails, and the page's other requests on that connection with
// it); information when the CONNECT was forced, since no browser sends it.
func (b *builder) h2GoAway(hs, h1 *session.Handshake) Finding {
	c := b.h2Context(hs, h1)
	g := c.info.GoAway
	f := b.base("h2-goaway")
	f.Path = c.at.pathResponders()
	f.Responder = c.answerer()
	goaway := fmt.Sprintf("GOAWAY %s (last stream %d)", g.Name, g.LastStreamID)
	if g.Debug != "" {
		goaway += fmt.Sprintf(", debug data %q", g.Debug)
	}
	f.Evidence = []Clue{c.settingsClue(),
		{Kind: "request", Text: fmt.Sprintf("CONNECT %s :protocol websocket (HTTP/2 stream %d)", c.d.Path, max(c.info.StreamID, 1))},
		{Kind: "h2", Text: goaway + " and no answer to the CONNECT", Means: "the server closed the whole HTTP/2 connection, not just the stream: every request on it fails"}}
	if cl, ok := c.h1Clue(); ok {
		f.Evidence = append(f.Evidence, cl)
	}
	// A GOAWAY that says NO_ERROR, or that still counts this stream as
	// processed, may be a shutdown that happened to coincide.
	f.Confidence = High
	if g.Code == 0 || g.LastStreamID >= max(c.info.StreamID, 1) {
		f.Confidence = Medium
		f.Alternatives = []Alternative{{ID: "server-close", Title: "The server was shutting down or restarting (a graceful GOAWAY) at that moment"}}
	}
	if !c.info.ConnectProtocol {
		f.Severity = Info
		f.Title = "The server closes the whole HTTP/2 connection on an extended CONNECT, but does not advertise them: browsers never send one"
		f.Detail = fmt.Sprintf("%s does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL; the CONNECT sent anyway (--force-h2) got %s. Browsers open WebSockets here over HTTP/1.1", hostOf(hs.URL), goaway)
		f.Fix = "Nothing to fix for browsers: they use HTTP/1.1 with this server. Diagnose with --http 1.1 (or --http auto, which does what a browser does)."
		f.Check = fmt.Sprintf("wscope probe %s --http auto: without the setting it falls back to HTTP/1.1, as browsers do.", hs.URL)
		return f
	}
	f.Detail = fmt.Sprintf("%s advertised SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so browsers open this WebSocket as an HTTP/2 extended CONNECT, and the server answered it with %s: the WebSocket fails (close code 1006 in the page), and so does every other request the page had on that connection", hostOf(hs.URL), goaway)
	fixer := c.proxy
	if fixer == nil {
		fixer = c.server
	}
	f.Fix = b.fix("h2-goaway", c.d, fixer)
	switch {
	case c.h1Up:
		f.Detail += fmt.Sprintf(". Over HTTP/1.1 the same URL got %s: HTTP/1.1 clients work", orStatus(h1.StatusLine, "101"))
		f.Check = fmt.Sprintf("Open it again with --http 2: a GOAWAY each time is the CONNECT's doing, not a restart (wscope probe %s --http 2).", hs.URL)
	default:
		f.Check = fmt.Sprintf("wscope probe %s --http 1.1: a 101 there proves that only the HTTP/2 path (every browser's) fails.", hs.URL)
	}
	return f
}

// opened names the answer that opened the WebSocket: the 101 over
// HTTP/1.1, the 200 to the extended CONNECT over HTTP/2.
func (b *builder) opened() string {
	if b.final.IsHTTP2() {
		return "HTTP/2 200"
	}
	return "101"
}
