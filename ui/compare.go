package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
	"github.com/wscope/wscope/themes"
)

// CompareOptions configure the split view of `wscope compare`.
type CompareOptions struct {
	// URLA and URLB are the two targets; A and B the connection settings
	// of each side (their URL fields are ignored).
	URLA, URLB string
	A, B       session.Config
	LabelA     string
	LabelB     string
	// Flow are the session options both sides share (recording, protocol,
	// heartbeats, the script with --send and --idle, limits, reconnect).
	// A recording goes to two files: NAME.a.jsonl and NAME.b.jsonl.
	Flow    flow.Options
	Theme   string
	Custom  *themes.Palette
	NoColor bool
	Now     func() time.Time
}

// SideRecordPath is where side ("a" or "b") of a comparison records when
// the user asked for path: session.jsonl becomes session.a.jsonl.
func SideRecordPath(path, side string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "." + side + ext
}

// compareSide is one of the two live sessions.
type compareSide struct {
	label   string
	url     string
	cfg     session.Config
	opts    flow.Options
	id      int
	flow    *flow.Flow
	log     *frameLog
	state   session.State
	closed  *session.StateChange
	stats   flow.Stats
	retries int
}

// CompareModel is the split view: A and B side by side, one send box that
// sends to both, and a findings pane that says what differs — the same
// findings `compare --report` prints, from the same diagnose.Compare.
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
	comparison    diagnose.Comparison
	findings      []string // the findings pane, rebuilt on events and ticks
	ticking       bool     // a compareTickMsg is on its way
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
	case opts.Custom != nil && opts.Theme == opts.Custom.Name:
		m.common.Styles = themes.New(*opts.Custom)
	default:
		p, ok := themes.Builtin(opts.Theme)
		if !ok {
			p = themes.Default(true)
		}
		m.common.Styles = themes.New(p)
	}
	st := m.common.Styles
	m.help.Styles = help.Styles{ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.HelpSep, Ellipsis: st.HelpSep}
	for i, side := range []struct {
		label, url string
		cfg        session.Config
	}{{opts.LabelA, opts.URLA, opts.A}, {opts.LabelB, opts.URLB, opts.B}} {
		o := opts.Flow
		o.Record = SideRecordPath(o.Record, string("ab"[i]))
		s := &compareSide{label: string("AB"[i]) + " " + side.label, url: side.url, cfg: side.cfg, opts: o, log: newFrameLog(m.common)}
		s.log.SetLimit(o.MaxFrames)
		m.sides[i] = s
	}
	m.send = newSendBox(m.common)
	m.keys.Quit = bind([]string{"q", "ctrl+c"}, "q", "quit")
	m.keys.Focus = bind([]string{"tab"}, "tab", "A / B / send box")
	m.keys.Compose = bind([]string{"i"}, "i", "send to both")
	m.keys.Reconnect = bind([]string{"r"}, "r", "reconnect both")
	m.keys.Ping = bind([]string{"p"}, "p", "ping both")
	m.refreshFindings()
	return m
}

// Init dials both sides.
func (m *CompareModel) Init() tea.Cmd { return m.connectBoth() }

// ExitCode is what `wscope compare` exits with after the split view: 1
// when the sides differ in an error-level way (as `--report` decides).
func (m *CompareModel) ExitCode() int {
	if m.comparison.ErrorLevel() {
		return 1
	}
	return 0
}

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

// compareTickMsg re-evaluates what only time decides (the idle check,
// protocol findings) once a second.
type compareTickMsg struct{}

// compareRedialMsg redials one side after a drop (--reconnect).
type compareRedialMsg struct{ side, id int }

// tick arms the once-a-second re-evaluation unless it is already armed;
// it only runs while a side is open (idle is idle: nothing wakes the
// process once both sides have closed).
func (m *CompareModel) tick() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return compareTickMsg{} })
}

func (m *CompareModel) connectBoth() tea.Cmd {
	m.gen++
	return tea.Batch(m.connectSide(0), m.connectSide(1))
}

func (m *CompareModel) connectSide(i int) tea.Cmd {
	s := m.sides[i]
	s.id = m.gen*2 + i
	old := s.flow
	s.flow, s.state, s.closed, s.stats = nil, session.StateConnecting, nil, flow.Stats{}
	if m.gen > 1 || s.retries > 0 {
		s.log.AddNote("reconnecting…", m.common.Now())
	}
	url, cfg, opts, id := s.url, s.cfg, s.opts, s.id
	if m.gen > 1 || s.retries > 0 {
		opts.Record = "" // the recording covers the first connection of each side
	}
	return func() tea.Msg {
		if old != nil && old.Conn() != nil {
			old.Conn().Abort()
		}
		fl := flow.Dial(context.Background(), url, cfg, opts)
		return compareDialedMsg{side: i, d: dialedMsg{id: id, feed: newFeed(id, fl)}}
	}
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
		fl := msg.d.feed.flow
		if msg.d.id != s.id {
			if conn := fl.Conn(); conn != nil {
				return m, func() tea.Msg { conn.Abort(); return nil }
			}
			return m, nil
		}
		s.flow = fl
		defer m.refreshFindings()
		if fl.Err != nil {
			s.state = session.StateClosed
			s.log.AddNote("✗ "+termsafe.Line(fl.Err.Msg), m.common.Now())
			return m, m.scheduleRedial(msg.side)
		}
		if err := fl.RecordErr(); err != nil {
			m.toast = termsafe.Line(err.Error())
		}
		s.state = session.StateOpen
		return m, tea.Batch(m.next(msg.side, msg.d.feed), m.tick())
	case compareEventsMsg:
		s := m.sides[msg.side]
		if msg.e.id != s.id {
			return m, nil
		}
		s.stats = msg.e.stats
		frames := make([]flow.Frame, 0, len(msg.e.events))
		for _, e := range msg.e.events {
			if e.Kind == session.EventFrame {
				frames = append(frames, e.Frame)
				continue
			}
			s.state = e.State.State
			if e.State.State == session.StateClosed {
				s.closed = e.State
				s.log.Append(frames)
				frames = frames[:0]
				s.log.AddNote("closed: "+e.State.Detail, e.State.Time)
			}
		}
		s.log.Append(frames)
		msg.e.feed.recycle(msg.e.events)
		m.refreshFindings()
		if msg.e.done {
			if s.closed != nil && !s.closed.Cause.Clean() && s.closed.Cause != session.CauseLocalAbort {
				return m, m.scheduleRedial(msg.side)
			}
			return m, nil
		}
		return m, m.next(msg.side, msg.e.feed)
	case compareTickMsg:
		m.ticking = false
		m.refreshFindings()
		for _, s := range m.sides {
			if s.state != session.StateClosed {
				return m, m.tick()
			}
		}
		return m, nil
	case compareRedialMsg:
		if s := m.sides[msg.side]; msg.id == s.id && s.state == session.StateClosed {
			return m, m.connectSide(msg.side)
		}
	case sendMsg:
		var cmds []tea.Cmd
		for _, s := range m.sides {
			if s.flow != nil && s.flow.Conn() != nil && s.state == session.StateOpen {
				conn := s.flow.Conn()
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
			if s.flow != nil && s.flow.Conn() != nil {
				conn := s.flow.Conn()
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

// scheduleRedial plans a side's next attempt when --reconnect is on.
func (m *CompareModel) scheduleRedial(i int) tea.Cmd {
	s := m.sides[i]
	if !s.opts.Reconnect {
		return nil
	}
	s.retries++
	wait := backoff(s.retries)
	s.log.AddNote(fmt.Sprintf("reconnecting in %s (attempt %d)", wait, s.retries), m.common.Now())
	id := s.id
	return tea.Tick(wait, func(time.Time) tea.Msg { return compareRedialMsg{side: i, id: id} })
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
	a, b := m.sides[0].flow, m.sides[1].flow
	return tea.Sequence(func() tea.Msg {
		for _, fl := range []*flow.Flow{a, b} {
			if fl != nil {
				fl.Close(500 * time.Millisecond)
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
	findings := box(st, "what differs", strings.Join(m.findings, "\n"), m.width, findingsLines+2, false)
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
	if s.flow != nil {
		if hs := s.flow.Handshake(); hs != nil {
			status = fmt.Sprint(hs.Status)
		}
	}
	proto := ""
	if s.flow != nil && s.flow.Protocol() != "" {
		proto = " · " + string(s.flow.Protocol())
	}
	rec := ""
	if s.flow != nil && s.flow.Recorder() != nil {
		rec = " · REC"
	}
	return fmt.Sprintf("%s: %s %s · %d msgs%s%s", string("AB"[i]), s.state, status, s.stats.RecvMsgs, proto, rec)
}

// sideOf is a side as diagnose.Compare sees it (a side that has not
// dialed yet has no evidence).
func (m *CompareModel) sideOf(i int, now time.Time) diagnose.Side {
	if fl := m.sides[i].flow; fl != nil {
		return fl.Side(now)
	}
	return diagnose.Side{}
}

// refreshFindings recomputes the comparison — the same diagnose.Compare
// that `compare --report` runs — and the findings pane's lines.
func (m *CompareModel) refreshFindings() {
	st := &m.common.Styles
	now := m.common.Now()
	a, b := m.sideOf(0, now), m.sideOf(1, now)
	m.comparison = diagnose.Compare(a, b, now)
	var out []string
	line := func(prefix string, f diagnose.Finding) {
		style := st.FindingWarn
		if f.Severity == diagnose.Error {
			style = st.FindingError
		}
		out = append(out, style.Render(termsafe.Line(fmt.Sprintf("%s [%s] %s: %s", prefix, f.Severity, f.ID, f.Title))))
	}
	for _, f := range m.comparison.Findings {
		line("≠", f)
	}
	for i, side := range []diagnose.Side{a, b} {
		for _, f := range side.Findings {
			line(string("AB"[i]), f)
		}
	}
	for _, c := range m.comparison.ResponseDiff {
		var l string
		switch c.Change {
		case "added":
			l = fmt.Sprintf("+ %s: %s (only B)", c.Name, c.B)
		case "removed":
			l = fmt.Sprintf("- %s: %s (only A)", c.Name, c.A)
		case "case":
			l = fmt.Sprintf("~ %s → %s (name case)", c.A, c.B)
		default:
			l = fmt.Sprintf("~ %s: %s → %s", c.Name, c.A, c.B)
		}
		out = append(out, st.Muted.Render(termsafe.Line(l)))
	}
	if len(out) == 0 {
		out = append(out, st.Muted.Render("no differences so far"))
	}
	m.findings = out
}
