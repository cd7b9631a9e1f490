package flow

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/serve"
	"github.com/wscope/wscope/session"
)

func startServe(t *testing.T) *serve.Server { return servetest.Start(t) }

// drain takes batches until the flow ends and returns every event and how
// many batches carried them.
func drain(t *testing.T, f *Flow) ([]Event, int) {
	t.Helper()
	var all []Event
	batches := 0
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-f.Ready():
		case <-deadline:
			t.Fatal("the flow never ended")
		}
		b := f.Take()
		if len(b.Events) > 0 {
			batches++
		}
		all = append(all, b.Events...)
		if b.Done {
			return all, batches
		}
	}
}

// TestDialRunsEveryObserverOnce: one dial against a real server sends the
// script, records, counts, labels and collects evidence, in one pass.
func TestDialRunsEveryObserverOnce(t *testing.T) {
	s := startServe(t)
	rec := filepath.Join(t.TempDir(), "r.jsonl")
	f := Dial(context.Background(), s.URL("/echo"), session.Config{URL: "ws://ignored.invalid/"}, Options{
		Record: rec, Redact: capture.NewRedactor(nil, false), Protocol: protocol.ActionCable, ProtocolForced: true,
		Script: Script{Sends: []Message{{Op: session.OpText, Payload: []byte(`{"type":"welcome"}`)}}}})
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	if f.Handshake().URL != s.URL("/echo") {
		t.Fatalf("the URL beside the options was not used: %s", f.Handshake().URL)
	}
	time.Sleep(200 * time.Millisecond)
	if err := f.Close(time.Second); err != nil {
		t.Fatal(err)
	}
	events, _ := drain(t, f)
	var labels []string
	for _, e := range events {
		if e.Kind == session.EventFrame && e.Frame.Op == session.OpText {
			labels = append(labels, e.Frame.Label)
		}
	}
	if len(labels) != 2 || labels[0] != "cable:welcome" || labels[1] != "cable:welcome" {
		t.Fatalf("labels %q", labels)
	}
	st := f.Stats()
	if st.SentMsgs != 1 || st.RecvMsgs != 1 || st.OpenedAt.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	ev := f.Evidence()
	if ev.Closed == nil || ev.OpenedAt.IsZero() || string(ev.FirstRecv) != `{"type":"welcome"}` {
		t.Fatalf("evidence %+v", ev)
	}
	r, err := capture.ReadFile(rec, "")
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for _, e := range r.Events {
		if e.IsFrame() {
			frames++
		}
	}
	if frames < 2 {
		t.Fatalf("recording holds %d frames", frames)
	}
}

// TestBatchesNotOneMessagePerFrame: a firehose reaches the consumer in far
// fewer batches than frames.
func TestBatchesNotOneMessagePerFrame(t *testing.T) {
	s := startServe(t)
	const n = 20000
	f := Dial(context.Background(), s.URL(fmt.Sprintf("/firehose?n=%d&size=16", n)), session.Config{}, Options{})
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	got, batches := 0, 0
	for got < n {
		select {
		case <-f.Ready():
		case <-time.After(10 * time.Second):
			t.Fatalf("stalled at %d of %d", got, n)
		}
		time.Sleep(2 * time.Millisecond) // a consumer that is busy now and then, as the TUI is
		b := f.Take()
		batches++
		for _, e := range b.Events {
			if e.Kind == session.EventFrame && e.Frame.Dir == session.Recv && !e.Frame.Op.IsControl() {
				got++
			}
		}
		f.Recycle(b)
		if b.Done {
			break
		}
	}
	f.Close(time.Second)
	if got != n || batches*10 > n {
		t.Fatalf("%d messages in %d batches", got, batches)
	}
}

// TestFailedDialIsAnEndedFlowWithFindings: nothing listens, so the flow
// ends at once with the error and the diagnosis.
func TestFailedDialIsAnEndedFlowWithFindings(t *testing.T) {
	f := Dial(context.Background(), "ws://127.0.0.1:1/", session.Config{Timeout: 2 * time.Second}, Options{})
	if f.Err == nil || f.Err.Class != session.ClassRefused || f.Conn() != nil {
		t.Fatalf("err %v", f.Err)
	}
	if b := f.Take(); !b.Done {
		t.Fatal("a failed flow must be ended")
	}
	if fs := f.Findings(time.Now()); fs == nil {
		t.Fatal("findings must not be nil")
	}
}

// TestOpenFlowPushedEventsAreObservedLikeLiveOnes: the source of a
// recording or a test goes through the same observers.
func TestOpenFlowPushedEventsAreObservedLikeLiveOnes(t *testing.T) {
	hs := &session.Handshake{URL: "ws://h/cable", Status: 101}
	f := Open(hs.URL, []*session.Handshake{hs}, Options{Protocol: protocol.ActionCable, ProtocolForced: true})
	t0 := time.Unix(1700000000, 0)
	f.Push(session.Event{Kind: session.EventState, State: &session.StateChange{State: session.StateOpen, Time: t0}})
	f.Push(session.Event{Kind: session.EventFrame, Frame: session.Frame{Time: t0, Dir: session.Recv, Op: session.OpText, Payload: []byte(`{"type":"welcome"}`)}})
	f.Push(session.Event{Kind: session.EventState, State: &session.StateChange{State: session.StateClosed, Time: t0.Add(90 * time.Second),
		Cause: session.CauseAbnormal, Code: 1006, Detail: "dropped"}})
	f.End()
	events, _ := drain(t, f)
	if len(events) != 3 || events[1].Frame.Label != "cable:welcome" {
		t.Fatalf("events %+v", events)
	}
	found := false
	for _, fd := range f.Findings(t0.Add(91 * time.Second)) {
		found = found || fd.ID == "idle-timeout"
	}
	if !found {
		t.Fatalf("no idle-timeout finding from pushed events: %+v", f.Findings(t0))
	}
}
