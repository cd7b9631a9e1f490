package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// helpItem is one entry of the footer or the help overlay; an entry with
// a reason is unavailable now and drawn dimmed.
type helpItem struct{ key, desc, reason string }

// itemsOf turns a pane's bindings into help entries.
func itemsOf(bs []key.Binding) []helpItem {
	out := make([]helpItem, 0, len(bs))
	for _, b := range bs {
		out = append(out, helpItem{key: b.Help().Key, desc: b.Help().Desc})
	}
	return out
}

// rootItems are the help entries of the root's actions of scope s (only
// the footer's when footer is set).
func (m *Model) rootItems(s scope, footer bool) []helpItem {
	var out []helpItem
	for i := range m.actions {
		if a := &m.actions[i]; a.scope == s && (a.footer || !footer) {
			out = append(out, helpItem{key: a.helpKey, desc: a.desc, reason: a.reason(m)})
		}
	}
	return out
}

// shortHelp is the footer's key list: the focused pane's short help, then
// the root's footer actions there and, outside text input, everywhere.
func (m *Model) shortHelp() string {
	s := m.paneScope()
	var items []helpItem
	if km := m.paneKeyMap(s); km != nil {
		items = itemsOf(km.ShortHelp())
	}
	items = append(items, m.rootItems(s, true)...)
	if m.focus == focusLog || m.focus == focusRight {
		items = append(items, m.rootItems(scopeGlobal, true)...)
	}
	return m.shortHelpView(items)
}

// dimmed is the style of an unavailable entry.
func (m *Model) dimmed() lipgloss.Style { return m.common.Styles.Muted.Faint(true) }

// shortHelpView renders entries on one line as the help bubble does
// (same separator, styles and truncation), dimming unavailable ones.
func (m *Model) shortHelpView(items []helpItem) string {
	h := &m.help
	sep := h.Styles.ShortSeparator.Inline(true).Render(h.ShortSeparator)
	var b strings.Builder
	total := 0
	for _, it := range items {
		keyStyle, descStyle := h.Styles.ShortKey, h.Styles.ShortDesc
		if it.reason != "" {
			keyStyle, descStyle = m.dimmed(), m.dimmed()
		}
		str := keyStyle.Inline(true).Render(it.key) + " " + descStyle.Inline(true).Render(it.desc)
		if total > 0 {
			str = sep + str
		}
		w := lipgloss.Width(str)
		if width := h.Width(); width > 0 && total+w > width {
			tail := " " + h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
			if total+lipgloss.Width(tail) < width {
				b.WriteString(tail)
				break
			}
		}
		total += w
		b.WriteString(str)
	}
	return b.String()
}

// fullHelpView renders columns of entries side by side, as the help
// bubble does, dimming unavailable ones.
func (m *Model) fullHelpView(cols [][]helpItem) string {
	h := &m.help
	sep := h.Styles.FullSeparator.Inline(true).Render(h.FullSeparator)
	var out []string
	total := 0
	for _, col := range cols {
		if len(col) == 0 {
			continue
		}
		keys := make([]string, len(col))
		descs := make([]string, len(col))
		for i, it := range col {
			keyStyle, descStyle := h.Styles.FullKey, h.Styles.FullDesc
			if it.reason != "" {
				keyStyle, descStyle = m.dimmed(), m.dimmed()
			}
			keys[i], descs[i] = keyStyle.Render(it.key), descStyle.Render(it.desc)
		}
		parts := []string{lipgloss.JoinVertical(lipgloss.Left, keys...), " ", lipgloss.JoinVertical(lipgloss.Left, descs...)}
		if total > 0 {
			parts = append([]string{sep}, parts...)
		}
		block := lipgloss.JoinHorizontal(lipgloss.Top, parts...)
		if width := h.Width(); width > 0 && total+lipgloss.Width(block) > width {
			break
		}
		total += lipgloss.Width(block)
		out = append(out, block)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, out...)
}

// columns splits entries into columns of at least n rows, more when the
// columns would not fit side by side in the help's width.
func (m *Model) columns(items []helpItem, n int) [][]helpItem {
	split := func(n int) [][]helpItem {
		var out [][]helpItem
		for rest := items; len(rest) > 0; rest = rest[min(n, len(rest)):] {
			out = append(out, rest[:min(n, len(rest))])
		}
		return out
	}
	for ; n < len(items); n++ {
		cols := split(n)
		if w := m.help.Width(); w <= 0 || lipgloss.Width(m.fullHelpView(cols)) >= m.fullWidth(cols) {
			return cols
		}
	}
	return split(max(n, 1))
}

// fullWidth is how wide cols are when none is left out.
func (m *Model) fullWidth(cols [][]helpItem) int {
	w := 0
	for i, col := range cols {
		if i > 0 {
			w += lipgloss.Width(m.help.FullSeparator)
		}
		kw, dw := 0, 0
		for _, it := range col {
			kw, dw = max(kw, lipgloss.Width(it.key)), max(dw, lipgloss.Width(it.desc))
		}
		w += kw + 1 + dw
	}
	return w
}

// fullHelp is the overlay: the focused pane's keys, then the root's
// actions that work everywhere, then why the dimmed ones are unavailable.
func (m *Model) fullHelp() string {
	st := &m.common.Styles
	s := m.paneScope()
	var pane [][]helpItem
	if km := m.paneKeyMap(s); km != nil {
		for _, g := range km.FullHelp() {
			pane = append(pane, itemsOf(g))
		}
	}
	pane = append(pane, m.rootItems(s, false))
	global := append(m.rootItems(scopeAnywhere, false), m.rootItems(scopeGlobal, false)...)
	out := st.PaneTitle.Render("this pane") + "\n" + m.fullHelpView(pane) + "\n\n" +
		st.PaneTitle.Render("everywhere") + "\n" + m.fullHelpView(m.columns(global, 6))
	if why := m.unavailableNow(append(slices.Concat(pane...), global...)); why != "" {
		out += "\n\n" + why
	}
	return out + "\n\n" + st.Muted.Render(
		"send box commands: /ping [text]  /pong [text]  /close CODE REASON  /mode text|json|hex|base64  // sends a literal /")
}

// unavailableNow lists why entries are unavailable, one line per reason
// with the keys it holds back.
func (m *Model) unavailableNow(items []helpItem) string {
	var reasons []string
	keys := map[string][]string{}
	for _, it := range items {
		if it.reason == "" {
			continue
		}
		if _, ok := keys[it.reason]; !ok {
			reasons = append(reasons, it.reason)
		}
		keys[it.reason] = append(keys[it.reason], it.key)
	}
	lines := make([]string, len(reasons))
	for i, r := range reasons {
		lines[i] = m.dimmed().Render(strings.Join(keys[r], " ")) + "  " + m.common.Styles.WarnText.Render(r)
	}
	return strings.Join(lines, "\n")
}
