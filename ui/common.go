// Package ui is wscope's terminal interface, built on Bubble Tea v2. A root
// Model owns layout, focus and the connection; each pane is a component
// with Update, View, SetSize and its own KeyMap. Only this package imports
// Bubble Tea: the engine (session) emits plain events, and a feed turns
// them into batched messages.
package ui

import (
	"fmt"
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/wscope/wscope/themes"
)

// Common is what every pane shares: the styles of the current theme and
// the clock. The root owns it; panes hold a pointer, so a theme switch
// reaches them all at once.
type Common struct {
	Styles themes.Styles
	Now    func() time.Time
}

// KeyMap is a pane's key bindings, for the help line and the help overlay.
type KeyMap interface {
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// keyMapFunc adapts two functions to KeyMap.
type keyMapFunc struct {
	short func() []key.Binding
	full  func() [][]key.Binding
}

func (k keyMapFunc) ShortHelp() []key.Binding  { return k.short() }
func (k keyMapFunc) FullHelp() [][]key.Binding { return k.full() }

func bind(keys []string, helpKey, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc))
}

// humanBytes formats a byte count compactly: 512 B, 1.5 KB, 8.0 MB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTPE"[exp])
}
