package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/termsafe"
)

// findingsMaxLines is the most the findings box takes, its border
// included: enough for a title, who answered, the evidence and a fix of a
// few lines.
const findingsMaxLines = 11

// findingsPane sits above the log and the right pane while a connection has a
// warning or an error: the most severe finding's title, evidence, who
// answered and its fix, without scrolling. Fix lines are never wrapped (a
// config line wrapped mid-token breaks when copied); a line too wide ends
// in "→" and the copy key copies the fix exactly.
type findingsPane struct {
	common   *Common
	findings []diagnose.Finding // most severe first
	width    int
	// cached lines for cachedLimit: the layout asks for the height several
	// times per render; the text changes only with the findings, the
	// width or the theme.
	cached      []string
	cachedLimit int
}

func newFindingsPane(c *Common) *findingsPane { return &findingsPane{common: c} }

// severityRank orders findings: errors first, then warnings, then info.
func severityRank(s diagnose.Severity) int {
	switch s {
	case diagnose.Error:
		return 0
	case diagnose.Warn:
		return 1
	}
	return 2
}

// Set replaces the findings; it keeps them most severe first (stable, so
// the engine's own ranking decides among equals).
func (p *findingsPane) Set(fs []diagnose.Finding) {
	p.findings, p.cached = slices.Clone(fs), nil
	slices.SortStableFunc(p.findings, func(a, b diagnose.Finding) int { return severityRank(a.Severity) - severityRank(b.Severity) })
}

// SetWidth sets the box's outer width.
func (p *findingsPane) SetWidth(w int) {
	if w != p.width {
		p.width, p.cached = w, nil
	}
}

// Invalidate drops the cached text (after a theme change).
func (p *findingsPane) Invalidate() { p.cached = nil }

// Top is the finding the pane shows, if any is worth showing (info alone
// does not take space from the pane below).
func (p *findingsPane) Top() (diagnose.Finding, bool) {
	if len(p.findings) == 0 || p.findings[0].Severity == diagnose.Info {
		return diagnose.Finding{}, false
	}
	return p.findings[0], true
}

// Height is how many lines View takes within at most limit lines (0 when
// there is nothing to show or no room for a useful box).
func (p *findingsPane) Height(limit int) int {
	if _, ok := p.Top(); !ok || limit < 5 {
		return 0
	}
	return len(p.lines(limit)) + 2
}

// lines are the box's content lines within limit lines (border included),
// escaped and fitted to the width.
func (p *findingsPane) lines(limit int) []string {
	if p.cached != nil && p.cachedLimit == limit {
		return p.cached
	}
	out := p.render(limit)
	p.cached, p.cachedLimit = out, limit
	return out
}

func (p *findingsPane) render(limit int) []string {
	f, ok := p.Top()
	if !ok {
		return nil
	}
	st := &p.common.Styles
	w := max(p.width-2, 10)
	fit := func(s string) string {
		if ansi.StringWidth(s) <= w {
			return s
		}
		return ansi.Truncate(s, w, "→")
	}
	style, mark := st.FindingWarn, "!"
	if f.Severity == diagnose.Error {
		style, mark = st.FindingError, "✗"
	}
	out := []string{style.Render(fit(termsafe.Line(fmt.Sprintf("%s %s  [%s]", mark, f.Title, f.ID))))}
	if who := responderText(f.Responder); who != "" {
		conf := ""
		if f.Confidence != "" {
			conf = " · confidence " + string(f.Confidence)
		}
		out = append(out, st.Muted.Render(fit(termsafe.Line("answered by "+who+conf))))
	}
	if f.Detail != "" {
		out = append(out, st.HeaderValue.Render(fit(termsafe.Line(f.Detail))))
	}
	limit = min(limit, findingsMaxLines)
	if limit < 7 && len(out) > 2 {
		out = out[:1] // a small terminal: the title and the fix come first
	}
	room := limit - 2 - len(out) - 1 // the last line says what more there is
	fix := strings.Split(strings.TrimRight(f.Fix, "\n"), "\n")
	shown := fix
	if len(shown) > room {
		shown = shown[:max(room, 1)]
	}
	for i, l := range shown {
		prefix := "  "
		if i == 0 {
			prefix = "→ "
		}
		out = append(out, st.FindingFix.Render(fit(prefix+termsafe.Line(l))))
	}
	more := []string{"x copies the fix"}
	if n := len(fix) - len(shown); n > 0 {
		more = append(more, fmt.Sprintf("%d more fix lines", n))
	}
	if n := len(p.findings) - 1; n > 0 {
		more = append(more, fmt.Sprintf("+%d more findings", n))
	}
	more = append(more, "h: all findings")
	out = append(out, st.Muted.Render(fit(strings.Join(more, " · "))))
	return out
}

// View is the box within at most limit lines, or "" when there is
// nothing to show.
func (p *findingsPane) View(limit int) string {
	h := p.Height(limit)
	if h == 0 {
		return ""
	}
	f, _ := p.Top()
	title := "finding"
	if len(p.findings) > 1 {
		title = fmt.Sprintf("finding 1 of %d", len(p.findings))
	}
	if f.Severity == diagnose.Error {
		title = "what is wrong · " + title
	}
	return box(&p.common.Styles, title, strings.Join(p.lines(limit), "\n"), p.width, h, false)
}

// responderText names who answered: "nginx (reverse proxy)".
func responderText(r diagnose.Responder) string {
	if r.Name == "" {
		return ""
	}
	s := r.Name
	if r.Version != "" {
		s += "/" + r.Version
	}
	if r.Role != "" {
		s += " (" + strings.ReplaceAll(string(r.Role), "-", " ") + ")"
	}
	return s
}
