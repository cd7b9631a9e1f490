// Package probe runs wscope's headless script — connect, send, wait or stay
// idle, close — and produces a Report that prints as text or as JSON. It is
// what `wscope probe` runs, and what `compare` runs once per side.
package probe

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
)

// Message is one thing to send.
type Message = flow.Message

// Options are the probe's connection and script: the session
// configuration, the options every front end shares (recording,
// redaction, protocol, heartbeats, sends, count, wait, idle), and how many
// frames the report keeps.
type Options struct {
	Session session.Config
	flow.Options
	// KeepFrames caps how many frames the report keeps (0: all). Counters
	// still count every frame.
	KeepFrames int
}

// DefaultWait is how long a probe waits when neither --wait nor --count is given.
const DefaultWait = 2 * time.Second

// Run executes the script. It never returns nil; failures are in the
// report's Error and findings.
func Run(ctx context.Context, opts Options) *Report {
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.Session.CloseTimeout <= 0 {
		opts.Session.CloseTimeout = time.Second
	}
	start := time.Now()
	c := newCollector(opts)
	fl := flow.DialInline(ctx, opts.Session.URL, opts.Session, opts.Options, c.event)
	r := newReport(opts.Session.URL, fl.Chain)
	c.r = r
	c.start()
	if fl.Err != nil {
		r.setError(fl.Err)
		r.Side = fl.Side(time.Now())
		r.Findings = r.Side.Findings
		r.Elapsed = time.Since(start)
		r.redact(opts.Redact)
		return r
	}
	conn := fl.Conn()
	if err := fl.RecordErr(); err != nil {
		conn.Abort()
		<-fl.Drained()
		r.setError(&session.Error{Class: session.ClassUsage, Msg: err.Error(), Hint: "check the --record path and free disk space"})
		r.redact(opts.Redact)
		return r
	}
	limit := opts.Wait
	if opts.Idle > 0 {
		limit = opts.Idle
	}
	timer := time.NewTimer(limit)
	select {
	case <-timer.C:
	case <-c.countReached:
	case <-conn.Done():
	case <-ctx.Done():
	}
	timer.Stop()
	idleSurvived := false
	select {
	case <-conn.Done():
	default:
		idleSurvived = true
		conn.Close(1000, "")
	}
	<-fl.Drained()
	if err := fl.Close(0); err != nil {
		r.Warnings = append(r.Warnings, err.Error())
	}
	if opts.Idle > 0 {
		r.Idle = &Idle{RequestedMS: ms(opts.Idle), Survived: idleSurvived}
		if !idleSurvived && r.Close != nil {
			r.Idle.ClosedAfterMS = r.Close.AfterMS
		}
	}
	if fl.NeedsIdentifying(time.Now()) {
		fl.Identify(ctx)
	}
	r.Side = fl.Side(time.Now())
	r.Findings = r.Side.Findings
	r.Protocol = string(fl.Protocol())
	r.Elapsed = time.Since(start)
	r.redact(opts.Redact)
	return r
}

// collector turns a flow's events into the report; it runs inline on the
// flow's drain goroutine (flow.DialInline).
type collector struct {
	r            *Report
	opts         Options
	received     int
	countReached chan struct{}
	openedAt     time.Time
	ready        chan struct{} // closed once the report exists
	started      atomic.Bool   // ready is closed (a cheaper check per event)
}

func newCollector(opts Options) *collector {
	return &collector{opts: opts, countReached: make(chan struct{}), ready: make(chan struct{})}
}

// start lets events into the report (it is created after the dial).
func (c *collector) start() {
	close(c.ready)
	c.started.Store(true)
}

func (c *collector) event(e *flow.Event) {
	if !c.started.Load() {
		<-c.ready
	}
	switch e.Kind {
	case session.EventState:
		switch e.State.State {
		case session.StateOpen:
			c.openedAt = e.State.Time
		case session.StateClosed:
			c.r.setClose(e.State, c.openedAt)
		}
	case session.EventFrame:
		f := &e.Frame.Frame
		c.r.count(f)
		if e.RTT > 0 {
			c.r.RTTMS = append(c.r.RTTMS, ms(e.RTT))
		}
		if c.opts.KeepFrames == 0 || len(c.r.Frames) < c.opts.KeepFrames {
			c.r.addFrame(f, c.openedAt, e.RTT)
			c.r.Frames[len(c.r.Frames)-1].Label = e.Frame.Label
		}
		if f.Dir == session.Recv && (f.Op == session.OpText || f.Op == session.OpBinary) {
			c.received++
			if c.opts.Count > 0 && c.received == c.opts.Count {
				close(c.countReached)
			}
		}
	}
}
