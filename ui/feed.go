package ui

import (
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// minBatchInterval paces batches to about 60 per second: a firehose costs
// one Update and one View per batch, never one per frame.
const minBatchInterval = 16 * time.Millisecond

// feed moves a connection's events into the UI. A pump goroutine drains the
// session's channel continuously (so the connection never waits on the
// UI), and a re-arming command hands everything gathered since the last
// batch to Update as one message.
type feed struct {
	id       int
	mu       sync.Mutex
	pending  []session.Event
	spare    []session.Event // the previous batch's slice, reused
	done     bool
	notify   chan struct{}
	lastSent time.Time // only touched by the command, which never runs twice at once
	// rec, when set, gets every event before the UI does: recording sits
	// on the network side of the batch, so Update never writes files.
	rec atomic.Pointer[capture.Recorder]
	// tracker labels frames and watches for protocol trouble; keeper
	// answers heartbeats (--auto-heartbeat). Both run here, on the network
	// side, so Update never parses payloads or sends.
	tracker *protocol.Tracker
	keeper  *protocol.Keeper
}

// eventsMsg is one batch of events from connection id. Done says the
// connection's stream has ended (its last event is in this batch).
type eventsMsg struct {
	id     int
	events []session.Event
	done   bool
	feed   *feed
}

// startFeed starts pumping a connection's events; rec (may be nil) is in
// place before the first event, so a recording misses nothing.
func startFeed(id int, events <-chan session.Event, rec *capture.Recorder, tracker *protocol.Tracker, keeper *protocol.Keeper) *feed {
	f := &feed{id: id, notify: make(chan struct{}, 1), tracker: tracker, keeper: keeper}
	f.rec.Store(rec)
	go f.pump(events)
	return f
}

func (f *feed) pump(events <-chan session.Event) {
	for e := range events {
		if e.Kind == session.EventFrame && f.tracker != nil {
			f.tracker.Observe(&e.Frame)
			if f.keeper != nil {
				f.keeper.SetProtocol(f.tracker.Protocol())
				f.keeper.OnFrame(&e.Frame)
			}
		}
		if rec := f.rec.Load(); rec != nil {
			if e.Kind == session.EventFrame {
				rec.Frame(&e.Frame)
			} else {
				rec.State(e.State)
			}
		}
		f.mu.Lock()
		f.pending = append(f.pending, e)
		f.mu.Unlock()
		f.poke()
	}
	f.mu.Lock()
	f.done = true
	f.mu.Unlock()
	f.poke()
}

// waitDone waits up to d for the pump to finish.
func (f *feed) waitDone(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		done := f.done
		f.mu.Unlock()
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *feed) poke() {
	select {
	case f.notify <- struct{}{}:
	default:
	}
}

// next is the command that waits for the next batch.
func (f *feed) next() tea.Cmd {
	return func() tea.Msg {
		<-f.notify
		if wait := minBatchInterval - time.Since(f.lastSent); wait > 0 {
			time.Sleep(wait) // gather more; the pump keeps draining meanwhile
		}
		f.mu.Lock()
		batch := f.pending
		f.pending = f.spare[:0]
		f.spare = nil
		done := f.done
		f.mu.Unlock()
		f.lastSent = time.Now()
		return eventsMsg{id: f.id, events: batch, done: done, feed: f}
	}
}

// recycle gives a consumed batch's slice back for reuse.
func (f *feed) recycle(batch []session.Event) {
	clear(batch) // drop payload references so they can be collected
	f.mu.Lock()
	if f.spare == nil {
		f.spare = batch[:0]
	}
	f.mu.Unlock()
}
