package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// probeOptions is everything `wscope probe` was asked to do, parsed.
type probeOptions struct {
	URL     string
	Session session.Config
	Flow    flow.Options
	Count   int
	Wait    time.Duration
	Quiet   bool
	JSON    bool
}

func newProbeCmd(env Env, runF func(*probeOptions) error) *cobra.Command {
	var (
		cf     connFlags
		sf     sessionFlags
		count  int
		wait   time.Duration
		asJSON bool
		quiet  bool
	)
	cmd := &cobra.Command{
		Use:   "probe URL",
		Short: "Connect headlessly, send, wait, and report (for scripts and CI)",
		Long: "probe connects to URL, sends each --send and --send-file, then waits until --count messages\n" +
			"arrived, --wait passed or the server closed, and prints a report of the handshake, timings,\n" +
			"TLS, frames and findings. Exit code: 0 upgraded with no error finding, 1 otherwise, 2 bad input.",
		Example: "  wscope probe ws://127.0.0.1:8765/echo --send hello\n" +
			"  wscope probe wss://app.example.com/cable --origin https://app.example.com --json\n" +
			"  wscope probe ws://127.0.0.1/ws --idle 75s          # does the proxy cut idle connections?\n" +
			"  wscope probe ws://127.0.0.1:8765/firehose?n=1000 --count 1000 --quiet",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := cf.config(args[0], env)
			if err != nil {
				return err
			}
			if count < 0 {
				return usageErr("--count must not be negative")
			}
			fo, err := sf.options()
			if err != nil {
				return err
			}
			opts := &probeOptions{URL: args[0], Session: cfg, Flow: fo, Count: count, Wait: wait, Quiet: quiet, JSON: asJSON}
			if count > 0 && !cmd.Flags().Changed("wait") {
				opts.Wait = 24 * time.Hour // --count alone waits for the count (or the close)
			}
			if runF != nil {
				return runF(opts)
			}
			return probeRun(cmd.Context(), env, opts)
		},
	}
	cf.register(cmd.Flags())
	sf.register(cmd, liveSession)
	cmd.Flags().IntVar(&count, "count", 0, "stop after N text/binary messages were received")
	cmd.Flags().DurationVar(&wait, "wait", probe.DefaultWait, "stop after this long")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (schema in docs/json.md)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print a one-line summary instead of the report")
	return cmd
}

// probeRun runs the probe and prints its report.
func probeRun(ctx context.Context, env Env, o *probeOptions) error {
	opts := probe.Options{Session: o.Session, Options: o.Flow}
	opts.Session.URL = o.URL
	opts.Count, opts.Wait = o.Count, o.Wait
	if o.Quiet {
		opts.KeepFrames = 1 // counts stay exact; the frame list is not printed
	}
	r := probe.Run(ctx, opts)
	var err error
	switch {
	case o.JSON:
		err = r.WriteJSON(env.Stdout)
	case o.Quiet:
		err = r.WriteSummary(env.Stdout)
	default:
		err = r.WriteText(env.Stdout)
	}
	if err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	if code := r.ExitCode(); code != 0 {
		return &exitError{code: code} // the report already says why
	}
	return nil
}
