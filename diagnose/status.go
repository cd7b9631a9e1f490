package diagnose

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/wscope/wscope/session"
)

// statusFinding explains a final answer other than 101 and redirects:
// who wrote it, what it says, the one fix.
func (b *builder) statusFinding() Finding {
	hs := b.final
	a := answerOf(hs)
	at := b.cat.identify(a)
	for _, rel := range b.related() {
		at.addPath(b.cat.identify(answerOf(rel)))
	}
	s := &statusCase{b: b, hs: hs, a: a, at: at, who: at.answered}
	switch at.means {
	case "sticky-session-missing":
		return s.sticky()
	case "odoo-wrong-port":
		return s.odooPort()
	case "extension-rejected":
		return s.extensionRejected()
	case "origin-rejected":
		return s.originRejected(at.conf, nil)
	case "upgrade-rejected":
		if s.who != nil && s.who.Name == "odoo" {
			if missing := odooMissing(a.rawBody); len(missing) == 1 && missing[0] == "origin" {
				return s.originRejected(High, nil)
			}
		}
		if s.who != nil && s.who.Role != RoleApp {
			return s.proxyRefusedUpgrade()
		}
		return s.upgradeRejected(at.conf)
	case "proxy-error":
		return s.proxyError()
	case "proxy-denied":
		return s.proxyDenied()
	case "upgrade-refused":
		return s.refused(at.conf, "")
	}
	if s.who != nil && s.who.Name == "rails" {
		return s.rails()
	}
	proxyAnswered := s.who != nil && s.who.Role != RoleApp
	switch st := hs.Status; {
	case st == 401 || st == 407:
		return s.authRequired()
	case st == 403 && proxyAnswered:
		return s.proxyDenied()
	case st == 403:
		return s.originRejected(Medium, []Alternative{b.alternative("auth-required",
			"The app wants authentication (a cookie or token) and answers 403 without it", b.data)})
	case st == 502 || st == 503 || st == 504:
		return s.proxyError()
	case (st == 400 || st == 404 || st == 405) && proxyAnswered:
		return s.refused(at.conf, fmt.Sprintf("%s answered this itself: the request did not reach the app", whoText(s.who)))
	case st == 426:
		return s.upgradeRejected(Medium)
	case st == 400:
		return s.upgradeRejected(Low)
	}
	return s.refused(Low, "")
}

// addPath adds the proxies another answer named to the path.
func (at *attribution) addPath(o attribution) {
	for _, r := range o.path {
		known := false
		for _, p := range at.path {
			known = known || p == r
		}
		if !known {
			at.path = append(at.path, r)
			at.version[r.Name] = o.version[r.Name]
			at.pathConf[r] = o.pathConf[r]
		}
	}
}

// statusCase is one non-101 answer being explained.
type statusCase struct {
	b   *builder
	hs  *session.Handshake
	a   answer
	at  attribution
	who *ResponderSpec
}

// start fills what every status finding has: responder, path, evidence.
func (s *statusCase) start(id string, conf Confidence) Finding {
	f := s.b.base(id)
	f.Responder = s.at.responderOf(s.who)
	f.Path = s.at.pathResponders()
	f.Evidence = s.at.clues(s.a)
	f.Confidence = conf
	f.Detail = s.detail()
	return f
}

// detail is the evidence in a sentence: who answered what.
func (s *statusCase) detail() string {
	req := "the upgrade request"
	if s.hs.IsHTTP2() {
		req = "the HTTP/2 extended CONNECT"
	}
	d := fmt.Sprintf("%s answered %q to %s", whoText(s.who), s.hs.StatusLine, req)
	if s.who == nil {
		d = fmt.Sprintf("%s answered %q to %s", hostOf(s.hs.URL), s.hs.StatusLine, req)
	}
	if len(s.at.path) > 0 && (s.who == nil || s.who.Role == RoleApp) {
		var names []string
		for _, r := range s.at.path {
			names = append(names, r.Display)
		}
		d += " through " + strings.Join(names, ", ")
	}
	if body := excerpt(string(s.hs.Body), 160); body != "" {
		d += "; body: " + body
	}
	return d
}

// requestClue says what the request carried that matters for a refusal.
func (s *statusCase) originClue() Clue {
	if o := s.hs.RequestHeader("Origin"); o != "" {
		return Clue{Kind: "request", Text: "Origin: " + o}
	}
	return Clue{Kind: "request", Text: "no Origin header", Means: "browsers always send one; many apps refuse a request without it"}
}

func (s *statusCase) sticky() Finding {
	f := s.start("sticky-session-missing", High)
	balancer := s.at.proxy(nil)
	f.Fix = s.b.fix("sticky-session-missing", s.b.data, balancer, s.who)
	if balancer != nil {
		f.Detail += fmt.Sprintf(". %s spreads the session's requests over several backends", balancer.Display)
	}
	f.Check = "Repeat the request a few times or against each backend directly: it succeeds on the node that issued the session id and fails on the others."
	return f
}

func (s *statusCase) odooPort() Finding {
	f := s.start("odoo-wrong-port", s.at.conf)
	f.Detail += ". /websocket reached Odoo's HTTP worker port (8069, prefork); websockets are served only on the evented port 8072"
	proxy := s.at.proxy(nil)
	f.Fix = s.b.fix("odoo-wrong-port", s.b.data, proxy, s.who)
	f.Check = "Send the same request to port 8072 directly (--connect-to HOST:PORT:ODOO_HOST:8072): a 101 there confirms the routing."
	if !strings.Contains(s.a.body, "couldn't bind the websocket") {
		// The usual case: the message is in Odoo's log, the body is
		// werkzeug's generic 500 page.
		f.Detail += ". Odoo answers a websocket on 8069 with werkzeug's generic 500 page and logs \"Couldn't bind the websocket. Is the connection opened on the evented port (8072)?\""
		f.Alternatives = []Alternative{{ID: "upgrade-refused",
			Title: "Odoo's /websocket failed for another reason (an exception in the bus module): its log has the traceback",
			Fix:   "Read Odoo's log at the time of the request for the traceback."}}
		f.Check = "Odoo's log says \"Couldn't bind the websocket. Is the connection opened on the evented port (8072)?\" at the time of the request; or send the same request to port 8072 directly (--connect-to HOST:PORT:ODOO_HOST:8072): a 101 there confirms the routing."
	}
	return f
}

func (s *statusCase) extensionRejected() Finding {
	f := s.start("extension-rejected", High)
	offer := s.hs.RequestHeader("Sec-WebSocket-Extensions")
	f.Evidence = append(f.Evidence, Clue{Kind: "request", Text: "Sec-WebSocket-Extensions: " + offer})
	f.Detail += fmt.Sprintf(". The offer was %q", offer)
	f.Fix = s.b.fix("extension-rejected", s.b.data, s.who)
	f.Check = "Connect with --compress (Chrome's offer) or without compression: a 101 then means the offer was the problem."
	return f
}

// originRejected: the app refused the Origin (or its absence).
func (s *statusCase) originRejected(conf Confidence, alts []Alternative) Finding {
	f := s.start("origin-rejected", conf)
	f.Evidence = append(f.Evidence, s.originClue())
	proxy := s.at.proxy(nil)
	if o := s.hs.RequestHeader("Origin"); o == "" {
		f.Detail += ". The request had no Origin; browsers always send one"
	} else {
		f.Detail += fmt.Sprintf(". The request's Origin was %s", o)
	}
	if s.httpsBehindProxy(proxy) {
		f.Detail += fmt.Sprintf(". The page is https and %s is in front: unless it sends X-Forwarded-Proto https, the app sees http:// and the https Origin does not match", proxy.Display)
		f.Evidence = append(f.Evidence, Clue{Kind: "request", Text: "wss:// through " + proxy.Display, Means: "the app behind it sees http unless told (X-Forwarded-Proto)"})
	}
	f.Fix = s.b.originFix(s.b.data, s.who, proxy, s.httpsBehindProxy(proxy))
	f.Alternatives = alts
	f.Check = fmt.Sprintf("Send the page's own origin: wscope probe %s --origin %s. If the refusal turns into 101, the app refused the origin.", s.hs.URL, s.b.data.Origin)
	if o := s.hs.RequestHeader("Origin"); strings.EqualFold(o, s.b.data.Origin) {
		f.Check = fmt.Sprintf("The request already carried the URL's own origin (%s). Send the origin of the page that opens the socket (--origin https://PAGE_HOST) and compare with --no-origin: if the answer changes with the Origin, the app checks it against its allowed list.", o)
	}
	return f
}

// httpsBehindProxy: the page is https and a named proxy terminates it,
// so the browser's same-host Origin fails unless the app is told the
// scheme (X-Forwarded-Proto). Not when the request carried an Origin of
// another host: that is refused whatever the scheme, and the proxy's
// X-Forwarded-Proto line would be a fix for a fault not shown.
func (s *statusCase) httpsBehindProxy(proxy *ResponderSpec) bool {
	if proxy == nil || !strings.HasPrefix(s.hs.URL, "wss://") {
		return false
	}
	o := s.hs.RequestHeader("Origin")
	if o == "" {
		return true // no Origin: what the browser's own would meet
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Hostname(), s.b.data.Host)
}

// originFix is the app's origin fix and, when the page is https behind a
// proxy (tls set), the proxy's and the app's X-Forwarded-Proto fixes.
func (b *builder) originFix(d FixData, app, proxy *ResponderSpec, tls bool) string {
	var who, texts []string
	add := func(r *ResponderSpec, key string) {
		if r == nil {
			return
		}
		if t, ok := r.RenderFix(key, d); ok {
			who, texts = append(who, r.Display), append(texts, t)
		}
	}
	add(app, "origin")
	if tls {
		add(proxy, "forwarded-proto")
		add(app, "forwarded-proto")
	}
	switch len(texts) {
	case 0:
		return b.fix("origin-rejected", d)
	case 1:
		return texts[0]
	}
	var parts []string
	for i, t := range texts {
		parts = append(parts, who[i]+":\n"+indent(t, "  "))
	}
	return strings.Join(parts, "\n")
}

// upgradeRejected: the app answered as to a plain GET; the proxy on the
// path dropped Upgrade/Connection.
func (s *statusCase) upgradeRejected(conf Confidence) Finding {
	f := s.start("upgrade-rejected", conf)
	if f.Responder == (Responder{}) {
		f.Responder = Responder{Role: RoleApp} // the app answered; its name is unknown
	}
	proxy := s.at.proxy(nil)
	if proxy != nil {
		f.Detail += fmt.Sprintf(". %s is on the way and did not forward the Upgrade/Connection headers", proxy.Display)
		f.Fix = s.b.fix("upgrade-rejected", s.b.data, proxy)
	} else {
		f.Detail += ". No proxy named itself in the answer; one that does not (varnish, an L7 load balancer) may still be in between"
		f.Fix = s.b.fix("upgrade-rejected", s.b.data)
		if f.Confidence == High {
			f.Confidence = Medium
		}
	}
	f.Check = fmt.Sprintf("Send the same request straight to the app (wscope probe %s --connect-to %s:%s:APP_HOST:APP_PORT): a 101 there means the proxy drops Upgrade/Connection.",
		s.hs.URL, s.b.data.Host, s.b.data.Port)
	if conf == Low {
		f.Alternatives = append(f.Alternatives, Alternative{ID: "upgrade-refused",
			Title: "The app refused the request for a reason of its own (read the body and the app's log)",
			Fix:   s.b.fix("upgrade-refused", s.b.data)})
	}
	return f
}

// proxyRefusedUpgrade: a proxy itself refused the upgrade (Envoy without
// upgrade_configs).
func (s *statusCase) proxyRefusedUpgrade() Finding {
	f := s.start("upgrade-rejected", s.at.conf)
	f.Title = s.who.Display + " refused the WebSocket upgrade itself"
	f.Detail += fmt.Sprintf(". %s does not allow upgrades on this route; the request never reached the app", s.who.Display)
	f.Fix = s.b.fix("upgrade-rejected", s.b.data, s.who)
	return f
}

// rails ranks the causes of ActionCable's 404 from the request.
func (s *statusCase) rails() Finding {
	origin := s.hs.RequestHeader("Origin")
	proxy := s.at.proxy(nil)
	logCheck := " The Rails log also says which: \"Request origin not allowed\", or \"Failed to upgrade to WebSocket (… HTTP_UPGRADE: )\" with the header empty."
	foreign := false
	if origin != "" {
		if u, err := url.Parse(origin); err != nil || !strings.EqualFold(u.Hostname(), s.b.data.Host) {
			foreign = true
		}
	}
	upAlt := s.b.alternative("upgrade-rejected", "A proxy dropped the Upgrade/Connection headers (Rails answers that with the same 404)", s.b.data, proxy)
	if origin == "" || foreign {
		f := s.originRejected(Medium, []Alternative{upAlt})
		f.Detail += ". ActionCable answers a refused origin and a missing upgrade alike (404 \"Page not found\"); with this request the origin is the likelier"
		f.Check += logCheck
		return f
	}
	if s.httpsBehindProxy(proxy) {
		// The Origin matches the host, but the page is https behind a TLS
		// proxy: ActionCable compares it with the scheme it sees. Nothing
		// in a Rails 404 says the upgrade headers were lost.
		f := s.originRejected(Low, []Alternative{upAlt})
		f.Title = "ActionCable refused the https Origin: it sees the request as http"
		f.Detail += fmt.Sprintf(". ActionCable answers a refused origin and a missing upgrade alike (404 \"Page not found\"); it compares %s with http://%s unless %s sends X-Forwarded-Proto https", origin, hostOf(s.hs.URL), proxy.Display)
		f.Check = fmt.Sprintf("Send -H 'X-Forwarded-Proto: https' through %s: if the 404 turns into 101, %s must send X-Forwarded-Proto; if not, it drops the Upgrade headers.%s", proxy.Display, proxy.Display, logCheck)
		return f
	}
	f := s.upgradeRejected(Medium)
	f.Evidence = append(f.Evidence, s.originClue())
	f.Alternatives = []Alternative{{ID: "origin-rejected",
		Title: "config.action_cable.allowed_request_origins does not list " + origin,
		Fix:   s.b.originFix(s.b.data, s.who, nil, false)}}
	f.Detail += ". ActionCable answers a refused origin and a missing upgrade alike (404 \"Page not found\"); the Origin sent matches the host"
	f.Check += logCheck
	return f
}

func (s *statusCase) authRequired() Finding {
	f := s.start("auth-required", Medium)
	if v := s.hs.ResponseHeader("WWW-Authenticate"); v != "" {
		f.Evidence = append(f.Evidence, Clue{Kind: "header", Text: "WWW-Authenticate: " + v})
		f.Confidence = High
	}
	f.Fix = s.b.fix("auth-required", s.b.data, s.who)
	return f
}

// proxyDenied: a reverse proxy or CDN refused the request by its rules.
func (s *statusCase) proxyDenied() Finding {
	f := s.start("proxy-denied", s.at.conf)
	who := "A proxy"
	if s.who != nil {
		who = s.who.Display
	}
	f.Title = who + " refused the request by its rules"
	f.Fix = s.b.fix("proxy-denied", s.b.data, s.who)
	if f.Confidence == "" {
		f.Confidence = Medium
	}
	return f
}

// proxyError: a proxy answered 502/503/504 itself.
func (s *statusCase) proxyError() Finding {
	who := s.who
	conf := s.at.conf
	if who == nil || who.Role == RoleApp {
		who, conf = s.at.proxy(nil), Medium
	}
	if who == nil {
		conf = Low
	}
	f := s.start("proxy-error", conf)
	f.Responder = s.at.responderOf(who)
	name := "The proxy"
	if who != nil {
		name = who.Display
	}
	f.Title = name + " could not reach the app behind it"
	f.Fix = s.b.fix("proxy-error", s.b.data, who)
	if s.a.path == "/websocket" {
		f.Detail += ". For Odoo, /websocket must go to the evented port 8072, and that port must be listening (workers > 0)"
		f.Fix += "\nFor Odoo: /websocket goes to the evented port 8072 (gevent_port), which listens only when Odoo runs with workers > 0; check that it is up."
		f.Alternatives = []Alternative{s.b.alternative("odoo-wrong-port", "Odoo's evented port 8072 is not running or not the one proxied", s.b.data, who)}
	}
	f.Check = "Connect to the upstream address from the proxy's machine; the proxy's error log names the upstream it tried."
	if who != nil && who.Name == "haproxy" && s.a.status == 502 && strings.Contains(s.a.body, "invalid or incomplete response") && !s.hs.IsHTTP2() {
		// Measured: HAProxy answers an HTTP/1.1 upgrade so when it speaks
		// HTTP/2 to that server, which cannot carry an upgrade.
		f.Alternatives = append(f.Alternatives, Alternative{ID: "proxy-error",
			Title: "HAProxy speaks HTTP/2 to that server (\"proto h2\" on its server line): an HTTP/2 connection cannot carry the HTTP/1.1 upgrade",
			Fix:   "Remove \"proto h2\" from the server line of the backend that serves " + s.b.data.Path + ": HAProxy then speaks HTTP/1.1 to it and passes the upgrade."})
		f.Check = "Look at the server line of the backend that serves " + s.b.data.Path + ": with \"proto h2\" every upgrade gets this 502 while plain requests work; otherwise the proxy's log names the upstream it tried."
	}
	return f
}

// refused: an answer with no better explanation.
func (s *statusCase) refused(conf Confidence, why string) Finding {
	f := s.start("upgrade-refused", conf)
	if why != "" {
		f.Detail += ". " + why
	}
	for _, h := range s.at.hits {
		if h.r == s.who && h.sig.Means == "upgrade-refused" && h.sig.Note != "" {
			f.Detail += ". " + h.sig.Note
			break
		}
	}
	if s.a.status == 404 {
		f.Title = fmt.Sprintf("%s has no WebSocket endpoint at %s", strings.ToUpper(whoText(s.who)[:1])+whoText(s.who)[1:], s.b.data.Path)
		f.Fix = "Check the path (a trailing slash, /cable vs /cable/, a prefix the proxy strips or adds) against the one the browser uses (DevTools, Network, WS)."
		if s.who != nil && s.who.Role != RoleApp {
			f.Fix = fmt.Sprintf("%s has no route for %s: check its location/route for the WebSocket path (a trailing slash in proxy_pass changes the path the app sees).", s.who.Display, s.b.data.Path)
		}
		return f
	}
	f.Fix = s.b.fix("upgrade-refused", s.b.data, s.who)
	if own, ok := s.ownFix(); ok {
		f.Fix = own
	}
	return f
}

// ownFix is the fix the answering responder keeps for this very answer
// (its strongest signature's fix key), when it has one.
func (s *statusCase) ownFix() (string, bool) {
	if s.who == nil || s.at.sig.Fix == "" {
		return "", false
	}
	return s.who.RenderFix(s.at.sig.Fix, s.b.data)
}

// odooMissing lists the header names of Odoo's "Empty or missing
// header(s): a, b".
func odooMissing(body string) []string {
	_, rest, ok := strings.Cut(strings.ToLower(body), "empty or missing header(s):")
	if !ok {
		return nil
	}
	rest, _, _ = strings.Cut(rest, "<")
	var out []string
	for _, n := range strings.Split(rest, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// redirectFindings explain redirects of the handshake.
func (b *builder) redirectFindings() []Finding {
	var out []Finding
	chain, dialErr := b.ev.Chain, b.ev.DialErr
	for i, hs := range chain {
		if hs.Status < 300 || hs.Status > 399 {
			continue
		}
		loc := hs.ResponseHeader("Location")
		if i < len(chain)-1 && dialErr == nil {
			continue // followed successfully: not a problem by itself
		}
		a := answerOf(hs)
		at := b.cat.identify(a)
		d := fixDataFor(hs)
		if dialErr != nil && dialErr.Class == session.ClassRedirect && strings.HasPrefix(dialErr.Msg, "redirect loop") {
			f := b.base("redirect-loop")
			f.Detail, f.Evidence, f.Path = dialErr.Msg, at.clues(a), at.pathResponders()
			f.Responder, f.Confidence = at.responderOf(at.answered), Medium
			f.Fix = b.fix("redirect-loop", d, at.proxy(nil))
			out = append(out, f)
			break
		}
		if lu, err := url.Parse(loc); err == nil && strings.EqualFold(lu.Scheme, "https") && strings.EqualFold(lu.Hostname(), hostOnly(hs.URL)) {
			out = append(out, b.httpsRedirect(hs, a, at, d, loc))
			continue
		}
		f := b.base("redirect")
		f.Detail = fmt.Sprintf("%s answered %q with Location: %s; browsers do not follow redirects on WebSocket handshakes", hostOf(hs.URL), hs.StatusLine, loc)
		f.Evidence = append(at.clues(a), Clue{Kind: "header", Text: "Location: " + loc})
		f.Responder, f.Path, f.Confidence = at.responderOf(at.answered), at.pathResponders(), High
		f.Fix = "Browsers do not follow redirects on WebSocket handshakes: connect to the final URL (wscope -L shows where it leads)."
		out = append(out, f)
	}
	return out
}

func (b *builder) httpsRedirect(hs *session.Handshake, a answer, at attribution, d FixData, loc string) Finding {
	f := b.base("https-redirect")
	f.Evidence = append(at.clues(a), Clue{Kind: "header", Text: "Location: " + loc})
	f.Path = at.pathResponders()
	f.Detail = fmt.Sprintf("%s answered %q with Location: %s; browsers do not follow redirects on WebSocket handshakes", hostOf(hs.URL), hs.StatusLine, loc)
	plain := strings.HasPrefix(hs.URL, "ws://")
	if who := at.answered; who != nil && who.Role != RoleApp {
		// The proxy itself sends plain HTTP to https: the client used ws://.
		f.Responder, f.Confidence = at.responderOf(who), High
		f.Title = who.Display + " redirects plain HTTP to https: connect with wss://"
		f.Fix = fmt.Sprintf("Connect with wss://%s%s: %s serves WebSockets only over TLS (an https page uses wss:// by itself).", hostOf(hs.URL), d.Path, who.Display)
		return f
	}
	f.Responder = Responder{Role: RoleApp}
	if at.answered != nil {
		f.Responder = at.responderOf(at.answered)
	}
	proxy := at.proxy(nil)
	f.Confidence = Medium
	if proxy != nil {
		f.Confidence = High
		f.Detail += fmt.Sprintf(". The app is behind %s, which does not tell it the request was https", proxy.Display)
	}
	f.Fix = b.fix("https-redirect", d, proxy, at.answered)
	if plain {
		f.Detail += ". The client used ws://: if the app must be reached over TLS, use wss://; if a TLS proxy is in front, it is not telling the app"
		f.Alternatives = []Alternative{{ID: "redirect", Title: "The app only serves https and the client used ws://: connect with wss://"}}
	}
	f.Check = "Send -H 'X-Forwarded-Proto: https' to the app directly (--connect-to): a 101 then means the proxy in front must send it."
	return f
}

// swallowedFinding: the request went out and no response head came back.
func (b *builder) swallowedFinding() Finding {
	hs := b.final
	f := b.base("upgrade-swallowed")
	at := attribution{version: map[string]string{}, pathConf: map[*ResponderSpec]Confidence{}}
	for _, rel := range b.related() {
		at.addPath(b.cat.identify(answerOf(rel)))
	}
	proxy := at.proxy(nil)
	f.Responder = Responder{Role: RoleReverseProxy}
	if proxy != nil {
		f.Responder = at.responderOf(proxy)
	}
	f.Path = at.pathResponders()
	f.Confidence = Medium
	got := "no byte of a response"
	if n := len(hs.ResponseRaw); n > 0 {
		got = fmt.Sprintf("only %d bytes of a response head", n)
	}
	f.Detail = fmt.Sprintf("%s accepted the connection and the whole upgrade request; %s came back within %s (%s)",
		hs.ConnectAddr, got, hs.Timings.Total.Round(1e8), b.ev.DialErr.Msg)
	f.Evidence = []Clue{
		{Kind: "timing", Text: fmt.Sprintf("request written; no response head after %s", hs.Timings.Total.Round(1e8)), Means: "the connection stood: something read the request and held the answer"},
	}
	if hs.IsHTTP2() {
		stream := uint32(1)
		if hs.H2 != nil && hs.H2.StreamID != 0 {
			stream = hs.H2.StreamID
		}
		f.Detail = fmt.Sprintf("%s accepted the HTTP/2 connection and the extended CONNECT (stream %d); no response HEADERS came back within %s (%s)",
			hs.ConnectAddr, stream, hs.Timings.Total.Round(1e8), b.ev.DialErr.Msg)
		f.Evidence = []Clue{
			{Kind: "timing", Text: fmt.Sprintf("CONNECT sent; no HEADERS after %s", hs.Timings.Total.Round(1e8)), Means: "the HTTP/2 connection stood: something took the CONNECT and held the answer"},
		}
	}
	if hs.TLS != nil && hs.TLS.Version != "" {
		f.Evidence = append(f.Evidence, Clue{Kind: "tls", Text: "TLS " + hs.TLS.Version + " completed", Means: "the TLS terminator answered; the hold is after it"})
	}
	for _, rel := range b.related() {
		for _, h := range b.cat.identify(answerOf(rel)).hits {
			if h.sig.Proves == "path" && h.r.Role != RoleApp {
				f.Evidence = append(f.Evidence, Clue{Kind: "header", Text: h.seen.Text + " (a plain GET of the same URL)", Means: h.r.Display + " answers on this address"})
			}
		}
	}
	f.Fix = b.fix("upgrade-swallowed", b.data, proxy)
	f.Alternatives = []Alternative{{ID: "upgrade-refused", Title: "The app itself is stuck or overloaded and never answers (every request hangs, not only upgrades)"}}
	f.Check = "Look for this request in the backend's access log: a 101 there means the proxy held it (nginx ssi on with a text/html 101). A plain GET of another path through the same proxy answering promptly rules out a stuck app."
	if hs.IsHTTP2() {
		f.Check = fmt.Sprintf("Look for this request in the backend's access log: a 101 (or 200) there means the HTTP/2 front end held the answer. wscope probe %s --http 1.1 shows whether the HTTP/1.1 path holds it too.", hs.URL)
	}
	return f
}
