package ui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/payload"
	"github.com/wscope/wscope/session"
)

// maxHistory bounds the send history kept and persisted.
const maxHistory = 500

type sendKeys struct {
	Send, Newline, Mode, HistPrev, HistNext key.Binding
}

func defaultSendKeys() sendKeys {
	return sendKeys{
		Send:     bind([]string{"enter"}, "enter", "send"),
		Newline:  bind([]string{"alt+enter", "ctrl+j"}, "alt+enter", "new line"),
		Mode:     bind([]string{"ctrl+t"}, "ctrl+t", "mode: text/json/hex/base64"),
		HistPrev: bind([]string{"up"}, "↑", "previous sent (on the first line)"),
		HistNext: bind([]string{"down"}, "↓", "next sent (on the last line)"),
	}
}

// sendMsg asks the root to send a frame on the current connection.
type sendMsg struct {
	op      session.Opcode
	payload []byte
	source  string // what was typed, for the history
}

// closeMsg asks the root to close the connection.
type closeMsg struct {
	code   int
	reason string
}

// sendBox is the multi-line composer. Besides messages in the current mode
// it takes commands: /ping [text], /pong [text], /close [code] [reason],
// /mode NAME; a leading // sends a literal slash.
type sendBox struct {
	common  *Common
	keys    sendKeys
	input   textarea.Model
	mode    payload.Mode
	history []string
	histPos int    // len(history) when not browsing
	draft   string // what was typed before browsing the history
	err     string
	width   int
}

func newSendBox(c *Common) *sendBox {
	ta := textarea.New()
	ta.Placeholder = "type a message · enter sends · /ping /close 1000 bye · ? help"
	ta.ShowLineNumbers = false
	ta.Prompt = ""
	km := textarea.DefaultKeyMap()
	km.InsertNewline = key.NewBinding(key.WithKeys("alt+enter", "ctrl+j"))
	km.TransposeCharacterBackward = key.NewBinding(key.WithKeys()) // ctrl+t switches modes here
	km.LinePrevious = key.NewBinding(key.WithKeys("up"))
	km.LineNext = key.NewBinding(key.WithKeys("down"))
	ta.KeyMap = km
	ta.SetHeight(2)
	ta.CharLimit = 0
	ta.MaxHeight = 0
	return &sendBox{common: c, keys: defaultSendKeys(), input: ta}
}

// KeyMap returns the send box's bindings.
func (s *sendBox) KeyMap() KeyMap {
	k := s.keys
	return keyMapFunc{
		short: func() []key.Binding { return []key.Binding{k.Send, k.Newline, k.Mode, k.HistPrev} },
		full: func() [][]key.Binding {
			return [][]key.Binding{{k.Send, k.Newline, k.Mode}, {k.HistPrev, k.HistNext}}
		},
	}
}

// SetSize sets the composer's width and height (in lines of text).
func (s *sendBox) SetSize(w, h int) {
	s.width = w
	s.input.SetWidth(w)
	s.input.SetHeight(max(h, 1))
}

// SetHistory replaces the history (loaded from disk).
func (s *sendBox) SetHistory(h []string) {
	s.history = h
	s.histPos = len(h)
}

// Focus gives the composer the keyboard.
func (s *sendBox) Focus() tea.Cmd { return s.input.Focus() }

// Blur takes the keyboard away.
func (s *sendBox) Blur() { s.input.Blur() }

// SetValue fills the composer (templates, /close shortcut).
func (s *sendBox) SetValue(v string) {
	s.input.SetValue(v)
	s.input.MoveToEnd()
}

// Update handles a key when focused; paste goes to the textarea.
func (s *sendBox) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, s.keys.Send):
			return s.submit()
		case key.Matches(k, s.keys.Mode):
			s.mode = s.mode.Next()
			s.err = ""
			return nil
		case key.Matches(k, s.keys.HistPrev) && s.input.Line() == 0 && len(s.history) > 0:
			s.browse(-1)
			return nil
		case key.Matches(k, s.keys.HistNext) && s.input.Line() == s.input.LineCount()-1 && s.histPos < len(s.history):
			s.browse(+1)
			return nil
		}
		s.err = ""
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

func (s *sendBox) browse(dir int) {
	if s.histPos == len(s.history) {
		s.draft = s.input.Value()
	}
	s.histPos = min(max(s.histPos+dir, 0), len(s.history))
	if s.histPos == len(s.history) {
		s.SetValue(s.draft)
		return
	}
	s.SetValue(s.history[s.histPos])
}

// submit parses what was typed and, if valid, asks the root to send it.
func (s *sendBox) submit() tea.Cmd {
	text := s.input.Value()
	if strings.TrimSpace(text) == "" {
		return nil
	}
	msg, err := s.parse(text)
	if err != nil {
		s.err = err.Error()
		return nil
	}
	s.remember(text)
	s.input.Reset()
	s.err = ""
	if msg == nil {
		return nil // a command that only changed the composer
	}
	return func() tea.Msg { return msg }
}

func (s *sendBox) remember(text string) {
	if n := len(s.history); n == 0 || s.history[n-1] != text {
		s.history = append(s.history, text)
		if len(s.history) > maxHistory {
			s.history = s.history[len(s.history)-maxHistory:]
		}
	}
	s.histPos = len(s.history)
	s.draft = ""
}

// parse turns input into a send or close request.
func (s *sendBox) parse(text string) (tea.Msg, error) {
	if strings.HasPrefix(text, "//") {
		text = text[1:]
	} else if strings.HasPrefix(text, "/") {
		return s.command(text)
	}
	data, isText, err := payload.Parse(s.mode, text)
	if err != nil {
		return nil, err
	}
	op := session.OpBinary
	if isText {
		op = session.OpText
	}
	return sendMsg{op: op, payload: data, source: text}, nil
}

func (s *sendBox) command(text string) (tea.Msg, error) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	switch name {
	case "ping", "pong":
		if len(rest) > 125 {
			return nil, fmt.Errorf("/%s: a control frame carries at most 125 bytes, this is %d", name, len(rest))
		}
		op := session.OpPing
		if name == "pong" {
			op = session.OpPong
		}
		return sendMsg{op: op, payload: []byte(rest), source: text}, nil
	case "close":
		code, reason := 1000, ""
		if f := strings.Fields(rest); len(f) > 0 {
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return nil, fmt.Errorf("/close CODE [REASON]: %q is not a number", f[0])
			}
			code = n
			reason = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), f[0]))
		}
		if err := session.ValidateCloseCode(code); err != nil {
			return nil, err
		}
		if len(reason) > 123 {
			return nil, fmt.Errorf("close reason is %d bytes; at most 123 fit", len(reason))
		}
		return closeMsg{code: code, reason: reason}, nil
	case "mode":
		m, ok := payload.ParseMode(strings.TrimSpace(rest))
		if !ok {
			return nil, fmt.Errorf("/mode takes text, json, hex or base64")
		}
		s.mode = m
		s.input.Reset()
		return nil, nil
	}
	return nil, fmt.Errorf("unknown command /%s: try /ping, /pong, /close CODE REASON, /mode NAME, or // for a literal slash", name)
}

// Mode is the current input mode.
func (s *sendBox) Mode() payload.Mode { return s.mode }

// Err is the last parse error, if any.
func (s *sendBox) Err() string { return s.err }

// View renders the composer.
func (s *sendBox) View() string { return s.input.View() }

// Cursor is the real cursor position within the composer, if focused.
func (s *sendBox) Cursor() *tea.Cursor { return s.input.Cursor() }
