// Package compare runs the same probe script against two targets — the
// app directly and the app behind its reverse proxy, typically — and says
// what differs: status, response headers, negotiated subprotocol and
// extensions, timings, frames, idle survival, close codes, and (when both
// are `wscope serve` /headers) what the backend received.
package compare

import (
	"context"
	"sync"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
)

// HeaderChange is one difference between two header lists.
type HeaderChange = diagnose.HeaderChange

// Result is a comparison.
type Result struct {
	A            *probe.Report      `json:"a"`
	B            *probe.Report      `json:"b"`
	ResponseDiff []HeaderChange     `json:"response_header_diff"`
	BackendDiff  []HeaderChange     `json:"backend_header_diff"` // nil unless both sides are /headers
	Findings     []diagnose.Finding `json:"findings"`            // what the comparison itself shows
	errorLevel   bool
}

// Run probes both sides at once and compares them.
func Run(ctx context.Context, a, b probe.Options) *Result {
	res := &Result{}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); res.A = probe.Run(ctx, a) }()
	go func() { defer wg.Done(); res.B = probe.Run(ctx, b) }()
	wg.Wait()
	c := diagnose.Compare(res.A.Side, res.B.Side, time.Now())
	res.ResponseDiff, res.BackendDiff, res.Findings, res.errorLevel = c.ResponseDiff, c.BackendDiff, c.Findings, c.ErrorLevel()
	// Each side's report is redacted by probe; what the comparison says is
	// redacted here the same way (the URLs its findings quote, the values
	// of secret headers that differ).
	red := a.Redact
	res.Findings = probe.RedactFindings(res.Findings, red)
	res.ResponseDiff, res.BackendDiff = redactDiff(res.ResponseDiff, red), redactDiff(res.BackendDiff, red)
	return res
}

// redactDiff hides the values of secret headers (Cookie, Authorization…)
// in a header diff.
func redactDiff(d []HeaderChange, red interface {
	Value(name, value string) string
}) []HeaderChange {
	if d == nil {
		return nil
	}
	out := make([]HeaderChange, len(d))
	for i, c := range d {
		c.A, c.B = red.Value(c.Name, c.A), red.Value(c.Name, c.B)
		out[i] = c
	}
	return out
}

// ErrorLevel reports whether the sides differ in a way that matters (see
// diagnose.Comparison.ErrorLevel; the split view decides the same way).
func (r *Result) ErrorLevel() bool { return r.errorLevel }
