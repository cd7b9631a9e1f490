package cli

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/doctor"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// doctorOptions is everything `wscope doctor` was asked to do, parsed.
type doctorOptions struct {
	Doctor doctor.Options
	JSON   bool
}

func newDoctorCmd(env Env, runF func(*doctorOptions) error) *cobra.Command {
	var (
		cf         connFlags
		direct     string
		idle       time.Duration
		getTimeout time.Duration
		protoWait  time.Duration
		proto      string
		redact     []string
		noRedact   bool
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "doctor URL",
		Short: "Run a battery of probes and say what is wrong, the most likely cause first",
		Long: "doctor is the command to run first. It tries URL the way a browser does (with the page's Origin and\n" +
			"permessage-deflate), the same without Origin and without compression, a plain GET of the same path\n" +
			"(a hang there means the proxy forces Connection: upgrade on every request), the same request straight\n" +
			"to the app with --direct, an idle check with --idle, and the application protocol's first exchange\n" +
			"(ActionCable's welcome, Engine.IO's open and first ping). It prints the causes ranked — errors first,\n" +
			"then what several probes agree on, and a contrast between two probes decides (refused with Origin,\n" +
			"accepted without: the app refused the origin) — each with its evidence and fix, then every check.\n" +
			"Exit code: 0 healthy, 1 a problem found, 2 bad input.",
		Example: "  wscope doctor wss://chat.example.com/cable\n" +
			"  wscope doctor wss://chat.example.com/cable --direct 10.0.0.5:3000     # the app itself, bypassing the proxy\n" +
			"  wscope doctor ws://127.0.0.1:8080/ws --idle 75s --json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range []string{"no-origin", "compress"} {
				if cmd.Flags().Changed(name) {
					return usageErr("--%s does not apply to doctor: it tries with and without Origin and compression itself (--origin sets the page's origin, --compress-offer the offer)", name)
				}
			}
			cfg, err := cf.config(args[0], env)
			if err != nil {
				return err
			}
			o := &doctorOptions{JSON: asJSON, Doctor: doctor.Options{Session: cfg, Direct: direct, Idle: idle,
				GetTimeout: getTimeout, ProtocolWait: protoWait, Redact: capture.NewRedactor(redact, noRedact)}}
			if o.Doctor.Protocol, o.Doctor.ProtocolForced, err = protocol.Parse(proto); err != nil {
				return usageErr("%v", err)
			}
			if err := o.Doctor.Validate(); err != nil {
				var se *session.Error
				if errors.As(err, &se) && se.Hint != "" {
					return usageErr("%s (%s)", se.Msg, se.Hint)
				}
				return usageErr("%v", err)
			}
			if runF != nil {
				return runF(o)
			}
			return doctorRun(cmd.Context(), env, o)
		},
	}
	cf.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&direct, "direct", "", "HOST:PORT of the app behind the proxy: send the same request there too (Host and TLS name kept; ws://HOST:PORT for a plain app behind a TLS proxy)")
	fs.DurationVar(&idle, "idle", 0, "also stay silent this long and report whether the connection is cut (e.g. 75s catches a 60s proxy timeout)")
	fs.DurationVar(&getTimeout, "get-timeout", doctor.DefaultGetTimeout, "how long the plain GET may take before it counts as hanging")
	fs.DurationVar(&protoWait, "protocol-wait", 0, "how long to wait for the application protocol's first exchange (default: 5.5s for ActionCable, 30s for Engine.IO's first ping)")
	fs.StringVar(&proto, "protocol", "auto", "application protocol: auto, none, "+strings.Join(protocol.Names(), ", "))
	fs.StringArrayVar(&redact, "redact", nil, "also hide this header's value in the report (repeatable)")
	fs.BoolVar(&noRedact, "no-redact", false, "show secrets (Authorization, Cookie, tokens in the URL) in the report")
	fs.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// doctorRun runs the battery and prints the diagnosis.
func doctorRun(ctx context.Context, env Env, o *doctorOptions) error {
	r := doctor.Run(ctx, o.Doctor)
	if r.UsageError() {
		msg := r.Error
		if r.Hint != "" {
			msg += " (" + r.Hint + ")"
		}
		return usageErr("%s", msg)
	}
	var err error
	if o.JSON {
		err = r.WriteJSON(env.Stdout)
	} else {
		err = r.WriteText(env.Stdout)
	}
	if err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	if r.ExitCode != 0 {
		return &exitError{code: r.ExitCode} // the report says why
	}
	return nil
}
