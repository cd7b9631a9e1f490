package cli

import (
	"io"
	"os"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/compare"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/ui"
)

// isTerminal reports whether w is a terminal (the split view makes sense).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// sideFlags are the flags that set one side of a comparison.
type sideFlags struct {
	proxy     string
	headers   []string
	connectTo []string
}

func (s *sideFlags) register(cmd *cobra.Command, side string) {
	cmd.Flags().StringVar(&s.proxy, side+"-proxy", "", "forward proxy for side "+side+" only")
	cmd.Flags().StringArrayVar(&s.headers, side+"-header", nil, "extra header for side "+side+" only (repeatable)")
	cmd.Flags().StringArrayVar(&s.connectTo, side+"-connect-to", nil, "--connect-to for side "+side+" only (repeatable)")
}

func (s *sideFlags) apply(cfg session.Config) (session.Config, error) {
	if s.proxy != "" {
		cfg.Proxy = s.proxy
	}
	cfg.Headers = append([]session.Header(nil), cfg.Headers...)
	for _, h := range s.headers {
		hd, err := session.ParseHeader(h)
		if err != nil {
			return cfg, usageErr("%v", err)
		}
		cfg.Headers = append(cfg.Headers, hd)
	}
	cfg.ConnectTo = append(append([]string(nil), cfg.ConnectTo...), s.connectTo...)
	return cfg, nil
}

func newCompareCmd(env Env) *cobra.Command {
	var (
		cf     connFlags
		a, b   sideFlags
		sends  []string
		count  int
		wait   time.Duration
		idle   time.Duration
		asJSON bool
		report bool
		uf     uiFlags
		rf     recordFlags
	)
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Run the same script against two targets (direct vs proxied) and say what differs",
		Long: "compare connects to A and B at the same time — typically the app directly and the app behind its\n" +
			"reverse proxy, or the same URL with and without --b-proxy — sends the same messages, optionally stays\n" +
			"idle, and prints both sides next to each other: status, response header differences (including\n" +
			"case), subprotocol, extensions, timings, frames, idle survival, close codes, findings. When both are\n" +
			"`wscope serve` /headers endpoints it also shows what the proxy added, changed or stripped on the way\n" +
			"to the backend. Exit code: 0 when the sides agree, 1 when they differ in an error-level way, 2 bad input.",
		Example: "  wscope compare ws://127.0.0.1:8765/headers wss://chat.example.com/headers\n" +
			"  wscope compare wss://chat.example.com/cable wss://chat.example.com/cable --a-connect-to chat.example.com:443:10.0.0.5:3000 --idle 75s\n" +
			"  wscope compare ws://127.0.0.1:9000/echo ws://127.0.0.1:9000/echo --b-proxy http://127.0.0.1:3128",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := cf.config(args[0], env)
			if err != nil {
				return err
			}
			for _, u := range args {
				if _, err := session.NormalizeURL(u); err != nil {
					return usageErr("%v", err)
				}
			}
			ca, err := a.apply(base)
			if err != nil {
				return err
			}
			base.URL = args[1]
			cb, err := b.apply(base)
			if err != nil {
				return err
			}
			if !asJSON && !report && isTerminal(env.Stdout) {
				o, err := uf.options(ca, env)
				if err != nil {
					return err
				}
				cb.URL = args[1]
				return runProgram(cmd, ui.NewCompare(ui.CompareOptions{A: ca, B: cb, LabelA: a.label(), LabelB: b.label(),
					Theme: o.Theme, NoColor: o.NoColor}))
			}
			opts := func(cfg session.Config) probe.Options {
				o := probe.Options{Session: cfg, Count: count, Wait: wait, Idle: idle, Redact: rf.redactor()}
				if count > 0 && !cmd.Flags().Changed("wait") {
					o.Wait = 30 * time.Second
				}
				for _, s := range sends {
					o.Sends = append(o.Sends, probe.Message{Op: session.OpText, Payload: []byte(s)})
				}
				return o
			}
			res := compare.Run(cmd.Context(), opts(ca), opts(cb))
			if res.A.UsageError() || res.B.UsageError() {
				msg := res.A.Error
				if msg == "" {
					msg = res.B.Error
				}
				return usageErr("%s", msg)
			}
			if asJSON {
				err = res.WriteJSON(env.Stdout)
			} else {
				err = res.WriteText(env.Stdout, a.label(), b.label())
			}
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			if res.ErrorLevel() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cf.register(cmd.Flags())
	a.register(cmd, "a")
	b.register(cmd, "b")
	cmd.Flags().StringArrayVar(&sends, "send", nil, "send this text message on both sides (repeatable)")
	cmd.Flags().IntVar(&count, "count", 0, "wait for N messages on each side")
	cmd.Flags().DurationVar(&wait, "wait", probe.DefaultWait, "stop after this long")
	cmd.Flags().DurationVar(&idle, "idle", 0, "stay silent this long on both sides (e.g. 75s catches a 60s proxy timeout)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&report, "report", false, "print the side-by-side report even in a terminal (default there: the split view)")
	uf.register(cmd)
	cmd.Flags().StringArrayVar(&rf.redact, "redact", nil, "also hide this header's value in the report (repeatable)")
	cmd.Flags().BoolVar(&rf.noRedact, "no-redact", false, "show secrets (Authorization, cookies, tokens) as sent")
	return cmd
}

// label names a side for the report's header.
func (s *sideFlags) label() string {
	if s.proxy != "" {
		return "via " + s.proxy
	}
	if len(s.connectTo) > 0 {
		return "connect-to " + s.connectTo[0]
	}
	return "direct"
}
