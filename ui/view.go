package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
	"github.com/wscope/wscope/themes"
)

// Layout: status bar (1) · log | right pane · send box (4) · help line (1).
const (
	sendBoxLines = 2
	minWidth     = 60
	minHeight    = 14
)

func (m *Model) leftWidth() int { return m.width * 11 / 20 }
func (m *Model) mainHeight() int {
	return m.height - 1 - (sendBoxLines + 2) - 1 - m.findingsHeight()
}

// findingsHeight is how many lines the findings box takes above the panes
// (full width, so config lines fit): none while there is no warning or
// error, and at most what leaves the panes 8 lines.
func (m *Model) findingsHeight() int {
	room := m.height - 1 - (sendBoxLines + 2) - 1 - 8
	return min(m.findings.Height(room), max(room, 0))
}

// setFindings shows fs in the findings box and the handshake pane.
func (m *Model) setFindings(fs []diagnose.Finding) {
	m.findings.Set(fs)
	m.findings.SetWidth(m.width)
	m.hs.SetFindings(fs)
	if m.width > 0 {
		m.layout()
	}
}

// layout hands every pane its size.
func (m *Model) layout() {
	lw := m.leftWidth()
	rw := m.width - lw
	mh := m.mainHeight()
	m.log.SetSize(lw-2, mh-2)
	m.detail.SetSize(rw-2, mh-2)
	m.hs.SetSize(rw-2, mh-2)
	m.replay.SetSize(rw-2, mh-2)
	m.send.SetSize(m.width-2, sendBoxLines)
	m.form.SetSize(m.width-4, m.height-4)
	m.filter.SetWidth(m.width - 4)
	m.help.SetWidth(m.width)
	m.findings.SetWidth(m.width)
}

// View renders the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "wscope " + termsafe.Line(m.cfg.URL)
	if m.focus == focusSend && !m.showHlp {
		if c := m.send.Cursor(); c != nil {
			c.Position.X += 1
			c.Position.Y += 1 + m.mainHeight() + 1
			v.Cursor = c
		}
	}
	return v
}

func (m *Model) render() string {
	st := &m.common.Styles
	if m.width == 0 {
		return ""
	}
	if m.width < minWidth || m.height < minHeight {
		return st.WarnText.Render(fmt.Sprintf("wscope needs at least %dx%d; this terminal is %dx%d", minWidth, minHeight, m.width, m.height))
	}
	if m.focus == focusForm {
		body := box(st, "wscope", m.form.View(), m.width, m.height-1, true)
		return body + "\n" + m.helpLine()
	}
	status := m.statusBar()
	var main string
	if m.showHlp {
		main = box(st, "help — any key closes", m.fullHelp(), m.width, m.mainHeight(), true)
	} else {
		lw := m.leftWidth()
		logTitle := m.logTitle()
		left := box(st, logTitle, m.log.View(), lw, m.mainHeight(), m.focus == focusLog)
		var right string
		switch m.right {
		case tabDetail:
			right = box(st, m.detail.Title(), m.detail.View(), m.width-lw, m.mainHeight(), m.focus == focusRight)
		case tabReplay:
			right = box(st, m.replay.title, m.replay.View(), m.width-lw, m.mainHeight(), m.focus == focusRight)
		default:
			right = box(st, m.hs.Title(), m.hs.View(), m.width-lw, m.mainHeight(), m.focus == focusRight)
		}
		main = lipgloss.JoinHorizontal(lipgloss.Top, left, right)
		if m.findingsHeight() > 0 {
			main = m.findings.View(m.findingsHeight()) + "\n" + main
		}
	}
	sendTitle := "send · " + m.send.Mode().String() + " (ctrl+t)"
	if e := m.send.Err(); e != "" {
		sendTitle = "send · " + e
	}
	sendBody := m.send.View()
	if m.focus != focusSend && m.send.input.Value() == "" {
		sendBody = st.InputPlaceholder.Render("press i to type a message, p to ping, c to close")
	}
	send := box(st, sendTitle, sendBody, m.width, sendBoxLines+2, m.focus == focusSend)
	return status + "\n" + main + "\n" + send + "\n" + m.helpLine()
}

func (m *Model) logTitle() string {
	t := fmt.Sprintf("frames %d", m.log.Len())
	if m.log.query != nil {
		pos, n := m.log.MatchInfo()
		t += fmt.Sprintf(" · filter %q %d/%d", ansi.Truncate(m.log.query.text, 20, "…"), pos, n)
		if m.log.only {
			t += " only"
		}
	}
	if p, n := m.log.Paused(); p {
		t += fmt.Sprintf(" · PAUSED +%d", n)
	} else if !m.log.follow {
		t += " · not following (G)"
	}
	return t
}

// statusBar is one line: state, URL, route, uptime, idle, counters, rate, RTT.
func (m *Model) statusBar() string {
	st := &m.common.Styles
	now := m.common.Now()
	var stateStyle lipgloss.Style
	switch m.state {
	case session.StateOpen:
		stateStyle = st.StatusStateOpen
	case session.StateConnecting, session.StateClosing:
		stateStyle = st.StatusStateConnecting
	default:
		stateStyle = st.StatusStateClosed
	}
	parts := []string{stateStyle.Render("● " + m.state.String())}
	if m.rec != nil {
		label := "● REC " + filepath.Base(m.rec.Path())
		if m.recWarn {
			label = "● REC FAILED (see toast)"
		}
		parts = append(parts, st.StatusRecording.Render(termsafe.Line(label)))
	}
	if m.opts.Title != "" {
		parts = append(parts, st.StatusKey.Render(m.opts.Title))
	}
	parts = append(parts, st.StatusValue.Render(termsafe.Line(m.cfg.URL)))
	route := "direct"
	if len(m.chain) > 0 && m.chain[len(m.chain)-1].Proxy != nil {
		p := m.chain[len(m.chain)-1].Proxy
		route = "via " + p.Kind + " " + p.Proxy
	} else if m.cfg.Proxy != "" {
		route = "via " + m.cfg.Proxy
	}
	if len(m.chain) > 0 && m.chain[len(m.chain)-1].IsHTTP2() {
		route += " · HTTP/2" // the extended CONNECT: the browsers' path, not the Upgrade
	}
	parts = append(parts, st.StatusKey.Render(termsafe.Line(route)))
	if m.state == session.StateOpen {
		parts = append(parts, st.StatusKey.Render("up ")+st.StatusValue.Render(shortDur(now.Sub(m.stats.openedAt))))
		idle := now.Sub(m.stats.openedAt)
		if !m.stats.lastFrame.IsZero() {
			idle = now.Sub(m.stats.lastFrame)
		}
		parts = append(parts, st.StatusKey.Render("idle ")+st.StatusValue.Render(shortDur(idle)))
	}
	parts = append(parts,
		st.StatusKey.Render("↓ ")+st.StatusValue.Render(fmt.Sprintf("%d · %s", m.stats.recvMsgs, humanBytes(m.stats.recvBytes))),
		st.StatusKey.Render("↑ ")+st.StatusValue.Render(fmt.Sprintf("%d · %s", m.stats.sentMsgs, humanBytes(m.stats.sentBytes))),
		st.StatusValue.Render(fmt.Sprintf("%.0f/s", m.stats.rate)))
	if m.stats.rtt > 0 {
		parts = append(parts, st.StatusKey.Render("rtt ")+st.StatusValue.Render(fmt.Sprintf("%.1fms", float64(m.stats.rtt.Microseconds())/1000)))
	}
	line := strings.Join(parts, "  ")
	return st.StatusBar.Render(ansi.Truncate(line, m.width, "…") + strings.Repeat(" ", max(m.width-ansi.StringWidth(line), 0)))
}

func shortDur(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// helpLine is the footer: a toast, the filter input, or short help.
func (m *Model) helpLine() string {
	st := &m.common.Styles
	switch {
	case m.focus == focusFilter:
		return m.filter.View()
	case m.toast != "":
		style := st.SuccessText
		if m.toastErr {
			style = st.ErrorText
		}
		return style.Render(ansi.Truncate(m.toast, m.width, "…"))
	}
	return m.shortHelp()
}

// box draws a rounded border of w×h cells around content, with title in
// the top edge. Content lines are cut or padded to fit.
func box(st *themes.Styles, title, content string, w, h int, focused bool) string {
	border, titleStyle := st.Pane, st.PaneTitle
	if focused {
		border, titleStyle = st.PaneFocused, st.PaneTitleFocused
	}
	edge := lipgloss.NewStyle().Foreground(border.GetBorderTopForeground())
	inner := max(w-2, 0)
	title = ansi.Truncate(title, max(inner-4, 0), "…")
	top := edge.Render("╭─ ") + titleStyle.Render(title) + edge.Render(" "+strings.Repeat("─", max(inner-3-ansi.StringWidth(title), 0))+"╮")
	lines := strings.Split(content, "\n")
	var b strings.Builder
	b.WriteString(top)
	side := edge.Render("│")
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(lines) {
			line = ansi.Truncate(lines[i], inner, "")
		}
		b.WriteString("\n" + side + line + strings.Repeat(" ", max(inner-ansi.StringWidth(line), 0)) + side)
	}
	b.WriteString("\n" + edge.Render("╰"+strings.Repeat("─", inner)+"╯"))
	return b.String()
}
