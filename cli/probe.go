package cli

import (
	"os"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

func newProbeCmd(env Env) *cobra.Command {
	var (
		cf        connFlags
		sends     []string
		sendFiles []string
		count     int
		wait      time.Duration
		idle      time.Duration
		asJSON    bool
		quiet     bool
		rf        recordFlags
		pf        protoFlags
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
			opts := probe.Options{Session: cfg, Count: count, Wait: wait, Idle: idle}
			if count > 0 && !cmd.Flags().Changed("wait") {
				opts.Wait = 24 * time.Hour // --count alone waits for the count (or the close)
			}
			for _, s := range sends {
				opts.Sends = append(opts.Sends, probe.Message{Op: session.OpText, Payload: []byte(s)})
			}
			for _, name := range sendFiles {
				data, err := os.ReadFile(name)
				if err != nil {
					return usageErr("--send-file: %v", err)
				}
				op := session.OpText
				if !utf8.Valid(data) {
					op = session.OpBinary
				}
				opts.Sends = append(opts.Sends, probe.Message{Op: op, Payload: data})
			}
			opts.Record, opts.Redact = rf.path, rf.redactor()
			if opts.Protocol, opts.ProtocolForced, err = protocol.Parse(pf.name); err != nil {
				return usageErr("%v", err)
			}
			opts.AutoHeartbeat = pf.autoHeartbeat
			if quiet {
				opts.KeepFrames = 1 // counts stay exact; the frame list is not printed
			}
			r := probe.Run(cmd.Context(), opts)
			switch {
			case asJSON:
				err = r.WriteJSON(env.Stdout)
			case quiet:
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
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&sends, "send", nil, "send this text message after connecting (repeatable)")
	cmd.Flags().StringArrayVar(&sendFiles, "send-file", nil, "send the file's content (text if valid UTF-8, else binary; repeatable)")
	cmd.Flags().IntVar(&count, "count", 0, "stop after N text/binary messages were received")
	cmd.Flags().DurationVar(&wait, "wait", probe.DefaultWait, "stop after this long")
	cmd.Flags().DurationVar(&idle, "idle", 0, "send nothing (no pings) for this long and report whether the connection was closed")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (schema in docs/json.md)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print a one-line summary instead of the report")
	rf.register(cmd)
	pf.register(cmd)
	return cmd
}
