package ui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/payload"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

// opNote marks a row that is not a frame but a note in the log (reconnect
// separators, state changes). Opcode 0 (continuation) never reaches the
// log as a frame: the engine reassembles messages.
const opNote session.Opcode = 0

// logKeys are the frame log's bindings.
type logKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Follow, Pause, TimeMode, OnlyMatches    key.Binding
	NextMatch, PrevMatch                    key.Binding
}

func defaultLogKeys() logKeys {
	return logKeys{
		Up:          bind([]string{"up", "k"}, "↑/k", "previous frame"),
		Down:        bind([]string{"down", "j"}, "↓/j", "next frame"),
		PageUp:      bind([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:    bind([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Top:         bind([]string{"home", "g"}, "g/home", "first frame"),
		Bottom:      bind([]string{"end", "G"}, "G/end", "last frame, follow"),
		Follow:      bind([]string{"f"}, "f", "toggle follow"),
		Pause:       bind([]string{"space"}, "space", "pause/resume the view"),
		TimeMode:    bind([]string{"t"}, "t", "relative/absolute time"),
		OnlyMatches: bind([]string{"F"}, "F", "show only matches"),
		NextMatch:   bind([]string{"n"}, "n", "next match"),
		PrevMatch:   bind([]string{"N"}, "N", "previous match"),
	}
}

// frameLog is the list of frames. It keeps every frame but renders only
// the rows on screen, so its cost does not grow with the log.
type frameLog struct {
	common *Common
	keys   logKeys

	frames  frameStore
	matches []int // indices of frames matching the query, ascending
	query   *query
	only    bool // show only matching frames

	sel, top      int // selected and first visible row (visible-row numbers)
	follow        bool
	paused        bool
	pausedLen     int
	relative      bool
	start         time.Time // zero time for relative timestamps
	width, height int
}

func newFrameLog(c *Common) *frameLog {
	return &frameLog{common: c, keys: defaultLogKeys(), follow: true, relative: true}
}

// KeyMap returns the log's bindings.
func (l *frameLog) KeyMap() KeyMap {
	k := l.keys
	return keyMapFunc{
		short: func() []key.Binding { return []key.Binding{k.Up, k.Down, k.Bottom, k.Pause, k.NextMatch} },
		full: func() [][]key.Binding {
			return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Follow, k.Pause, k.TimeMode, k.OnlyMatches, k.NextMatch, k.PrevMatch}}
		},
	}
}

// SetSize sets the log's box, header row included.
func (l *frameLog) SetSize(w, h int) {
	l.width, l.height = w, h
	l.clamp()
}

func (l *frameLog) rows() int { return max(l.height-1, 1) }

// Append adds frames from a batch.
func (l *frameLog) Append(fs []flow.Frame) {
	if l.start.IsZero() && len(fs) > 0 {
		l.start = fs[0].Time
	}
	base := l.frames.Len()
	dropped := l.frames.Append(fs)
	if l.query != nil {
		for i := range fs {
			if abs := base + i; abs >= l.frames.First() && l.query.match(&fs[i]) {
				l.matches = append(l.matches, abs)
			}
		}
	}
	if dropped > 0 {
		l.forget(dropped)
	}
	if l.follow && !l.paused {
		l.sel = l.visibleLen() - 1
	}
	l.clamp()
}

// forget shifts the view after the store dropped its oldest frames
// (--max-frames): the selection stays on the same frame while it exists.
func (l *frameLog) forget(dropped int) {
	first := l.frames.First()
	if i := sort.SearchInts(l.matches, first); i > 0 {
		l.matches = append(l.matches[:0], l.matches[i:]...)
	}
	if !(l.only && l.query != nil) {
		l.sel -= dropped
		l.top -= dropped
	}
	if l.paused && l.pausedLen < first {
		l.pausedLen = first
	}
}

// SetLimit keeps only about the last n frames (0: all).
func (l *frameLog) SetLimit(n int) { l.frames.limit = n }

// AddNote adds a separator row (reconnects, state changes).
func (l *frameLog) AddNote(text string, t time.Time) {
	l.Append([]flow.Frame{{Frame: session.Frame{Time: t, Payload: []byte(text), Op: opNote}}})
}

// Len is the number of frames and notes held.
func (l *frameLog) Len() int { return l.frames.Len() }

func (l *frameLog) visibleLen() int {
	n := l.frames.Len()
	if l.only && l.query != nil {
		n = len(l.matches)
		if l.paused {
			n = sort.SearchInts(l.matches, l.pausedLen)
		}
		return n
	}
	first := l.frames.First()
	if l.paused {
		return max(l.pausedLen-first, 0)
	}
	return n - first
}

// frameAt maps a visible row to an index into frames.
func (l *frameLog) frameAt(row int) int {
	if l.only && l.query != nil {
		return l.matches[row]
	}
	return l.frames.First() + row
}

// Selected returns the selected frame and its index, if any.
func (l *frameLog) Selected() (*flow.Frame, int, bool) {
	if l.visibleLen() == 0 {
		return nil, -1, false
	}
	i := l.frameAt(l.sel)
	f := l.frames.At(i)
	return &f, i, true
}

// SetQuery applies a filter (nil clears it) and selects the first match at
// or after the selection.
func (l *frameLog) SetQuery(q *query) {
	_, cur, _ := l.Selected()
	l.query, l.matches = q, nil
	if q == nil {
		l.only = false
	} else {
		for i := l.frames.First(); i < l.frames.Len(); i++ {
			if f := l.frames.At(i); q.match(&f) {
				l.matches = append(l.matches, i)
			}
		}
	}
	l.selectFrame(cur)
	if q != nil {
		l.jumpMatch(+1, true)
	}
	l.clamp()
}

// MatchInfo returns the 1-based position of the selection among matches
// and the match count.
func (l *frameLog) MatchInfo() (pos, total int) {
	if l.query == nil {
		return 0, 0
	}
	_, cur, ok := l.Selected()
	if !ok {
		return 0, len(l.matches)
	}
	i := sort.SearchInts(l.matches, cur)
	if i < len(l.matches) && l.matches[i] == cur {
		return i + 1, len(l.matches)
	}
	return 0, len(l.matches)
}

// selectFrame selects the visible row showing frame index i (or the
// nearest one before it).
func (l *frameLog) selectFrame(i int) {
	if l.only && l.query != nil {
		r := sort.SearchInts(l.matches, i)
		if r >= len(l.matches) || l.matches[r] != i {
			r--
		}
		l.sel = max(r, 0)
		return
	}
	l.sel = max(i-l.frames.First(), 0)
}

// jumpMatch moves to the next (dir +1) or previous (-1) match; inclusive
// counts the current frame.
func (l *frameLog) jumpMatch(dir int, inclusive bool) {
	if l.query == nil || len(l.matches) == 0 {
		return
	}
	_, cur, _ := l.Selected()
	var target int
	if dir > 0 {
		i := sort.SearchInts(l.matches, cur)
		if i < len(l.matches) && l.matches[i] == cur && !inclusive {
			i++
		}
		if i >= len(l.matches) {
			i = 0 // wrap
		}
		target = l.matches[i]
	} else {
		i := sort.SearchInts(l.matches, cur) - 1
		if i < 0 {
			i = len(l.matches) - 1
		}
		target = l.matches[i]
	}
	if l.paused && target >= l.pausedLen {
		return
	}
	l.follow = false
	l.selectFrame(target)
	l.clamp()
}

// clamp keeps selection and scroll in range, the selection on screen.
func (l *frameLog) clamp() {
	n := l.visibleLen()
	l.sel = min(max(l.sel, 0), max(n-1, 0))
	rows := l.rows()
	if l.sel < l.top {
		l.top = l.sel
	}
	if l.sel >= l.top+rows {
		l.top = l.sel - rows + 1
	}
	l.top = min(max(l.top, 0), max(n-rows, 0))
}

func (l *frameLog) move(delta int) {
	l.sel += delta
	l.follow = l.sel >= l.visibleLen()-1 && delta > 0
	l.clamp()
}

// Update handles keys (when focused) and mouse events routed here.
func (l *frameLog) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := l.keys
		switch {
		case key.Matches(msg, k.Up):
			l.move(-1)
		case key.Matches(msg, k.Down):
			l.move(1)
		case key.Matches(msg, k.PageUp):
			l.move(-l.rows())
		case key.Matches(msg, k.PageDown):
			l.move(l.rows())
		case key.Matches(msg, k.Top):
			l.follow, l.sel = false, 0
			l.clamp()
		case key.Matches(msg, k.Bottom):
			l.follow, l.sel = true, l.visibleLen()-1
			l.clamp()
		case key.Matches(msg, k.Follow):
			l.follow = !l.follow
			if l.follow {
				l.sel = l.visibleLen() - 1
				l.clamp()
			}
		case key.Matches(msg, k.Pause):
			l.SetPaused(!l.paused)
		case key.Matches(msg, k.TimeMode):
			l.relative = !l.relative
		case key.Matches(msg, k.OnlyMatches):
			if l.query != nil {
				_, cur, _ := l.Selected()
				l.only = !l.only
				l.selectFrame(cur)
				l.clamp()
			}
		case key.Matches(msg, k.NextMatch):
			l.jumpMatch(+1, false)
		case key.Matches(msg, k.PrevMatch):
			l.jumpMatch(-1, false)
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			l.move(-3)
		case tea.MouseWheelDown:
			l.move(3)
		}
	}
	return nil
}

// Click selects the row at y (0 is the header).
func (l *frameLog) Click(y int) {
	if y < 1 {
		return
	}
	row := l.top + y - 1
	if row < l.visibleLen() {
		l.sel = row
		l.follow = false
	}
}

// SetPaused freezes or resumes the view; frames keep arriving meanwhile.
func (l *frameLog) SetPaused(p bool) {
	if p == l.paused {
		return
	}
	l.paused = p
	if p {
		l.pausedLen = l.frames.Len()
		return
	}
	if l.follow {
		l.sel = l.visibleLen() - 1
	}
	l.clamp()
}

// Paused reports whether the view is paused and how many frames arrived since.
func (l *frameLog) Paused() (bool, int) {
	if !l.paused {
		return false, 0
	}
	return true, l.frames.Len() - l.pausedLen
}

// View renders the header and the visible rows.
func (l *frameLog) View() string {
	st := &l.common.Styles
	w := l.width
	idxWidth := max(len(strconv.Itoa(l.frames.Len())), 3)
	timeWidth := 10
	if !l.relative {
		timeWidth = 12
	}
	fixed := idxWidth + 1 + timeWidth + 1 + 1 + 1 + 6 + 1 + 8 + 1
	previewWidth := max(w-fixed, 4)
	var b strings.Builder
	header := fmt.Sprintf("%*s %-*s %s %-6s %8s %s", idxWidth, "#", timeWidth, "time", " ", "op", "size", "payload")
	b.WriteString(st.LogHeader.Render(ansi.Truncate(header, w, "")))
	n := l.visibleLen()
	end := min(l.top+l.rows(), n)
	for row := l.top; row < end; row++ {
		b.WriteByte('\n')
		i := l.frameAt(row)
		f := l.frames.At(i)
		b.WriteString(l.renderRow(&f, i, row == l.sel, idxWidth, timeWidth, previewWidth))
	}
	if n == 0 {
		b.WriteString("\n" + st.Muted.Render(ansi.Truncate("  no frames yet", w, "")))
	}
	return b.String()
}

func (l *frameLog) renderRow(f *flow.Frame, i int, selected bool, idxWidth, timeWidth, previewWidth int) string {
	st := &l.common.Styles
	if f.Op == opNote {
		text := "── " + termsafe.Line(string(f.Payload)) + " "
		text += strings.Repeat("─", max(l.width-ansi.StringWidth(text), 0))
		line := ansi.Truncate(text, l.width, "")
		if selected {
			return st.LogRowSelected.Render(line)
		}
		return st.LogSeparator.Render(line)
	}
	idx := fmt.Sprintf("%*d", idxWidth, i+1)
	ts := l.formatTime(f.Time, timeWidth)
	arrow := "←"
	if f.Dir == session.Send {
		arrow = "→"
	}
	op := f.Op.String()
	if f.Op == session.OpBinary {
		op = "bin"
	}
	size := fmt.Sprintf("%8s", humanBytes(int64(len(f.Payload))))
	preview := l.preview(f, previewWidth)
	if selected {
		plain := fmt.Sprintf("%s %-*s %s %-6s %s %s", idx, timeWidth, ts, arrow, op, size, preview)
		plain = ansi.Truncate(plain, l.width, "")
		return st.LogRowSelected.Render(plain + strings.Repeat(" ", max(l.width-ansi.StringWidth(plain), 0)))
	}
	idxStyle := st.LogIndex
	if l.query != nil && l.query.match(f) {
		idxStyle = st.LogMatch
	}
	dirStyle := st.DirRecv
	if f.Dir == session.Send {
		dirStyle = st.DirSend
	}
	opStyle := st.OpText
	switch f.Op {
	case session.OpBinary:
		opStyle = st.OpBinary
	case session.OpPing:
		opStyle = st.OpPing
	case session.OpPong:
		opStyle = st.OpPong
	case session.OpClose:
		opStyle = st.OpClose
	}
	if f.Flags&session.FlagAuto != 0 {
		opStyle = st.OpAuto
	}
	previewStyle := st.LogPreview
	if f.Op.IsControl() {
		previewStyle = st.Muted
	}
	row := idxStyle.Render(idx) + " " + st.LogTime.Render(fmt.Sprintf("%-*s", timeWidth, ts)) + " " +
		dirStyle.Render(arrow) + " " + opStyle.Render(fmt.Sprintf("%-6s", op)) + " " + st.LogSize.Render(size) + " " +
		previewStyle.Render(preview)
	return ansi.Truncate(row, l.width, "")
}

// preview is the one-line summary of a payload, escaped for the terminal.
func (l *frameLog) preview(f *flow.Frame, width int) string {
	var s string
	switch {
	case f.Op == session.OpClose:
		s = session.CloseCodeText(int(f.Code))
		if len(f.Payload) > 0 {
			s += " " + payload.Preview(f.Payload, true, width)
		}
	default:
		s = payload.Preview(f.Payload, f.Op != session.OpBinary, width)
	}
	var tags []string
	if f.Label != "" {
		tags = append(tags, termsafe.Line(f.Label))
	}
	if f.Flags&session.FlagAuto != 0 {
		tags = append(tags, "auto")
	}
	if f.Flags&session.FlagInvalidUTF8 != 0 {
		tags = append(tags, "invalid UTF-8")
	}
	if len(tags) > 0 {
		s = "[" + strings.Join(tags, ", ") + "] " + s
	}
	return ansi.Truncate(s, width, "…")
}

func (l *frameLog) formatTime(t time.Time, width int) string {
	if !l.relative {
		return t.Format("15:04:05.000")
	}
	d := t.Sub(l.start)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("+%.3fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("+%dm%06.3fs", int(d.Minutes()), d.Seconds()-60*float64(int(d.Minutes())))[:min(width, 11)]
	}
	return fmt.Sprintf("+%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
