package ui

import (
	"fmt"
	"net/url"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/atotto/clipboard"

	"github.com/wscope/wscope/session"
)

// copiedMsg reports a clipboard write; Fallback means there was no system
// clipboard and the root should use OSC 52 (works over SSH in most terminals).
type copiedMsg struct {
	what     string
	text     string
	fallback bool
}

// copyCmd writes text to the system clipboard.
func copyCmd(what, text string) tea.Cmd {
	return func() tea.Msg {
		if err := clipboard.WriteAll(text); err != nil {
			return copiedMsg{what: what, text: text, fallback: true}
		}
		return copiedMsg{what: what}
	}
}

// commandLines returns equivalent invocations of other tools for cfg, in
// the order the copy key cycles through them.
func commandLines(cfg session.Config) []struct{ tool, line string } {
	u := cfg.URL
	var ws, wscat, curl []string
	ws = append(ws, "websocat")
	wscat = append(wscat, "wscat", "-c", shellQuote(u))
	httpURL := u
	if pu, err := session.NormalizeURL(u); err == nil {
		h := *pu
		h.Scheme = map[string]string{"ws": "http", "wss": "https"}[pu.Scheme]
		httpURL = h.String()
	}
	curl = append(curl, "curl", "-i", "-N", "-H", shellQuote("Connection: Upgrade"), "-H", shellQuote("Upgrade: websocket"),
		"-H", shellQuote("Sec-WebSocket-Version: 13"), "-H", shellQuote("Sec-WebSocket-Key: SGVsbG8sIHdvcmxkIQ=="))
	for _, h := range cfg.Headers {
		hv := shellQuote(h.Name + ": " + h.Value)
		ws = append(ws, "-H", hv)
		wscat = append(wscat, "-H", hv)
		curl = append(curl, "-H", hv)
	}
	if cfg.Origin != "" {
		ws = append(ws, "--origin", shellQuote(cfg.Origin))
		wscat = append(wscat, "-o", shellQuote(cfg.Origin))
		curl = append(curl, "-H", shellQuote("Origin: "+cfg.Origin))
	}
	if cfg.Cookie != "" {
		ws = append(ws, "-H", shellQuote("Cookie: "+cfg.Cookie))
		wscat = append(wscat, "-H", shellQuote("Cookie: "+cfg.Cookie))
		curl = append(curl, "--cookie", shellQuote(cfg.Cookie))
	}
	for _, p := range cfg.Subprotocols {
		ws = append(ws, "--protocol", shellQuote(p))
		wscat = append(wscat, "-s", shellQuote(p))
		curl = append(curl, "-H", shellQuote("Sec-WebSocket-Protocol: "+p))
	}
	if cfg.Insecure {
		ws = append(ws, "-k")
		wscat = append(wscat, "-n")
		curl = append(curl, "-k")
	}
	if cfg.CACertFile != "" {
		wscat = append(wscat, "--ca", shellQuote(cfg.CACertFile))
		curl = append(curl, "--cacert", shellQuote(cfg.CACertFile))
	}
	if cfg.CertFile != "" {
		wscat = append(wscat, "--cert", shellQuote(cfg.CertFile), "--key", shellQuote(cfg.KeyFile))
		curl = append(curl, "--cert", shellQuote(cfg.CertFile), "--key", shellQuote(cfg.KeyFile))
	}
	if cfg.Proxy != "" {
		wscat = append(wscat, "--proxy", shellQuote(cfg.Proxy))
		curl = append(curl, "--proxy", shellQuote(cfg.Proxy))
		if pu, err := url.Parse(cfg.Proxy); err == nil && strings.HasPrefix(pu.Scheme, "socks5") {
			ws = append(ws, "--socks5", shellQuote(pu.Host))
		}
	}
	for _, c := range cfg.ConnectTo {
		curl = append(curl, "--connect-to", shellQuote(c))
	}
	for _, r := range cfg.Resolve {
		curl = append(curl, "--resolve", shellQuote(r))
	}
	if cfg.Follow {
		curl = append(curl, "-L")
	}
	ws = append(ws, shellQuote(u))
	curl = append(curl, shellQuote(httpURL))
	return []struct{ tool, line string }{
		{"websocat", strings.Join(ws, " ")},
		{"wscat", strings.Join(wscat, " ")},
		{"curl (handshake only)", strings.Join(curl, " ")},
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// handshakeText is the copyable form of a handshake chain.
func handshakeText(chain []*session.Handshake) string {
	var b strings.Builder
	for i, hs := range chain {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s%s", hs.RequestRaw, hs.ResponseRaw)
		if len(hs.Body) > 0 {
			b.Write(hs.Body)
			b.WriteString("\n")
		}
	}
	return b.String()
}
