package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/replay"
	"github.com/wscope/wscope/termsafe"
)

func newReplayCmd(env Env) *cobra.Command {
	var (
		cf      connFlags
		sf      sessionFlags
		target  string
		speed   float64
		noDelay bool
		step    bool
		ignore  []string
		asJSON  bool
		entry   string
		settle  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Re-send a recording's client messages and check the server answers the same way",
		Long: "replay re-dials (the recorded URL, or --target), sends the recorded client messages with the\n" +
			"recorded timing scaled by --speed, and reports each recorded server message as matched, differs\n" +
			"(with a diff; JSON compared structurally, --ignore-field left out) or missing, plus messages the\n" +
			"recording did not have. FILE is a wscope recording or a browser HAR export.\n" +
			"Exit code: 0 when everything matched, 1 otherwise, 2 bad input — usable as a regression check.",
		Example: "  wscope replay session.jsonl --target ws://127.0.0.1:8765/echo --no-delay\n" +
			"  wscope replay devtools.har --entry cable --ignore-field ts --ignore-field data.id --json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := capture.ReadFile(args[0], entry)
			if err != nil {
				return usageErr("%v", err)
			}
			cfg, err := cf.config("", env)
			if err != nil {
				return err
			}
			if speed <= 0 {
				return usageErr("--speed must be positive, e.g. 2 for twice as fast")
			}
			fo, err := sf.options()
			if err != nil {
				return err
			}
			opts := replay.Options{Options: fo, Speed: speed, NoDelay: noDelay, Ignore: ignore, Settle: settle}
			if step {
				in := bufio.NewReader(env.Stdin)
				opts.Step = func(i int, e *capture.Event) error {
					p, _ := e.Payload()
					fmt.Fprintf(env.Stderr, "next: client message %d (%s, %d bytes): %s — Enter sends, q stops ",
						i+1, e.Op, len(p), termsafe.Line(truncateRunes(string(p), 60)))
					line, err := in.ReadString('\n')
					if err != nil && err != io.EOF {
						return err
					}
					if strings.TrimSpace(line) == "q" || err == io.EOF && line == "" {
						return fmt.Errorf("by the user")
					}
					return nil
				}
			}
			for _, w := range rec.Warnings {
				fmt.Fprintln(env.Stderr, "wscope: warning: "+termsafe.Line(w))
			}
			res := replay.Run(cmd.Context(), rec, target, cfg, opts)
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				enc.Encode(res)
			} else {
				writeReplay(env.Stdout, res)
			}
			if !res.OK() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cf.register(cmd.Flags())
	sf.register(cmd, withRecord|withProtocol)
	cmd.Flags().StringVar(&target, "target", "", "connect here instead of the recorded URL")
	cmd.Flags().Float64Var(&speed, "speed", 1, "scale the recorded timing (2: twice as fast)")
	cmd.Flags().BoolVar(&noDelay, "no-delay", false, "send without the recorded pauses")
	cmd.Flags().BoolVar(&step, "step", false, "wait for Enter before each client message")
	cmd.Flags().StringArrayVar(&ignore, "ignore-field", nil, "JSON field to leave out of comparisons: a dotted path (data.id) or a name at any depth (ts); repeatable")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&entry, "entry", "", "HAR only: which WebSocket entry (number or URL substring)")
	cmd.Flags().DurationVar(&settle, "settle", 2*time.Second, "how long to wait for the server's remaining answers after the last send")
	return cmd
}

func writeReplay(w io.Writer, res *replay.Result) {
	fmt.Fprintf(w, "replay against %s: sent %d client messages\n", termsafe.Line(res.Target), res.Sent)
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", termsafe.Line(warn))
	}
	if res.Error != "" {
		fmt.Fprintf(w, "error: %s\n", termsafe.Line(res.Error))
		return
	}
	counts := map[replay.Verdict]int{}
	for _, it := range res.Items {
		counts[it.Verdict]++
		mark := map[replay.Verdict]string{replay.Matched: "✓", replay.Differs: "✗", replay.Missing: "?"}[it.Verdict]
		fmt.Fprintf(w, "  %s %3d %-8s %s\n", mark, it.Index, it.Verdict, termsafe.Line(truncateRunes(it.Expected, 70)))
		if it.Verdict == replay.Differs {
			for _, d := range it.Diff {
				fmt.Fprintf(w, "          %s\n", termsafe.Line(d))
			}
		}
	}
	for _, u := range res.Unexpected {
		fmt.Fprintf(w, "  + unexpected %s\n", termsafe.Line(truncateRunes(u, 70)))
	}
	fmt.Fprintf(w, "%d matched, %d differ, %d missing, %d unexpected\n", counts[replay.Matched], counts[replay.Differs], counts[replay.Missing], len(res.Unexpected))
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func newExportCmd(env Env) *cobra.Command {
	var out, entry string
	var rf redactFlags
	cmd := &cobra.Command{
		Use:     "export FILE",
		Short:   "Export a recording as a HAR 1.2 file that browser DevTools can import",
		Example: "  wscope export session.jsonl -o session.har",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := capture.ReadFile(args[0], entry)
			if err != nil {
				return usageErr("%v", err)
			}
			w := env.Stdout
			if out != "" && out != "-" {
				f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
				if err != nil {
					return usageErr("%v", err)
				}
				defer f.Close()
				w = f
			}
			if err := capture.WriteHAR(w, rec, rf.redactor(), Version); err != nil {
				return &exitError{code: 1, msg: "export: " + err.Error()}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the HAR here (default: standard output)")
	cmd.Flags().StringVar(&entry, "entry", "", "HAR input only: which WebSocket entry")
	cmd.Flags().StringArrayVar(&rf.redact, "redact", nil, "also hide this header's value (repeatable)")
	cmd.Flags().BoolVar(&rf.noRedact, "no-redact", false, "keep secrets in the export")
	return cmd
}

// redactFlags choose what export hides.
type redactFlags struct {
	redact   []string
	noRedact bool
}

func (f *redactFlags) redactor() *capture.Redactor { return capture.NewRedactor(f.redact, f.noRedact) }
