// Package diagnose turns the evidence of a WebSocket connection — the
// handshake chain, how it closed, how long it stayed idle — into findings
// that say in plain words what is wrong and how to fix it. It is shared by
// probe, compare and the TUI, so a finding reads the same everywhere.
package diagnose

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wscope/wscope/session"
)

// Severity ranks a finding.
type Severity string

// Severities. An error finding makes probe exit 1.
const (
	Info  Severity = "info"
	Warn  Severity = "warn"
	Error Severity = "error"
)

// Evidence is what a connection attempt produced.
type Evidence struct {
	Chain       []*session.Handshake // every attempt, redirects included; the last is final
	DialErr     *session.Error       // nil when the upgrade succeeded
	Closed      *session.StateChange // how the connection ended, if it did
	OpenedAt    time.Time            // when the connection opened
	LastFrameAt time.Time            // when the last frame (either way) was seen
	IdleWait    time.Duration        // --idle: how long wscope stayed silent
	Subprotos   []string             // subprotocols offered
	// FirstRecv is the first text message received (at most 64 KiB):
	// compare reads what the backend saw from `wscope serve`'s /headers.
	FirstRecv []byte
}

// HasError reports whether any finding is an error.
func HasError(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Diagnose applies every rule to the evidence.
func Diagnose(ev Evidence) []Finding {
	var out []Finding
	if len(ev.Chain) == 0 {
		return out
	}
	final := ev.Chain[len(ev.Chain)-1]
	out = append(out, proxyFindings(final)...)
	out = append(out, tlsFindings(final, ev.DialErr)...)
	out = append(out, redirectFindings(ev.Chain, ev.DialErr)...)
	if final.Status != 0 && final.Status != 101 && (final.Status < 300 || final.Status > 399) {
		out = append(out, statusFinding(final))
	}
	if final.Status == 101 {
		out = append(out, upgradeFindings(final, ev.Subprotos)...)
	}
	if ev.Closed != nil {
		out = append(out, closeFindings(ev)...)
	}
	return out
}

// proxyKind guesses the reverse proxy from the Server header or body.
func proxyKind(hs *session.Handshake) string {
	s := strings.ToLower(hs.ResponseHeader("Server") + " " + excerpt(string(hs.Body), 2000))
	for _, k := range []string{"nginx", "haproxy", "apache", "caddy", "traefik", "envoy", "cloudflare"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	return ""
}

func upgradeFix(kind string) string {
	switch kind {
	case "nginx":
		return "In the nginx location that proxies the WebSocket path:\n" +
			"    proxy_http_version 1.1;\n" +
			"    proxy_set_header Upgrade $http_upgrade;\n" +
			"    proxy_set_header Connection $connection_upgrade;\n" +
			"with, in the http block:\n" +
			"    map $http_upgrade $connection_upgrade { default upgrade; '' close; }"
	case "apache":
		return "Apache 2.4.47+: ProxyPass /ws/ http://backend/ws/ upgrade=websocket\n" +
			"(older: enable mod_proxy_wstunnel and ProxyPass /ws/ ws://backend/ws/)"
	case "haproxy":
		return "HAProxy forwards upgrades by itself in HTTP mode; check that no http-request rule\n" +
			"deletes the Upgrade/Connection headers and that the backend is the WebSocket server."
	case "caddy":
		return "Caddy's reverse_proxy passes upgrades by default; check header_up rules that\n" +
			"remove Connection or Upgrade."
	case "traefik":
		return "Traefik passes upgrades by default; check middlewares that rewrite headers."
	}
	return "Make every proxy on the path forward the Upgrade: websocket and Connection: Upgrade\n" +
		"request headers over HTTP/1.1 (nginx: proxy_http_version 1.1 and proxy_set_header\n" +
		"Upgrade/Connection; Apache: upgrade=websocket)."
}

func statusFinding(hs *session.Handshake) Finding {
	kind := proxyKind(hs)
	evidence := fmt.Sprintf("%s answered %q to the upgrade request", hostOf(hs.URL), hs.StatusLine)
	if b := excerpt(string(hs.Body), 160); b != "" {
		evidence += "; body: " + b
	}
	switch s := hs.Status; {
	case s == 400 || s == 426 || (s == 404 && looksLikeMissingUpgrade(hs)):
		return Finding{ID: "upgrade-rejected", Severity: Error,
			Title:  "The upgrade was rejected: the app did not see a WebSocket handshake",
			Detail: evidence, Fix: upgradeFix(kind)}
	case s == 401 || s == 407:
		return Finding{ID: "auth-required", Severity: Error, Title: "Authentication is required",
			Detail: evidence,
			Fix:    "Send credentials: user:pass@ in the URL, -H 'Authorization: Bearer …', or --cookie with the app's session cookie."}
	case s == 403 && hs.RequestHeader("Origin") != "":
		return Finding{ID: "origin-rejected", Severity: Error, Title: "The server refused this Origin",
			Detail: evidence + fmt.Sprintf(" (Origin: %s)", hs.RequestHeader("Origin")),
			Fix:    "Add the origin to the app's allowed origins (Rails: config.action_cable.allowed_request_origins; Grafana: root_url), or send the app's own origin with --origin."}
	case s == 502 || s == 503 || s == 504:
		who := "The proxy"
		if kind != "" {
			who = kindName(kind)
		}
		return Finding{ID: "proxy-error", Severity: Error, Title: who + " could not reach the app behind it",
			Detail: evidence,
			Fix:    "Check the upstream address and port in the proxy configuration, and that the app is running and listening there (for Odoo, /websocket must go to the gevent port 8072)."}
	}
	return Finding{ID: "upgrade-refused", Severity: Error,
		Title:  fmt.Sprintf("The server answered %d instead of 101 Switching Protocols", hs.Status),
		Detail: evidence, Fix: "Check the URL path and the server's logs for why it refused the upgrade."}
}

// looksLikeMissingUpgrade: a 404 from an app that routes WebSockets only on
// upgrade (Rails ActionCable answers 404 "Page not found").
func looksLikeMissingUpgrade(hs *session.Handshake) bool {
	return strings.Contains(strings.ToLower(string(hs.Body)), "page not found") && strings.HasSuffix(pathOf(hs.URL), "/cable")
}

func kindName(k string) string {
	return map[string]string{"nginx": "nginx", "haproxy": "HAProxy", "apache": "Apache", "caddy": "Caddy",
		"traefik": "Traefik", "envoy": "Envoy", "cloudflare": "Cloudflare"}[k]
}

func redirectFindings(chain []*session.Handshake, dialErr *session.Error) []Finding {
	var out []Finding
	for i, hs := range chain {
		if hs.Status < 300 || hs.Status > 399 {
			continue
		}
		loc := hs.ResponseHeader("Location")
		if i < len(chain)-1 && dialErr == nil {
			continue // followed successfully: not a problem by itself
		}
		if lu, err := url.Parse(loc); err == nil && strings.EqualFold(lu.Scheme, "https") && strings.EqualFold(lu.Hostname(), hostOnly(hs.URL)) {
			f := Finding{ID: "https-redirect", Severity: Error,
				Title:  "The app redirects the handshake to https: it thinks the request came over plain HTTP",
				Detail: fmt.Sprintf("%s answered %q with Location: %s; browsers do not follow redirects on WebSocket handshakes", hostOf(hs.URL), hs.StatusLine, loc),
				Fix:    forwardedProtoFix(proxyKind(hs))}
			if strings.HasPrefix(hs.URL, "ws://") {
				f.Detail += ". The client used ws://: if the app must be reached over TLS, use wss://; if a TLS proxy is in front, it is not telling the app"
			}
			out = append(out, f)
			continue
		}
		if dialErr != nil && dialErr.Class == session.ClassRedirect && strings.HasPrefix(dialErr.Msg, "redirect loop") {
			out = append(out, Finding{ID: "redirect-loop", Severity: Error, Title: "The handshake redirects in a loop",
				Detail: dialErr.Msg, Fix: "Usually a missing X-Forwarded-Proto behind a TLS proxy, or two layers each redirecting to the other scheme."})
			break
		}
		out = append(out, Finding{ID: "redirect", Severity: Error, Title: "The handshake was redirected",
			Detail: fmt.Sprintf("%s answered %q with Location: %s", hostOf(hs.URL), hs.StatusLine, loc),
			Fix:    "Browsers do not follow redirects on WebSocket handshakes: connect to the final URL (wscope -L shows where it leads)."})
	}
	return out
}

func forwardedProtoFix(kind string) string {
	lines := map[string]string{
		"nginx":   "    proxy_set_header X-Forwarded-Proto $scheme;",
		"haproxy": "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
		"apache":  "    RequestHeader set X-Forwarded-Proto \"https\"",
		"caddy":   "    (Caddy sets X-Forwarded-Proto itself; check trusted_proxies in the app)",
		"traefik": "    (Traefik sets X-Forwarded-Proto itself; check the app trusts the proxy's address)",
	}
	fix := "The TLS-terminating proxy must tell the app the original scheme:\n"
	if l, ok := lines[kind]; ok {
		fix += l + "\n"
	} else {
		fix += lines["nginx"] + "   (nginx)\n" + lines["haproxy"] + "   (HAProxy)\n"
	}
	return fix + "and the app must trust it (Rails: config.assume_ssl / FORCE_SSL behind a proxy; Django: SECURE_PROXY_SSL_HEADER)."
}

// proxyFindings explain a forward proxy's refusal of CONNECT.
func proxyFindings(hs *session.Handshake) []Finding {
	p := hs.Proxy
	if p == nil || p.Status == 0 || p.Status == 200 {
		return nil
	}
	detail := fmt.Sprintf("forward proxy %s answered %q to CONNECT %s", p.Proxy, firstLine(p.Response), p.Target)
	switch p.Status {
	case 407:
		return []Finding{{ID: "auth-required", Severity: Error, Title: "The forward proxy requires authentication (407)", Detail: detail,
			Fix: "Put the credentials in the proxy URL: --proxy http://USER:PASS@host:port (or in HTTPS_PROXY)."}}
	case 403:
		return []Finding{{ID: "proxy-denied", Severity: Error, Title: "The forward proxy refused the tunnel (403)", Detail: detail,
			Fix: "Squid allows CONNECT only to SSL ports by default: add the port to SSL_ports (acl SSL_ports port 8080) or allow it with http_access."}}
	}
	return []Finding{{ID: "proxy-error", Severity: Error, Title: fmt.Sprintf("The forward proxy answered %d to CONNECT", p.Status), Detail: detail,
		Fix: "Check the proxy's logs: it could not or would not open the tunnel."}}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(l, "\r")
}

func upgradeFindings(hs *session.Handshake, offered []string) []Finding {
	var out []Finding
	c := hs.Checks
	if !c.UpgradeOK || !c.ConnectionOK {
		out = append(out, Finding{ID: "missing-upgrade-headers", Severity: Error,
			Title:  "101 without the Upgrade/Connection response headers",
			Detail: fmt.Sprintf("Upgrade: %q, Connection: %q", hs.ResponseHeader("Upgrade"), hs.ResponseHeader("Connection")),
			Fix:    "Something between client and server rewrote the response; check proxy rules that set or remove Connection/Upgrade."})
	}
	if !c.AcceptOK {
		out = append(out, Finding{ID: "bad-accept", Severity: Error, Title: "Sec-WebSocket-Accept does not match the key",
			Detail: fmt.Sprintf("got %q, expected %q for key %q", hs.ResponseHeader("Sec-WebSocket-Accept"), c.ExpectedAccept, c.Key),
			Fix:    "The server's handshake code is broken, or a proxy rewrote Sec-WebSocket-Key or the response. Browsers refuse this connection."})
	}
	if !c.SubprotocolOK || (len(offered) > 0 && c.Subprotocol == "") {
		detail := fmt.Sprintf("offered %q, server selected %q", strings.Join(offered, ", "), c.Subprotocol)
		out = append(out, Finding{ID: "subprotocol-mismatch", Severity: map[bool]Severity{true: Warn, false: Error}[c.SubprotocolOK],
			Title: "The server did not select an offered subprotocol", Detail: detail,
			Fix: "Browsers fail the connection when a subprotocol was offered and none is returned; make the server (or proxy) return Sec-WebSocket-Protocol."})
	}
	return out
}

func closeFindings(ev Evidence) []Finding {
	sc := ev.Closed
	switch sc.Cause {
	case session.CauseAbnormal, session.CauseReadError:
		after := sc.Time.Sub(ev.OpenedAt).Round(100 * time.Millisecond)
		silent := sc.Time.Sub(ev.LastFrameAt).Round(100 * time.Millisecond)
		if ev.LastFrameAt.IsZero() {
			silent = after
		}
		if silent >= time.Second {
			return []Finding{idleFinding(silent, after, sc)}
		}
		return []Finding{{ID: "abnormal-close", Severity: Error, Title: "The connection dropped without a close frame (1006)",
			Detail: fmt.Sprintf("%s after %s", sc.Detail, after),
			Fix:    "Check the server's and proxies' logs at that time: a crash, a restart or a proxy reload ends connections this way."}}
	case session.CausePingTimeout:
		return []Finding{{ID: "ping-timeout", Severity: Error, Title: "Pings went unanswered: the connection was half-open",
			Detail: sc.Detail,
			Fix:    "Something on the path dropped the connection without telling either side (a NAT or proxy idle timeout, a failover). Keep the connection busier than that timeout, and make the app ping as well."}}
	case session.CauseTooBig:
		return []Finding{{ID: "message-too-big", Severity: Warn, Title: "A message exceeded --max-message-size",
			Detail: sc.Detail, Fix: "Raise --max-message-size if such messages are expected."}}
	case session.CauseProtocol:
		return []Finding{{ID: "protocol-error", Severity: Error, Title: "The server broke the WebSocket framing rules",
			Detail: sc.Detail, Fix: "Check the server's WebSocket library, and proxies that might mangle frames (e.g. permessage-deflate)."}}
	case session.CauseRemoteClose:
		if sc.Code != 1000 && sc.Code != 1001 && sc.Code != 1005 {
			return []Finding{{ID: "server-close", Severity: Info, Title: "The server closed with " + session.CloseCodeText(sc.Code),
				Detail: sc.Detail, Fix: "See the server's documentation for this close code."}}
		}
	}
	return nil
}

func idleFinding(silent, after time.Duration, sc *session.StateChange) Finding {
	secs := silent.Round(time.Second)
	suspect := "a proxy or load balancer idle timeout"
	switch s := int(secs / time.Second); {
	case s >= 58 && s <= 62:
		suspect = "nginx proxy_read_timeout (default 60s), AWS ALB idle timeout (60s) or HAProxy timeout tunnel/client"
	case s >= 95 && s <= 125:
		suspect = "Cloudflare's proxy read timeout (100-120s)"
	case s >= 28 && s <= 32:
		suspect = "HAProxy timeout client/server (often 30s) without timeout tunnel, or a GCP load balancer (30s)"
	case s >= 175 && s <= 185:
		suspect = "Traefik's idle timeout (180s)"
	}
	return Finding{ID: "idle-timeout", Severity: Error,
		Title:  fmt.Sprintf("The connection was cut after %s of silence", secs),
		Detail: fmt.Sprintf("%s; it had been open %s and silent for %s. Likely: %s", sc.Detail, after, silent, suspect),
		Fix: fmt.Sprintf("Send pings (or app heartbeats) more often than every %s (wscope --ping-interval), or raise the timeout:\n"+
			"    nginx:   proxy_read_timeout 3600s; proxy_send_timeout 3600s;   (default 60s)\n"+
			"    HAProxy: timeout tunnel 1h   (without it, timeout client/server apply)\n"+
			"    Apache:  ProxyPass ... timeout=3600\n"+
			"    AWS ALB: idle timeout attribute (default 60s); Cloudflare: about 100s, not configurable", secs)}
}

func tlsFindings(hs *session.Handshake, dialErr *session.Error) []Finding {
	if dialErr == nil || dialErr.Class != session.ClassTLS {
		if hs.TLS != nil && !hs.TLS.Verified && hs.TLS.Insecure {
			return []Finding{{ID: "tls-unverified", Severity: Warn, Title: "The certificate did not verify (ignored by --insecure)",
				Detail: hs.TLS.VerifyError, Fix: "Browsers will refuse this connection; install a certificate from a trusted CA for this name."}}
		}
		return nil
	}
	msg := dialErr.Msg
	switch {
	case strings.Contains(msg, "does not match the name"):
		return []Finding{{ID: "tls-name-mismatch", Severity: Error, Title: "The certificate is for another name", Detail: msg,
			Fix: "Serve a certificate whose SANs include this host name, or connect by a name it lists."}}
	case strings.Contains(msg, "expired or not yet valid"):
		return []Finding{{ID: "tls-expired", Severity: Error, Title: "The certificate is expired or not yet valid", Detail: msg,
			Fix: "Renew the certificate (and check the server's and this machine's clocks)."}}
	case strings.Contains(msg, "unknown authority"), strings.Contains(msg, "did not verify"):
		return []Finding{{ID: "tls-untrusted", Severity: Error, Title: "The certificate is not trusted", Detail: msg,
			Fix: "Use a certificate from a public CA, serve the full chain, or pass your CA with --cacert."}}
	}
	return nil
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

func hostOnly(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Hostname()
	}
	return raw
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return strings.TrimSuffix(u.Path, "/")
	}
	return ""
}
