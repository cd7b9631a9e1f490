package doctor

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// battery is the set of probes one doctor run makes, built from Options.
type battery struct {
	opts       Options
	url        *url.URL // normalized
	origin     string   // the browser's Origin
	proto      protocol.Name
	direct     string // HOST:PORT of the app, "" without --direct
	getTimeout time.Duration
	wsProbes   []wsProbe
	httpProbes []httpProbe
	order      []string // probe names in battery order
}

type wsProbe struct {
	name     string
	what     string // what it checks, for the report
	desc     string // what it sends, in a few words, for evidence lines
	opts     probe.Options
	fallback *probe.Options // direct only: the same over plain ws:// when the app does not speak TLS
}

type httpProbe struct {
	name     string
	what     string
	cfg      session.Config
	fallback *session.Config // direct only: over plain http:// when the app does not speak TLS
}

// cableSubprotocols are what the ActionCable JavaScript client offers.
var cableSubprotocols = []string{"actioncable-v1-json", "actioncable-unsupported"}

// Validate checks the options a user gave (URL, --direct, --idle) without
// connecting anywhere; the error is a *session.Error of class usage.
func (o Options) Validate() error {
	_, err := newBattery(o)
	return err
}

func newBattery(opts Options) (*battery, error) {
	u, err := session.NormalizeURL(opts.Session.URL)
	if err != nil {
		return nil, session.Usagef("e.g. ws://127.0.0.1:8765/echo or wss://example.com/socket", "%v", err)
	}
	if opts.Idle < 0 {
		return nil, session.Usagef("e.g. --idle 75s", "--idle must not be negative")
	}
	if opts.GetTimeout < 0 || opts.ProtocolWait < 0 {
		return nil, session.Usagef("e.g. 3s", "timeouts must not be negative")
	}
	b := &battery{opts: opts, url: u, getTimeout: opts.GetTimeout}
	if b.getTimeout <= 0 {
		b.getTimeout = DefaultGetTimeout
	}
	b.origin = opts.Session.Origin
	if b.origin == "" {
		b.origin = session.BrowserOrigin(u) // also with --no-origin: this probe is the browser's request
	}
	b.proto = opts.Protocol
	if !opts.ProtocolForced {
		b.proto = protocol.Detect(u.Path, "", nil)
	}

	base := withCompression(opts.Session, false)
	base.URL = u.String()
	offer := opts.Session.CompressOffer
	if len(base.Subprotocols) == 0 && b.proto == protocol.ActionCable {
		base.Subprotocols = cableSubprotocols // as the ActionCable client does
	}

	browser := withOrigin(base, b.origin)
	browser = withCompression(browser, true)
	browser.CompressOffer = offer // the user's own offer, else Chrome's
	b.addWS(ProbeBrowser, fmt.Sprintf("the upgrade as a browser sends it (Origin: %s, permessage-deflate)", b.origin), b.protocolOptions(browser))

	if b.url.Scheme == "wss" || browser.H2C {
		// Browsers take HTTP/2 whenever the server advertises extended
		// CONNECT, and do not fall back when it then fails: a server can
		// work for every HTTP/1.1 tool and fail for every browser.
		switch browser.HTTP {
		case session.HTTPModeDefault, session.HTTPMode11:
			h2 := browser
			h2.HTTP = session.HTTPModeAuto
			b.addWS(ProbeHTTP2, "the same as Chrome and Firefox open it: an HTTP/2 extended CONNECT (RFC 8441) when the server advertises it", b.shortOptions(h2))
		default:
			h1 := browser
			h1.HTTP, h1.H2C, h1.ForceH2 = session.HTTPMode11, false, false
			b.addWS(ProbeHTTP11, "the same over HTTP/1.1 (what wscat and curl send)", b.shortOptions(h1))
		}
	}

	noOrigin := withOrigin(browser, "")
	b.addWS(ProbeNoOrigin, "the same without Origin", b.shortOptions(noOrigin))

	if rest, ok := strings.CutPrefix(b.origin, "https://"); ok {
		httpOrigin := "http://" + rest
		b.addWS(ProbeOriginScheme, "the same with Origin "+httpOrigin+" (what the app expects when it thinks it is served over http)",
			b.shortOptions(withOrigin(browser, httpOrigin)))
	}

	noCompress := withCompression(browser, false)
	b.addWS(ProbeNoCompress, "the same without permessage-deflate", b.shortOptions(noCompress))

	get := withOrigin(base, "")
	b.addHTTP(httpProbe{name: ProbePlainGet, what: "an ordinary GET of the same path (a hang means Connection: upgrade is forced on every request)", cfg: get})

	if opts.Direct != "" {
		if err := b.addDirect(browser, get); err != nil {
			return nil, err
		}
	}
	if opts.Idle > 0 {
		idle := b.shortOptions(browser)
		idle.Idle = opts.Idle
		idle.Session.PingInterval = 0
		b.addWS(ProbeIdle, fmt.Sprintf("silent for %s: is an idle connection cut?", opts.Idle), idle)
		b.wsProbes[len(b.wsProbes)-1].desc = fmt.Sprintf("silent for %s", opts.Idle)
	}
	return b, nil
}

func (b *battery) addWS(name, what string, o probe.Options) {
	b.wsProbes = append(b.wsProbes, wsProbe{name: name, what: what, desc: describe(o.Session), opts: o})
	b.order = append(b.order, name)
}

func (b *battery) addHTTP(p httpProbe) {
	b.httpProbes = append(b.httpProbes, p)
	b.order = append(b.order, p.name)
}

// describe says what a connection probe sends that the others may not.
func describe(cfg session.Config) string {
	parts := []string{"no Origin"}
	if cfg.Origin != "" {
		parts[0] = "Origin " + cfg.Origin
	}
	if cfg.Compress {
		parts = append(parts, "deflate offered")
	} else {
		parts = append(parts, "no deflate")
	}
	switch cfg.HTTP {
	case session.HTTPMode2:
		parts = append(parts, "HTTP/2")
	case session.HTTPModeAuto:
		parts = append(parts, "HTTP/2 if advertised")
	}
	return strings.Join(parts, ", ")
}

// protocolOptions: the browser probe also waits for the application
// protocol's first exchange (ActionCable's welcome, Engine.IO's open and a
// ping), so the tracker's findings have had time to appear.
func (b *battery) protocolOptions(cfg session.Config) probe.Options {
	o := b.shortOptions(cfg)
	switch b.proto {
	case protocol.ActionCable:
		o.Count, o.Wait = 1, CableWait // the welcome
	case protocol.SocketIO:
		o.Count, o.Wait, o.AutoHeartbeat = 2, EngineIOWait, true // open, then the first ping (answered)
	}
	if b.opts.ProtocolWait > 0 {
		o.Wait = b.opts.ProtocolWait
	}
	return o
}

func (b *battery) shortOptions(cfg session.Config) probe.Options {
	// Fields are assigned, not listed: probe.Options is being reshaped
	// (flow.Options embedded) and assignment works with either shape.
	o := probe.Options{Session: cfg}
	o.Wait = DefaultWait
	o.Redact = b.opts.Redact
	o.Protocol, o.ProtocolForced = b.opts.Protocol, b.opts.ProtocolForced
	return o
}

// addDirect adds the browser's request and the plain GET, sent straight to
// the app: --connect-to keeps the URL's Host and TLS name, no proxy.
func (b *battery) addDirect(browser, get session.Config) error {
	d, err := parseDirect(b.opts.Direct)
	if err != nil {
		return session.Usagef("--direct HOST:PORT, e.g. --direct 10.0.0.5:3000 (or ws://10.0.0.5:3000 for a plain app behind a TLS proxy)", "%v", err)
	}
	b.direct = d.hostPort
	route := func(cfg session.Config, scheme string) session.Config {
		u := *b.url
		port := b.url.Port()
		if scheme != "" && scheme != u.Scheme {
			u.Scheme = scheme
			if port != "" {
				u.Host = joinHost(u.Hostname(), port)
			}
		}
		if port == "" {
			port = map[string]string{"ws": "80", "wss": "443"}[u.Scheme]
		}
		cfg.URL = u.String()
		cfg.Proxy, cfg.NoProxy = "", true
		host := u.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		cfg.ConnectTo = append([]string{host + ":" + port + ":" + d.host + ":" + d.port}, cfg.ConnectTo...)
		return cfg
	}
	p := wsProbe{name: ProbeDirect, what: "the browser's request straight to the app at " + d.hostPort + " (Host and TLS name kept, no proxy)",
		desc: "to " + d.hostPort + ", " + describe(browser), opts: b.protocolOptions(route(browser, d.scheme))}
	if d.scheme == "" && b.url.Scheme == "wss" {
		fb := b.protocolOptions(route(browser, "ws"))
		p.fallback = &fb // an app behind a TLS-terminating proxy usually speaks plain HTTP
	}
	b.wsProbes = append(b.wsProbes, p)
	b.order = append(b.order, p.name)
	g := httpProbe{name: ProbeDirectGet, what: "the ordinary GET straight to the app at " + d.hostPort, cfg: route(get, d.scheme)}
	if p.fallback != nil {
		fb := route(get, "ws")
		g.fallback = &fb
	}
	b.addHTTP(g)
	return nil
}

type directTarget struct {
	scheme, host, port, hostPort string
}

// parseDirect reads --direct: HOST:PORT, or ws://HOST:PORT / wss://HOST:PORT
// (http:// and https:// mean the same) to choose the scheme there.
func parseDirect(s string) (directTarget, error) {
	var d directTarget
	s = strings.TrimSpace(s)
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		switch strings.ToLower(scheme) {
		case "ws", "http":
			d.scheme = "ws"
		case "wss", "https":
			d.scheme = "wss"
		default:
			return d, fmt.Errorf("--direct %q: scheme %q is not ws, wss, http or https", s, scheme)
		}
		s = strings.TrimSuffix(rest, "/")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return d, fmt.Errorf("--direct %q: want HOST:PORT of the app, e.g. 10.0.0.5:3000", s)
	}
	if n, err := parsePortNumber(port); err != nil || n == 0 {
		return d, fmt.Errorf("--direct %q: port %q is not 1-65535", s, port)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	d.host, d.port, d.hostPort = host, port, host+":"+port
	return d, nil
}

func parsePortNumber(p string) (int, error) {
	n := 0
	if p == "" || len(p) > 5 {
		return 0, fmt.Errorf("bad port")
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad port")
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, fmt.Errorf("bad port")
	}
	return n, nil
}

func joinHost(host, port string) string { return net.JoinHostPort(host, port) }
