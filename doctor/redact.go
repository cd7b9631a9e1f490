package doctor

import (
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
)

// redact hides credentials in everything a cause and a check say — also
// the findings inside each probe's own report — the way probe and compare
// do (capture.Redactor.Text for the URLs a sentence quotes,
// probe.RedactFindings for findings and the header values they quote).
func (a *analyzer) redact(r *Report) {
	red := a.b.opts.Redact
	if !red.Enabled() {
		return
	}
	for i := range r.Causes {
		c := &r.Causes[i]
		c.Finding = probe.RedactFindings([]diagnose.Finding{c.Finding}, red)[0]
		for j := range c.ProbeEvidence {
			c.ProbeEvidence[j] = red.Text(c.ProbeEvidence[j])
		}
	}
	for i := range r.Checks {
		ch := &r.Checks[i]
		ch.Result = red.Text(ch.Result)
		if ch.Report != nil {
			// probe.Run redacted the report's own findings already; the
			// battery may have added or rewritten some since.
			ch.Report.Findings = probe.RedactFindings(ch.Report.Findings, red)
		}
	}
}
