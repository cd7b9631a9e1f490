package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/termsafe"
)

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the diagnosis for people: the causes, most likely
// first, each with who answered, the probes that show it, the evidence
// and the fix; then every check. Everything that came from the network is
// escaped for the terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	head := "wscope doctor " + termsafe.Line(r.URL)
	if r.usageError {
		fmt.Fprintf(&b, "%s\nerror: %s\n", head, termsafe.Line(r.Error))
		if r.Hint != "" {
			fmt.Fprintf(&b, "hint: %s\n", termsafe.Line(r.Hint))
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	var about []string
	about = append(about, "Origin "+termsafe.Line(r.Origin))
	if r.Direct != "" {
		about = append(about, "direct "+termsafe.Line(r.Direct))
	}
	if r.Protocol != "" {
		about = append(about, "protocol "+termsafe.Line(r.Protocol))
	}
	fmt.Fprintf(&b, "%s  (%s)\n\n", head, strings.Join(about, ", "))
	problems := 0
	for _, c := range r.Causes {
		if c.Severity != diagnose.Info {
			problems++
		}
	}
	switch {
	case r.Healthy && problems == 0:
		b.WriteString("✓ healthy: the WebSocket upgrade works as a browser sends it\n")
	case r.Healthy:
		fmt.Fprintf(&b, "✓ the upgrade works as a browser sends it; %d warning%s\n", problems, plural(problems))
	default:
		fmt.Fprintf(&b, "✗ %d problem%s found, the most likely cause first\n", problems, plural(problems))
	}
	for _, c := range r.Causes {
		b.WriteString("\n")
		writeCause(&b, c)
	}
	b.WriteString("\nChecked:\n")
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Probe))
	}
	for _, c := range r.Checks {
		mark := "✓"
		if !c.Passed {
			mark = "✗"
		}
		fmt.Fprintf(&b, "  %s %-*s  %s\n", mark, width, c.Probe, termsafe.Line(c.What))
		fmt.Fprintf(&b, "    %*s  → %s\n", width, "", termsafe.Line(c.Result))
	}
	fmt.Fprintf(&b, "\n%d probes in %s. Exit code %d.\n", len(r.Checks), fmtMS(r.ElapsedMS), r.ExitCode)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCause(b *strings.Builder, c Cause) {
	fmt.Fprintf(b, "%d. [%s] %s: %s\n", c.Rank, c.Severity, termsafe.Line(c.ID), termsafe.Line(c.Title))
	if who := whoText(c.Responder); who != "" {
		line := "   who:       " + who
		if c.Confidence != "" {
			line += "  (confidence " + termsafe.Line(string(c.Confidence)) + ")"
		}
		b.WriteString(line + "\n")
	}
	seen := strings.Join(c.SeenBy, ", ")
	switch {
	case c.Decisive:
		seen += " — compared, they decide it"
	case len(c.SeenBy) > 1:
		seen += fmt.Sprintf(" — %d probes agree", len(c.SeenBy))
	default:
		seen += " — only this probe shows it"
	}
	fmt.Fprintf(b, "   seen by:   %s\n", termsafe.Line(seen))
	if len(c.ProbeEvidence) > 0 || len(c.Evidence) > 0 {
		b.WriteString("   evidence:\n")
		for _, e := range c.ProbeEvidence {
			fmt.Fprintf(b, "     %s\n", termsafe.Line(e))
		}
		for _, cl := range c.Evidence {
			line := cl.Kind + ": " + cl.Text
			if cl.Means != "" {
				line += " — " + cl.Means
			}
			fmt.Fprintf(b, "     %s\n", termsafe.Line(line))
		}
	}
	if c.Detail != "" {
		fmt.Fprintf(b, "   detail:    %s\n", termsafe.Line(c.Detail))
	}
	if c.Fix != "" {
		b.WriteString("   fix:\n")
		indentTo(b, termsafe.Block(strings.TrimRight(c.Fix, "\n")), "     ")
	}
	for i, alt := range c.Alternatives {
		if i == 0 {
			b.WriteString("   or else:\n")
		}
		fmt.Fprintf(b, "     %s: %s\n", termsafe.Line(alt.ID), termsafe.Line(alt.Title))
	}
	if c.Check != "" {
		fmt.Fprintf(b, "   to tell them apart: %s\n", termsafe.Line(c.Check))
	}
	if len(c.Explains) > 0 {
		fmt.Fprintf(b, "   explains:  %s (what single probes reported; the contrast rules that reading out)\n", termsafe.Line(strings.Join(c.Explains, ", ")))
	}
	fmt.Fprintf(b, "   more:      wscope explain %s\n", termsafe.Line(c.ID))
}

func whoText(r diagnose.Responder) string {
	switch {
	case r.Role == "":
		return ""
	case r.Name != "":
		return r.Name + " (" + string(r.Role) + ")"
	case r.Role == diagnose.RoleApp:
		return "the app"
	case r.Role == diagnose.RoleReverseProxy:
		return "the reverse proxy in front of the app"
	}
	return string(r.Role)
}

func indentTo(b *strings.Builder, text, pfx string) {
	for _, l := range strings.Split(text, "\n") {
		b.WriteString(pfx + l + "\n")
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
