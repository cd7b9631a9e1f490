package doctor

import (
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
)

// Report is the diagnosis: the causes, most likely first, and every check
// the battery made. Its JSON form is stable for scripts (see README).
type Report struct {
	URL      string `json:"url"`
	Origin   string `json:"origin"`           // the Origin the browser-like probe sent
	Direct   string `json:"direct,omitempty"` // --direct HOST:PORT
	Protocol string `json:"protocol"`         // the application protocol detected or forced
	// Healthy: the upgrade as a browser sends it worked and no cause is
	// an error.
	Healthy  bool    `json:"healthy"`
	ExitCode int     `json:"exit_code"`
	Causes   []Cause `json:"causes"` // ranked, most likely first
	Checks   []Check `json:"checks"` // in battery order
	// Error and Hint are set when the input was unusable (exit code 2).
	Error      string  `json:"error,omitempty"`
	Hint       string  `json:"hint,omitempty"`
	ElapsedMS  float64 `json:"elapsed_ms"`
	usageError bool
}

// Cause is one diagnosis with the probes that support it. The embedded
// finding's Responder says who refused when the battery could tell (the
// app, or the reverse proxy on the way).
type Cause struct {
	Rank int `json:"rank"` // 1 is the most likely cause
	diagnose.Finding
	// SeenBy are the probes that show it (or whose contrast decides it).
	SeenBy []string `json:"seen_by"`
	// ProbeEvidence is one line per probe: what it sent and what it got.
	// (The finding's own clues stay in Evidence.)
	ProbeEvidence []string `json:"probe_evidence"`
	// Decisive: two probes that differ in one respect disagree, and that
	// respect is the cause (refused with Origin, accepted without).
	Decisive bool `json:"decisive,omitempty"`
	// Explains lists finding ids that single probes reported and this
	// cause accounts for (they are not listed as causes of their own).
	Explains []string `json:"explains,omitempty"`
}

// Check is one probe of the battery and how it went.
type Check struct {
	Probe  string        `json:"probe"`
	What   string        `json:"what"`
	Passed bool          `json:"passed"`
	Result string        `json:"result"`           // one line: status, timing, error
	Report *probe.Report `json:"report,omitempty"` // connection probes
	HTTP   *HTTPResult   `json:"http,omitempty"`   // plain GETs
}

// UsageError reports whether the doctor could not run on the user's input.
func (r *Report) UsageError() bool { return r.usageError }

func (r *Report) setExitCode() {
	switch {
	case r.usageError:
		r.ExitCode = 2
	case r.Healthy:
		r.ExitCode = 0
	default:
		r.ExitCode = 1
	}
}
