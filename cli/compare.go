package cli

import (
	"io"
	"os"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/compare"
	"github.com/wscope/wscope/flow"
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
	httpMode  string
}

func (s *sideFlags) register(cmd *cobra.Command, side string) {
	cmd.Flags().StringVar(&s.proxy, side+"-proxy", "", "forward proxy for side "+side+" only")
	cmd.Flags().StringArrayVar(&s.headers, side+"-header", nil, "extra header for side "+side+" only (repeatable)")
	cmd.Flags().StringArrayVar(&s.connectTo, side+"-connect-to", nil, "--connect-to for side "+side+" only (repeatable)")
	cmd.Flags().StringVar(&s.httpMode, side+"-http", "", "--http for side "+side+" only: 1.1, 2 or auto (e.g. --a-http 1.1 --b-http 2: what wscat sees vs what a browser sees)")
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
	switch s.httpMode {
	case "":
	case "1.1", "2", "auto":
		cfg.HTTP = s.httpMode
		if cfg.HTTP == session.HTTPMode11 {
			cfg.H2C, cfg.ForceH2 = false, false // the HTTP/2 flags are for the other side
		}
	default:
		return cfg, usageErr("--a-http and --b-http take 1.1, 2 or auto, not %q", s.httpMode)
	}
	return cfg, nil
}

// compareOptions is everything `wscope compare` was asked to do, parsed:
// the two URLs beside their settings, the session options both sides share
// (the same group every command fills), and how to show the result.
type compareOptions struct {
	URLA, URLB     string
	A, B           session.Config
	LabelA, LabelB string
	Flow           flow.Options
	Count          int
	Wait           time.Duration
	JSON, Report   bool
	UI             ui.Options // theme settings for the split view
	SplitView      bool       // stdout is a terminal and neither --json nor --report was given
}

// splitViewOptions are the split view's options: every session flag
// reaches it.
func (o *compareOptions) splitViewOptions() ui.CompareOptions {
	return ui.CompareOptions{URLA: o.URLA, URLB: o.URLB, A: o.A, B: o.B, LabelA: o.LabelA, LabelB: o.LabelB,
		Flow: o.Flow, Theme: o.UI.Theme, Custom: o.UI.Custom, NoColor: o.UI.NoColor}
}

// probeOptions are the report mode's options for one side.
func (o *compareOptions) probeOptions(url string, cfg session.Config, side string) probe.Options {
	p := probe.Options{Session: cfg, Options: o.Flow}
	p.Session.URL = url
	p.Record = ui.SideRecordPath(o.Flow.Record, side)
	p.Count, p.Wait = o.Count, o.Wait
	return p
}

func newCompareCmd(env Env, runF func(*compareOptions) error) *cobra.Command {
	var (
		cf     connFlags
		sf     sessionFlags
		a, b   sideFlags
		count  int
		wait   time.Duration
		asJSON bool
		report bool
		uf     uiFlags
	)
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Run the same script against two targets (direct vs proxied) and say what differs",
		Long: "compare connects to A and B at the same time — typically the app directly and the app behind its\n" +
			"reverse proxy, or the same URL with and without --b-proxy — sends the same messages, optionally stays\n" +
			"idle, and shows both sides next to each other: status, response header differences (including\n" +
			"case), subprotocol, extensions, timings, frames, idle survival, close codes, findings. When both are\n" +
			"`wscope serve` /headers endpoints it also shows what the proxy added, changed or stripped on the way\n" +
			"to the backend. In a terminal it opens the split view (two live sessions, one send box); --report\n" +
			"prints the report instead. Both decide findings the same way and exit the same way.\n" +
			"Exit code: 0 when the sides agree, 1 when they differ in an error-level way, 2 bad input.\n" +
			"--record FILE records both sides, to FILE.a.jsonl and FILE.b.jsonl (with FILE's extension).",
		Example: "  wscope compare ws://127.0.0.1:8765/headers wss://chat.example.com/headers\n" +
			"  wscope compare wss://chat.example.com/cable wss://chat.example.com/cable --a-connect-to chat.example.com:443:10.0.0.5:3000 --idle 75s\n" +
			"  wscope compare ws://127.0.0.1:9000/echo ws://127.0.0.1:9000/echo --b-proxy http://127.0.0.1:3128",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, u := range args {
				if _, err := session.NormalizeURL(u); err != nil {
					return usageErr("%v", err)
				}
			}
			base, err := cf.config("", env)
			if err != nil {
				return err
			}
			opts := &compareOptions{URLA: args[0], URLB: args[1], LabelA: a.label(), LabelB: b.label(),
				Count: count, Wait: wait, JSON: asJSON, Report: report}
			if opts.A, err = a.apply(base); err != nil {
				return err
			}
			if opts.B, err = b.apply(base); err != nil {
				return err
			}
			if opts.Flow, err = sf.options(); err != nil {
				return err
			}
			if count > 0 && !cmd.Flags().Changed("wait") {
				opts.Wait = 30 * time.Second
			}
			if opts.UI, err = uf.options(session.Config{}, env); err != nil {
				return err
			}
			opts.SplitView = !asJSON && !report && isTerminal(env.Stdout)
			if runF != nil {
				return runF(opts)
			}
			return compareRun(cmd, env, opts)
		},
	}
	cf.register(cmd.Flags())
	a.register(cmd, "a")
	b.register(cmd, "b")
	sf.register(cmd, liveSession|withLimits|withReconnect)
	cmd.Flags().IntVar(&count, "count", 0, "report mode: wait for N messages on each side")
	cmd.Flags().DurationVar(&wait, "wait", probe.DefaultWait, "report mode: stop after this long")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&report, "report", false, "print the side-by-side report even in a terminal (default there: the split view)")
	uf.register(cmd)
	return cmd
}

// compareRun runs the split view or the report.
func compareRun(cmd *cobra.Command, env Env, opts *compareOptions) error {
	if opts.SplitView {
		m := ui.NewCompare(opts.splitViewOptions())
		if err := runProgram(cmd, m); err != nil {
			return err
		}
		if code := m.ExitCode(); code != 0 {
			return &exitError{code: code}
		}
		return nil
	}
	res := compare.Run(cmd.Context(), opts.probeOptions(opts.URLA, opts.A, "a"), opts.probeOptions(opts.URLB, opts.B, "b"))
	if res.A.UsageError() || res.B.UsageError() {
		msg := res.A.Error
		if msg == "" {
			msg = res.B.Error
		}
		return usageErr("%s", msg)
	}
	var err error
	if opts.JSON {
		err = res.WriteJSON(env.Stdout)
	} else {
		err = res.WriteText(env.Stdout, opts.LabelA, opts.LabelB)
	}
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	if res.ErrorLevel() {
		return &exitError{code: 1}
	}
	return nil
}

// label names a side for the report's header.
func (s *sideFlags) label() string {
	if s.httpMode != "" {
		who := "direct"
		if s.proxy != "" {
			who = "via " + s.proxy
		}
		return who + ", HTTP/" + map[string]string{"1.1": "1.1", "2": "2", "auto": "auto"}[s.httpMode]
	}
	if s.proxy != "" {
		return "via " + s.proxy
	}
	if len(s.connectTo) > 0 {
		return "connect-to " + s.connectTo[0]
	}
	return "direct"
}
