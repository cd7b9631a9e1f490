package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/compare"
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
	"github.com/wscope/wscope/themes"
)

// CompareOptions configure the split view of `wscope compare`.
type CompareOptions struct {
	A, B           session.Config
	LabelA, LabelB string
	Theme          string
	NoColor        bool
	Now            func() time.Time
}

// compareSide is one of the two live sessions.
type compareSide struct {
	label   string
	cfg     session.Config
	id      int
	conn    *session.Conn
	log     *frameLog
	state   session.State
	chain   []*session.Handshake
	dialErr *session.Error
	closed  *session.StateChange
	opened  time.Time
	last    time.Time
	recv    int64
}

// CompareModel is the split view: A and B side by side, one send box that
// sends to both, and a findings pane that says what differs.
type CompareModel struct {
	common        *Common
	opts          CompareOptions
	sides         [2]*compareSide
	send          *sendBox
	help          help.Model
	focus         int // 0: A, 1: B, 2: send box
	gen           int
	toast         string
	width, height int
	keys          struct{ Quit, Focus, Compose, Reconnect, Ping key.Binding }
}

// NewCompare builds the split view.
func NewCompare(opts CompareOptions) *CompareModel {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &CompareModel{opts: opts, common: &Common{Now: opts.Now}, help: help.New()}
	switch {
	case opts.NoColor:
		m.common.Styles = themes.NoColor()
	default:
		p, ok := themes.Builtin(opts.Theme)
		if !ok {
			p = themes.Default(true)
		}
		m.common.Styles = themes.New(p)
	}
	st := m.common.Styles
	m.help.Styles = help.Styles{ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.HelpSep, Ellipsis: st.HelpSep}
	m.sides[0] = &compareSide{label: "A " + opts.LabelA, cfg: opts.A, log: newFrameLog(m.common)}
	m.sides[1] = &compareSide{label: "B " + opts.LabelB, cfg: opts.B, log: newFrameLog(m.common)}
	m.send = newSendBox(m.common)
	m.keys.Quit = bind([]string{"q", "ctrl+c"}, "q", "quit")
	m.keys.Focus = bind([]string{"tab"}, "tab", "A / B / send box")
	m.keys.Compose = bind([]string{"i"}, "i", "send to both")
	m.keys.Reconnect = bind([]string{"r"}, "r", "reconnect both")
	m.keys.Ping = bind([]string{"p"}, "p", "ping both")
	return m
}

// Init dials both sides.
func (m *CompareModel) Init() tea.Cmd { return m.connectBoth() }

// compareDialedMsg and compareEventsMsg are tagged with side and id, so a
// late result from a replaced connection is dropped.
type compareDialedMsg struct {
	side int
	d    dialedMsg
}

type compareEventsMsg struct {
	side int
	e    eventsMsg
}

func (m *CompareModel) connectBoth() tea.Cmd {
	m.gen++
	var cmds []tea.Cmd
	for i, s := range m.sides {
		side := i
		s.id = m.gen
		old := s.conn
		s.conn, s.state, s.chain, s.dialErr, s.closed, s.recv = nil, session.StateConnecting, nil, nil, nil, 0
		if m.gen > 1 {
			s.log.AddNote("reconnecting…", m.common.Now())
		}
		cfg, id := s.cfg, s.id
		cmds = append(cmds, func() tea.Msg {
			if old != nil {
				old.Abort()
			}
			conn, chain, err := session.Dial(context.Background(), cfg)
			d := dialedMsg{id: id, conn: conn, chain: chain, err: err}
			if conn != nil {
				d.feed = startFeed(id, conn.Events(), nil, nil, nil)
			}
			return compareDialedMsg{side: side, d: d}
		})
	}
	return tea.Batch(cmds...)
}

func (m *CompareModel) next(side int, f *feed) tea.Cmd {
	inner := f.next()
	return func() tea.Msg { return compareEventsMsg{side: side, e: inner().(eventsMsg)} }
}

// Update routes results by side and id; keys by focus.
func (m *CompareModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
	case compareDialedMsg:
		s := m.sides[msg.side]
		d := msg.d
		if d.id != s.id {
			if d.conn != nil {
				conn := d.conn
				return m, func() tea.Msg { conn.Abort(); return nil }
			}
			return m, nil
		}
		s.chain = d.chain
		if d.err != nil {
			var se *session.Error
			if !errors.As(d.err, &se) {
				se = &session.Error{Class: session.ClassNetwork, Msg: termsafe.Line(d.err.Error())}
			}
			s.dialErr, s.state = se, session.StateClosed
			s.log.AddNote("✗ "+se.Msg, m.common.Now())
			return m, nil
		}
		s.conn, s.state, s.opened = d.conn, session.StateOpen, m.common.Now()
		return m, m.next(msg.side, d.feed)
	case compareEventsMsg:
		s := m.sides[msg.side]
		if msg.e.id != s.id {
			return m, nil
		}
		var frames []session.Frame
		for _, e := range msg.e.events {
			if e.Kind == session.EventFrame {
				frames = append(frames, e.Frame)
				s.last = e.Frame.Time
				if e.Frame.Dir == session.Recv && !e.Frame.Op.IsControl() {
					s.recv++
				}
				continue
			}
			s.state = e.State.State
			if e.State.State == session.StateClosed {
				s.closed, s.conn = e.State, nil
				s.log.Append(frames)
				frames = nil
				s.log.AddNote("closed: "+e.State.Detail, e.State.Time)
			}
		}
		s.log.Append(frames)
		msg.e.feed.recycle(msg.e.events)
		if msg.e.done {
			return m, nil
		}
		return m, m.next(msg.side, msg.e.feed)
	case sendMsg:
		var cmds []tea.Cmd
		for _, s := range m.sides {
			if conn := s.conn; conn != nil {
				cmds = append(cmds, func() tea.Msg {
					if err := conn.Send(msg.op, msg.payload); err != nil {
						return sendFailedMsg{err: err}
					}
					return nil
				})
			}
		}
		if len(cmds) == 0 {
			m.toast = "neither side is connected: r reconnects"
		}
		return m, tea.Batch(cmds...)
	case closeMsg:
		var cmds []tea.Cmd
		for _, s := range m.sides {
			if conn := s.conn; conn != nil {
				cmds = append(cmds, func() tea.Msg { conn.Close(msg.code, msg.reason); return nil })
			}
		}
		return m, tea.Batch(cmds...)
	case sendFailedMsg:
		m.toast = termsafe.Line(msg.err.Error())
	case tea.PasteMsg:
		if m.focus == 2 {
			return m, m.send.Update(msg)
		}
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	default:
		if m.focus == 2 {
			return m, m.send.Update(msg)
		}
	}
	return m, nil
}

func (m *CompareModel) onKey(k tea.KeyPressMsg) tea.Cmd {
	m.toast = ""
	if k.String() == "ctrl+c" {
		return m.quit()
	}
	if m.focus == 2 {
		if k.String() == "esc" || k.String() == "tab" {
			m.send.Blur()
			m.focus = 0
			return nil
		}
		return m.send.Update(k)
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Focus):
		m.focus++
		if m.focus == 2 {
			return m.send.Focus()
		}
	case key.Matches(k, m.keys.Compose):
		m.focus = 2
		return m.send.Focus()
	case key.Matches(k, m.keys.Reconnect):
		return m.connectBoth()
	case key.Matches(k, m.keys.Ping):
		return func() tea.Msg { return sendMsg{op: session.OpPing, payload: []byte("wscope")} }
	default:
		m.sides[m.focus].log.Update(k)
	}
	return nil
}

func (m *CompareModel) quit() tea.Cmd {
	a, b := m.sides[0].conn, m.sides[1].conn
	return tea.Sequence(func() tea.Msg {
		for _, c := range []*session.Conn{a, b} {
			if c != nil {
				c.Close(1000, "")
			}
		}
		return nil
	}, tea.Quit)
}

const findingsLines = 9

func (m *CompareModel) layout() {
	half := m.width / 2
	h := m.height - 1 - (findingsLines + 2) - (sendBoxLines + 2) - 1
	m.sides[0].log.SetSize(half-2, h-2)
	m.sides[1].log.SetSize(m.width-half-2, h-2)
	m.send.SetSize(m.width-2, sendBoxLines)
	m.help.SetWidth(m.width)
}

// View renders both sides, the findings and the send box.
func (m *CompareModel) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "wscope compare"
	return v
}

func (m *CompareModel) render() string {
	st := &m.common.Styles
	if m.width < minWidth || m.height < minHeight+8 {
		return st.WarnText.Render(fmt.Sprintf("wscope compare needs at least %dx%d", minWidth, minHeight+8))
	}
	half := m.width / 2
	h := m.height - 1 - (findingsLines + 2) - (sendBoxLines + 2) - 1
	status := st.StatusBar.Render(ansi.Truncate(m.sideStatus(0)+"   │   "+m.sideStatus(1), m.width, "…"))
	left := box(st, m.sides[0].label, m.sides[0].log.View(), half, h, m.focus == 0)
	right := box(st, m.sides[1].label, m.sides[1].log.View(), m.width-half, h, m.focus == 1)
	findings := box(st, "what differs", strings.Join(m.findingLines(), "\n"), m.width, findingsLines+2, false)
	send := box(st, "send to both · "+m.send.Mode().String(), m.send.View(), m.width, sendBoxLines+2, m.focus == 2)
	footer := m.help.ShortHelpView([]key.Binding{m.keys.Focus, m.keys.Compose, m.keys.Ping, m.keys.Reconnect, m.keys.Quit})
	if m.toast != "" {
		footer = st.ErrorText.Render(m.toast)
	}
	return status + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, left, right) + "\n" + findings + "\n" + send + "\n" + footer
}

func (m *CompareModel) sideStatus(i int) string {
	s := m.sides[i]
	status := "–"
	if len(s.chain) > 0 {
		status = fmt.Sprint(s.chain[len(s.chain)-1].Status)
	}
	return fmt.Sprintf("%s: %s %s · %d msgs", string("AB"[i]), s.state, status, s.recv)
}

// findingLines is the findings pane: each side's findings, then what only
// the comparison shows (response header differences, negotiation).
func (m *CompareModel) findingLines() []string {
	st := &m.common.Styles
	var out []string
	var hs [2]*session.Handshake
	for i, s := range m.sides {
		ev := diagnose.Evidence{Chain: s.chain, DialErr: s.dialErr, Closed: s.closed, OpenedAt: s.opened, LastFrameAt: s.last, Subprotos: s.cfg.Subprotocols}
		if len(s.chain) > 0 {
			hs[i] = s.chain[len(s.chain)-1]
		}
		for _, f := range diagnose.Diagnose(ev) {
			style := st.FindingWarn
			if f.Severity == diagnose.Error {
				style = st.FindingError
			}
			out = append(out, style.Render(fmt.Sprintf("%c [%s] %s: %s", "AB"[i], f.Severity, f.ID, termsafe.Line(f.Title))))
		}
	}
	if hs[0] != nil && hs[1] != nil {
		if a, b := hs[0].Checks.Subprotocol, hs[1].Checks.Subprotocol; a != b {
			out = append(out, st.FindingError.Render(fmt.Sprintf("≠ subprotocol: A %q, B %q", termsafe.Line(a), termsafe.Line(b))))
		}
		if a, b := strings.Join(hs[0].Checks.Extensions, ","), strings.Join(hs[1].Checks.Extensions, ","); a != b {
			out = append(out, st.FindingWarn.Render(fmt.Sprintf("≠ extensions: A %q, B %q", a, b)))
		}
		for _, c := range compare.DiffResponseHeaders(hs[0].Response, hs[1].Response) {
			var line string
			switch c.Change {
			case "added":
				line = fmt.Sprintf("+ %s: %s (only B)", c.Name, c.B)
			case "removed":
				line = fmt.Sprintf("- %s: %s (only A)", c.Name, c.A)
			case "case":
				line = fmt.Sprintf("~ %s → %s (name case)", c.A, c.B)
			default:
				line = fmt.Sprintf("~ %s: %s → %s", c.Name, c.A, c.B)
			}
			out = append(out, st.Muted.Render(termsafe.Line(line)))
		}
	}
	if len(out) == 0 {
		out = append(out, st.Muted.Render("no differences so far"))
	}
	return out
}
