package diagnose

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/wscope/wscope/session"
)

// closeFindings explain how an open connection ended: who closed it,
// after how long, and why.
func (b *builder) closeFindings() []Finding {
	ev := b.ev
	sc := ev.Closed
	opened := ev.OpenedAt
	if opened.IsZero() {
		opened = sc.Time
	}
	after := sc.Time.Sub(opened).Round(100 * time.Millisecond)
	local := sc.Cause == session.CauseLocalClose || sc.Cause == session.CauseLocalAbort
	if ev.UnansweredPings > 0 && !local && sc.Cause != session.CauseTooBig && sc.Cause != session.CauseProtocol && !isAppCode(sc.Code) {
		return []Finding{b.serverPingTimeout(after)}
	}
	switch sc.Cause {
	case session.CauseAbnormal, session.CauseReadError:
		silent := sc.Time.Sub(ev.LastFrameAt).Round(100 * time.Millisecond)
		if ev.LastFrameAt.IsZero() {
			silent = after
		}
		if silent >= time.Second {
			return []Finding{b.idleFinding(silent, after)}
		}
		f := b.base("abnormal-close")
		f.Detail = fmt.Sprintf("%s after %s", sc.Detail, after)
		f.Evidence = []Clue{{Kind: "close", Text: "no close frame (1006) after " + after.String()}, {Kind: "timing", Text: fmt.Sprintf("last frame %s before the drop", silent), Means: "the connection was busy: not an idle timeout"}}
		f.Responder = Responder{Role: RoleNetwork}
		f.Confidence = Low
		f.Fix = b.fix(f.ID, b.data)
		return []Finding{f}
	case session.CausePingTimeout:
		f := b.base("ping-timeout")
		f.Title = "wscope's pings went unanswered: the connection was half-open"
		f.Detail = sc.Detail
		f.Evidence = []Clue{{Kind: "close", Text: sc.Detail, Means: "wscope pinged (--ping-interval) and no pong came back"}}
		f.Responder = Responder{Role: RoleNetwork}
		f.Confidence = Medium
		f.Fix = "Something on the path dropped the connection without telling either side (a NAT or proxy idle timeout, a failover). Keep the connection busier than that timeout, and make the app ping as well."
		return []Finding{f}
	case session.CauseTooBig:
		f := b.base("message-too-big")
		f.Detail, f.Fix, f.Confidence = sc.Detail, b.fix("message-too-big", b.data), High
		f.Responder = Responder{Role: RoleApp}
		return []Finding{f}
	case session.CauseProtocol:
		return []Finding{b.protocolError(sc)}
	case session.CauseRemoteClose:
		switch {
		case isAppCode(sc.Code):
			return []Finding{b.appClose(sc, after)}
		case sc.Code != 1000 && sc.Code != 1005:
			return []Finding{b.serverClose(sc, after)}
		}
	}
	return nil
}

func isAppCode(code int) bool { return code >= 3000 && code <= 4999 }

// serverPingTimeout: the server pinged, wscope did not answer, the server
// closed. That is the server's liveness check, not a proxy's idle timeout.
func (b *builder) serverPingTimeout(after time.Duration) Finding {
	ev := b.ev
	sc := ev.Closed
	f := b.base("ping-timeout")
	f.Title = "The server closed the connection because its pings went unanswered"
	waited := sc.Time.Sub(ev.FirstUnansweredPing).Round(100 * time.Millisecond)
	f.Detail = fmt.Sprintf("the server sent %d ping(s) and wscope answered none of the last %d (--no-auto-pong); %s %s after the first unanswered one (%s after the upgrade). It is the server's own ping timeout, not a proxy idle timeout",
		ev.ServerPings, ev.UnansweredPings, closedHow(sc), waited, after)
	f.Evidence = []Clue{
		{Kind: "frame", Text: fmt.Sprintf("%d ping(s) from the server, %d unanswered", ev.ServerPings, ev.UnansweredPings), Means: "the server checks that the client is alive"},
		{Kind: "close", Text: closedHow(sc), Means: "the server gave up on the client"},
		{Kind: "timing", Text: fmt.Sprintf("%s after the first unanswered ping", waited)},
	}
	f.Responder = Responder{Role: RoleApp}
	at := b.cat.identify(answerOf(b.final))
	if at.answered != nil && at.answered.Role == RoleApp {
		f.Responder = at.responderOf(at.answered)
	}
	f.Path = at.pathResponders()
	f.Confidence = High
	f.Fix = "Answer the server's pings: browsers and WebSocket libraries do it by themselves (run without --no-auto-pong). A real client that gets cut this way is stuck or its pongs are held up."
	f.Check = "Run the same session without --no-auto-pong: if it stays up, the server's ping timeout closed it."
	return f
}

func closedHow(sc *session.StateChange) string {
	if sc.Cause == session.CauseRemoteClose {
		return "it closed with " + session.CloseCodeText(sc.Code)
	}
	return "the connection ended without a close frame"
}

// idleFinding: a quiet connection cut without a close frame. The proxy
// named in the 101 (Server, Via, its header case) is the one that cut it.
func (b *builder) idleFinding(silent, after time.Duration) Finding {
	sc := b.ev.Closed
	secs := int(silent.Round(time.Second) / time.Second)
	f := b.base("idle-timeout")
	f.Title = fmt.Sprintf("The connection was cut after %s of silence", silent.Round(time.Second))
	a := answerOf(b.final)
	at := b.cat.identify(a)
	for _, rel := range b.related() {
		at.addPath(b.cat.identify(answerOf(rel)))
	}
	f.Path = at.pathResponders()
	f.Evidence = []Clue{
		{Kind: "close", Text: "no close frame (1006) after " + after.String(), Means: "cut at the TCP level, not closed by the app"},
		{Kind: "timing", Text: fmt.Sprintf("silent for %s before the cut", silent), Means: "nothing crossed the connection: an idle timeout"},
	}
	for _, h := range at.hits {
		if h.sig.Proves == "path" && h.r.Role != RoleApp {
			f.Evidence = append(f.Evidence, Clue{Kind: "header", Text: h.seen.Text + " (on the " + b.opened() + ")", Means: h.r.Display + " is on the path"})
		}
	}
	d := b.data
	d.Seconds = secs
	// The named responder whose idle setting fits the measured time best.
	var cut *ResponderSpec
	matchesDefault := func(r *ResponderSpec) bool {
		for _, def := range append([]int{r.Settings.IdleDefaultSeconds}, r.Settings.IdleTypicalSeconds...) {
			want := float64(def + r.Settings.IdleSlackSeconds)
			if def > 0 && float64(secs) >= want*0.9 && float64(secs) <= want*1.1 {
				return true
			}
		}
		return false
	}
	for _, r := range at.path {
		if !r.HasFix("idle-timeout") {
			continue
		}
		if cut == nil || (matchesDefault(r) && !matchesDefault(cut)) {
			cut = r
		}
	}
	if cut != nil {
		d.SettingSeconds = secs - cut.Settings.IdleSlackSeconds
		f.Responder = at.responderOf(cut)
		// Two signals: how surely the 101 names it, and whether the time
		// is its default.
		switch score := weight(at.pathConf[cut]) + map[bool]int{true: 1}[matchesDefault(cut)]; {
		case score >= 4:
			f.Confidence = High
		case score >= 2:
			f.Confidence = Medium
		default:
			f.Confidence = Low
		}
		setting := cut.Settings.IdleSetting
		if matchesDefault(cut) {
			f.Detail = fmt.Sprintf("%s; open %s, silent %s. %s is on the path and %s cuts at %s by default: it matches", sc.Detail, after, silent, cut.Display, setting, cut.Settings.IdleDefault)
		} else {
			f.Detail = fmt.Sprintf("%s; open %s, silent %s. %s is on the path (named in the %s); its %s is set to about %ds", sc.Detail, after, silent, cut.Display, b.opened(), setting, d.SettingSeconds)
		}
		f.Fix = b.fix("idle-timeout", d, cut)
		for _, r := range at.path {
			if r != cut && r.HasFix("idle-timeout") {
				f.Alternatives = append(f.Alternatives, b.alternative("idle-timeout", r.Display+" ("+r.Settings.IdleSetting+") cut it", d, r))
			}
		}
		f.Check = fmt.Sprintf("Run again with --ping-interval %ds: if the connection then survives, it was %s's idle timeout.", max(1, secs/2), cut.Display)
		return f
	}
	// Nobody named itself: rank the usual suspects by their defaults.
	f.Responder = Responder{}
	f.Confidence = Low
	var names []string
	for _, r := range b.cat.responders {
		if matchesDefault(r) && r.HasFix("idle-timeout") {
			rd := d
			rd.SettingSeconds = secs - r.Settings.IdleSlackSeconds
			names = append(names, fmt.Sprintf("%s (%s, default %s)", r.Display, r.Settings.IdleSetting, r.Settings.IdleDefault))
			f.Alternatives = append(f.Alternatives, b.alternative("idle-timeout", r.Display+" ("+r.Settings.IdleSetting+") cut it", rd, r))
		}
	}
	f.Detail = fmt.Sprintf("%s; it had been open %s and silent for %s. No proxy named itself in the %s", sc.Detail, after, silent, b.opened())
	if len(names) > 0 {
		f.Detail += "; by the time, likely: " + strings.Join(names, ", ")
	}
	f.Fix = b.fix("idle-timeout", d)
	f.Check = fmt.Sprintf("List the proxies and load balancers on the path; the one whose idle timeout is %ds cut it. With --ping-interval %ds the connection should survive.", secs, max(1, secs/2))
	return f
}

// serverClose: a close frame with a code that says "going away",
// "restart", "try later" or an error.
func (b *builder) serverClose(sc *session.StateChange, after time.Duration) Finding {
	f := b.base("server-close")
	f.Title = "The server closed with " + session.CloseCodeText(sc.Code)
	switch sc.Code {
	case 1001, 1012, 1013:
		f.Severity = Warn
	default:
		f.Severity = Error
	}
	f.Detail = fmt.Sprintf("%s after %s", sc.Detail, after)
	f.Evidence = []Clue{{Kind: "close", Text: fmt.Sprintf("close frame %s %q", session.CloseCodeText(sc.Code), sc.Reason)}}
	at := b.cat.identify(answerOf(b.final))
	f.Path = at.pathResponders()
	f.Responder = Responder{Role: RoleApp}
	f.Confidence = Medium
	for _, r := range at.path {
		if r.Settings.CloseOnReload != 0 && r.Settings.CloseOnReload == sc.Code {
			f.Responder = at.responderOf(r)
			f.Detail += fmt.Sprintf(". %s is on the path and closes every WebSocket with %d when its configuration is reloaded", r.Display, sc.Code)
			f.Evidence = append(f.Evidence, Clue{Kind: "header", Text: r.Display + " named in the " + b.opened(), Means: fmt.Sprintf("%s sends %d to every WebSocket on reload", r.Display, sc.Code)})
			f.Fix = b.fix("server-close", b.data, r)
			f.Alternatives = []Alternative{{ID: "server-close", Title: "The app itself shut down or restarted and said so with " + session.CloseCodeText(sc.Code),
				Fix: "Reconnect with backoff on 1001/1012/1013."}}
			f.Check = fmt.Sprintf("Reload %s while connected: if every connection closes with %d at that moment, it is the reload; the app's log shows a shutdown otherwise.", r.Display, sc.Code)
			return f
		}
	}
	if at.answered != nil && at.answered.Role == RoleApp {
		f.Responder = at.responderOf(at.answered)
	}
	f.Fix = b.fix("server-close", b.data)
	return f
}

// appCloseCode says what an application protocol's close code means and
// what to do about it.
func appCloseCode(proto string, code int) (meaning, fix string, ok bool) {
	type key struct {
		proto string
		code  int
	}
	e, ok := map[key][2]string{
		{"graphql-transport-ws", 4400}: {"bad message: the server could not parse or did not expect a message", "Send only graphql-transport-ws messages (connection_init first, then subscribe with an id)."},
		{"graphql-transport-ws", 4401}: {"unauthorized: a subscribe was sent before connection_ack", "Wait for connection_ack before sending subscribe."},
		{"graphql-transport-ws", 4403}: {"forbidden: the server refused connection_init (authentication)", "Fix the connection_init payload (the token the server expects)."},
		{"graphql-transport-ws", 4406}: {"subprotocol not acceptable: the client did not offer graphql-transport-ws", "Offer the subprotocol: --subprotocol graphql-transport-ws."},
		{"graphql-transport-ws", 4408}: {"connection initialisation timeout: no connection_init in time", "Send connection_init right after the upgrade (the server's connectionInitWaitTimeout)."},
		{"graphql-transport-ws", 4409}: {"subscriber already exists: an id was reused while its operation runs", "Use a new id for each subscribe, or complete the old operation first."},
		{"graphql-transport-ws", 4429}: {"too many initialisation requests: connection_init was sent twice", "Send connection_init once per connection."},
		{"odoo", 4001}:                 {"session expired: log in again", "Send a valid session cookie (--cookie session_id=…)."},
		{"odoo", 4002}:                 {"keep-alive timeout: the client did not answer the server's keep-alive in time", "Answer the server's pings (run without --no-auto-pong); the Odoo web client does it by itself."},
		{"odoo", 4003}:                 {"killed: the server is shutting down at once", "Reconnect once the server is back."},
	}[key{proto, code}]
	return e[0], e[1], ok
}

// appClose: a 3000-4999 close code, with its meaning when the protocol is
// known: from the subprotocol selected, from the close itself (graphql-ws
// closes 4406 "Subprotocol not acceptable" when none was), from the path
// (Odoo's /websocket).
func (b *builder) appClose(sc *session.StateChange, after time.Duration) Finding {
	f := b.base("app-close")
	at := b.cat.identify(answerOf(b.final))
	f.Path = at.pathResponders()
	f.Evidence = []Clue{{Kind: "close", Text: fmt.Sprintf("close frame %d %q", sc.Code, sc.Reason)}}
	f.Detail = fmt.Sprintf("%s after %s", sc.Detail, after)
	f.Confidence = Medium
	f.Fix = b.fix("app-close", b.data)
	proto := ""
	var app *ResponderSpec
	h, named := b.cat.identifyClose(sc.Code, sc.Reason)
	switch {
	case strings.EqualFold(b.final.Checks.Subprotocol, "graphql-transport-ws"):
		proto, app = "graphql-transport-ws", b.responder("graphql-ws")
		f.Evidence = append(f.Evidence, Clue{Kind: "header", Text: "Sec-WebSocket-Protocol: graphql-transport-ws", Means: "the " + b.opened() + " selected graphql-transport-ws: a graphql-ws server"})
	case named && h.r.Name == "graphql-ws":
		proto, app = "graphql-transport-ws", h.r
	case strings.HasSuffix(pathOf(b.final.URL), "/websocket"):
		proto, app = "odoo", b.responder("odoo")
	}
	if named && h.r == app {
		f.Evidence = append(f.Evidence, Clue{Kind: "close", Text: fmt.Sprintf("reason %q with code %d", sc.Reason, sc.Code), Means: h.sig.Note})
	}
	if app == nil {
		if a, _ := b.appOf(at); a != nil {
			app = a
		}
	}
	f.Responder = Responder{Role: RoleApp}
	if app != nil {
		f.Responder = at.responderOf(app)
	}
	if meaning, fix, ok := appCloseCode(proto, sc.Code); ok {
		name := proto
		if app != nil {
			name = app.Display
		}
		f.Title = fmt.Sprintf("The %s server closed with %d: %s", name, sc.Code, strings.SplitN(meaning, ":", 2)[0])
		f.Detail += fmt.Sprintf(". In %s, %d means %s", proto, sc.Code, meaning)
		if proto == "graphql-transport-ws" && sc.Code == 4406 {
			if offered := b.final.RequestHeader("Sec-WebSocket-Protocol"); offered != "" {
				f.Detail += fmt.Sprintf(" (the client offered %q)", offered)
			} else {
				f.Detail += " (the client offered no subprotocol)"
			}
		}
		f.Evidence = append(f.Evidence, Clue{Kind: "close", Text: fmt.Sprintf("%s close code %d", proto, sc.Code), Means: meaning})
		f.Fix = fix
		f.Confidence = High
		if proto == "odoo" && sc.Code == 4003 {
			f.Severity = Warn
		}
		return f
	}
	f.Title = fmt.Sprintf("The application closed with its own code %d", sc.Code)
	f.Severity = Warn
	return f
}

// protocolError: the bytes after the 101 were not frames.
func (b *builder) protocolError(sc *session.StateChange) Finding {
	f := b.base("protocol-error")
	f.Detail = sc.Detail
	f.Confidence = Medium
	f.Responder = Responder{Role: RoleApp}
	f.Fix = b.fix("protocol-error", b.data)
	if len(sc.Raw) > 0 {
		f.Detail += ". The server sent after the 101: " + quoteBytes(sc.Raw, session.MaxAfterHead)
		f.Evidence = append(f.Evidence, Clue{Kind: "frame", Text: "bytes after the 101: " + quoteBytes(sc.Raw, 64)})
	}
	path := b.final.URL
	switch {
	case bytes.HasPrefix(sc.Raw, []byte("HTTP/1.")):
		f.Title = "The server wrote an HTTP response after the 101"
		f.Confidence = High
		f.Evidence = append(f.Evidence, Clue{Kind: "frame", Text: firstLine(string(sc.Raw)), Means: "an HTTP status line where a WebSocket frame should be: the server refused after upgrading"})
		if strings.Contains(path, "/socket.io/") || strings.Contains(path, "EIO=") {
			f.Responder = Responder{Role: RoleApp, Name: "engine.io"}
			if strings.Contains(path, "EIO=3") {
				f.Detail += ". Socket.IO v4 servers refuse Engine.IO v3 clients (EIO=3) this way"
				f.Fix = "Use a Socket.IO v4 client (EIO=4), or let the server accept v3 clients: new Server(httpServer, { allowEIO3: true })."
			}
		}
	case strings.Contains(sc.Detail, "RSV1") && len(b.final.Checks.Extensions) == 0:
		f.Title = "A compressed frame arrived though compression was not negotiated"
		f.Detail += ". The " + b.opened() + " selected no extension, yet the server compressed: something between rewrote Sec-WebSocket-Extensions"
		f.Responder = Responder{Role: RoleReverseProxy}
		at := b.cat.identify(answerOf(b.final))
		if p := at.proxy(nil); p != nil {
			f.Responder = at.responderOf(p)
			f.Fix = b.fix("extension-dropped", b.data, p)
		}
	}
	return f
}
