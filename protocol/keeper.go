package protocol

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/wscope/wscope/session"
)

// Sender is the part of a connection the keeper needs.
type Sender interface {
	SendAuto(op session.Opcode, payload []byte) error
	Done() <-chan struct{}
}

// reply is the client's answer to a heartbeat the server sent, when the
// protocol wants one: Engine.IO v4 ping "2" → pong "3", graphql-ws ping →
// pong. ActionCable's and Odoo's server pings need no application answer.
func reply(n Name, p []byte) ([]byte, bool) {
	switch n {
	case SocketIO:
		if bytes.Equal(p, []byte("2")) {
			return []byte("3"), true
		}
	case GraphQLWS:
		if l := Of(n, p); l.Event == "ping" {
			return []byte(`{"type":"pong"}`), true
		}
	}
	return nil, false
}

// periodic is the heartbeat a protocol wants from the client on a timer:
// Phoenix expects one every 30 s (it closes after 60 s without), STOMP a
// newline when heart-beating was negotiated.
func periodic(n Name) (time.Duration, func(seq int) []byte) {
	switch n {
	case Phoenix:
		return 30 * time.Second, func(seq int) []byte {
			return []byte(fmt.Sprintf(`[null,"hb-%d","phoenix","heartbeat",{}]`, seq))
		}
	case STOMP:
		return 10 * time.Second, func(int) []byte { return []byte("\n") }
	}
	return 0, nil
}

// Keeper answers a protocol's heartbeats for a connection (--auto-heartbeat).
// OnFrame is called from the goroutine that drains the connection's events,
// never from the UI's Update; replies are marked as automatic.
type Keeper struct {
	mu     sync.Mutex
	name   Name
	conn   Sender
	period time.Duration
	stop   chan struct{}
}

// NewKeeper starts keeping conn alive for protocol n (which may be
// settled later with SetProtocol when it is detected from traffic).
func NewKeeper(conn Sender, n Name) *Keeper {
	k := &Keeper{conn: conn, stop: make(chan struct{})}
	k.SetProtocol(n)
	return k
}

// SetProtocol settles the protocol and starts its periodic heartbeat.
func (k *Keeper) SetProtocol(n Name) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if n == k.name || k.period > 0 {
		return
	}
	k.name = n
	every, payload := periodic(n)
	if every <= 0 {
		return
	}
	k.period = every
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for seq := 1; ; seq++ {
			select {
			case <-k.conn.Done():
				return
			case <-k.stop:
				return
			case <-t.C:
				if k.conn.SendAuto(session.OpText, payload(seq)) != nil {
					return
				}
			}
		}
	}()
}

// OnFrame answers f when it is a heartbeat that wants an answer.
func (k *Keeper) OnFrame(f *session.Frame) {
	if f.Dir != session.Recv || f.Op != session.OpText {
		return
	}
	k.mu.Lock()
	n := k.name
	k.mu.Unlock()
	if r, ok := reply(n, f.Payload); ok {
		// Not inline: the caller drains the connection's events, and a
		// send waits for its event to be taken.
		go k.conn.SendAuto(session.OpText, r)
	}
}

// Stop ends the periodic heartbeat.
func (k *Keeper) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-k.stop:
	default:
		close(k.stop)
	}
}
