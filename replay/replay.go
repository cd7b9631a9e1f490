// Package replay runs a recorded session again: it dials (through the same
// session pipeline as every front end), sends the recorded client messages
// with the recorded timing, and compares what the server sends with what it
// sent then. Recordings themselves are package capture's.
package replay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
)

// Options configure a replay: the session options every front end shares
// (recording the replayed session, redaction, protocol, heartbeats) and
// the replay's own.
type Options struct {
	flow.Options
	Speed   float64                             // timing scale: 2 is twice as fast; 0 means 1
	NoDelay bool                                // send without the recorded pauses
	Step    func(i int, e *capture.Event) error // called before each client frame (--step); an error stops
	Ignore  []string                            // JSON fields left out of comparisons
	Settle  time.Duration                       // how long to wait for server frames after the last send (default 2s)
}

// Verdict is the outcome for one recorded server frame.
type Verdict string

// Verdicts.
const (
	Matched Verdict = "matched"
	Differs Verdict = "differs"
	Missing Verdict = "missing"
)

// Item is one recorded server frame and what the server sent in its place.
type Item struct {
	Index    int      `json:"index"` // 1-based among recorded server messages
	Verdict  Verdict  `json:"verdict"`
	Expected string   `json:"expected"`
	Actual   string   `json:"actual,omitempty"`
	Diff     []string `json:"diff,omitempty"`
}

// Result is the outcome of a replay.
type Result struct {
	Target     string               `json:"target"`
	Sent       int                  `json:"sent"`
	Items      []Item               `json:"items"`
	Unexpected []string             `json:"unexpected"` // server messages beyond the recorded ones
	Warnings   []string             `json:"warnings"`
	Error      string               `json:"error,omitempty"`
	Handshake  *session.Handshake   `json:"-"`
	Chain      []*session.Handshake `json:"-"`
	Actual     []flow.Frame         `json:"-"` // every frame of the replayed session, labelled
}

// OK reports whether every recorded server message matched and nothing
// unexpected arrived.
func (r *Result) OK() bool {
	if r.Error != "" || len(r.Unexpected) > 0 {
		return false
	}
	for _, it := range r.Items {
		if it.Verdict != Matched {
			return false
		}
	}
	return true
}

// replayHeaders are the recorded request headers worth sending again:
// not the ones the handshake makes anew, not redacted ones.
func replayHeaders(rec *capture.Recording, cfg *session.Config) ([]session.Header, []string) {
	var out []session.Header
	var warnings []string
	if rec.Header.Handshake == nil {
		return cfg.Headers, nil
	}
	have := map[string]bool{}
	for _, h := range cfg.Headers {
		have[strings.ToLower(h.Name)] = true
	}
	for _, h := range rec.Header.Handshake.RequestHeaders {
		name := strings.ToLower(h.Name)
		switch {
		case name == "host", name == "upgrade", name == "connection", name == "content-length", name == "user-agent",
			strings.HasPrefix(name, "sec-websocket-"), strings.HasPrefix(name, ":"), have[name]:
			// ":method", ":path"…: an HTTP/2 recording's pseudo-headers are made anew too.
			continue
		case h.Value == capture.Redacted:
			warnings = append(warnings, fmt.Sprintf("recorded header %s was redacted; pass it with -H if the server needs it", h.Name))
			continue
		}
		if name == "origin" && cfg.Origin == "" {
			cfg.Origin = h.Value
			continue
		}
		out = append(out, h)
	}
	if len(cfg.Subprotocols) == 0 {
		for _, h := range rec.Header.Handshake.RequestHeaders {
			if strings.EqualFold(h.Name, "Sec-WebSocket-Protocol") {
				for _, p := range strings.Split(h.Value, ",") {
					if p = strings.TrimSpace(p); p != "" {
						cfg.Subprotocols = append(cfg.Subprotocols, p)
					}
				}
			}
		}
	}
	return append(out, cfg.Headers...), warnings
}

// Run re-dials target with cfg (an empty target means the recorded URL;
// recorded request headers are added unless cfg sets a header of the same
// name), sends the recorded client messages with the recorded timing, and
// compares what the server sends with what it sent then.
func Run(ctx context.Context, rec *capture.Recording, target string, cfg session.Config, opts Options) *Result {
	res := &Result{Items: []Item{}, Unexpected: []string{}, Warnings: []string{}}
	if target == "" {
		target = rec.Header.URL
		if strings.Contains(target, capture.Redacted) || strings.Contains(target, "%5Bredacted%5D") {
			res.Warnings = append(res.Warnings, "the recorded URL has redacted parts; pass --target with the real URL if the server needs them")
		}
	}
	res.Target = target
	if hs := rec.Header.Handshake; hs != nil && hs.HTTPVersion == session.HTTP2 && cfg.HTTP == session.HTTPModeDefault {
		// Replay the session the way it was made: over HTTP/2 (RFC 8441).
		cfg.HTTP = session.HTTPMode2
		res.Warnings = append(res.Warnings, "recorded over HTTP/2: replaying over HTTP/2 (--http 1.1 replays with the Upgrade)")
	}
	var warnings []string
	cfg.Headers, warnings = replayHeaders(rec, &cfg)
	res.Warnings = append(res.Warnings, warnings...)
	speed := opts.Speed
	if speed <= 0 {
		speed = 1
	}
	settle := opts.Settle
	if settle <= 0 {
		settle = 2 * time.Second
	}

	var expected []*capture.Event
	var sends []*capture.Event
	for i := range rec.Events {
		e := &rec.Events[i]
		if !e.IsFrame() || e.Auto || (e.Op != "text" && e.Op != "binary" && e.Op != "ping") {
			continue
		}
		if e.Dir == "send" {
			sends = append(sends, e)
		} else if e.Op != "ping" {
			expected = append(expected, e)
		}
	}

	fo := opts.Options
	fo.Sends = nil // the recorded sends go out with their timing, below
	if fo.Record != "" {
		fo.RecordMeta = map[string]string{"replay_of": rec.Header.URL}
	}
	fl := flow.Dial(ctx, target, cfg, fo)
	res.Chain = fl.Chain
	if fl.Err != nil {
		res.Error = fl.Err.Line()
		return res
	}
	if err := fl.RecordErr(); err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	conn := fl.Conn()
	res.Handshake = conn.Handshake()
	got := make(chan struct{}, 1)
	collected := make(chan []flow.Frame, 1)
	go func() {
		var all []flow.Frame
		data := 0
		for {
			<-fl.Ready()
			b := fl.Take()
			for _, e := range b.Events {
				if e.Kind != session.EventFrame {
					continue
				}
				all = append(all, e.Frame)
				if e.Frame.Dir == session.Recv && !e.Frame.Op.IsControl() {
					data++
					if data >= len(expected) {
						select {
						case got <- struct{}{}:
						default:
						}
					}
				}
			}
			if b.Done {
				break
			}
		}
		collected <- all
	}()

	start := time.Now()
	for i, e := range sends {
		if opts.Step != nil {
			if err := opts.Step(i, e); err != nil {
				res.Warnings = append(res.Warnings, "stopped: "+err.Error())
				break
			}
		} else if !opts.NoDelay {
			due := start.Add(time.Duration(e.T / speed * float64(time.Millisecond)))
			select {
			case <-time.After(time.Until(due)):
			case <-ctx.Done():
			case <-conn.Done():
			}
		}
		p, _ := e.Payload()
		op, _ := session.ParseOpcode(e.Op)
		if err := conn.Send(op, p); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("sending recorded message %d failed: %v", i+1, err))
			break
		}
		res.Sent++
	}
	if len(expected) > 0 {
		select {
		case <-got:
		case <-time.After(settle):
		case <-conn.Done():
		case <-ctx.Done():
		}
	}
	time.Sleep(min(settle/4, 250*time.Millisecond)) // catch messages beyond the recorded ones
	conn.Close(1000, "replay done")
	all := <-collected
	if err := fl.Close(0); err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	res.Actual = all
	var received []*flow.Frame
	for i := range all {
		if f := &all[i]; f.Dir == session.Recv && !f.Op.IsControl() {
			received = append(received, f)
		}
	}
	for i, e := range expected {
		want, _ := e.Payload()
		it := Item{Index: i + 1, Expected: string(want)}
		if i >= len(received) {
			it.Verdict = Missing
		} else {
			it.Actual = string(received[i].Payload)
			if it.Diff = Compare(want, received[i].Payload, opts.Ignore); len(it.Diff) == 0 {
				it.Verdict = Matched
			} else {
				it.Verdict = Differs
			}
		}
		res.Items = append(res.Items, it)
	}
	for _, f := range received[min(len(expected), len(received)):] {
		res.Unexpected = append(res.Unexpected, string(f.Payload))
	}
	return res
}
