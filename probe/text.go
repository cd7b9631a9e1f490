package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

// maxTextFrames bounds the frames listed in the text report; JSON has all kept.
const maxTextFrames = 50

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes one line: status, counts and the error if any.
func (r *Report) WriteSummary(w io.Writer) error {
	state := "upgraded"
	if !r.Upgraded {
		state = "not upgraded"
	}
	line := fmt.Sprintf("%s %s (status %d): recv %d msgs %d bytes, sent %d msgs, %d findings, %.1f ms",
		termsafe.Line(r.URL), state, r.Status, r.Counts.RecvMessages, r.Counts.RecvBytes, r.Counts.SentMessages, len(r.Findings), ms(r.Elapsed))
	if r.Error != "" {
		line += "; error: " + r.Error
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// WriteText writes the readable report. Everything that came from the
// network is escaped for the terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	section := func(name string) { fmt.Fprintf(&b, "\n── %s\n", name) }
	fmt.Fprintf(&b, "wscope probe %s\n", termsafe.Line(r.URL))
	for _, h := range r.Redirects {
		fmt.Fprintf(&b, "  redirect: %s → %d → %s\n", termsafe.Line(h.URL), h.Status, termsafe.Line(h.Location))
	}
	if r.Proxy != nil {
		section("proxy " + r.Proxy.Kind + " " + termsafe.Line(r.Proxy.Proxy))
		indent(&b, termsafe.Block(strings.TrimRight(r.Proxy.Request, "\r\n")), "> ")
		indent(&b, termsafe.Block(strings.TrimRight(r.Proxy.Response, "\r\n")), "< ")
	}
	if r.Request != nil {
		section("request (as sent to " + termsafe.Line(r.ConnectAddr) + ")")
		indent(&b, termsafe.Block(strings.TrimRight(r.Request.Raw, "\r\n")), "> ")
	}
	if r.Response != nil {
		section("response")
		indent(&b, termsafe.Block(strings.TrimRight(r.Response.Raw, "\r\n")), "< ")
		if body := r.Response.Body; body != "" {
			fmt.Fprintf(&b, "  body (%d bytes%s):\n", len(body), map[bool]string{true: ", truncated"}[r.Response.BodyTrunc])
			indent(&b, termsafe.Block(firstLines(body, 20)), "  | ")
		} else if r.Response.BodyB64 != "" {
			fmt.Fprintf(&b, "  body (binary, base64): %s\n", firstLines(r.Response.BodyB64, 1))
		}
	}
	if h := r.H2; h != nil {
		writeH2(&b, r.HTTPVersion, h)
	}
	if c := r.Checks; c != nil && (r.Status == 101 || r.HTTPVersion == session.HTTP2 && r.Upgraded) {
		if r.HTTPVersion == session.HTTP2 {
			// RFC 8441 has no Accept, Upgrade nor Connection to check.
			fmt.Fprintf(&b, "  checks: 200 to the extended CONNECT  subprotocol %s  extensions %s\n", mark(c.SubprotocolOK), mark(c.ExtensionsOK))
		} else {
			fmt.Fprintf(&b, "  checks: accept %s  upgrade %s  connection %s  subprotocol %s  extensions %s\n",
				mark(c.AcceptOK), mark(c.UpgradeOK), mark(c.ConnectionOK), mark(c.SubprotocolOK), mark(c.ExtensionsOK))
		}
		if r.Subprotocol != "" || len(r.Extensions) > 0 {
			fmt.Fprintf(&b, "  subprotocol %q, extensions %s\n", termsafe.Line(r.Subprotocol), termsafe.Line(strings.Join(r.Extensions, ", ")))
		}
	}
	t := r.TimingsMS
	if t.Total > 0 {
		section("timings (ms)")
		fmt.Fprintf(&b, "  dns %.1f  connect %.1f  proxy %.1f  tls %.1f  upgrade %.1f  total %.1f\n", t.DNS, t.Connect, t.ProxyConnect, t.TLS, t.Upgrade, t.Total)
	}
	if s := r.TLS; s != nil {
		section("tls")
		fmt.Fprintf(&b, "  %s %s alpn=%q sni=%q verified=%v", s.Version, s.Cipher, termsafe.Line(s.ALPN), termsafe.Line(s.SNI), s.Verified)
		if s.Insecure {
			b.WriteString(" (--insecure)")
		}
		b.WriteString("\n")
		if s.VerifyError != "" {
			fmt.Fprintf(&b, "  verify: %s\n", termsafe.Line(s.VerifyError))
		}
		for i, c := range s.Chain {
			fmt.Fprintf(&b, "  [%d] %s\n      issuer %s\n      valid %s – %s  SANs %s\n", i, termsafe.Line(c.Subject), termsafe.Line(c.Issuer),
				c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"), termsafe.Line(strings.Join(c.SANs, ", ")))
		}
	}
	if r.Upgraded {
		proto := ""
		if r.Protocol != "" {
			proto = ", protocol " + r.Protocol
		}
		section(fmt.Sprintf("frames (sent %d, received %d, %d bytes in%s)", r.Counts.SentMessages, r.Counts.RecvMessages, r.Counts.RecvBytes, proto))
		for i, f := range r.Frames {
			if i == maxTextFrames {
				fmt.Fprintf(&b, "  … %d more (use --json for all)\n", len(r.Frames)-maxTextFrames)
				break
			}
			writeFrame(&b, f)
		}
	}
	if c := r.Close; c != nil {
		section("close")
		fmt.Fprintf(&b, "  %s after %.0f ms (clean: %v)\n", termsafe.Line(c.Detail), c.AfterMS, c.Clean)
	}
	if i := r.Idle; i != nil {
		if i.Survived {
			fmt.Fprintf(&b, "  idle: survived %.0f ms of silence\n", i.RequestedMS)
		} else {
			fmt.Fprintf(&b, "  idle: closed after %.0f ms of the %.0f ms asked\n", i.ClosedAfterMS, i.RequestedMS)
		}
	}
	if len(r.Findings) > 0 {
		section("findings")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  [%s] %s: %s\n", f.Severity, f.ID, termsafe.Line(f.Title))
			indent(&b, termsafe.Block(f.Detail), "      ")
			indent(&b, termsafe.Block("fix: "+f.Fix), "      ")
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s\n", termsafe.Line(w))
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "\nerror: %s\n", r.Error)
		if r.Hint != "" {
			fmt.Fprintf(&b, "hint: %s\n", r.Hint)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFrame(b *strings.Builder, f Frame) {
	arrow := "←"
	if f.Dir == "send" {
		arrow = "→"
	}
	var preview string
	switch {
	case f.Opcode == "close":
		preview = fmt.Sprintf("%d", f.Code)
		if f.Text != nil && *f.Text != "" {
			preview += " " + termsafe.Line(*f.Text)
		}
	case f.Text != nil:
		preview = termsafe.Line(truncate(*f.Text, 100))
	case f.Base64 != nil:
		preview = "base64:" + truncate(*f.Base64, 100)
	}
	extra := ""
	if f.Auto {
		extra += " (auto)"
	}
	if f.InvalidUTF8 {
		extra += " (invalid UTF-8)"
	}
	if f.RTTMS != nil {
		extra += fmt.Sprintf(" rtt %.2f ms", *f.RTTMS)
	}
	if f.Label != "" {
		preview = "[" + termsafe.Line(f.Label) + "] " + preview
	}
	fmt.Fprintf(b, "  %9.1f ms %s %-6s %6d B  %s%s\n", f.OffsetMS, arrow, f.Opcode, f.Size, preview, extra)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func indent(b *strings.Builder, s, prefix string) {
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(prefix + l + "\n")
	}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		return strings.Join(lines[:n], "\n") + "\n…"
	}
	return strings.TrimRight(s, "\n")
}

// writeH2 prints the HTTP/2 part: ALPN, the server's SETTINGS by name,
// resets, GOAWAY, and why auto mode fell back to HTTP/1.1.
func writeH2(b *strings.Builder, version string, h *session.H2Info) {
	fmt.Fprintf(b, "\n── http/2 (the WebSocket went over HTTP/%s)\n", version)
	if h.Fallback {
		fmt.Fprintf(b, "  tried HTTP/2 first, as a browser does; used HTTP/1.1: %s\n", termsafe.Line(h.FallbackReason))
	}
	if h.ALPN != "" {
		fmt.Fprintf(b, "  alpn %q\n", termsafe.Line(h.ALPN))
	}
	if len(h.Settings) > 0 {
		parts := make([]string, len(h.Settings))
		for i, s := range h.Settings {
			parts[i] = fmt.Sprintf("%s=%d", s.Name, s.Value)
		}
		fmt.Fprintf(b, "  server SETTINGS: %s\n", strings.Join(parts, " "))
		adv := "not advertised: browsers use HTTP/1.1 for WebSockets here"
		if h.ConnectProtocol {
			adv = "advertised: browsers open WebSockets here with an HTTP/2 extended CONNECT"
		}
		fmt.Fprintf(b, "  extended CONNECT (RFC 8441) %s\n", adv)
	}
	if h.Forced {
		b.WriteString("  the CONNECT was sent anyway (--force-h2)\n")
	}
	if h.RST != nil {
		fmt.Fprintf(b, "  RST_STREAM on stream %d: %s\n", h.StreamID, h.RST.Name)
	}
	if g := h.GoAway; g != nil {
		fmt.Fprintf(b, "  GOAWAY %s (last stream %d)", g.Name, g.LastStreamID)
		if g.Debug != "" {
			fmt.Fprintf(b, ": %s", termsafe.Line(g.Debug))
		}
		b.WriteString("\n")
	}
}
