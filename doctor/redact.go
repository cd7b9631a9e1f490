package doctor

import (
	"regexp"
	"slices"
	"strings"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
)

// urlInText finds URLs inside free text (a finding's detail, its check).
var urlInText = regexp.MustCompile(`(?i)\b(?:wss?|https?)://[^\s"'<>]+`)

// redactText hides credentials in the URLs a text quotes: the probes'
// reports are redacted field by field, but the diagnosis also writes the
// URL into sentences ("wscope probe URL --origin …").
func (a *analyzer) redactText(s string) string {
	red := a.b.opts.Redact
	if !red.Enabled() || !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		trail := strings.TrimRight(u, ".,;:)")
		return red.URL(trail) + u[len(trail):]
	})
}

// redact applies redactText to everything a cause and a check say —
// also the findings inside each probe's own report — and hides secret
// header values quoted as clues.
func (a *analyzer) redact(r *Report) {
	if !a.b.opts.Redact.Enabled() {
		return
	}
	t := a.redactText
	for i := range r.Causes {
		c := &r.Causes[i]
		a.redactFinding(&c.Finding)
		for j := range c.ProbeEvidence {
			c.ProbeEvidence[j] = t(c.ProbeEvidence[j])
		}
	}
	for i := range r.Checks {
		ch := &r.Checks[i]
		ch.Result = t(ch.Result)
		if ch.Report != nil {
			fs := slices.Clone(ch.Report.Findings)
			for j := range fs {
				a.redactFinding(&fs[j])
			}
			ch.Report.Findings = fs
		}
	}
}

func (a *analyzer) redactFinding(f *diagnose.Finding) {
	red, t := a.b.opts.Redact, a.redactText
	f.Title, f.Detail, f.Fix, f.Check = t(f.Title), t(f.Detail), t(f.Fix), t(f.Check)
	alts := slices.Clone(f.Alternatives)
	for j := range alts {
		alts[j].Title, alts[j].Fix = t(alts[j].Title), t(alts[j].Fix)
	}
	f.Alternatives = alts
	clues := slices.Clone(f.Evidence)
	for j := range clues {
		text := clues[j].Text
		if name, value, ok := strings.Cut(text, ": "); ok && !strings.Contains(name, " ") {
			text = name + ": " + red.Header(session.Header{Name: name, Value: value}).Value
		}
		clues[j].Text, clues[j].Means = t(text), t(clues[j].Means)
	}
	f.Evidence = clues
}
