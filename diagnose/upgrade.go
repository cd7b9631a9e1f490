package diagnose

import (
	"fmt"
	"strings"

	"github.com/wscope/wscope/session"
)

// upgradeFindings check the answer that opened the WebSocket (a 101, or
// over HTTP/2 the 2xx to the extended CONNECT) against what was asked.
// Over HTTP/2 there are no Upgrade, Connection nor Sec-WebSocket-Accept
// headers (RFC 8441): only the subprotocol is checked.
func (b *builder) upgradeFindings() []Finding {
	hs := b.final
	a := answerOf(hs)
	at := b.cat.identify(a)
	proxy := at.proxy(nil)
	var out []Finding
	c := hs.Checks
	who := func(f *Finding) {
		f.Path = at.pathResponders()
		f.Evidence = at.clues(a)
		if proxy != nil {
			f.Responder = at.responderOf(proxy)
		}
	}
	h2 := hs.IsHTTP2()
	if !h2 && (!c.UpgradeOK || !c.ConnectionOK) {
		f := b.base("missing-upgrade-headers")
		who(&f)
		f.Detail = fmt.Sprintf("Upgrade: %q, Connection: %q", hs.ResponseHeader("Upgrade"), hs.ResponseHeader("Connection"))
		f.Fix = b.fix(f.ID, b.data, proxy)
		f.Confidence = Medium
		out = append(out, f)
	}
	if !h2 && !c.AcceptOK {
		f := b.base("bad-accept")
		who(&f)
		f.Detail = fmt.Sprintf("got %q, expected %q for key %q", hs.ResponseHeader("Sec-WebSocket-Accept"), c.ExpectedAccept, c.Key)
		f.Fix = b.fix(f.ID, b.data)
		f.Confidence = High
		out = append(out, f)
	}
	offered := b.ev.Subprotos
	if len(offered) == 0 {
		for _, p := range strings.Split(hs.RequestHeader("Sec-WebSocket-Protocol"), ",") {
			if p = strings.TrimSpace(p); p != "" {
				offered = append(offered, p)
			}
		}
	}
	if !c.SubprotocolOK || (len(offered) > 0 && c.Subprotocol == "") {
		out = append(out, b.subprotocolMismatch(a, at, proxy, offered))
	}
	return out
}

// subprotocolMismatch: the client offered subprotocols and the 101 (or
// the HTTP/2 200) selected none of them (or one not offered). The app chose; a proxy that
// dropped the header is the alternative when one is on the path.
func (b *builder) subprotocolMismatch(a answer, at attribution, proxy *ResponderSpec, offered []string) Finding {
	c := b.final.Checks
	f := b.base("subprotocol-mismatch")
	f.Path = at.pathResponders()
	f.Evidence = at.clues(a)
	f.Detail = fmt.Sprintf("offered %q, server selected %q", strings.Join(offered, ", "), c.Subprotocol)
	f.Evidence = append(f.Evidence, Clue{Kind: "request", Text: "Sec-WebSocket-Protocol: " + strings.Join(offered, ", ")},
		Clue{Kind: "header", Text: "Sec-WebSocket-Protocol: " + c.Subprotocol, Means: "what the " + b.opened() + " selected"})
	if c.Subprotocol == "" {
		f.Title = "The server selected none of the offered subprotocols: browsers fail this connection"
		f.Detail += ". Chrome fails it: \"Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received\""
	} else {
		f.Title = "The server selected a subprotocol that was not offered"
	}
	for _, p := range offered {
		if what := knownSubprotocol(p); what != "" {
			f.Detail += fmt.Sprintf(". %q is %s", p, what)
		}
	}
	d := b.data
	if len(offered) > 0 {
		d.Protocol = offered[0]
	}
	// Who chose: the app that names itself in the 101, or in how it
	// closed right after (graphql-ws closes 4406 "Subprotocol not
	// acceptable"); the role alone when nothing names it.
	app, clue := b.appOf(at)
	f.Responder = Responder{Role: RoleApp}
	f.Confidence = Medium
	if app != nil {
		f.Responder = at.responderOf(app)
		if clue != nil {
			f.Evidence = append(f.Evidence, *clue)
			f.Confidence = High
		}
	}
	f.Fix = b.fix(f.ID, d, app)
	if proxy != nil {
		if app == nil || !app.HasFix("subprotocol") {
			f.Fix = "Make the app select one of the offered subprotocols (its WebSocket server's list of supported subprotocols), or offer one it supports."
		}
		if clue == nil {
			// Nothing after the 101 shows the app refused the protocol.
			f.Alternatives = []Alternative{{ID: "subprotocol-mismatch", Title: proxy.Display + " dropped Sec-WebSocket-Protocol on the way", Fix: b.fix(f.ID, d, proxy)}}
		}
	}
	f.Check = "Offer the same subprotocol to the app directly (--connect-to): if it selects it there, the proxy drops the header."
	if proxy == nil {
		f.Check = "Offer a subprotocol the app lists (or none): a 101 that selects it confirms the app does not know the one offered."
	}
	return f
}

// appOf is the application the evidence names: its own signature on the
// 101 (Server: … websockets/10.4), else the close that followed when its
// code and reason are the app's own (graphql-ws: 4406 "Subprotocol not
// acceptable"); clue is that close, nil when the 101 named it.
func (b *builder) appOf(at attribution) (*ResponderSpec, *Clue) {
	if sc := b.ev.Closed; sc != nil && sc.Cause == session.CauseRemoteClose {
		if h, ok := b.cat.identifyClose(sc.Code, sc.Reason); ok && h.r.Role == RoleApp {
			return h.r, &h.seen
		}
	}
	if at.answered != nil && at.answered.Role == RoleApp {
		return at.answered, nil
	}
	return nil, nil
}

// knownSubprotocol says which protocol a well-known subprotocol name is.
func knownSubprotocol(p string) string {
	switch strings.ToLower(p) {
	case "graphql-transport-ws":
		return "the graphql-ws library's protocol (graphql-transport-ws)"
	case "graphql-ws":
		return "the older subscriptions-transport-ws protocol; graphql-ws servers speak graphql-transport-ws and close 4406 to it"
	case "actioncable-v1-json", "actioncable-v1-msgpack", "actioncable-unsupported":
		return "Rails ActionCable's"
	case "mqtt", "mqttv3.1":
		return "MQTT over WebSocket"
	case "v10.stomp", "v11.stomp", "v12.stomp", "stomp":
		return "STOMP"
	case "wamp.2.json", "wamp.2.msgpack":
		return "WAMP v2"
	case "ocpp1.6", "ocpp2.0", "ocpp2.0.1":
		return "OCPP (EV charging)"
	}
	return ""
}

// tlsFindings explain a failed (or skipped) certificate verification.
func (b *builder) tlsFindings() []Finding {
	hs, dialErr := b.final, b.ev.DialErr
	info := hs.TLS
	if dialErr == nil || dialErr.Class != session.ClassTLS {
		if info != nil && !info.Verified && info.Insecure {
			f := b.base("tls-unverified")
			f.Detail = info.VerifyError
			f.Responder = Responder{Role: RoleNetwork, Name: "tls"}
			f.Confidence = High
			f.Fix = b.fix(f.ID, b.data)
			if info.ChainIncomplete {
				f.Detail += fmt.Sprintf("; the server sent an incomplete chain (missing the issuer %s)", info.MissingIssuer)
				f.Fix = b.chainFix(&f)
			}
			return []Finding{f}
		}
		return nil
	}
	msg := dialErr.Msg
	var f Finding
	switch {
	case strings.Contains(msg, "does not match the name"):
		f = b.base("tls-name-mismatch")
	case strings.Contains(msg, "expired or not yet valid"):
		f = b.base("tls-expired")
	case strings.Contains(msg, "unknown authority"), strings.Contains(msg, "did not verify"):
		f = b.base("tls-untrusted")
	default:
		return nil
	}
	f.Detail = msg
	f.Responder = Responder{Role: RoleNetwork, Name: "tls"}
	f.Confidence = High
	f.Fix = b.fix(f.ID, b.data)
	if info != nil {
		for i, c := range info.Chain {
			f.Evidence = append(f.Evidence, Clue{Kind: "tls", Text: fmt.Sprintf("certificate %d: subject %s, issuer %s", i, c.Subject, c.Issuer)})
		}
	}
	if f.ID == "tls-untrusted" && info != nil && info.ChainIncomplete {
		f.Title = "The server sent an incomplete certificate chain"
		f.Detail = fmt.Sprintf("%s. The server sent %d certificate(s), and the last one's issuer, %s, was neither sent nor trusted: the intermediate is missing", msg, len(info.Chain), info.MissingIssuer)
		f.Evidence = append(f.Evidence, Clue{Kind: "tls", Text: "missing issuer: " + info.MissingIssuer, Means: "the chain stops short of a root"})
		f.Fix = b.chainFix(&f)
		if info.IssuerURL != "" {
			f.Evidence = append(f.Evidence, Clue{Kind: "tls", Text: "the certificate names its issuer at " + info.IssuerURL, Means: "a public CA's intermediate: some browsers fetch it themselves and work, other clients do not"})
		} else {
			f.Confidence = Medium
			f.Alternatives = []Alternative{{ID: "tls-untrusted", Title: "The issuer is a private CA's root that this client does not trust",
				Fix: "Pass the CA with --cacert FILE (and install it where the browsers run)."}}
		}
		f.Check = fmt.Sprintf("openssl s_client -connect %s -servername %s -showcerts: an incomplete chain lists only the certificate(s) above; if %s is your own CA's root, pass it with --cacert instead.", b.data.Target, b.data.Host, info.MissingIssuer)
	}
	return []Finding{f}
}

// fullChainFix is the fix for an incomplete chain when the TLS server is
// not known: a failed TLS handshake carries no Server header, and the
// certificate's names say nothing about the software that serves it.
const fullChainFix = "Serve the full chain (leaf + intermediates): the certificate file the TLS server is given must hold the certificate followed by its intermediate(s) (Let's Encrypt: fullchain.pem, not cert.pem)."

// chainFix is the fix for an incomplete chain: the directive of the TLS
// terminator when another answer of the same address named it (doctor's
// plain GET, a related handshake), the generic one otherwise. It names
// that responder on f.
func (b *builder) chainFix(f *Finding) string {
	at := attribution{version: map[string]string{}, pathConf: map[*ResponderSpec]Confidence{}}
	for _, rel := range b.related() {
		at.addPath(b.cat.identify(answerOf(rel)))
	}
	// The outermost named proxy or CDN terminates TLS.
	for _, r := range at.path {
		if r.Role != RoleReverseProxy && r.Role != RoleCDN {
			continue
		}
		if fix, ok := r.RenderFix("tls-chain", b.data); ok {
			f.Responder = at.responderOf(r)
			f.Path = at.pathResponders()
			f.Evidence = append(f.Evidence, Clue{Kind: "header", Text: r.Display + " answers on this address (another request)", Means: r.Display + " terminates TLS here"})
			return fix
		}
		break
	}
	return fullChainFix
}
