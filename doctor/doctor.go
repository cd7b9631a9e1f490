// Package doctor is what `wscope doctor` runs: a battery of probes against
// one WebSocket URL — the upgrade as a browser sends it, the same without
// Origin and without compression, a plain GET of the same path, the same
// request straight to the app, an idle check, the application protocol's
// first exchange — and a ranked diagnosis built from what they show
// together. A cause that several probes agree on ranks above one that only
// one probe shows; contradictory evidence between two probes (refused with
// Origin, accepted without) decides the cause outright.
package doctor

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// Defaults for Options fields left zero.
const (
	// DefaultGetTimeout bounds the plain GET: a server that answers the
	// upgrade answers an ordinary request well within it.
	DefaultGetTimeout = 3 * time.Second
	// DefaultWait is how long a connection probe stays open after the
	// upgrade when no application protocol is expected to speak first.
	DefaultWait = 1500 * time.Millisecond
	// CableWait covers ActionCable's welcome (the tracker reports
	// cable-no-welcome after 5 s).
	CableWait = 5500 * time.Millisecond
	// EngineIOWait covers Engine.IO's open packet and its first ping
	// (pingInterval defaults to 25 s).
	EngineIOWait = 30 * time.Second
)

// Probe names, as they appear in reports.
const (
	ProbeBrowser      = "browser"     // the upgrade as a browser sends it: Origin, permessage-deflate
	ProbeNoOrigin     = "no-origin"   // the same without Origin
	ProbeOriginScheme = "origin-http" // the same with the page's https origin as http (only for an https origin)
	ProbeNoCompress   = "no-compress" // the same without compression
	ProbePlainGet     = "plain-get"   // an ordinary GET of the same path
	ProbeDirect       = "direct"      // the browser's request straight to the app (--direct)
	ProbeDirectGet    = "direct-get"  // the plain GET straight to the app (--direct)
	ProbeIdle         = "idle"        // silent for --idle
	ProbeProtocol     = "protocol"    // the application protocol's first exchange (read from the browser probe)
	// ProbeHTTP2 is the browser's request as Chrome and Firefox open it
	// on a wss:// URL: an HTTP/2 extended CONNECT (RFC 8441) when the
	// server advertises it, HTTP/1.1 otherwise (--http auto).
	ProbeHTTP2 = "http2"
	// ProbeHTTP11 is the browser's request over HTTP/1.1, when the user
	// chose --http 2 or auto for the browser probe itself.
	ProbeHTTP11 = "http1.1"
)

// Options say what to examine and how.
type Options struct {
	// Session is the user's connection settings (URL, headers, proxy,
	// TLS, --connect-to …). Origin, when set, is the page's origin;
	// otherwise the browser's is derived from the URL (NoOrigin does not
	// apply: one probe sends none anyway). Compress is ignored: the
	// battery tries both; CompressOffer, when set, is the offer tried.
	Session session.Config
	// Direct is the app's own address, HOST:PORT (optionally ws:// or
	// wss:// to choose the scheme there), bypassing the reverse proxy:
	// the same request goes there with Host and SNI kept.
	Direct string
	// Idle, when positive, adds a probe that stays silent this long.
	Idle time.Duration
	// GetTimeout bounds the plain GET (default DefaultGetTimeout).
	GetTimeout time.Duration
	// ProtocolWait overrides how long the browser probe waits for the
	// application protocol's first exchange (default per protocol).
	ProtocolWait time.Duration
	// Protocol forces the application protocol (ProtocolForced);
	// otherwise it is detected from the path.
	Protocol       protocol.Name
	ProtocolForced bool
	// Redact hides secrets in the report (nil: nothing is hidden).
	Redact *capture.Redactor
}

// Run runs the battery concurrently and returns the diagnosis. It never
// returns nil; bad input shows as a report whose ExitCode is 2.
func Run(ctx context.Context, opts Options) *Report {
	start := time.Now()
	b, err := newBattery(opts)
	if err != nil {
		return usageReport(opts, err)
	}
	res := b.run(ctx)
	r := analyze(b, res)
	r.ElapsedMS = ms(time.Since(start))
	return r
}

// results are what the probes returned, by probe name.
type results struct {
	ws   map[string]*probe.Report
	http map[string]*HTTPResult
	// directFallback is set when --direct was retried over plain ws://
	// because the app did not speak TLS.
	directFallback bool
}

func (b *battery) run(ctx context.Context) *results {
	res := &results{ws: map[string]*probe.Report{}, http: map[string]*HTTPResult{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range b.wsProbes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := probe.Run(ctx, p.opts)
			if p.name == ProbeDirect && p.fallback != nil && !r.Upgraded && r.Status == 0 && plainPort(r) {
				r = probe.Run(ctx, *p.fallback)
				mu.Lock()
				res.directFallback = true
				mu.Unlock()
			}
			mu.Lock()
			res.ws[p.name] = r
			mu.Unlock()
		}()
	}
	for _, p := range b.httpProbes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := plainGet(ctx, p.cfg, b.getTimeout, b.opts.Redact)
			if p.fallback != nil && r.Status == 0 && !r.Hung && notTLS(r.Error) {
				r = plainGet(ctx, *p.fallback, b.getTimeout, b.opts.Redact)
			}
			mu.Lock()
			res.http[p.name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return res
}

// plainPort reports whether the probe failed because the port speaks plain
// HTTP where TLS was expected.
func plainPort(r *probe.Report) bool {
	return r.ErrorClass == string(session.ClassTLS) && strings.Contains(r.Error, "did not answer with TLS")
}

// notTLS reports whether a GET failed because the port speaks plain HTTP.
func notTLS(err string) bool {
	return strings.Contains(err, "first record does not look like a TLS handshake") || strings.Contains(err, "server gave HTTP response to HTTPS client")
}

func usageReport(opts Options, err error) *Report {
	msg, hint := err.Error(), ""
	if se, ok := err.(*session.Error); ok {
		msg, hint = se.Msg, se.Hint
	}
	r := &Report{URL: opts.Redact.URL(opts.Session.URL), Causes: []Cause{}, Checks: []Check{}, Error: msg, Hint: hint, usageError: true}
	r.setExitCode()
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
