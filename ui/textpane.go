package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// textPane is a scrollable block of prepared lines (the replay report).
type textPane struct {
	keys          detailKeys
	title         string
	lines         []string
	scroll        int
	width, height int
}

func newTextPane() *textPane { return &textPane{keys: defaultDetailKeys(), title: "replay"} }

// Set replaces the content.
func (p *textPane) Set(title string, lines []string) { p.title, p.lines, p.scroll = title, lines, 0 }

// SetSize sets the content box.
func (p *textPane) SetSize(w, h int) { p.width, p.height = w, h }

// KeyMap returns the pane's bindings.
func (p *textPane) KeyMap() KeyMap {
	k := p.keys
	return keyMapFunc{
		short: func() []key.Binding { return []key.Binding{k.Up, k.Down} },
		full:  func() [][]key.Binding { return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}} },
	}
}

// Update scrolls.
func (p *textPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.keys.Up):
			p.scroll--
		case key.Matches(msg, p.keys.Down):
			p.scroll++
		case key.Matches(msg, p.keys.PageUp):
			p.scroll -= p.height - 2
		case key.Matches(msg, p.keys.PageDown):
			p.scroll += p.height - 2
		}
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			p.scroll -= 3
		} else if msg.Button == tea.MouseWheelDown {
			p.scroll += 3
		}
	}
	return nil
}

// View renders the visible lines, wrapped to the width.
func (p *textPane) View() string {
	var wrapped []string
	for _, l := range p.lines {
		wrapped = append(wrapped, strings.Split(ansi.Hardwrap(l, max(p.width, 10), true), "\n")...)
	}
	p.scroll = min(max(p.scroll, 0), max(len(wrapped)-p.height, 0))
	return strings.Join(wrapped[p.scroll:min(p.scroll+p.height, len(wrapped))], "\n")
}
