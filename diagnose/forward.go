package diagnose

import (
	"fmt"

	"github.com/wscope/wscope/session"
)

// forwardProxyFindings explain a forward proxy's refusal: an HTTP proxy's
// answer to CONNECT, or a SOCKS5 proxy's reply codes.
func (b *builder) forwardProxyFindings() []Finding {
	p := b.final.Proxy
	if p == nil {
		return nil
	}
	if p.Kind == "socks5" {
		return b.socksFindings(p)
	}
	if p.Status == 0 || p.Status == 200 {
		return nil
	}
	a := proxyAnswerOf(p)
	at := b.cat.identify(a)
	who := at.answered
	if who == nil || who.Role != RoleForwardProxy {
		// An HTTP proxy that does not name itself: it is still the one that answered.
		who = nil
	}
	resp := Responder{Role: RoleForwardProxy, Name: ""}
	conf := Medium
	if who != nil {
		resp, conf = at.responderOf(who), High
	}
	detail := fmt.Sprintf("forward proxy %s answered %q to CONNECT %s", p.Proxy, firstLine(p.Response), p.Target)
	if body := excerpt(p.Body, 160); body != "" && len(p.Body) < 400 {
		detail += "; body: " + body
	}
	clues := at.clues(a)
	clues = append(clues, Clue{Kind: "proxy-reply", Text: "CONNECT " + p.Target, Means: "what wscope asked the proxy"})
	var f Finding
	switch p.Status {
	case 407:
		f = b.base("auth-required")
		f.Title = "The forward proxy requires authentication (407)"
	case 403:
		f = b.base("proxy-denied")
		if who != nil {
			f.Title = who.Display + " refused the tunnel by its rules (403)"
		}
	case 502, 503, 504:
		f = b.base("proxy-error")
		f.Title = fmt.Sprintf("The forward proxy could not reach %s (%d)", p.Target, p.Status)
	default:
		f = b.base("proxy-error")
		f.Title = fmt.Sprintf("The forward proxy answered %d to CONNECT", p.Status)
		f.Fix = "Check the proxy's logs: it could not or would not open the tunnel."
	}
	f.Detail, f.Responder, f.Confidence, f.Evidence = detail, resp, conf, clues
	if f.Fix == "" {
		f.Fix = b.fix(f.ID, b.data, who)
	}
	if f.ID == "proxy-denied" {
		f.Check = fmt.Sprintf("Ask the same proxy for a tunnel to port 443 (wss://): if that works, its rules allow only some ports, not %s.", b.data.TargetPort)
	}
	return []Finding{f}
}

// socksFindings read a SOCKS5 proxy's method choice and reply code. A SOCKS
// server does not name itself; reply 2 is what dante's "socks block" rules
// answer, so dante is named, at medium confidence.
func (b *builder) socksFindings(p *session.ProxyExchange) []Finding {
	r := p.Socks
	if r == nil {
		return nil
	}
	dante := b.responder("dante")
	resp := Responder{Role: RoleForwardProxy, Name: "dante"}
	reply := func(text, means string) Clue { return Clue{Kind: "proxy-reply", Text: text, Means: means} }
	var f Finding
	switch {
	case r.Method == 0xff:
		f = b.base("auth-required")
		f.Title = "The SOCKS5 proxy accepts none of the authentication methods offered"
		f.Detail = fmt.Sprintf("SOCKS5 proxy %s chose method 0xFF (no acceptable methods) for %s", p.Proxy, p.Request)
		f.Evidence = []Clue{reply("SOCKS5 method reply 0xFF", "the proxy requires authentication (dante: socksmethod username) and wscope offered none it accepts")}
		f.Confidence = Medium
	case r.AuthStatus > 0:
		f = b.base("auth-required")
		f.Title = "The SOCKS5 proxy refused the credentials"
		f.Detail = fmt.Sprintf("SOCKS5 proxy %s answered username/password status %d", p.Proxy, r.AuthStatus)
		f.Evidence = []Clue{reply(fmt.Sprintf("SOCKS5 auth status %d", r.AuthStatus), "the user name or password is wrong")}
		f.Confidence = High
	case r.Reply == 2:
		f = b.base("proxy-denied")
		f.Title = "The SOCKS5 proxy's rules do not allow this target (reply 2)"
		f.Detail = fmt.Sprintf("SOCKS5 proxy %s answered reply 2 (connection not allowed by ruleset) to CONNECT %s", p.Proxy, p.Target)
		f.Evidence = []Clue{reply("SOCKS5 reply 2: connection not allowed by ruleset", "a rule of the proxy (dante: socks block) matched the target")}
		f.Confidence = Medium
		f.Check = "Ask the same proxy for another target (e.g. port 443 of the same host): if that works, a rule blocks this one."
	case r.Reply > 0:
		f = b.base("proxy-error")
		f.Title = fmt.Sprintf("The SOCKS5 proxy could not reach %s (%s)", p.Target, session.ReplyText(r.Reply))
		f.Detail = fmt.Sprintf("SOCKS5 proxy %s answered reply %d (%s) to CONNECT %s", p.Proxy, r.Reply, session.ReplyText(r.Reply), p.Target)
		f.Evidence = []Clue{reply(fmt.Sprintf("SOCKS5 reply %d: %s", r.Reply, session.ReplyText(r.Reply)), "the proxy tried and failed to connect to the target")}
		f.Confidence = High
	default:
		return nil
	}
	f.Responder = resp
	f.Fix = b.fix(f.ID, b.data, dante)
	return []Finding{f}
}
