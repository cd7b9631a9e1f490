package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

type handshakeKeys struct {
	Up, Down, PageUp, PageDown, Raw key.Binding
}

func defaultHandshakeKeys() handshakeKeys {
	return handshakeKeys{
		Up:       bind([]string{"up", "k"}, "↑/k", "scroll up"),
		Down:     bind([]string{"down", "j"}, "↓/j", "scroll down"),
		PageUp:   bind([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown: bind([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Raw:      bind([]string{"v"}, "v", "raw bytes / parsed"),
	}
}

// handshakePane shows the opening handshake: request and response with
// validation marks, timings, TLS, and the findings.
type handshakePane struct {
	common        *Common
	keys          handshakeKeys
	chain         []*session.Handshake
	dialErr       *session.Error
	findings      []diagnose.Finding
	raw           bool
	scroll        int
	lines         []string
	width, height int
}

func newHandshakePane(c *Common) *handshakePane {
	return &handshakePane{common: c, keys: defaultHandshakeKeys()}
}

// KeyMap returns the pane's bindings.
func (h *handshakePane) KeyMap() KeyMap {
	k := h.keys
	return keyMapFunc{
		short: func() []key.Binding { return []key.Binding{k.Up, k.Down, k.Raw} },
		full:  func() [][]key.Binding { return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Raw}} },
	}
}

// SetSize sets the content box.
func (h *handshakePane) SetSize(w, hgt int) {
	if w != h.width {
		h.lines = nil
	}
	h.width, h.height = w, hgt
}

// Set shows a new attempt's evidence.
func (h *handshakePane) Set(chain []*session.Handshake, dialErr *session.Error, findings []diagnose.Finding) {
	h.chain, h.dialErr, h.findings, h.lines, h.scroll = chain, dialErr, findings, nil, 0
}

// SetFindings replaces the findings (they grow when the connection closes).
func (h *handshakePane) SetFindings(f []diagnose.Finding) { h.findings, h.lines = f, nil }

// Invalidate drops the cached rendering.
func (h *handshakePane) Invalidate() { h.lines = nil }

// Update handles keys when focused, and the wheel.
func (h *handshakePane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := h.keys
		switch {
		case key.Matches(msg, k.Up):
			h.scroll--
		case key.Matches(msg, k.Down):
			h.scroll++
		case key.Matches(msg, k.PageUp):
			h.scroll -= h.height - 2
		case key.Matches(msg, k.PageDown):
			h.scroll += h.height - 2
		case key.Matches(msg, k.Raw):
			h.raw, h.lines, h.scroll = !h.raw, nil, 0
		}
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			h.scroll -= 3
		} else if msg.Button == tea.MouseWheelDown {
			h.scroll += 3
		}
	}
	return nil
}

// Title names the view for the border.
func (h *handshakePane) Title() string {
	if h.raw {
		return "handshake · raw (v: parsed)"
	}
	return "handshake (v: raw)"
}

// View renders the visible lines.
func (h *handshakePane) View() string {
	if h.lines == nil {
		h.lines = h.render()
	}
	h.scroll = min(max(h.scroll, 0), max(len(h.lines)-h.height, 0))
	end := min(h.scroll+h.height, len(h.lines))
	return strings.Join(h.lines[h.scroll:end], "\n")
}

func (h *handshakePane) render() []string {
	st := &h.common.Styles
	w := max(h.width, 10)
	var out []string
	add := func(s string) { out = append(out, ansi.Truncate(s, w, "…")) }
	wrapped := func(s string, style func(...string) string) {
		for _, l := range strings.Split(ansi.Hardwrap(s, w, true), "\n") {
			out = append(out, style(l))
		}
	}
	if len(h.chain) == 0 && h.dialErr == nil {
		return []string{st.Muted.Render("connecting…")}
	}
	for i, hs := range h.chain {
		if i > 0 {
			add("")
		}
		if len(h.chain) > 1 {
			add(st.Accent.Render(fmt.Sprintf("attempt %d: %s", i+1, termsafe.Line(hs.URL))))
		}
		if p := hs.Proxy; p != nil {
			add(st.TimingLabel.Render("proxy ") + st.HeaderValue.Render(termsafe.Line(p.Kind+" via "+p.Proxy+" → "+p.Target)))
			for _, l := range strings.Split(strings.TrimRight(p.Response, "\r\n"), "\n") {
				add(st.Muted.Render("  < " + termsafe.Line(strings.TrimRight(l, "\r"))))
			}
		}
		out = append(out, h.versionLines(hs, w)...)
		if h.raw {
			out = append(out, h.rawLines(hs, w)...)
		} else {
			out = append(out, h.parsedLines(hs, w)...)
		}
		out = append(out, h.h2Lines(hs, w)...)
		t := hs.Timings
		if t.Total > 0 {
			// Under HTTP/2 the request is the extended CONNECT, not an Upgrade.
			step := "upgrade"
			if hs.IsHTTP2() {
				step = "CONNECT"
			}
			add(st.TimingLabel.Render("timing ") + st.TimingValue.Render(fmt.Sprintf("dns %s  tcp %s  proxy %s  tls %s  %s %s  total %s",
				msStr(t.DNS), msStr(t.Connect), msStr(t.ProxyConnect), msStr(t.TLS), step, msStr(t.Upgrade), msStr(t.Total))))
		}
		if s := hs.TLS; s != nil && s.Version != "" {
			mark := st.CheckOK.Render("✓ verified")
			if !s.Verified {
				mark = st.CheckBad.Render("✗ not verified")
			}
			add(st.TimingLabel.Render("tls    ") + st.HeaderValue.Render(fmt.Sprintf("%s %s alpn=%s sni=%s ", s.Version, s.Cipher, termsafe.Line(s.ALPN), termsafe.Line(s.SNI))) + mark)
			for _, c := range s.Chain {
				add(st.Muted.Render("  " + termsafe.Line(c.Subject) + " ← " + termsafe.Line(c.Issuer) + " until " + c.NotAfter.Format("2006-01-02")))
			}
			if s.VerifyError != "" {
				wrapped("  "+termsafe.Line(s.VerifyError), st.WarnText.Render)
			}
		}
	}
	if h.dialErr != nil {
		add("")
		wrapped("✗ "+h.dialErr.Msg, st.ErrorText.Render)
		if h.dialErr.Hint != "" {
			wrapped("hint: "+h.dialErr.Hint, st.WarnText.Render)
		}
	}
	if len(h.findings) > 0 {
		add("")
		add(st.PaneTitle.Render("findings"))
		for _, f := range h.findings {
			style := st.FindingInfo
			switch f.Severity {
			case diagnose.Error:
				style = st.FindingError
			case diagnose.Warn:
				style = st.FindingWarn
			}
			wrapped(fmt.Sprintf("[%s] %s: %s", f.Severity, f.ID, termsafe.Line(f.Title)), style.Render)
			wrapped("  "+termsafe.Line(f.Detail), st.Muted.Render)
			for _, l := range strings.Split(termsafe.Block(f.Fix), "\n") {
				wrapped("  "+l, st.FindingFix.Render)
			}
		}
	}
	return out
}

func (h *handshakePane) parsedLines(hs *session.Handshake, w int) []string {
	st := &h.common.Styles
	var out []string
	add := func(s string) { out = append(out, ansi.Truncate(s, w, "…")) }
	if hs.RequestLine != "" {
		add(st.StartLine.Render("→ " + termsafe.Line(hs.RequestLine)))
		for _, hd := range hs.Request {
			add("  " + st.HeaderName.Render(termsafe.Line(hd.Name)+":") + " " + st.HeaderValue.Render(termsafe.Line(hd.Value)))
		}
	}
	if hs.StatusLine != "" {
		add(st.StartLine.Render("← " + termsafe.Line(hs.StatusLine)))
		for _, hd := range hs.Response {
			add("  " + st.HeaderName.Render(termsafe.Line(hd.Name)+":") + " " + st.HeaderValue.Render(termsafe.Line(hd.Value)) + h.mark(hs, hd.Name))
		}
		if len(hs.Body) > 0 {
			add(st.Muted.Render(fmt.Sprintf("  body (%s%s):", humanBytes(int64(len(hs.Body))), map[bool]string{true: ", truncated"}[hs.BodyTrunc])))
			for i, l := range strings.Split(termsafe.Block(string(hs.Body)), "\n") {
				if i == 20 {
					add(st.Muted.Render("  …"))
					break
				}
				add(st.Muted.Render("  | ") + l)
			}
		}
	}
	return out
}

// mark is the validation mark for a response header that RFC 6455 checks.
func (h *handshakePane) mark(hs *session.Handshake, name string) string {
	st := &h.common.Styles
	ok, checked := false, true
	c := hs.Checks
	switch strings.ToLower(name) {
	case "upgrade":
		ok = c.UpgradeOK
	case "connection":
		ok = c.ConnectionOK
	case "sec-websocket-accept":
		ok = c.AcceptOK
	case "sec-websocket-protocol":
		ok = c.SubprotocolOK
	case "sec-websocket-extensions":
		ok = c.ExtensionsOK
	case ":status":
		// RFC 8441: a 2xx to the extended CONNECT opens the WebSocket.
		ok, checked = hs.Upgraded(), hs.IsHTTP2()
	default:
		checked = false
	}
	switch {
	case !checked:
		return ""
	case ok:
		return " " + st.CheckOK.Render("✓")
	}
	return " " + st.CheckBad.Render("✗")
}

func (h *handshakePane) rawLines(hs *session.Handshake, w int) []string {
	st := &h.common.Styles
	var out []string
	if hs.IsHTTP2() {
		// HPACK-compressed on the wire: there are no bytes to show as
		// they were, and no line endings.
		out = append(out, ansi.Truncate(st.Muted.Render("HTTP/2 header blocks, decoded (HPACK on the wire):"), w, "…"))
		for _, part := range []struct {
			prefix string
			raw    []byte
		}{{"→ ", hs.RequestRaw}, {"← ", hs.ResponseRaw}} {
			for _, l := range strings.Split(string(part.raw), "\n") {
				if l = strings.TrimRight(l, "\r"); l != "" {
					out = append(out, ansi.Truncate(st.Muted.Render(part.prefix)+termsafe.Line(l), w, "…"))
				}
			}
		}
		return out
	}
	for _, part := range []struct {
		prefix string
		raw    []byte
	}{{"→ ", hs.RequestRaw}, {"← ", hs.ResponseRaw}} {
		for _, l := range strings.SplitAfter(string(part.raw), "\n") {
			if l == "" {
				continue
			}
			// Show line endings as they were: CRLF vs a bare LF matters to proxies.
			shown := strings.ReplaceAll(strings.ReplaceAll(l, "\r\n", "␍␊"), "\n", "␊")
			out = append(out, ansi.Truncate(st.Muted.Render(part.prefix)+termsafe.Line(strings.ReplaceAll(shown, "\r", `\r`)), w, "…"))
		}
	}
	return out
}

func msStr(d interface{ Microseconds() int64 }) string {
	us := d.Microseconds()
	if us == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1fms", float64(us)/1000)
}

// versionLines say which HTTP the attempt went over when HTTP/2 was in
// play: HTTP/2 with its ALPN and stream, or auto mode's fallback to
// HTTP/1.1 and why. Nothing for a plain HTTP/1.1 attempt.
func (h *handshakePane) versionLines(hs *session.Handshake, w int) []string {
	st := &h.common.Styles
	info := hs.H2
	if info == nil && !hs.IsHTTP2() {
		return nil
	}
	label := st.TimingLabel.Render("http   ")
	if !hs.IsHTTP2() {
		why := "HTTP/1.1"
		if info.Fallback {
			why = "HTTP/1.1 · HTTP/2 was tried first (auto) and not used: " + termsafe.Line(info.FallbackReason)
		}
		return labelled(label, strings.Fields(why), " ", w, st.WarnText.Render)
	}
	parts := []string{st.StartLine.Render("HTTP/2")}
	if info != nil {
		switch info.ALPN {
		case "":
			parts = append(parts, st.HeaderValue.Render("h2c (no TLS)"))
		default:
			parts = append(parts, st.HeaderValue.Render("alpn "+termsafe.Line(info.ALPN)))
		}
		if info.StreamID > 0 {
			parts = append(parts, st.HeaderValue.Render(fmt.Sprintf("stream %d", info.StreamID)))
		}
	}
	parts = append(parts, st.Muted.Render("extended CONNECT (RFC 8441)"))
	if info != nil && info.Forced {
		parts = append(parts, st.WarnText.Render("forced (--force-h2)"))
	}
	return labelled(label, parts, st.Muted.Render(" · "), w, nil)
}

// labelled fills the column after a 7-wide label with words (styled or
// not) joined by sep, starting a new line where the next word does not
// fit; style, if set, renders each line. Unlike ansi's wrappers it never
// breaks at a hyphen ("--force-h2").
func labelled(label string, words []string, sep string, w int, style func(...string) string) []string {
	limit := max(w-7, 10)
	var lines []string
	line := ""
	for _, word := range words {
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line+sep+word) <= limit:
			line += sep + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	lines = append(lines, line)
	out := make([]string, len(lines))
	for i, l := range lines {
		if i > 0 {
			label = "       "
		}
		if style != nil {
			l = style(l)
		}
		out[i] = ansi.Truncate(label+l, w, "…")
	}
	return out
}

// h2Lines show what the HTTP/2 connection said: the server's SETTINGS by
// name and value (ENABLE_CONNECT_PROTOCOL = 1 stands out: it is what lets
// a WebSocket on), and its RST_STREAM and GOAWAY by name.
func (h *handshakePane) h2Lines(hs *session.Handshake, w int) []string {
	st := &h.common.Styles
	info := hs.H2
	if info == nil {
		return nil
	}
	var out []string
	add := func(s string) { out = append(out, ansi.Truncate(s, w, "…")) }
	if len(info.Settings) > 0 {
		add(st.TimingLabel.Render("settings") + st.Muted.Render(" (the server's)"))
		width := 0
		for _, s := range info.Settings {
			width = max(width, len(termsafe.Line(s.Name)))
		}
		for _, s := range info.Settings {
			name := fmt.Sprintf("%-*s", width, termsafe.Line(s.Name))
			switch {
			case s.ID == session.SettingEnableConnectProtocol && s.Value == 1:
				add("  " + st.CheckOK.Render(name+fmt.Sprintf("  %d", s.Value)) + " " + st.CheckOK.Render("✓ WebSockets over HTTP/2"))
			case s.ID == session.SettingEnableConnectProtocol:
				add("  " + st.CheckBad.Render(name+fmt.Sprintf("  %d", s.Value)) + " " + st.CheckBad.Render("✗ no WebSockets over HTTP/2"))
			default:
				add("  " + st.HeaderName.Render(name) + "  " + st.HeaderValue.Render(fmt.Sprintf("%d", s.Value)))
			}
		}
		if _, ok := info.Setting(session.SettingEnableConnectProtocol); !ok {
			add("  " + st.CheckBad.Render("✗ ENABLE_CONNECT_PROTOCOL not advertised: no WebSockets over HTTP/2"))
			if info.Forced {
				add("    " + st.WarnText.Render("the CONNECT went anyway (--force-h2)"))
			}
		}
	} else if hs.IsHTTP2() {
		add(st.TimingLabel.Render("settings") + st.Muted.Render(" none received from the server"))
	}
	if r := info.RST; r != nil {
		add(st.TimingLabel.Render("rst    ") + st.ErrorText.Render(fmt.Sprintf("RST_STREAM %s (0x%x)", termsafe.Line(r.Name), r.Code)) +
			st.Muted.Render(fmt.Sprintf(" on stream %d", info.StreamID)))
	}
	if g := info.GoAway; g != nil {
		style := st.ErrorText
		if g.Code == 0 {
			style = st.WarnText // NO_ERROR: a graceful goodbye
		}
		text := fmt.Sprintf("GOAWAY %s (0x%x), last stream %d", termsafe.Line(g.Name), g.Code, g.LastStreamID)
		if g.Debug != "" {
			text += `: "` + termsafe.Line(g.Debug) + `"`
		}
		out = append(out, labelled(st.TimingLabel.Render("goaway "), strings.Split(text, " "), " ", w, style.Render)...)
	}
	return out
}
