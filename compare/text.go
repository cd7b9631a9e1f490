package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/termsafe"
)

// WriteJSON writes the result as one JSON document.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the side-by-side report, escaped for the terminal.
func (r *Result) WriteText(w io.Writer, labelA, labelB string) error {
	var b strings.Builder
	const col = 34
	row := func(name, a, bv string) {
		mark := " "
		if a != bv {
			mark = "≠"
		}
		fmt.Fprintf(&b, "%s %-18s %-*s %s\n", mark, name, col, cut(termsafe.Line(a), col), cut(termsafe.Line(bv), col))
	}
	fmt.Fprintf(&b, "  %-18s %-*s %s\n", "", col, cut("A: "+termsafe.Line(labelA), col), cut("B: "+termsafe.Line(labelB), col))
	row("url", r.A.URL, r.B.URL)
	row("route", route(r.A), route(r.B))
	row("status", fmt.Sprint(r.A.Status), fmt.Sprint(r.B.Status))
	row("upgraded", yes(r.A.Upgraded), yes(r.B.Upgraded))
	row("subprotocol", dash(r.A.Subprotocol), dash(r.B.Subprotocol))
	row("extensions", dash(strings.Join(r.A.Extensions, ", ")), dash(strings.Join(r.B.Extensions, ", ")))
	row("handshake ms", fmt.Sprintf("%.1f", r.A.TimingsMS.Total), fmt.Sprintf("%.1f", r.B.TimingsMS.Total))
	row("frames received", fmt.Sprint(r.A.Counts.RecvMessages), fmt.Sprint(r.B.Counts.RecvMessages))
	row("rtt ms", rtt(r.A), rtt(r.B))
	row("close", closeText(r.A), closeText(r.B))
	if r.A.Idle != nil || r.B.Idle != nil {
		row("idle", idleText(r.A), idleText(r.B))
	}
	row("error", dash(r.A.Error), dash(r.B.Error))
	writeDiff(&b, "response headers (A → B)", r.ResponseDiff)
	if r.BackendDiff != nil {
		writeDiff(&b, "headers the backend received (A → B)", r.BackendDiff)
	}
	writeFindings(&b, "findings A", r.A.Findings)
	writeFindings(&b, "findings B", r.B.Findings)
	writeFindings(&b, "comparison", r.Findings)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDiff(b *strings.Builder, title string, d []HeaderChange) {
	fmt.Fprintf(b, "\n── %s\n", title)
	if len(d) == 0 {
		b.WriteString("  no differences\n")
		return
	}
	for _, c := range d {
		switch c.Change {
		case "added":
			fmt.Fprintf(b, "  + %s: %s   (only B)\n", termsafe.Line(c.Name), termsafe.Line(c.B))
		case "removed":
			fmt.Fprintf(b, "  - %s: %s   (only A)\n", termsafe.Line(c.Name), termsafe.Line(c.A))
		case "case":
			fmt.Fprintf(b, "  ~ %s → %s   (name case)\n", termsafe.Line(c.A), termsafe.Line(c.B))
		default:
			fmt.Fprintf(b, "  ~ %s: %s → %s\n", termsafe.Line(c.Name), termsafe.Line(c.A), termsafe.Line(c.B))
		}
	}
}

func writeFindings(b *strings.Builder, title string, fs []diagnose.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n── %s\n", title)
	for _, f := range fs {
		fmt.Fprintf(b, "  [%s] %s: %s\n", f.Severity, f.ID, termsafe.Line(f.Title))
		for _, l := range strings.Split(termsafe.Block(f.Detail), "\n") {
			fmt.Fprintf(b, "      %s\n", l)
		}
		for _, l := range strings.Split(termsafe.Block("fix: "+f.Fix), "\n") {
			fmt.Fprintf(b, "      %s\n", l)
		}
	}
}

func route(r *probe.Report) string {
	if r.Proxy != nil {
		return "via " + r.Proxy.Kind + " " + r.Proxy.Proxy
	}
	return "direct " + r.ConnectAddr
}

func rtt(r *probe.Report) string {
	if len(r.RTTMS) == 0 {
		return "–"
	}
	sum := 0.0
	for _, v := range r.RTTMS {
		sum += v
	}
	return fmt.Sprintf("%.2f avg of %d", sum/float64(len(r.RTTMS)), len(r.RTTMS))
}

func closeText(r *probe.Report) string {
	if r.Close == nil {
		return "–"
	}
	clean := "clean"
	if !r.Close.Clean {
		clean = r.Close.Cause
	}
	return fmt.Sprintf("%d %s", r.Close.Code, clean)
}

func idleText(r *probe.Report) string {
	switch {
	case r.Idle == nil:
		return "–"
	case r.Idle.Survived:
		return fmt.Sprintf("survived %.0fs", r.Idle.RequestedMS/1000)
	}
	return fmt.Sprintf("cut after %.1fs", r.Idle.ClosedAfterMS/1000)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
