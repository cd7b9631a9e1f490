package ui

import (
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/themes"
)

// The README's key table is generated from the bindings; TestREADMEKeyTable
// fails when it drifts.
//go:generate go test -run ^TestREADMEKeyTable$ -update-readme .

// scope is where an action's keys are read. The order is the order of the
// README's key table.
type scope int

const (
	scopeAnywhere  scope = iota // every focus, text input included
	scopeGlobal                 // the log or the right pane has the keyboard
	scopeLog                    // the frame log
	scopeDetail                 // the detail pane
	scopeHandshake              // the handshake pane
	scopeReplay                 // the replay report
	scopeSend                   // the send box
	scopeFilter                 // the filter input
	scopeForm                   // the connect form
	numScopes
)

// String is how help and the README name the scope.
func (s scope) String() string {
	return [...]string{"anywhere", "log and right pane", "log", "detail", "handshake", "replay report",
		"send box", "filter input", "connect form"}[s]
}

// action is one key binding as data, as lazygit keeps them: the keys, how
// help shows them, where they work, what they do and why they cannot run
// now. Dispatch, the footer, the help overlay and the README's key table
// all read these records, so they cannot drift apart.
type action struct {
	scope   scope
	keys    []string // as tea.KeyPressMsg.String() spells them
	helpKey string   // the keys as help shows them
	desc    string   // help text
	more    string   // README only: what the help line has no room for
	footer  bool     // shown in the footer's short help

	// handler acts on the key; nil for a pane's binding, which the pane's
	// own Update handles (the record is there for help and the README).
	handler func(m *Model) tea.Cmd
	// unavailable says why the action cannot run now ("" when it can);
	// nil means always available. Dispatch shows the reason instead of
	// acting; help shows the action dimmed, with the reason.
	unavailable func(m *Model) string
}

// reason is why a cannot run now, or "".
func (a *action) reason(m *Model) string {
	if a.unavailable == nil {
		return ""
	}
	return a.unavailable(m)
}

// matches reports whether the key press triggers a.
func (a *action) matches(k tea.KeyPressMsg) bool { return slices.Contains(a.keys, k.String()) }

// Reasons an action is unavailable.
const (
	reasonReadOnly     = "read-only: this is a recording; P replays it against the server"
	reasonNotConnected = "not connected: r reconnects"
	reasonNoRecording  = "no recording open: wscope view FILE"
)

// readOnly is unavailable on a recording (wscope view).
func readOnly(m *Model) string {
	if m.opts.Recording != nil {
		return reasonReadOnly
	}
	return ""
}

// connected is unavailable on a recording or without an open connection.
func connected(m *Model) string {
	if r := readOnly(m); r != "" {
		return r
	}
	if m.conn == nil || m.state != session.StateOpen {
		return reasonNotConnected
	}
	return ""
}

// rootActions are the keys the root dispatches, scope by scope; panes
// handle the rest in their own Update.
func rootActions() []action {
	return []action{
		{scope: scopeAnywhere, keys: []string{"ctrl+c"}, helpKey: "ctrl+c", desc: "quit, even while typing", handler: (*Model).quit},

		{scope: scopeGlobal, keys: []string{"tab"}, helpKey: "tab", desc: "next pane", handler: focusNext},
		{scope: scopeGlobal, keys: []string{"/"}, helpKey: "/", desc: "filter: text, /re/, dir:send, op:ping", footer: true, handler: openFilter,
			more: "words match case-insensitively unless they have upper case; also `dir:recv`, `op:text`, `op:control`, `label:NAME`"},
		{scope: scopeGlobal, keys: []string{"esc"}, helpKey: "esc", desc: "clear filter / back to the log", handler: clearFilter},
		{scope: scopeGlobal, keys: []string{"h"}, helpKey: "h", desc: "handshake / detail", footer: true, handler: toggleHandshake},
		{scope: scopeGlobal, keys: []string{"i", "s"}, helpKey: "i", desc: "compose a message", footer: true, handler: compose, unavailable: readOnly},
		{scope: scopeGlobal, keys: []string{"p"}, helpKey: "p", desc: "send a ping", handler: ping, unavailable: connected},
		{scope: scopeGlobal, keys: []string{"c"}, helpKey: "c", desc: "close with code and reason", handler: closeConn, unavailable: connected},
		{scope: scopeGlobal, keys: []string{"r"}, helpKey: "r", desc: "reconnect (keeps the log)", handler: reconnect, unavailable: canReconnect,
			more: "a separator marks it"},
		{scope: scopeGlobal, keys: []string{"y"}, helpKey: "y", desc: "copy payload", handler: copyPayload, unavailable: frameSelected},
		{scope: scopeGlobal, keys: []string{"Y"}, helpKey: "Y", desc: "copy handshake", handler: copyHandshake, unavailable: haveHandshake},
		{scope: scopeGlobal, keys: []string{"x"}, helpKey: "x", desc: "copy the fix of the top finding", handler: copyFix, unavailable: haveFinding,
			more: "exactly as written: config lines are never wrapped"},
		{scope: scopeGlobal, keys: []string{"C"}, helpKey: "C", desc: "copy as websocat/wscat/curl", handler: copyCommand,
			more: "press again for the next tool"},
		{scope: scopeGlobal, keys: []string{"R"}, helpKey: "R", desc: "start/stop recording", handler: (*Model).toggleRecording, unavailable: canRecord,
			more: "`wscope-HOST-TIME.jsonl` in the working directory"},
		{scope: scopeGlobal, keys: []string{"P"}, helpKey: "P", desc: "replay this recording (view)", handler: (*Model).replayCmd, unavailable: recordingOpen,
			more: "against its URL, or `--target`"},
		{scope: scopeGlobal, keys: []string{"T"}, helpKey: "T", desc: "next theme", handler: nextTheme, unavailable: coloursOn},
		{scope: scopeGlobal, keys: []string{"?"}, helpKey: "?", desc: "help", footer: true, handler: showHelp},
		{scope: scopeGlobal, keys: []string{"q"}, helpKey: "q", desc: "quit", footer: true, handler: (*Model).quit},

		{scope: scopeLog, keys: []string{"enter"}, helpKey: "enter", desc: "to the detail pane", handler: focusRightPane},

		{scope: scopeSend, keys: []string{"ctrl+e"}, helpKey: "ctrl+e", desc: "protocol template (cycles)", handler: template, unavailable: haveTemplates},
		{scope: scopeSend, keys: []string{"esc", "tab"}, helpKey: "esc", desc: "back to the log", footer: true, handler: leaveSend},

		{scope: scopeFilter, keys: []string{"enter"}, helpKey: "enter", desc: "apply the filter (empty: clear it)", handler: applyFilter},
		{scope: scopeFilter, keys: []string{"esc"}, helpKey: "esc", desc: "back to the log, filter unchanged", handler: cancelFilter},

		{scope: scopeForm, keys: []string{"esc"}, helpKey: "esc", desc: "quit", footer: true, handler: (*Model).quit},
	}
}

// scopes are the scopes whose root actions the current focus reads, in
// the order dispatch tries them.
func (m *Model) scopes() []scope {
	switch m.focus {
	case focusForm:
		return []scope{scopeForm}
	case focusFilter:
		return []scope{scopeFilter}
	case focusSend:
		return []scope{scopeSend}
	}
	return []scope{scopeGlobal, m.paneScope()}
}

// paneScope is the scope of the pane that has the keyboard.
func (m *Model) paneScope() scope {
	switch m.focus {
	case focusForm:
		return scopeForm
	case focusFilter:
		return scopeFilter
	case focusSend:
		return scopeSend
	case focusRight:
		switch m.right {
		case tabDetail:
			return scopeDetail
		case tabReplay:
			return scopeReplay
		}
		return scopeHandshake
	}
	return scopeLog
}

// actionFor is the root action of scope s that k triggers, if any.
func (m *Model) actionFor(k tea.KeyPressMsg, s scope) *action {
	for i := range m.actions {
		if a := &m.actions[i]; a.scope == s && a.handler != nil && a.matches(k) {
			return a
		}
	}
	return nil
}

// run runs a, or shows why it cannot run now.
func (m *Model) run(a *action) tea.Cmd {
	if r := a.reason(m); r != "" {
		m.setToast(r, true)
		return nil
	}
	return a.handler(m)
}

// paneActions lists the keys a pane handles in its own Update as records
// without handlers, so help and the README see them.
func paneActions(s scope, km KeyMap) []action {
	var out []action
	for _, group := range km.FullHelp() {
		for _, b := range group {
			out = append(out, action{scope: s, keys: b.Keys(), helpKey: b.Help().Key, desc: b.Help().Desc})
		}
	}
	return out
}

// paneKeyMap is the key map of the pane of scope s.
func (m *Model) paneKeyMap(s scope) KeyMap {
	switch s {
	case scopeLog:
		return m.log.KeyMap()
	case scopeDetail:
		return m.detail.KeyMap()
	case scopeHandshake:
		return m.hs.KeyMap()
	case scopeReplay:
		return m.replay.KeyMap()
	case scopeSend:
		return m.send.KeyMap()
	case scopeForm:
		return m.form.KeyMap()
	}
	return nil
}

// bindings is every key of the inspector, scope by scope: each pane's own
// keys, then the root's actions there.
func (m *Model) bindings() []action {
	var out []action
	for s := range numScopes {
		if km := m.paneKeyMap(s); km != nil {
			out = append(out, paneActions(s, km)...)
		}
		for _, a := range m.actions {
			if a.scope == s {
				out = append(out, a)
			}
		}
	}
	return out
}

// keyTable renders the README's key table from the bindings: one row per
// keys and description, with the scopes it works in.
func keyTable(acts []action) string {
	type row struct{ keys, where, what string }
	var rows []*row
	seen := map[string]*row{}
	for _, a := range acts {
		keys := make([]string, len(a.keys))
		for i, k := range a.keys {
			keys[i] = "`" + keyName(k) + "`"
		}
		what := a.desc
		if a.more != "" {
			what += " — " + a.more
		}
		r := &row{keys: strings.Join(keys, ", "), where: a.scope.String(), what: strings.ReplaceAll(what, "|", `\|`)}
		id := r.keys + "\x00" + r.what
		if prev, ok := seen[id]; ok {
			prev.where += ", " + r.where
			continue
		}
		seen[id] = r
		rows = append(rows, r)
	}
	var b strings.Builder
	b.WriteString("| key | where | action |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.keys, r.where, r.what)
	}
	return b.String()
}

// keyName is how the README writes a key.
func keyName(k string) string {
	switch k {
	case "up":
		return "↑"
	case "down":
		return "↓"
	}
	return k
}

// Handlers of the root's actions. They change the model and return
// commands that do the I/O.

func focusNext(m *Model) tea.Cmd {
	switch {
	case m.focus == focusLog:
		m.focus = focusRight
	case m.opts.Recording != nil:
		m.focus = focusLog // no send box on a recording
	default:
		m.focus = focusSend
		return m.send.Focus()
	}
	return nil
}

func focusRightPane(m *Model) tea.Cmd {
	m.focus = focusRight
	return nil
}

func openFilter(m *Model) tea.Cmd {
	m.focus = focusFilter
	m.filter.SetValue("")
	if m.log.query != nil {
		m.filter.SetValue(m.log.query.text)
	}
	m.filter.CursorEnd()
	return m.filter.Focus()
}

func clearFilter(m *Model) tea.Cmd {
	switch {
	case m.log.query != nil:
		m.log.SetQuery(nil)
		m.syncDetail()
	case m.focus == focusRight:
		m.focus = focusLog
	}
	return nil
}

func applyFilter(m *Model) tea.Cmd {
	m.filter.Blur()
	m.focus = focusLog
	text := strings.TrimSpace(m.filter.Value())
	if text == "" {
		m.log.SetQuery(nil)
		m.syncDetail()
		return nil
	}
	q, err := parseQuery(text)
	if err != nil {
		m.setToast(err.Error(), true)
		return nil
	}
	m.log.SetQuery(q)
	m.syncDetail()
	if _, n := m.log.MatchInfo(); n == 0 {
		m.setToast("no frame matches "+text, true)
	}
	return nil
}

func cancelFilter(m *Model) tea.Cmd {
	m.filter.Blur()
	m.focus = focusLog
	return nil
}

func toggleHandshake(m *Model) tea.Cmd {
	if m.right == tabDetail {
		m.right = tabHandshake
	} else {
		m.right = tabDetail
	}
	return nil
}

func compose(m *Model) tea.Cmd {
	m.focus = focusSend
	return m.send.Focus()
}

func leaveSend(m *Model) tea.Cmd {
	m.send.Blur()
	m.focus = focusLog
	return nil
}

func ping(*Model) tea.Cmd {
	return func() tea.Msg { return sendMsg{op: session.OpPing, payload: []byte("wscope")} }
}

func closeConn(m *Model) tea.Cmd {
	m.focus = focusSend
	m.send.SetValue("/close 1000 ")
	return m.send.Focus()
}

func canReconnect(m *Model) string {
	if r := readOnly(m); r != "" {
		return r
	}
	if m.cfg.URL == "" {
		return "no target to reconnect to"
	}
	return ""
}

func reconnect(m *Model) tea.Cmd {
	m.log.AddNote("reconnecting…", m.common.Now())
	return m.connect()
}

func frameSelected(m *Model) string {
	if f, _, ok := m.log.Selected(); !ok || f.Op == opNote {
		return "no frame selected"
	}
	return ""
}

func copyPayload(m *Model) tea.Cmd {
	f, _, _ := m.log.Selected()
	return copyCmd("payload", string(f.Payload))
}

func haveFinding(m *Model) string {
	if _, ok := m.findings.Top(); !ok {
		return "no warning or error finding to copy"
	}
	return ""
}

func copyFix(m *Model) tea.Cmd {
	f, _ := m.findings.Top()
	return copyCmd("the fix for "+f.ID, f.Fix)
}

func haveHandshake(m *Model) string {
	if len(m.chain) == 0 {
		return "no handshake yet"
	}
	return ""
}

func copyHandshake(m *Model) tea.Cmd { return copyCmd("handshake", handshakeText(m.chain)) }

func copyCommand(m *Model) tea.Cmd {
	lines := commandLines(m.cfg)
	c := lines[m.cmdCycle%len(lines)]
	m.cmdCycle++
	return copyCmd(c.tool+" command (C again for the next tool)", c.line)
}

func canRecord(m *Model) string {
	if r := readOnly(m); r != "" {
		return r
	}
	if m.rec == nil && (len(m.chain) == 0 || m.state != session.StateOpen) {
		return "connect first: a recording starts with an open connection"
	}
	return ""
}

func recordingOpen(m *Model) string {
	if m.opts.Recording == nil {
		return reasonNoRecording
	}
	return ""
}

func coloursOn(m *Model) string {
	if m.noColor {
		return "colours are off (NO_COLOR / --no-color)"
	}
	return ""
}

func nextTheme(m *Model) tea.Cmd {
	if m.themeName == "" {
		m.themeName = themes.Default(m.isDark).Name
	}
	m.themeName = themes.Next(m.themeName)
	m.applyTheme()
	m.setToast("theme: "+m.themeName, false)
	return nil
}

func showHelp(m *Model) tea.Cmd {
	m.showHlp = true
	return nil
}

func haveTemplates(m *Model) string {
	if len(protocol.Templates(m.proto())) == 0 {
		return "no protocol detected: templates need --protocol NAME (actioncable, socketio, phoenix, graphql-ws, stomp, odoo)"
	}
	return ""
}

func template(m *Model) tea.Cmd {
	name := m.nextTemplate()
	m.setToast(fmt.Sprintf("%s template %q: edit and press enter (ctrl+e: next template)", m.proto(), name), false)
	return nil
}
