// Package cli wires wscope's commands: it parses flags into the engine's
// configuration and hands off to the package that does the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/termsafe"
	"github.com/wscope/wscope/ui"
)

// Version is wscope's version, shown by --version.
const Version = "0.1.0"

// Env is what the commands may touch of the outside world, so tests can run
// them in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	msg  string // printed to stderr when not empty
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: 2, msg: termsafe.Line(fmt.Sprintf(format, args...))}
}

// Run executes wscope with args and returns the process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	root := newRoot(env)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(env.Stderr, "wscope: "+ee.msg)
		}
		return ee.code
	}
	// Cobra's own errors are about flags and arguments.
	fmt.Fprintln(env.Stderr, "wscope: "+termsafe.Line(err.Error()))
	fmt.Fprintln(env.Stderr, "Run 'wscope --help' for usage.")
	return 2
}

// Main runs wscope as a process: real stdio, environment, and Ctrl-C.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return Run(ctx, os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
}

// runSeams let tests stop a command right after its flags are parsed into
// options (cli/cli's runF): nil runs the command for real.
type runSeams struct {
	root    func(*ui.Options) error
	probe   func(*probeOptions) error
	compare func(*compareOptions) error
	doctor  func(*doctorOptions) error
	explain func(*explainOptions) error
}

func newRoot(env Env) *cobra.Command { return newRootWith(env, runSeams{}) }

func newRootWith(env Env, seams runSeams) *cobra.Command {
	root := &cobra.Command{
		Use:   "wscope [URL]",
		Short: "An interactive WebSocket inspector for the terminal",
		Long: "wscope connects to a WebSocket server, directly or through a proxy, shows the handshake\n" +
			"exactly as it went over the wire, logs every frame, and explains what is wrong.\n\n" +
			"Quick start:\n" +
			"  wscope demo                                     # try it: a local server and the inspector\n" +
			"  wscope ws://127.0.0.1:8765/echo                 # inspect a server interactively\n" +
			"  wscope serve &                                  # a diagnostic server on 127.0.0.1:8765\n" +
			"  wscope probe ws://127.0.0.1:8765/echo --send hi # connect, send, report",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.MaximumNArgs(1),
	}
	var cf connFlags
	var uf uiFlags
	var sf sessionFlags
	root.RunE = rootRun(env, &cf, &uf, &sf, seams.root)
	cf.register(root.Flags())
	uf.register(root)
	sf.register(root, liveSession|withLimits|withReconnect)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErr("%v (see --help)", err)
	})
	root.AddCommand(newProbeCmd(env, seams.probe), newServeCmd(env), newDemoCmd(env), newReplayCmd(env), newExportCmd(env), newViewCmd(env), newCompareCmd(env, seams.compare), newDoctorCmd(env, seams.doctor), newExplainCmd(env, seams.explain))
	return root
}
