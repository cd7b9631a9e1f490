package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/serve"
)

func newServeCmd(env Env) *cobra.Command {
	var opts serve.Options
	var verbose bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the diagnostic WebSocket server (put it behind your proxy in place of your app)",
		Long: "serve runs a WebSocket backend for diagnosing proxies:\n" +
			"  /echo                      echoes every message\n" +
			"  /headers                   first message: the upgrade request exactly as received (JSON)\n" +
			"  /firehose?n=1000&size=64   n messages of size bytes, then close 1000\n" +
			"  /silent                    accepts and never speaks\n" +
			"  /ticker?interval=1s        a message every interval\n" +
			"  /close?code=1000&reason=x  closes at once with that code (abrupt=1: drops TCP)\n" +
			"  /demo                      echoes and ticks\n" +
			"It binds to loopback unless --addr says otherwise.",
		Example: "  wscope serve\n  wscope serve --addr 127.0.0.1:9000\n  wscope serve --tls-cert cert.pem --tls-key key.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if verbose {
				opts.Logf = func(format string, args ...any) { fmt.Fprintf(env.Stderr, format+"\n", args...) }
			}
			if !serve.IsLoopback(opts.Addr) {
				fmt.Fprintf(env.Stderr, "wscope: warning: %s is not a loopback address; anyone who can reach it can use this server\n", opts.Addr)
			}
			srv, err := serve.Start(opts)
			if err != nil {
				hint := "pick another port with --addr 127.0.0.1:PORT"
				if !strings.Contains(err.Error(), "in use") {
					hint = "check --addr and the TLS files"
				}
				return &exitError{code: 1, msg: err.Error() + " (hint: " + hint + ")"}
			}
			defer srv.Close()
			fmt.Fprintf(env.Stdout, "wscope serve listening on %s\n  try: wscope probe %s --send hello\n", srv.Addr(), srv.URL("/echo"))
			<-cmd.Context().Done()
			fmt.Fprintln(env.Stdout, "wscope serve: stopping")
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8765", "address to listen on")
	cmd.Flags().StringVar(&opts.TLSCertFile, "tls-cert", "", "serve wss:// with this certificate (PEM)")
	cmd.Flags().StringVar(&opts.TLSKeyFile, "tls-key", "", "key for --tls-cert (PEM)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log each connection to stderr")
	return cmd
}
