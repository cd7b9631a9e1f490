package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/payload"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

// maxDetailLines and maxDetailBytes bound what the detail pane prepares of
// one payload, so an 8 MiB frame costs about what a small one does; y
// copies the whole payload.
const (
	maxDetailLines  = 5000
	maxDetailBytes  = 128 << 10
	maxAutoJSONView = 1 << 20
)

type detailKeys struct {
	Up, Down, PageUp, PageDown, Mode, Wrap key.Binding
}

func defaultDetailKeys() detailKeys {
	return detailKeys{
		Up:       bind([]string{"up", "k"}, "↑/k", "scroll up"),
		Down:     bind([]string{"down", "j"}, "↓/j", "scroll down"),
		PageUp:   bind([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown: bind([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Mode:     bind([]string{"m"}, "m", "view: auto/text/json/hex/base64"),
		Wrap:     bind([]string{"w"}, "w", "wrap long lines"),
	}
}

// detailView is how the pane presents a payload; viewAuto picks per frame.
type detailView int

const (
	viewAuto detailView = iota
	viewText
	viewJSON
	viewHex
	viewBase64
)

func (v detailView) String() string {
	return [...]string{"auto", "text", "json", "hex", "base64"}[v]
}

// detailPane shows the selected frame in full.
type detailPane struct {
	common        *Common
	keys          detailKeys
	frame         *flow.Frame
	index         int
	mode          detailView
	wrap          bool
	scroll        int
	lines         []string // rendered, cached until frame, mode, width or theme change
	shown         detailView
	width, height int
}

func newDetailPane(c *Common) *detailPane {
	return &detailPane{common: c, keys: defaultDetailKeys(), index: -1, wrap: true}
}

// KeyMap returns the pane's bindings.
func (d *detailPane) KeyMap() KeyMap {
	k := d.keys
	return keyMapFunc{
		short: func() []key.Binding { return []key.Binding{k.Up, k.Down, k.Mode, k.Wrap} },
		full:  func() [][]key.Binding { return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Mode, k.Wrap}} },
	}
}

// SetSize sets the content box.
func (d *detailPane) SetSize(w, h int) {
	if w != d.width {
		d.lines = nil
	}
	d.width, d.height = w, h
}

// Show selects what to display; it re-renders only when the frame changed.
func (d *detailPane) Show(f *flow.Frame, index int) {
	if d.frame != nil && index == d.index && f.Time.Equal(d.frame.Time) && len(f.Payload) == len(d.frame.Payload) {
		return // the same frame (the log hands out copies)
	}
	d.frame, d.index, d.scroll, d.lines = f, index, 0, nil
}

// Invalidate drops the cached rendering (after a theme change).
func (d *detailPane) Invalidate() { d.lines = nil }

// Update handles keys when focused, and the wheel.
func (d *detailPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := d.keys
		switch {
		case key.Matches(msg, k.Up):
			d.scroll--
		case key.Matches(msg, k.Down):
			d.scroll++
		case key.Matches(msg, k.PageUp):
			d.scroll -= d.height - 2
		case key.Matches(msg, k.PageDown):
			d.scroll += d.height - 2
		case key.Matches(msg, k.Mode):
			d.mode = (d.mode + 1) % 5
			d.lines, d.scroll = nil, 0
		case key.Matches(msg, k.Wrap):
			d.wrap = !d.wrap
			d.lines = nil
		}
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			d.scroll -= 3
		} else if msg.Button == tea.MouseWheelDown {
			d.scroll += 3
		}
	}
	return nil
}

// Title names what is shown, for the pane's border.
func (d *detailPane) Title() string {
	if d.frame == nil {
		return "detail"
	}
	if d.lines == nil {
		d.lines = d.render()
	}
	return fmt.Sprintf("frame %d · %s · %s", d.index+1, d.shown, d.mode.labelFor())
}

func (v detailView) labelFor() string {
	if v == viewAuto {
		return "m: auto"
	}
	return "m: " + v.String()
}

// View renders the visible part of the content.
func (d *detailPane) View() string {
	st := &d.common.Styles
	if d.frame == nil {
		return st.Muted.Render("select a frame to see it here")
	}
	if d.lines == nil {
		d.lines = d.render()
	}
	d.scroll = min(max(d.scroll, 0), max(len(d.lines)-d.height, 0))
	end := min(d.scroll+d.height, len(d.lines))
	return strings.Join(d.lines[d.scroll:end], "\n")
}

// render prepares every line of the current frame in the current view.
func (d *detailPane) render() []string {
	st := &d.common.Styles
	f := d.frame
	w := max(d.width, 10)
	var out []string
	if f.Op == opNote {
		return []string{st.Muted.Render("note · " + f.Time.Format("15:04:05.000000")), "", termsafe.Line(string(f.Payload))}
	}
	meta := fmt.Sprintf("%s %s · %s · %s", f.Dir, f.Op, humanBytes(int64(len(f.Payload))), f.Time.Format("15:04:05.000000"))
	if f.Op == session.OpClose {
		meta += " · code " + session.CloseCodeText(int(f.Code))
	}
	if f.Flags&session.FlagInvalidUTF8 != 0 {
		meta += " · invalid UTF-8"
	}
	if f.Flags&session.FlagAuto != 0 {
		meta += " · sent automatically"
	}
	if f.Label != "" {
		meta += " · " + termsafe.Line(f.Label)
	}
	out = append(out, st.Muted.Render(ansi.Truncate(meta, w, "…")), "")
	view := d.mode
	isText := f.Op != session.OpBinary
	if view == viewAuto {
		switch payload.Best(f.Payload, isText) {
		case payload.KindJSON:
			view = viewJSON
		case payload.KindHex:
			view = viewHex
		default:
			view = viewText
		}
	}
	d.shown = view
	switch view {
	case viewJSON:
		if len(f.Payload) > 4*maxAutoJSONView {
			out = append(out, st.WarnText.Render(fmt.Sprintf("%s is too large to pretty-print here; shown as text (y copies it)", humanBytes(int64(len(f.Payload))))))
			return append(out, d.textLines(f.Payload, w)...)
		}
		lines, ok := payload.PrettyJSON(f.Payload, maxDetailLines)
		if !ok {
			out = append(out, st.WarnText.Render("not valid JSON; shown as text"))
			return append(out, d.textLines(f.Payload, w)...)
		}
		for _, toks := range lines {
			out = append(out, d.wrapLine(d.colorJSON(toks), w)...)
		}
	case viewHex:
		for _, l := range payload.HexDump(f.Payload[:min(len(f.Payload), maxDetailBytes)], maxDetailLines) {
			out = append(out, d.colorHex(l))
		}
	case viewBase64:
		out = append(out, payload.Base64Lines(f.Payload[:min(len(f.Payload), maxDetailBytes)], w)...)
		if len(out) > maxDetailLines {
			out = out[:maxDetailLines]
		}
	default:
		out = append(out, d.textLines(f.Payload, w)...)
	}
	return out
}

func (d *detailPane) textLines(p []byte, w int) []string {
	limit := min(len(p), maxDetailBytes)
	for limit < len(p) && limit > 0 && !utf8.RuneStart(p[limit]) {
		limit-- // do not cut a character in half
	}
	text := termsafe.Block(string(p[:limit]))
	var out []string
	for _, l := range strings.Split(text, "\n") {
		out = append(out, d.wrapLine(l, w)...)
		if len(out) >= maxDetailLines {
			break
		}
	}
	if limit < len(p) {
		out = append(out, d.common.Styles.Muted.Render(fmt.Sprintf("… %s more not shown (y copies it all)", humanBytes(int64(len(p)-limit)))))
	}
	return out
}

func (d *detailPane) wrapLine(l string, w int) []string {
	if !d.wrap {
		return []string{ansi.Truncate(l, w, "…")}
	}
	if ansi.StringWidth(l) <= w {
		return []string{l}
	}
	return strings.Split(ansi.Hardwrap(l, w, true), "\n")
}

func (d *detailPane) colorJSON(toks []payload.JSONToken) string {
	st := &d.common.Styles
	var b strings.Builder
	for _, t := range toks {
		switch t.Class {
		case payload.TokKey:
			b.WriteString(st.JSONKey.Render(t.Text))
		case payload.TokString:
			b.WriteString(st.JSONString.Render(t.Text))
		case payload.TokNumber:
			b.WriteString(st.JSONNumber.Render(t.Text))
		case payload.TokBool:
			b.WriteString(st.JSONBool.Render(t.Text))
		case payload.TokNull:
			b.WriteString(st.JSONNull.Render(t.Text))
		case payload.TokPunct:
			b.WriteString(st.JSONPunct.Render(t.Text))
		default:
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func (d *detailPane) colorHex(line string) string {
	st := &d.common.Styles
	if len(line) < 10 || line[8] != ' ' {
		return st.Muted.Render(line)
	}
	off, rest := line[:8], line[8:]
	bar := strings.IndexByte(rest, '|')
	if bar < 0 {
		return st.HexOffset.Render(off) + st.HexBytes.Render(rest)
	}
	return st.HexOffset.Render(off) + st.HexBytes.Render(rest[:bar]) + st.HexASCII.Render(rest[bar:])
}
