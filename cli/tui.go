package cli

import (
	"errors"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/serve"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/themes"
	"github.com/wscope/wscope/ui"
)

// uiFlags are the flags of the interactive commands.
type uiFlags struct {
	theme     string
	themeFile string
	noColor   bool
}

func (f *uiFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.theme, "theme", "", "colour theme: "+strings.Join(themes.Names(), ", ")+" (default: dark or light from the terminal)")
	cmd.Flags().StringVar(&f.themeFile, "theme-file", "", "load a custom theme from a TOML file")
	cmd.Flags().BoolVar(&f.noColor, "no-color", false, "no colours (also when NO_COLOR is set)")
}

// options builds the TUI options; it validates the theme flags.
func (f *uiFlags) options(cfg session.Config, env Env) (ui.Options, error) {
	opts := ui.Options{Config: cfg, Theme: f.theme, NoColor: f.noColor || env.Getenv("NO_COLOR") != "", StateDir: ui.StateDir(env.Getenv)}
	opts.Redact = capture.NewRedactor(nil, false)
	if f.theme != "" {
		if _, ok := themes.Builtin(f.theme); !ok {
			return opts, usageErr("unknown theme %q: choose one of %s, or --theme-file FILE", f.theme, strings.Join(themes.Names(), ", "))
		}
	}
	if f.themeFile != "" {
		p, err := themes.LoadFile(f.themeFile)
		if err != nil {
			return opts, usageErr("%v", err)
		}
		opts.Custom, opts.Theme = &p, p.Name
	}
	return opts, nil
}

// runTUI runs the interactive inspector until the user quits.
func runTUI(cmd *cobra.Command, opts ui.Options) error { return runProgram(cmd, ui.New(opts)) }

// runProgram runs a Bubble Tea model until the user quits.
func runProgram(cmd *cobra.Command, model tea.Model) error {
	p := tea.NewProgram(model, tea.WithContext(cmd.Context()))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrInterrupted) {
		return &exitError{code: 1, msg: "terminal UI: " + err.Error()}
	}
	return nil
}

func newDemoCmd(env Env) *cobra.Command {
	var uf uiFlags
	var sf sessionFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start the diagnostic server on a free port and open the inspector on its demo endpoint",
		Long: "demo starts `wscope serve` on a free loopback port and opens the inspector connected to its\n" +
			"/demo endpoint, which echoes what you send and ticks once a second. Quitting stops both.",
		Example: "  wscope demo\n  wscope demo --theme light",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := serve.Start(serve.Options{Addr: "127.0.0.1:0"})
			if err != nil {
				return &exitError{code: 1, msg: "starting the demo server: " + err.Error()}
			}
			defer srv.Close()
			opts, err := uf.options(session.Config{URL: srv.URL("/demo?interval=1s"), UserAgent: "wscope/" + Version, PingInterval: 0}, env)
			if err != nil {
				return err
			}
			if opts.Options, err = sf.options(); err != nil {
				return err
			}
			opts.Title = "demo"
			return runTUI(cmd, opts)
		},
	}
	uf.register(cmd)
	sf.register(cmd, withRecord|withLimits)
	return cmd
}

// rootRun opens the TUI on the URL, or the connect form without one;
// runF (tests) receives the options instead.
func rootRun(env Env, cf *connFlags, uf *uiFlags, sf *sessionFlags, runF func(*ui.Options) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		url := ""
		if len(args) == 1 {
			url = args[0]
			if _, err := session.NormalizeURL(url); err != nil {
				return usageErr("%v (e.g. ws://127.0.0.1:8765/echo)", err)
			}
		}
		cfg, err := cf.config(url, env)
		if err != nil {
			return err
		}
		opts, err := uf.options(cfg, env)
		if err != nil {
			return err
		}
		if opts.Options, err = sf.options(); err != nil {
			return err
		}
		if runF != nil {
			return runF(&opts)
		}
		return runTUI(cmd, opts)
	}
}

func newViewCmd(env Env) *cobra.Command {
	var uf uiFlags
	var cf connFlags
	var sf sessionFlags
	var entry, target string
	var ignore []string
	cmd := &cobra.Command{
		Use:   "view FILE",
		Short: "Open a recording or a browser HAR export in the inspector, read-only",
		Long: "view opens a wscope recording or a HAR file (Chrome/Edge DevTools export) with the same panes,\n" +
			"filter and detail as a live session. P replays it against the server (or --target) and shows\n" +
			"expected vs actual.",
		Example: "  wscope view session.jsonl\n  wscope view devtools.har --entry cable",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := capture.ReadFile(args[0], entry)
			if err != nil {
				return usageErr("%v", err)
			}
			cfg, err := cf.config(target, env)
			if err != nil {
				return err
			}
			opts, err := uf.options(cfg, env)
			if err != nil {
				return err
			}
			if opts.Options, err = sf.options(); err != nil {
				return err
			}
			opts.Recording, opts.ReplayIgnore, opts.Title = rec, ignore, "view "+filepath.Base(args[0])
			return runTUI(cmd, opts)
		},
	}
	uf.register(cmd)
	cf.register(cmd.Flags())
	sf.register(cmd, withProtocol|withLimits)
	cmd.Flags().StringVar(&entry, "entry", "", "HAR only: which WebSocket entry (number or URL substring)")
	cmd.Flags().StringVar(&target, "target", "", "replay (P) against this URL instead of the recorded one")
	cmd.Flags().StringArrayVar(&ignore, "ignore-field", nil, "JSON field to leave out when comparing a replay (repeatable)")
	return cmd
}
