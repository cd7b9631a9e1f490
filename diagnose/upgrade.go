package diagnose

import (
	"fmt"
	"strings"

	"github.com/wscope/wscope/session"
)

// upgradeFindings check a 101 against what was asked.
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
	if !c.UpgradeOK || !c.ConnectionOK {
		f := b.base("missing-upgrade-headers")
		who(&f)
		f.Detail = fmt.Sprintf("Upgrade: %q, Connection: %q", hs.ResponseHeader("Upgrade"), hs.ResponseHeader("Connection"))
		f.Fix = b.fix(f.ID, b.data, proxy)
		f.Confidence = Medium
		out = append(out, f)
	}
	if !c.AcceptOK {
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
		f := b.base("subprotocol-mismatch")
		who(&f)
		f.Detail = fmt.Sprintf("offered %q, server selected %q", strings.Join(offered, ", "), c.Subprotocol)
		f.Evidence = append(f.Evidence, Clue{Kind: "request", Text: "Sec-WebSocket-Protocol: " + strings.Join(offered, ", ")},
			Clue{Kind: "header", Text: "Sec-WebSocket-Protocol: " + c.Subprotocol, Means: "what the 101 selected"})
		if c.Subprotocol == "" {
			f.Title = "The server selected none of the offered subprotocols: browsers fail this connection"
			f.Detail += ". Chrome fails it: \"Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received\""
		} else {
			f.Title = "The server selected a subprotocol that was not offered"
		}
		d := b.data
		if len(offered) > 0 {
			d.Protocol = offered[0]
		}
		f.Fix = b.fix(f.ID, d, proxy)
		f.Responder = Responder{Role: RoleApp}
		f.Confidence = Medium
		if proxy != nil {
			f.Alternatives = []Alternative{{ID: "subprotocol-mismatch", Title: proxy.Display + " dropped Sec-WebSocket-Protocol on the way", Fix: b.fix(f.ID, d, proxy)}}
			f.Fix = "Make the app select one of the offered subprotocols (graphql-ws servers: offer graphql-transport-ws, not the older graphql-ws)."
		}
		f.Check = "Offer the same subprotocol to the app directly (--connect-to): if it selects it there, the proxy drops the header."
		out = append(out, f)
	}
	return out
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
				f.Fix = "Serve the full chain: the certificate followed by its intermediates (e.g. fullchain.pem, not cert.pem)."
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
		f.Fix = "Serve the full chain: the certificate followed by its intermediates (Let's Encrypt: fullchain.pem, not cert.pem; nginx ssl_certificate, HAProxy crt, Apache SSLCertificateFile all take the chain in one file)."
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
