package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

type formKeys struct {
	Next, Prev, Connect key.Binding
}

func defaultFormKeys() formKeys {
	return formKeys{
		Next:    bind([]string{"tab"}, "tab", "next field"),
		Prev:    bind([]string{"shift+tab"}, "shift+tab", "previous field"),
		Connect: bind([]string{"enter"}, "enter", "connect (or pick a recent target)"),
	}
}

// connectMsg asks the root to connect with cfg.
type connectMsg struct{ cfg session.Config }

// connectForm is shown when wscope starts without a URL.
type connectForm struct {
	common        *Common
	keys          formKeys
	url           textinput.Model
	headers       textarea.Model
	protos        textinput.Model
	proxy         textinput.Model
	focus         int // 0 url, 1 headers, 2 subprotocols, 3 proxy, 4 recent list
	recent        []string
	recentSel     int
	err           string
	base          session.Config // flags given on the command line apply too
	width, height int
}

func newConnectForm(c *Common, base session.Config) *connectForm {
	f := &connectForm{common: c, keys: defaultFormKeys(), base: base}
	f.url = textinput.New()
	f.url.Placeholder = "ws://127.0.0.1:8765/echo"
	f.url.Prompt = ""
	f.headers = textarea.New()
	f.headers.Placeholder = "Name: value (one per line)"
	f.headers.ShowLineNumbers = false
	f.headers.Prompt = ""
	f.headers.SetHeight(3)
	f.protos = textinput.New()
	f.protos.Placeholder = "chat.v1, graphql-transport-ws"
	f.protos.Prompt = ""
	f.proxy = textinput.New()
	f.proxy.Placeholder = "http://127.0.0.1:3128 or socks5h://127.0.0.1:1080"
	f.proxy.Prompt = ""
	f.proxy.SetValue(base.Proxy)
	for _, h := range base.Headers {
		f.headers.InsertString(h.Name + ": " + h.Value + "\n")
	}
	f.protos.SetValue(strings.Join(base.Subprotocols, ", "))
	return f
}

// KeyMap returns the form's bindings.
func (f *connectForm) KeyMap() KeyMap {
	k := f.keys
	return keyMapFunc{
		short: func() []key.Binding { return []key.Binding{k.Next, k.Connect} },
		full:  func() [][]key.Binding { return [][]key.Binding{{k.Next, k.Prev, k.Connect}} },
	}
}

// SetRecent sets the recent targets.
func (f *connectForm) SetRecent(r []string) { f.recent = r }

// SetSize sets the form's box.
func (f *connectForm) SetSize(w, h int) {
	f.width, f.height = w, h
	fw := max(min(w-20, 80), 20)
	f.url.SetWidth(fw)
	f.protos.SetWidth(fw)
	f.proxy.SetWidth(fw)
	f.headers.SetWidth(fw)
}

// Focus focuses the current field.
func (f *connectForm) Focus() tea.Cmd {
	f.url.Blur()
	f.headers.Blur()
	f.protos.Blur()
	f.proxy.Blur()
	switch f.focus {
	case 0:
		return f.url.Focus()
	case 1:
		return f.headers.Focus()
	case 2:
		return f.protos.Focus()
	case 3:
		return f.proxy.Focus()
	}
	return nil
}

func (f *connectForm) fields() int {
	if len(f.recent) > 0 {
		return 5
	}
	return 4
}

// Update handles input.
func (f *connectForm) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, f.keys.Next):
			f.focus = (f.focus + 1) % f.fields()
			return f.Focus()
		case key.Matches(k, f.keys.Prev):
			f.focus = (f.focus + f.fields() - 1) % f.fields()
			return f.Focus()
		case f.focus == 4 && k.String() == "up":
			f.recentSel = max(f.recentSel-1, 0)
			return nil
		case f.focus == 4 && k.String() == "down":
			f.recentSel = min(f.recentSel+1, len(f.recent)-1)
			return nil
		case key.Matches(k, f.keys.Connect) && f.focus != 1:
			if f.focus == 4 && len(f.recent) > 0 {
				f.url.SetValue(f.recent[f.recentSel])
			}
			return f.submit()
		}
	}
	var cmd tea.Cmd
	switch f.focus {
	case 0:
		f.url, cmd = f.url.Update(msg)
	case 1:
		f.headers, cmd = f.headers.Update(msg)
	case 2:
		f.protos, cmd = f.protos.Update(msg)
	case 3:
		f.proxy, cmd = f.proxy.Update(msg)
	}
	return cmd
}

// submit validates the fields and asks the root to connect.
func (f *connectForm) submit() tea.Cmd {
	cfg := f.base
	cfg.URL = strings.TrimSpace(f.url.Value())
	if _, err := session.NormalizeURL(cfg.URL); err != nil {
		f.err = err.Error()
		f.focus = 0
		return f.Focus()
	}
	cfg.Headers = nil
	for _, line := range strings.Split(f.headers.Value(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		h, err := session.ParseHeader(line)
		if err != nil {
			f.err = err.Error()
			f.focus = 1
			return f.Focus()
		}
		cfg.Headers = append(cfg.Headers, h)
	}
	cfg.Subprotocols = nil
	for _, p := range strings.Split(f.protos.Value(), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.Subprotocols = append(cfg.Subprotocols, p)
		}
	}
	cfg.Proxy = strings.TrimSpace(f.proxy.Value())
	f.err = ""
	return func() tea.Msg { return connectMsg{cfg: cfg} }
}

// View renders the form.
func (f *connectForm) View() string {
	st := &f.common.Styles
	var b strings.Builder
	label := func(i int, name string) string {
		s := fmt.Sprintf("%-13s", name)
		if f.focus == i {
			return st.Prompt.Render(s)
		}
		return st.Muted.Render(s)
	}
	b.WriteString(st.PaneTitleFocused.Render("Connect to a WebSocket server") + "\n\n")
	b.WriteString(label(0, "URL") + f.url.View() + "\n\n")
	headerLines := strings.Split(f.headers.View(), "\n")
	for i, l := range headerLines {
		if i == 0 {
			b.WriteString(label(1, "Headers") + l + "\n")
		} else {
			b.WriteString(strings.Repeat(" ", 13) + l + "\n")
		}
	}
	b.WriteString("\n" + label(2, "Subprotocols") + f.protos.View() + "\n\n")
	b.WriteString(label(3, "Proxy") + f.proxy.View() + "\n")
	if f.err != "" {
		b.WriteString("\n" + st.ErrorText.Render(ansi.Truncate(termsafe.Line(f.err), max(f.width-2, 10), "…")) + "\n")
	}
	if len(f.recent) > 0 {
		b.WriteString("\n" + label(4, "Recent") + "\n")
		for i, r := range f.recent {
			if i >= max(f.height-18, 3) {
				break
			}
			line := "  " + ansi.Truncate(termsafe.Line(r), max(f.width-4, 10), "…")
			if f.focus == 4 && i == f.recentSel {
				b.WriteString(st.LogRowSelected.Render(line) + "\n")
			} else {
				b.WriteString(st.Muted.Render(line) + "\n")
			}
		}
	}
	return b.String()
}
