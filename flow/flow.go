// Package flow is the one session pipeline under every front end. A Flow is
// one connection (mitmproxy's flow object): a source of events — a dialed
// session.Conn, or a recording being viewed — feeds one drain goroutine
// that runs the observers once per event (protocol tracker and labels,
// heartbeat keeper, recorder, statistics, diagnosis evidence) and hands the
// consumer batches of enriched events, never one message per frame.
//
// The TUI, each side of the compare split view, probe, compare's report and
// replay all consume a Flow; none of them wires observers by hand.
package flow

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// Frame is a session frame as the pipeline delivers it: with its
// application-protocol label, computed once on the drain goroutine.
type Frame struct {
	session.Frame
	Label string
}

// Event is a session event enriched by the pipeline.
type Event struct {
	Kind  session.EventKind
	Frame Frame                // Kind == session.EventFrame
	State *session.StateChange // Kind == session.EventState
	RTT   time.Duration        // a pong answering one of wscope's pings
}

// Stats are the counters of a flow, kept by the pipeline.
type Stats struct {
	SentMsgs, RecvMsgs   int64 // text and binary messages
	SentBytes, RecvBytes int64 // their payload bytes
	Control              int64 // ping, pong and close frames
	OpenedAt, LastFrame  time.Time
	RTT                  time.Duration // the latest ping round trip
}

func (s *Stats) count(e *Event) {
	f := &e.Frame
	s.LastFrame = f.Time
	if e.RTT > 0 {
		s.RTT = e.RTT
	}
	switch {
	case f.Op.IsControl():
		s.Control++
	case f.Dir == session.Send:
		s.SentMsgs++
		s.SentBytes += int64(len(f.Payload))
	default:
		s.RecvMsgs++
		s.RecvBytes += int64(len(f.Payload))
	}
}

// Batch is everything that happened since the consumer's last Take.
type Batch struct {
	Events []Event
	Stats  Stats // the counters after the last event of the batch
	Done   bool  // the source has ended: this batch holds its last events
}

// Flow is one connection and its pipeline.
type Flow struct {
	// URL is the URL asked for (before redirects).
	URL string
	// Chain is every handshake attempt, redirects included; the last is
	// final. Set once by Dial.
	Chain []*session.Handshake
	// Err is the dial failure (nil when the connection upgraded).
	Err *session.Error

	opts      Options
	cfg       session.Config // how it dialed (Identify takes the same route)
	conn      *session.Conn
	tracker   *protocol.Tracker
	keeper    *protocol.Keeper
	collector *diagnose.Collector
	rec       atomic.Pointer[capture.Recorder]
	recErr    error
	consume   func(*Event) // DialInline's consumer; nil: events are queued for Take
	// cur and curSession hold the event being observed (see observe).
	cur        Event
	curSession session.Event

	mu      sync.Mutex
	pending []Event
	spare   []Event // the previous batch's slice, reused
	stats   Stats
	ended   bool
	ready   chan struct{} // poked when events are pending or the flow ended
	drained chan struct{} // closed after the drain goroutine's last event
}

// Dial connects to url with cfg (its URL field is ignored) and starts the
// pipeline. It never returns nil: a failed dial is a Flow with Err set,
// its handshake chain and its findings, already ended.
func Dial(ctx context.Context, url string, cfg session.Config, opts Options) *Flow {
	return dial(ctx, url, cfg, opts, nil)
}

// DialInline is Dial for a consumer that keeps up with the network (probe,
// replay): consume runs on the drain goroutine, right after the other
// observers, once per event, and nothing is queued — the consumer is one
// more addon, so a firehose costs no extra hand-off and no batch memory.
// Ready and Take then only report the end (a Done batch with no events).
// consume must not block for long (the connection waits on it) and must
// not keep the *Event: it is reused for the next event.
func DialInline(ctx context.Context, url string, cfg session.Config, opts Options, consume func(*Event)) *Flow {
	return dial(ctx, url, cfg, opts, consume)
}

func dial(ctx context.Context, url string, cfg session.Config, opts Options, consume func(*Event)) *Flow {
	cfg.URL = url
	if opts.Script.Idle > 0 {
		cfg.PingInterval = 0 // the idle check sends nothing at all
	}
	conn, chain, err := session.Dial(ctx, cfg)
	f := newFlow(url, chain, err, cfg.Subprotocols, opts)
	f.consume = consume
	f.cfg = cfg
	if err != nil {
		f.Err = f.collector.Evidence().DialErr
		f.end()
		return f
	}
	f.conn = conn
	hs := conn.Handshake()
	f.tracker = protocol.NewTracker(opts.Protocol, opts.ProtocolForced, pathOf(hs.URL), hs.Checks.Subprotocol, time.Now())
	if opts.AutoHeartbeat {
		f.keeper = protocol.NewKeeper(conn, f.tracker.Protocol())
	}
	if opts.Continue != nil {
		f.rec.Store(opts.Continue)
	} else if opts.Record != "" {
		rec, err := capture.Create(opts.Record, capture.Header{URL: hs.URL, Started: hs.Started,
			Handshake: capture.HandshakeRecordOf(hs), Meta: opts.RecordMeta}, opts.Redact)
		if err != nil {
			f.recErr = err
		} else {
			f.rec.Store(rec)
		}
	}
	go f.drain(conn.Events())
	if len(opts.Script.Sends) > 0 {
		// In order, but not on the caller's goroutine: a send waits until
		// its event is queued, and an inline consumer may not take events
		// before Dial has returned (probe builds its report from the chain
		// Dial gives back), so sending here could wait on itself once a
		// busy server filled the event buffer.
		go func() {
			for _, m := range opts.Script.Sends {
				if conn.Send(m.Op, m.Payload) != nil {
					return // the close shows up in the events
				}
			}
		}()
	}
	return f
}

// FromRecording runs a recording's events through the same observers
// (labels, statistics, evidence) at once, so `wscope view` shows what a
// live session would; the consumer takes them with Take.
func FromRecording(rec *capture.Recording, opts Options) *Flow {
	start := rec.Header.Started
	events := make([]session.Event, 0, len(rec.Events))
	for i := range rec.Events {
		e := &rec.Events[i]
		if !e.IsFrame() {
			if e.State == "" {
				continue
			}
			sc := &session.StateChange{Time: start.Add(time.Duration(e.T * float64(time.Millisecond))), Detail: e.Detail, Code: e.Code}
			switch e.State {
			case "open":
				sc.State = session.StateOpen
			case "closing":
				sc.State = session.StateClosing
			case "connecting":
				sc.State = session.StateConnecting
			default:
				sc.State = session.StateClosed
			}
			events = append(events, session.Event{Kind: session.EventState, State: sc})
			continue
		}
		fr, err := e.Frame(start)
		if err != nil {
			continue // the reader already warned
		}
		events = append(events, session.Event{Kind: session.EventFrame, Frame: fr})
	}
	return FromEvents(rec.Header.URL, []*session.Handshake{capture.HandshakeOf(&rec.Header)}, events, opts)
}

// FromEvents runs a finished list of events through the observers at once.
func FromEvents(url string, chain []*session.Handshake, events []session.Event, opts Options) *Flow {
	f := Open(url, chain, opts)
	for _, e := range events {
		f.Push(e)
	}
	f.End()
	return f
}

// Open starts a flow whose events the caller pushes: a recording being
// viewed, an accepted or relayed connection, a test. chain is the
// handshake the events belong to.
func Open(url string, chain []*session.Handshake, opts Options) *Flow {
	f := newFlow(url, chain, nil, nil, opts)
	if hs := f.Handshake(); hs != nil {
		f.tracker = protocol.NewTracker(opts.Protocol, opts.ProtocolForced, pathOf(hs.URL), hs.Checks.Subprotocol, hs.Started)
	}
	return f
}

// Push runs the observers on one event of an Open flow, in order. Not for
// a dialed flow, whose connection is its source.
func (f *Flow) Push(e session.Event) { f.observe(e) }

// End ends an Open flow: the consumer's next batch is Done.
func (f *Flow) End() { f.end() }

func newFlow(url string, chain []*session.Handshake, err error, subprotos []string, opts Options) *Flow {
	return &Flow{URL: url, Chain: chain, opts: opts,
		collector: diagnose.NewCollector(chain, err, subprotos, opts.Script.Idle),
		ready:     make(chan struct{}, 1), drained: make(chan struct{})}
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return ""
}

// drain runs the observers on every event of the source, in order.
func (f *Flow) drain(events <-chan session.Event) {
	for e := range events {
		f.observe(e)
	}
	if f.keeper != nil {
		f.keeper.Stop()
	}
	f.end()
}

// observe runs every observer once on e and queues it for the consumer.
func (f *Flow) observe(se session.Event) {
	// The event lives in the flow while the observers run (one goroutine
	// observes): built on the stack it would escape, one allocation per
	// frame on the hottest path.
	e := &f.cur
	*e = Event{Kind: se.Kind, Frame: Frame{Frame: se.Frame}, State: se.State, RTT: se.RTT}
	f.curSession = se
	if e.Kind == session.EventFrame {
		if f.tracker != nil {
			e.Frame.Label = f.tracker.Observe(&e.Frame.Frame).String()
			if f.keeper != nil {
				f.keeper.SetProtocol(f.tracker.Protocol())
				f.keeper.OnFrame(&e.Frame.Frame)
			}
		}
	}
	if rec := f.rec.Load(); rec != nil {
		if e.Kind == session.EventFrame {
			rec.Frame(&e.Frame.Frame)
		} else {
			rec.State(e.State)
		}
	}
	f.collector.Observe(&f.curSession)
	f.mu.Lock()
	if e.Kind == session.EventFrame {
		f.stats.count(e)
	} else if e.State.State == session.StateOpen {
		f.stats.OpenedAt = e.State.Time
	}
	if f.consume != nil {
		f.mu.Unlock()
		f.consume(e)
		return
	}
	f.pending = append(f.pending, *e)
	f.mu.Unlock()
	f.poke()
}

func (f *Flow) end() {
	f.mu.Lock()
	f.ended = true
	f.mu.Unlock()
	close(f.drained)
	f.poke()
}

func (f *Flow) poke() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled when events are pending or the flow has ended. A
// consumer waits on it, then calls Take (the TUI waits a little in
// between, to gather a bigger batch).
func (f *Flow) Ready() <-chan struct{} { return f.ready }

// Take hands over everything pending. After a batch with Done, the flow
// has nothing more.
func (f *Flow) Take() Batch {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := Batch{Events: f.pending, Stats: f.stats, Done: f.ended}
	f.pending = f.spare[:0]
	f.spare = nil
	return b
}

// Next waits for the next batch; ctx ending returns what is pending.
func (f *Flow) Next(ctx context.Context) Batch {
	select {
	case <-f.ready:
	case <-ctx.Done():
	}
	return f.Take()
}

// Recycle gives a consumed batch's slice back for reuse.
func (f *Flow) Recycle(b Batch) {
	clear(b.Events) // drop payload references so they can be collected
	f.mu.Lock()
	if f.spare == nil {
		f.spare = b.Events[:0]
	}
	f.mu.Unlock()
}

// Drained is closed once the source has ended and every event has been
// observed (recorded, labelled, counted).
func (f *Flow) Drained() <-chan struct{} { return f.drained }

// Conn is the live connection to send on (nil when the dial failed or the
// flow is a recording). Its sends come back through the flow as events.
func (f *Flow) Conn() *session.Conn { return f.conn }

// Opts are the options the flow was started with.
func (f *Flow) Opts() Options { return f.opts }

// Handshake is the final handshake, or nil.
func (f *Flow) Handshake() *session.Handshake {
	if len(f.Chain) == 0 {
		return nil
	}
	return f.Chain[len(f.Chain)-1]
}

// Protocol is the application protocol in force (detected or forced).
func (f *Flow) Protocol() protocol.Name {
	if f.tracker == nil {
		return protocol.None
	}
	return f.tracker.Protocol()
}

// Stats is a snapshot of the counters.
func (f *Flow) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// Evidence is a snapshot of the diagnosis evidence.
func (f *Flow) Evidence() diagnose.Evidence { return f.collector.Evidence() }

// Findings are the flow's diagnosis as of now: the connection's findings
// and the application protocol's (some appear with time, e.g. a welcome
// that never came).
func (f *Flow) Findings(now time.Time) []diagnose.Finding {
	fs := diagnose.Diagnose(f.collector.Evidence())
	if f.tracker != nil {
		fs = append(fs, f.tracker.Findings(now)...)
	}
	if fs == nil {
		fs = []diagnose.Finding{}
	}
	return fs
}

// NeedsIdentifying reports whether the diagnosis blames something it
// cannot name: an error finding with no responder (a cut, a swallowed
// upgrade, an app whose 101 looks like every other's).
// Identify can then ask the same route who answers there.
func (f *Flow) NeedsIdentifying(now time.Time) bool {
	for _, fd := range f.Findings(now) {
		if fd.Severity == diagnose.Error && fd.Responder.Name == "" {
			return true
		}
	}
	return false
}

// Identify sends a plain GET of the flow's URL through the same route
// (session.PlainGet) and adds the answer to the evidence: a proxy that
// passes the app's 101 untouched (a varnish pipe) still names itself in
// its plain answers. It does network I/O: call it from a goroutine or a
// command, never from Update.
func (f *Flow) Identify(ctx context.Context) {
	if f.cfg.URL == "" {
		return
	}
	if hs, err := session.PlainGet(ctx, f.cfg); err == nil && hs != nil {
		f.collector.AddRelated(hs)
	}
}

// Side is the flow as one side of a comparison.
func (f *Flow) Side(now time.Time) diagnose.Side {
	return diagnose.Side{Evidence: f.collector.Evidence(), Findings: f.Findings(now)}
}

// Recorder is the recording in progress, if any.
func (f *Flow) Recorder() *capture.Recorder { return f.rec.Load() }

// RecordErr is why --record could not start (nil when it did or was not
// asked for).
func (f *Flow) RecordErr() error { return f.recErr }

// SetRecorder starts (rec) or stops (nil) recording from the next event on.
func (f *Flow) SetRecorder(rec *capture.Recorder) { f.rec.Store(rec) }

// Close closes the connection cleanly, waits up to wait for the close to
// be observed, then closes the recording. Safe on a failed or recorded
// flow.
func (f *Flow) Close(wait time.Duration) error {
	if f.conn != nil {
		f.conn.Close(1000, "")
		select {
		case <-f.drained:
		case <-time.After(wait):
			f.conn.Abort()
			<-f.drained
		}
	}
	if rec := f.rec.Swap(nil); rec != nil {
		return rec.Close()
	}
	return nil
}
