package ui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
	"github.com/wscope/wscope/themes"
)

// Options configure the TUI.
type Options struct {
	Config    session.Config // URL empty: start with the connect form
	Theme     string         // built-in theme name; empty: pick dark or light from the terminal
	Custom    *themes.Palette
	NoColor   bool
	StateDir  string // where recent targets and send history persist; empty: nowhere
	Now       func() time.Time
	Title     string // shown in the status bar before the URL (e.g. "demo")
	NoBgQuery bool   // do not ask the terminal for its background (tests)
	RecordDir string // where the record key puts new recordings; empty: the working directory
	// Options are the session options every front end shares: Record
	// (from the first connection on), Redact, Protocol, AutoHeartbeat, the
	// script (Sends, Idle), MaxFrames and Reconnect.
	flow.Options
	// Recording, when set, opens read-only on a recording (wscope view);
	// the play key replays it, with ReplayIgnore left out of comparisons.
	Recording    *capture.Recording
	ReplayIgnore []string
}

type focusArea int

const (
	focusLog focusArea = iota
	focusRight
	focusSend
	focusFilter
	focusForm
)

type rightTab int

const (
	tabDetail rightTab = iota
	tabHandshake
	tabReplay
)

// stats are the counters the status bar shows.
type stats struct {
	recvMsgs, sentMsgs   int64
	recvBytes, sentBytes int64
	lastFrame            time.Time
	openedAt             time.Time
	rate                 float64 // received messages per second, over the last tick
	rateMark             int64
	rateAt               time.Time
	rtt                  time.Duration
}

// take copies the pipeline's counters.
func (s *stats) take(fs flow.Stats) {
	s.recvMsgs, s.sentMsgs, s.recvBytes, s.sentBytes = fs.RecvMsgs, fs.SentMsgs, fs.RecvBytes, fs.SentBytes
	if !fs.LastFrame.IsZero() {
		s.lastFrame = fs.LastFrame
	}
	if fs.RTT > 0 {
		s.rtt = fs.RTT
	}
}

// Model is the root of the TUI: it owns layout, focus and the connection.
type Model struct {
	common  *Common
	opts    Options
	actions []action // the root's key bindings, as data
	help    help.Model
	log     *frameLog
	detail  *detailPane
	hs      *handshakePane
	// findings is the box at the top of the right pane: the most severe
	// finding's title, evidence and fix, without scrolling.
	findings *findingsPane
	replay   *textPane
	send     *sendBox
	form     *connectForm
	filter   textinput.Model
	focus    focusArea
	right    rightTab
	showHlp  bool

	width, height int

	cfg      session.Config
	connID   int
	conn     *session.Conn
	cancel   context.CancelFunc
	state    session.State
	chain    []*session.Handshake
	dialErr  *session.Error
	closed   *session.StateChange
	stats    stats
	everOpen bool

	themeName string
	isDark    bool
	noColor   bool
	toast     string
	toastErr  bool
	cmdCycle  int
	persist   persisted

	retries     int // reconnect attempts since the last successful open
	templateIdx int

	rec     *capture.Recorder // the recording in progress, if any
	flow    *flow.Flow        // the current connection's pipeline
	recWarn bool              // a recording error was already shown
}

// New builds the TUI.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Model{opts: opts, actions: rootActions(), help: help.New(), cfg: opts.Config, isDark: true, noColor: opts.NoColor}
	m.common = &Common{Now: opts.Now}
	m.themeName = opts.Theme
	m.applyTheme()
	m.log = newFrameLog(m.common)
	m.log.SetLimit(opts.MaxFrames)
	m.detail = newDetailPane(m.common)
	m.hs = newHandshakePane(m.common)
	m.findings = newFindingsPane(m.common)
	m.replay = newTextPane()
	m.send = newSendBox(m.common)
	m.form = newConnectForm(m.common, opts.Config)
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.Placeholder = "text, /regexp/, dir:send, op:ping …"
	if opts.Recording != nil {
		m.cfg.URL = opts.Recording.Header.URL
		if opts.Config.URL != "" {
			m.cfg.URL = opts.Config.URL // --target
		}
		m.loadRecording(opts.Recording)
	} else if opts.Config.URL == "" {
		m.focus = focusForm
	}
	return m
}

// applyTheme rebuilds the styles from the theme, the background and NO_COLOR.
func (m *Model) applyTheme() {
	var st themes.Styles
	switch {
	case m.noColor:
		st = themes.NoColor()
	case m.opts.Custom != nil && m.themeName == m.opts.Custom.Name:
		st = themes.New(*m.opts.Custom)
	default:
		p, ok := themes.Builtin(m.themeName)
		if !ok {
			p = themes.Default(m.isDark)
		}
		st = themes.New(p)
	}
	m.common.Styles = st
	m.help.Styles = help.Styles{
		ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.HelpSep, Ellipsis: st.HelpSep,
		FullKey: st.HelpKey, FullDesc: st.HelpDesc, FullSeparator: st.HelpSep,
	}
	if m.detail != nil {
		m.detail.Invalidate()
		m.hs.Invalidate()
		m.findings.Invalidate()
	}
}

// Init starts the connection (or the form) and asks for the background.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{loadStateCmd(m.opts.StateDir)}
	if !m.opts.NoBgQuery && m.opts.Theme == "" && !m.noColor {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	switch {
	case m.opts.Recording != nil:
	case m.focus == focusForm:
		cmds = append(cmds, m.form.Focus())
	default:
		cmds = append(cmds, m.connect())
	}
	return tea.Batch(cmds...)
}

// dialedMsg is the outcome of a dial, tagged with the connection id: the
// flow (failed or live) and its feed.
type dialedMsg struct {
	id   int
	feed *feed
}

// tickMsg refreshes time-based status (uptime, idle, rate) once a second
// while a connection is open; nothing ticks otherwise.
type tickMsg struct{ id int }

// connect starts a dial of m.cfg; results come back as dialedMsg.
func (m *Model) connect() tea.Cmd {
	m.connID++
	id := m.connID
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.state = session.StateConnecting
	m.chain, m.dialErr, m.closed = nil, nil, nil
	m.hs.Set(nil, nil, nil)
	m.setFindings(nil)
	cfg := m.cfg
	old := m.flow
	m.conn, m.flow = nil, nil
	rec := m.rec
	opts := m.opts.Options
	opts.Continue = rec // a running recording carries on
	if m.everOpen {
		opts.Record = "" // --record starts with the first connection
	}
	return func() tea.Msg {
		if old != nil && old.Conn() != nil {
			old.Conn().Abort() // reconnect: the old connection's last events are dropped with it
		}
		fl := flow.Dial(ctx, cfg.URL, cfg, opts)
		return dialedMsg{id: id, feed: newFeed(id, fl)}
	}
}

// Update routes messages: connection results to the root, keys to the
// focused pane, mouse to the pane under the pointer.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.applyTheme()
		return m, nil
	case stateLoadedMsg:
		if msg.err != nil {
			m.setToast("state: "+msg.err.Error(), true)
		}
		m.persist = msg.state
		m.send.SetHistory(m.persist.History)
		m.form.SetRecent(m.persist.Recent)
		return m, nil
	case stateSavedMsg:
		if msg.err != nil {
			m.setToast("could not save history: "+msg.err.Error(), true)
		}
		return m, nil
	case dialedMsg:
		return m, m.onDialed(msg)
	case eventsMsg:
		return m, m.onEvents(msg)
	case tickMsg:
		if msg.id != m.connID || m.state != session.StateOpen {
			return m, nil
		}
		m.updateRate()
		m.checkRecording()
		m.refreshProtocolFindings()
		return m, m.tick()
	case reconnectMsg:
		if msg.id != m.connID || m.state != session.StateClosed {
			return m, nil // the user reconnected or quit meanwhile
		}
		return m, m.connect()
	case replayDoneMsg:
		m.onReplayDone(msg.res)
		return m, nil
	case recordStartedMsg:
		if msg.err != nil {
			m.setToast(msg.err.Error(), true)
			return m, nil
		}
		m.rec, m.recWarn = msg.rec, false
		if m.flow != nil {
			m.flow.SetRecorder(msg.rec)
		}
		m.setToast("recording to "+msg.rec.Path(), false)
		return m, nil
	case recordStoppedMsg:
		if msg.err != nil {
			m.setToast(msg.err.Error(), true)
		} else {
			m.setToast("recording saved: "+msg.path, false)
		}
		return m, nil
	case copiedMsg:
		if msg.fallback {
			m.setToast("copied "+msg.what+" (via the terminal, OSC 52)", false)
			return m, tea.SetClipboard(msg.text)
		}
		m.setToast("copied "+msg.what, false)
		return m, nil
	case connectMsg:
		m.cfg = msg.cfg
		m.focus = focusLog
		m.form.focus = 0
		return m, m.connect()
	case sendMsg:
		return m, m.sendFrame(msg)
	case closeMsg:
		conn := m.conn
		if conn == nil || m.state != session.StateOpen {
			m.setToast("not connected", true)
			return m, nil
		}
		return m, func() tea.Msg {
			if err := conn.Close(msg.code, msg.reason); err != nil {
				return sendFailedMsg{err: err}
			}
			return nil
		}
	case sendFailedMsg:
		m.setToast(msg.err.Error(), true)
		return m, nil
	case tea.MouseClickMsg:
		m.onClick(msg.Mouse())
		return m, nil
	case tea.MouseWheelMsg:
		mouse := msg.Mouse()
		if mouse.X < m.leftWidth() {
			m.log.Update(msg)
			m.syncDetail()
		} else if m.right == tabDetail {
			m.detail.Update(msg)
		} else if m.right == tabReplay {
			m.replay.Update(msg)
		} else {
			m.hs.Update(msg)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	}
	// Anything else (paste, cursor blinks) goes to the focused text input.
	return m, m.toInput(msg)
}

// toInput hands a message to whichever text input has the keyboard.
func (m *Model) toInput(msg tea.Msg) tea.Cmd {
	switch m.focus {
	case focusSend:
		return m.send.Update(msg)
	case focusForm:
		return m.form.Update(msg)
	case focusFilter:
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		return cmd
	}
	return nil
}

// sendFailedMsg reports a send that failed.
type sendFailedMsg struct{ err error }

func (m *Model) sendFrame(msg sendMsg) tea.Cmd {
	var cmds []tea.Cmd
	if msg.source != "" && msg.op.IsControl() == false {
		m.persist.History = m.send.history
		cmds = append(cmds, saveStateCmd(m.opts.StateDir, m.persist))
	}
	conn := m.conn
	if conn == nil || m.state != session.StateOpen {
		m.setToast("not connected: r reconnects", true)
		return tea.Batch(cmds...)
	}
	cmds = append(cmds, func() tea.Msg {
		if err := conn.Send(msg.op, msg.payload); err != nil {
			return sendFailedMsg{err: err}
		}
		return nil
	})
	return tea.Batch(cmds...)
}

func (m *Model) onDialed(msg dialedMsg) tea.Cmd {
	fl := msg.feed.flow
	if msg.id != m.connID {
		if conn := fl.Conn(); conn != nil { // a dial we no longer want
			return func() tea.Msg { conn.Abort(); return nil }
		}
		return nil
	}
	now := m.common.Now()
	m.chain = fl.Chain
	m.flow = fl
	if fl.Err != nil {
		se := *fl.Err
		se.Msg = termsafe.Line(se.Msg)
		m.dialErr = &se
		m.state = session.StateClosed
		m.hs.Set(fl.Chain, &se, nil)
		m.setFindings(fl.Findings(now))
		m.right = tabHandshake
		m.log.AddNote("✗ "+se.Msg, now)
		if se.Class == session.ClassUsage {
			return nil
		}
		return m.scheduleReconnect()
	}
	m.conn = fl.Conn()
	m.state = session.StateOpen
	if rec := fl.Recorder(); rec != nil {
		m.rec = rec
	}
	if err := fl.RecordErr(); err != nil {
		m.setToast(err.Error(), true)
	}
	if m.everOpen && len(fl.Chain) > 0 {
		m.log.AddNote("reconnected to "+fl.Chain[len(fl.Chain)-1].URL, now)
	}
	m.everOpen = true
	m.stats = stats{openedAt: now, rateAt: now}
	m.hs.Set(fl.Chain, nil, nil)
	m.setFindings(fl.Findings(now))
	m.persist.Recent = addRecent(m.persist.Recent, m.cfg.URL)
	m.form.SetRecent(m.persist.Recent)
	return tea.Batch(msg.feed.next(), m.tick(), saveStateCmd(m.opts.StateDir, m.persist))
}

func (m *Model) tick() tea.Cmd {
	id := m.connID
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{id: id} })
}

func (m *Model) updateRate() {
	now := m.common.Now()
	if el := now.Sub(m.stats.rateAt).Seconds(); el > 0 {
		m.stats.rate = float64(m.stats.recvMsgs-m.stats.rateMark) / el
	}
	m.stats.rateMark, m.stats.rateAt = m.stats.recvMsgs, now
}

// onEvents folds one batch into the log and the counters. The pipeline
// has already labelled, recorded and counted every frame.
func (m *Model) onEvents(msg eventsMsg) tea.Cmd {
	if msg.id != m.connID {
		return nil // a replaced connection: its feed ends with it
	}
	m.stats.take(msg.stats)
	frames := make([]flow.Frame, 0, len(msg.events))
	for i := range msg.events {
		e := &msg.events[i]
		switch e.Kind {
		case session.EventFrame:
			frames = append(frames, e.Frame)
		case session.EventState:
			if len(frames) > 0 {
				m.log.Append(frames)
				frames = frames[:0]
			}
			m.onState(e.State)
		}
	}
	if len(frames) > 0 {
		m.log.Append(frames)
	}
	msg.feed.recycle(msg.events)
	m.syncDetail()
	if msg.done {
		if m.closed != nil && !m.closed.Cause.Clean() && m.closed.Cause != session.CauseLocalAbort {
			return m.scheduleReconnect()
		}
		return nil
	}
	return msg.feed.next()
}

// reconnectMsg fires a scheduled reconnect for connection id.
type reconnectMsg struct{ id int }

// backoff is the wait before reconnect attempt n (1-based): 1s, 2s, 4s,
// … up to 30s.
func backoff(n int) time.Duration {
	d := time.Second << min(n-1, 5)
	return min(d, 30*time.Second)
}

// scheduleReconnect plans the next attempt when --reconnect is on.
func (m *Model) scheduleReconnect() tea.Cmd {
	if !m.opts.Reconnect || m.opts.Recording != nil {
		return nil
	}
	m.retries++
	wait := backoff(m.retries)
	m.log.AddNote(fmt.Sprintf("reconnecting in %s (attempt %d)", wait, m.retries), m.common.Now())
	id := m.connID
	return tea.Tick(wait, func(time.Time) tea.Msg { return reconnectMsg{id: id} })
}

func (m *Model) onState(sc *session.StateChange) {
	m.state = sc.State
	if sc.State != session.StateClosed {
		return
	}
	m.closed = sc
	m.conn = nil
	if sc.Time.Sub(m.stats.openedAt) >= 10*time.Second {
		m.retries = 0 // it was up for a while: start the backoff over
	}
	m.log.AddNote("closed: "+sc.Detail, sc.Time)
	if m.flow != nil {
		m.setFindings(m.flow.Findings(sc.Time))
	}
}

// syncDetail shows the selected frame in the detail pane.
func (m *Model) syncDetail() {
	if f, i, ok := m.log.Selected(); ok {
		m.detail.Show(f, i)
	}
}

func (m *Model) setToast(s string, isErr bool) {
	m.toast, m.toastErr = termsafe.Line(s), isErr
}

// onKey routes a key press: to the first root action of the focus's
// scopes that the key triggers (or its reason for being unavailable), else
// to the focused pane. ctrl+c quits whatever has the keyboard; any key
// closes the help overlay.
func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	if a := m.actionFor(k, scopeAnywhere); a != nil {
		return m.run(a)
	}
	m.toast = ""
	if m.showHlp {
		m.showHlp = false
		return nil
	}
	for _, s := range m.scopes() {
		if a := m.actionFor(k, s); a != nil {
			return m.run(a)
		}
	}
	switch m.focus {
	case focusForm, focusSend, focusFilter:
		return m.toInput(k)
	case focusRight:
		switch m.right {
		case tabDetail:
			return m.detail.Update(k)
		case tabReplay:
			return m.replay.Update(k)
		}
		return m.hs.Update(k)
	}
	cmd := m.log.Update(k)
	m.syncDetail()
	return cmd
}

func (m *Model) quit() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	fl, rec := m.flow, m.rec
	return tea.Sequence(func() tea.Msg {
		if fl != nil {
			fl.Close(500 * time.Millisecond) // records the close, then closes the recording
		}
		if rec != nil {
			rec.Close() // a recording the record key started (Close is idempotent)
		}
		return nil
	}, tea.Quit)
}

func (m *Model) onClick(mouse tea.Mouse) {
	top := 1 + m.findingsHeight() // status bar and the findings box
	if mouse.X < m.leftWidth() && mouse.Y > top && mouse.Y < top+m.mainHeight()-1 {
		m.focus = focusLog
		m.log.Click(mouse.Y - top - 1)
		m.syncDetail()
		return
	}
	if mouse.Y > top && mouse.Y < top+m.mainHeight() {
		m.focus = focusRight
		return
	}
	if mouse.Y >= top+m.mainHeight() && mouse.Y < m.height-1 && m.focus != focusForm {
		m.focus = focusSend
	}
}
