package ui

import (
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

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
}

// eventsMsg is one batch of events from connection id. Done says the
// connection's stream has ended (its last event is in this batch).
type eventsMsg struct {
	id     int
	events []session.Event
	done   bool
	feed   *feed
}

func startFeed(id int, events <-chan session.Event) *feed {
	f := &feed{id: id, notify: make(chan struct{}, 1)}
	go f.pump(events)
	return f
}

func (f *feed) pump(events <-chan session.Event) {
	for e := range events {
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
