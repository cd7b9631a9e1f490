package cli

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/wscope/wscope/session"
)

// connFlags are the connection flags every connecting command shares.
type connFlags struct {
	headers      []string
	origin       string
	noOrigin     bool
	subprotocols []string
	cookie       string
	insecure     bool
	cacert       string
	cert, key    string
	compress     bool
	compressOff  string
	timeout      time.Duration
	maxMessage   int64
	pingInterval time.Duration
	pongTimeout  time.Duration
	noAutoPong   bool
	proxy        string
	noProxy      bool
	connectTo    []string
	resolve      []string
	follow       bool
	httpMode     string
	h2c          bool
	forceH2      bool
}

func (f *connFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.headers, "header", "H", nil, `extra request header "Name: value" (repeatable)`)
	fs.StringVar(&f.origin, "origin", "", "Origin header (default: the browser's, scheme://host[:port] of the URL)")
	fs.BoolVar(&f.noOrigin, "no-origin", false, "send no Origin header (browsers always send one)")
	fs.StringArrayVar(&f.subprotocols, "subprotocol", nil, "offer a subprotocol (repeatable)")
	fs.StringVar(&f.cookie, "cookie", "", `Cookie header, e.g. "session=abc"`)
	fs.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify the server's TLS certificate (the result is still reported)")
	fs.StringVar(&f.cacert, "cacert", "", "PEM file of CA certificates to trust instead of the system's")
	fs.StringVar(&f.cert, "cert", "", "client certificate (PEM) for mutual TLS")
	fs.StringVar(&f.key, "key", "", "client private key (PEM) for mutual TLS")
	fs.BoolVar(&f.compress, "compress", false, `offer permessage-deflate as Chrome does ("`+session.ChromeCompressOffer+`")`)
	fs.StringVar(&f.compressOff, "compress-offer", "", `Sec-WebSocket-Extensions offer to send instead, e.g. "permessage-deflate; client_no_context_takeover"`)
	fs.DurationVar(&f.timeout, "timeout", session.DefaultTimeout, "handshake timeout (DNS to response)")
	fs.Int64Var(&f.maxMessage, "max-message-size", session.DefaultMaxMessageSize, "largest message accepted, in bytes; bigger ones close with 1009")
	fs.DurationVar(&f.pingInterval, "ping-interval", 0, "send a ping this often and measure RTT (0: off)")
	fs.DurationVar(&f.pongTimeout, "pong-timeout", 0, "with --ping-interval: declare the connection dead (half-open) when a ping goes unanswered this long (default twice the interval)")
	fs.BoolVar(&f.noAutoPong, "no-auto-pong", false, "do not answer the server's pings (to test its timeouts)")
	fs.StringVar(&f.proxy, "proxy", "", "forward proxy: http://, https://, socks5:// or socks5h://, with user:pass@ if needed")
	fs.BoolVar(&f.noProxy, "no-proxy", false, "ignore HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY")
	fs.StringArrayVar(&f.connectTo, "connect-to", nil, "HOST1:PORT1:HOST2:PORT2: connect there instead, keeping Host and SNI (repeatable)")
	fs.StringArrayVar(&f.resolve, "resolve", nil, "HOST:PORT:ADDR: resolve HOST to ADDR (repeatable)")
	fs.BoolVarP(&f.follow, "follow", "L", false, "follow redirects (up to 10)")
	fs.StringVar(&f.httpMode, "http", "", "how to open the WebSocket: 1.1 (the Upgrade; the default), 2 (HTTP/2 extended CONNECT, RFC 8441) or auto (as a browser: HTTP/2 when the server advertises it)")
	fs.BoolVar(&f.h2c, "h2c", false, "with --http 2 on ws://: HTTP/2 without TLS (prior knowledge)")
	fs.BoolVar(&f.forceH2, "force-h2", false, "with --http 2: send the extended CONNECT even when the server does not advertise it")
}

// config turns the flags into a session.Config for url.
func (f *connFlags) config(url string, env Env) (session.Config, error) {
	cfg := session.Config{
		URL: url, Origin: f.origin, NoOrigin: f.noOrigin, Subprotocols: f.subprotocols, Cookie: f.cookie,
		Insecure: f.insecure, CACertFile: f.cacert, CertFile: f.cert, KeyFile: f.key,
		Compress: f.compress, CompressOffer: f.compressOff, Timeout: f.timeout, MaxMessageSize: f.maxMessage,
		PingInterval: f.pingInterval, PongTimeout: f.pongTimeout, NoAutoPong: f.noAutoPong, Proxy: f.proxy, NoProxy: f.noProxy,
		ConnectTo: f.connectTo, Resolve: f.resolve, Follow: f.follow, Getenv: env.Getenv,
		UserAgent: "wscope/" + Version, HTTP: f.httpMode, H2C: f.h2c, ForceH2: f.forceH2,
	}
	for _, h := range f.headers {
		hd, err := session.ParseHeader(h)
		if err != nil {
			return cfg, usageErr("%v", err)
		}
		cfg.Headers = append(cfg.Headers, hd)
	}
	if f.timeout <= 0 {
		return cfg, usageErr("--timeout must be positive, e.g. 10s")
	}
	if f.maxMessage <= 0 {
		return cfg, usageErr("--max-message-size must be positive")
	}
	if f.pingInterval < 0 {
		return cfg, usageErr("--ping-interval must not be negative")
	}
	if f.noOrigin && f.origin != "" {
		return cfg, usageErr("--origin and --no-origin contradict each other")
	}
	switch f.httpMode {
	case "", "1.1", "2", "auto":
	default:
		return cfg, usageErr("--http takes 1.1, 2 or auto, not %q", f.httpMode)
	}
	if strings.ContainsAny(f.compressOff, "\r\n\x00") {
		return cfg, usageErr("--compress-offer must be one header value, without CR, LF or NUL")
	}
	return cfg, nil
}
