// Package probe runs wscope's headless script — connect, send, wait or stay
// idle, close — and produces a Report that prints as text or as JSON. It is
// what `wscope probe` runs, and what `compare` runs once per side.
package probe

import (
	"context"
	"errors"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// Message is one thing to send.
type Message struct {
	Op      session.Opcode
	Payload []byte
}

// Options is the probe's script.
type Options struct {
	Session session.Config
	Sends   []Message
	Count   int           // stop after this many text/binary messages were received (0: no limit)
	Wait    time.Duration // stop after this long (default 2s); ignored with Idle
	Idle    time.Duration // send nothing, no pings, for this long and report whether the peer closed
	// KeepFrames caps how many frames the report keeps (0: all). Counters
	// still count every frame.
	KeepFrames int
	// Record, when set, writes the session to this file as it happens.
	Record string
	// Redact hides secrets in the recording and in the report (nil: none).
	Redact *capture.Redactor
	// Protocol forces an application protocol (ProtocolForced); otherwise
	// it is detected. AutoHeartbeat answers the protocol's heartbeats.
	Protocol       protocol.Name
	ProtocolForced bool
	AutoHeartbeat  bool
}

// DefaultWait is how long a probe waits when neither --wait nor --count is given.
const DefaultWait = 2 * time.Second

// Run executes the script. It never returns nil; failures are in the
// report's Error and findings.
func Run(ctx context.Context, opts Options) *Report {
	if opts.Idle > 0 {
		opts.Session.PingInterval = 0
	}
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.Session.CloseTimeout <= 0 {
		opts.Session.CloseTimeout = time.Second
	}
	start := time.Now()
	conn, chain, err := session.Dial(ctx, opts.Session)
	r := newReport(opts.Session.URL, chain)
	ev := diagnose.Evidence{Chain: chain, Subprotos: opts.Session.Subprotocols, IdleWait: opts.Idle}
	if err != nil {
		var se *session.Error
		if !errors.As(err, &se) {
			se = &session.Error{Class: session.ClassNetwork, Msg: err.Error()}
		}
		r.setError(se)
		ev.DialErr = se
		r.Findings = nonNil(diagnose.Diagnose(ev))
		r.Elapsed = time.Since(start)
		r.redact(opts.Redact)
		return r
	}

	c := newCollector(r, opts)
	hs := conn.Handshake()
	path := ""
	if u, err := session.NormalizeURL(hs.URL); err == nil {
		path = u.Path
	}
	c.tracker = protocol.NewTracker(opts.Protocol, opts.ProtocolForced, path, hs.Checks.Subprotocol, time.Now())
	if opts.AutoHeartbeat {
		c.keeper = protocol.NewKeeper(conn, c.tracker.Protocol())
		defer c.keeper.Stop()
	}
	if opts.Record != "" {
		rec, err := capture.Create(opts.Record, capture.Header{URL: conn.Handshake().URL, Started: start,
			Handshake: capture.HandshakeRecordOf(conn.Handshake())}, opts.Redact)
		if err != nil {
			conn.Abort()
			for range conn.Events() {
			}
			r.setError(&session.Error{Class: session.ClassUsage, Msg: err.Error(), Hint: "check the --record path and free disk space"})
			return r
		}
		c.rec = rec
	}
	go c.run(conn.Events())
	for _, m := range opts.Sends {
		if err := conn.Send(m.Op, m.Payload); err != nil {
			break // the close shows up in the events
		}
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
	<-c.finished
	if c.rec != nil {
		if err := c.rec.Close(); err != nil {
			r.Warnings = append(r.Warnings, err.Error())
		}
	}
	if opts.Idle > 0 {
		r.Idle = &Idle{RequestedMS: ms(opts.Idle), Survived: idleSurvived}
		if !idleSurvived && r.Close != nil {
			r.Idle.ClosedAfterMS = r.Close.AfterMS
		}
	}
	ev.OpenedAt, ev.LastFrameAt = c.openedAt, c.lastFrameAt
	if !idleSurvived {
		ev.Closed = c.closed
	} else if c.closed != nil && !c.closed.Cause.Clean() {
		ev.Closed = c.closed // our own close went unanswered: still worth a finding
	}
	r.Findings = nonNil(diagnose.Diagnose(ev))
	r.Protocol = string(c.tracker.Protocol())
	r.Findings = append(r.Findings, c.tracker.Findings(time.Now())...)
	r.Elapsed = time.Since(start)
	r.redact(opts.Redact)
	return r
}

func nonNil(fs []diagnose.Finding) []diagnose.Finding {
	if fs == nil {
		return []diagnose.Finding{}
	}
	return fs
}

// collector drains a connection's events into the report.
type collector struct {
	r            *Report
	opts         Options
	received     int
	countReached chan struct{}
	finished     chan struct{}
	openedAt     time.Time
	lastFrameAt  time.Time
	closed       *session.StateChange
	rec          *capture.Recorder
	tracker      *protocol.Tracker
	keeper       *protocol.Keeper
}

func newCollector(r *Report, opts Options) *collector {
	return &collector{r: r, opts: opts, countReached: make(chan struct{}), finished: make(chan struct{})}
}

func (c *collector) run(events <-chan session.Event) {
	defer close(c.finished)
	for e := range events {
		switch e.Kind {
		case session.EventState:
			switch e.State.State {
			case session.StateOpen:
				c.openedAt = e.State.Time
			case session.StateClosed:
				c.closed = e.State
				c.r.setClose(e.State, c.openedAt)
			}
			if c.rec != nil {
				c.rec.State(e.State)
			}
		case session.EventFrame:
			f := &e.Frame
			c.lastFrameAt = f.Time
			if c.rec != nil {
				c.rec.Frame(f)
			}
			c.r.count(f)
			if e.RTT > 0 {
				c.r.RTTMS = append(c.r.RTTMS, ms(e.RTT))
			}
			label := c.tracker.Observe(f)
			if c.keeper != nil {
				c.keeper.SetProtocol(c.tracker.Protocol())
				c.keeper.OnFrame(f)
			}
			if c.opts.KeepFrames == 0 || len(c.r.Frames) < c.opts.KeepFrames {
				c.r.addFrame(f, c.openedAt, e.RTT)
				c.r.Frames[len(c.r.Frames)-1].Label = label.String()
			}
			if f.Dir == session.Recv && (f.Op == session.OpText || f.Op == session.OpBinary) {
				c.received++
				if c.opts.Count > 0 && c.received == c.opts.Count {
					close(c.countReached)
				}
			}
		}
	}
}
