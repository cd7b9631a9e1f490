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
		if h.raw {
			out = append(out, h.rawLines(hs, w)...)
		} else {
			out = append(out, h.parsedLines(hs, w)...)
		}
		t := hs.Timings
		if t.Total > 0 {
			add(st.TimingLabel.Render("timing ") + st.TimingValue.Render(fmt.Sprintf("dns %s  tcp %s  proxy %s  tls %s  upgrade %s  total %s",
				msStr(t.DNS), msStr(t.Connect), msStr(t.ProxyConnect), msStr(t.TLS), msStr(t.Upgrade), msStr(t.Total))))
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
