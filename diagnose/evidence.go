package diagnose

import (
	"errors"
	"sync"
	"time"

	"github.com/wscope/wscope/session"
)

// maxFirstRecv bounds the first received message the Collector keeps
// (compare reads what the backend received from `wscope serve`'s /headers).
const maxFirstRecv = 64 << 10

// Collector builds a connection's Evidence from its events. It is the one
// place evidence is assembled: the session pipeline (package flow) feeds it
// every event, and every front end reads the same Evidence from it. Safe
// for concurrent use: the pipeline observes, front ends read.
type Collector struct {
	mu sync.Mutex
	ev Evidence
}

// NewCollector starts collecting for one connection attempt: its handshake
// chain, the dial error (nil when it upgraded), the subprotocols offered
// and the idle wait the script asked for (0: none).
func NewCollector(chain []*session.Handshake, dialErr error, subprotos []string, idle time.Duration) *Collector {
	ev := Evidence{Chain: chain, Subprotos: subprotos, IdleWait: idle}
	if dialErr != nil {
		var se *session.Error
		if !errors.As(dialErr, &se) {
			se = &session.Error{Class: session.ClassNetwork, Msg: dialErr.Error()}
		}
		ev.DialErr = se
	}
	return &Collector{ev: ev}
}

// Observe takes one event, in the order the connection produced them.
func (c *Collector) Observe(e *session.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Kind {
	case session.EventState:
		switch e.State.State {
		case session.StateOpen:
			c.ev.OpenedAt = e.State.Time
		case session.StateClosed:
			c.ev.Closed = e.State
		}
	case session.EventFrame:
		f := &e.Frame
		c.ev.LastFrameAt = f.Time
		switch {
		case f.Dir == session.Recv && f.Op == session.OpPing:
			c.ev.ServerPings++
			c.ev.LastServerPing = f.Time
			if c.ev.UnansweredPings == 0 {
				c.ev.FirstUnansweredPing = f.Time
			}
			c.ev.UnansweredPings++
		case f.Dir == session.Send && f.Op == session.OpPong:
			c.ev.UnansweredPings = 0
			c.ev.FirstUnansweredPing = time.Time{}
		}
		if f.Dir == session.Recv && f.Op == session.OpText && c.ev.FirstRecv == nil {
			c.ev.FirstRecv = append([]byte{}, f.Payload[:min(len(f.Payload), maxFirstRecv)]...)
		}
	}
}

// AddRelated adds another answer of the same server (session.PlainGet of
// the same route), which can name a responder the handshake did not.
func (c *Collector) AddRelated(hs *session.Handshake) {
	if hs == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ev.Related = append(c.ev.Related, hs)
}

// SetOtherHTTP records the final handshake of the same URL over the other
// HTTP version (Evidence.OtherHTTP); nil clears it.
func (c *Collector) SetOtherHTTP(hs *session.Handshake) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ev.OtherHTTP = hs
}

// Evidence is a snapshot of what was collected so far.
func (c *Collector) Evidence() Evidence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ev
}
