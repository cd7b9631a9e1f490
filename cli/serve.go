package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/serve"
	"github.com/wscope/wscope/termsafe"
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
			"It binds to loopback unless --addr says otherwise.\n" +
			"With --h2 it speaks HTTP/2 and HTTP/1.1 over TLS (ALPN h2, http/1.1): every endpoint\n" +
			"also takes WebSockets over HTTP/2 (RFC 8441 extended CONNECT). Without --tls-cert it\n" +
			"makes a self-signed certificate for 127.0.0.1 and localhost at start and names the\n" +
			"file to pass to --cacert. --h2c speaks HTTP/2 without TLS to clients that start with\n" +
			"the HTTP/2 preface (prior knowledge), HTTP/1.1 to the others.",
		Example: "  wscope serve\n  wscope serve --addr 127.0.0.1:9000\n  wscope serve --tls-cert cert.pem --tls-key key.pem\n" +
			"  wscope serve --h2    # then: wscope probe wss://127.0.0.1:8765/echo --http 2 --cacert FILE\n" +
			"  wscope serve --h2c   # then: wscope probe ws://127.0.0.1:8765/echo --http 2 --h2c",
		Args: cobra.NoArgs,
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
				switch {
				case strings.Contains(err.Error(), "exclude"):
					hint = "--h2 is HTTP/2 over TLS, --h2c without it: pick one"
				case !strings.Contains(err.Error(), "in use"):
					hint = "check --addr, the TLS files and --cert-out"
				}
				return &exitError{code: 1, msg: err.Error() + " (hint: " + hint + ")"}
			}
			defer srv.Close()
			fmt.Fprint(env.Stdout, serveBanner(srv, opts))
			<-cmd.Context().Done()
			fmt.Fprintln(env.Stdout, "wscope serve: stopping")
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8765", "address to listen on")
	cmd.Flags().StringVar(&opts.TLSCertFile, "tls-cert", "", "serve wss:// with this certificate (PEM)")
	cmd.Flags().StringVar(&opts.TLSKeyFile, "tls-key", "", "key for --tls-cert (PEM)")
	cmd.Flags().BoolVar(&opts.H2, "h2", false, "also speak HTTP/2 over TLS (WebSockets over HTTP/2, RFC 8441); a self-signed certificate unless --tls-cert")
	cmd.Flags().BoolVar(&opts.H2C, "h2c", false, "also speak HTTP/2 without TLS to clients that open with the HTTP/2 preface")
	cmd.Flags().StringVar(&opts.CertOut, "cert-out", "", "with --h2 and no --tls-cert: write the generated certificate (PEM, no key) here (default: a temporary file)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log each connection to stderr")
	return cmd
}

// serveBanner is what serve prints once it listens: where, what it
// speaks, the certificate to trust when it made one, and a probe to try.
func serveBanner(srv *serve.Server, opts serve.Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "wscope serve listening on %s (%s)\n", srv.Addr(), srv.Protocols())
	trust := ""
	if f := srv.CertFile(); f != "" {
		fmt.Fprintf(&b, "  certificate: %s (self-signed for 127.0.0.1, ::1 and localhost, made at start; trust it with --cacert)\n", termsafe.Line(f))
		trust = " --cacert " + shellQuote(f)
	} else if opts.TLSCertFile != "" {
		trust = " --cacert " + shellQuote(opts.TLSCertFile) // a self-signed one; drop it for a certificate from a public CA
	}
	switch {
	case opts.H2:
		fmt.Fprintf(&b, "  try: wscope probe %s --http 2%s --send hello\n", srv.URL("/echo"), trust)
		fmt.Fprintf(&b, "       wscope probe %s%s --send hello   (HTTP/1.1)\n", srv.URL("/echo"), trust)
	case opts.H2C:
		fmt.Fprintf(&b, "  try: wscope probe %s --http 2 --h2c --send hello\n", srv.URL("/echo"))
		fmt.Fprintf(&b, "       wscope probe %s --send hello   (HTTP/1.1)\n", srv.URL("/echo"))
	default:
		fmt.Fprintf(&b, "  try: wscope probe %s --send hello\n", srv.URL("/echo"))
	}
	return b.String()
}

// shellQuote quotes a path for a command line when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:=@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(termsafe.Line(s), "'", `'\''`) + "'"
}
