package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/flow"
)

// minBatchInterval paces batches to about 60 per second: a firehose costs
// one Update and one View per batch, never one per frame.
const minBatchInterval = 16 * time.Millisecond

// feed paces one flow's batches into the UI. The flow's drain goroutine
// does the work (labels, recording, heartbeats, counters, evidence); a
// re-arming command hands everything gathered since the last batch to
// Update as one message.
type feed struct {
	id       int
	flow     *flow.Flow
	lastSent time.Time // only touched by the command, which never runs twice at once
}

// eventsMsg is one batch of events from connection id. Done says the
// flow has ended (its last event is in this batch).
type eventsMsg struct {
	id     int
	events []flow.Event
	stats  flow.Stats
	done   bool
	feed   *feed
}

func newFeed(id int, fl *flow.Flow) *feed { return &feed{id: id, flow: fl} }

// next is the command that waits for the next batch.
func (f *feed) next() tea.Cmd {
	return func() tea.Msg {
		<-f.flow.Ready()
		if wait := minBatchInterval - time.Since(f.lastSent); wait > 0 {
			time.Sleep(wait) // gather more; the flow keeps draining meanwhile
		}
		b := f.flow.Take()
		f.lastSent = time.Now()
		return eventsMsg{id: f.id, events: b.Events, stats: b.Stats, done: b.Done, feed: f}
	}
}

// recycle gives a consumed batch's slice back for reuse.
func (f *feed) recycle(events []flow.Event) { f.flow.Recycle(flow.Batch{Events: events}) }
