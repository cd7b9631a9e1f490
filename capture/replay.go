package capture

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wscope/wscope/session"
)

// ReplayOptions configure a replay.
type ReplayOptions struct {
	// Session is where and how to connect. An empty URL means the
	// recording's; recorded request headers are added unless a header of
	// the same name is set here.
	Session session.Config
	Speed   float64                     // timing scale: 2 is twice as fast; 0 means 1
	NoDelay bool                        // send without the recorded pauses
	Step    func(i int, e *Event) error // called before each client frame (--step); an error stops
	Ignore  []string                    // JSON fields left out of comparisons
	Settle  time.Duration               // how long to wait for server frames after the last send (default 2s)
	// Record, when set, records the replayed session.
	Record string
	Redact *Redactor
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

// ReplayResult is the outcome of a replay.
type ReplayResult struct {
	Target     string               `json:"target"`
	Sent       int                  `json:"sent"`
	Items      []Item               `json:"items"`
	Unexpected []string             `json:"unexpected"` // server messages beyond the recorded ones
	Warnings   []string             `json:"warnings"`
	Error      string               `json:"error,omitempty"`
	Handshake  *session.Handshake   `json:"-"`
	Chain      []*session.Handshake `json:"-"`
	Actual     []session.Frame      `json:"-"` // every frame of the replayed session
}

// OK reports whether every recorded server message matched and nothing
// unexpected arrived.
func (r *ReplayResult) OK() bool {
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
func replayHeaders(rec *Recording, cfg *session.Config) ([]session.Header, []string) {
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
			strings.HasPrefix(name, "sec-websocket-"), have[name]:
			continue
		case h.Value == Redacted:
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

// Replay re-dials, sends the recorded client messages with the recorded
// timing, and compares what the server sends with what it sent then.
func Replay(ctx context.Context, rec *Recording, opts ReplayOptions) *ReplayResult {
	res := &ReplayResult{Items: []Item{}, Unexpected: []string{}, Warnings: []string{}}
	cfg := opts.Session
	if cfg.URL == "" {
		cfg.URL = rec.Header.URL
		if strings.Contains(cfg.URL, Redacted) || strings.Contains(cfg.URL, "%5Bredacted%5D") {
			res.Warnings = append(res.Warnings, "the recorded URL has redacted parts; pass --target with the real URL if the server needs them")
		}
	}
	res.Target = cfg.URL
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

	var expected []*Event
	var sends []*Event
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

	conn, chain, err := session.Dial(ctx, cfg)
	res.Chain = chain
	if err != nil {
		var se *session.Error
		if errors.As(err, &se) {
			res.Error = se.Line()
		} else {
			res.Error = err.Error()
		}
		return res
	}
	res.Handshake = conn.Handshake()
	var recorder *Recorder
	if opts.Record != "" {
		recorder, err = Create(opts.Record, Header{URL: conn.Handshake().URL, Handshake: HandshakeRecordOf(conn.Handshake()),
			Meta: map[string]string{"replay_of": rec.Header.URL}}, opts.Redact)
		if err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
	}
	got := make(chan struct{}, 1)
	collected := make(chan []session.Frame, 1)
	var received []session.Frame
	go func() {
		var all []session.Frame
		data := 0
		for e := range conn.Events() {
			if recorder != nil {
				if e.Kind == session.EventFrame {
					recorder.Frame(&e.Frame)
				} else {
					recorder.State(e.State)
				}
			}
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
	if recorder != nil {
		if err := recorder.Close(); err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
	}
	res.Actual = all
	for _, f := range all {
		if f.Dir == session.Recv && !f.Op.IsControl() {
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
