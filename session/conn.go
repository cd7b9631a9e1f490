package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// writeWait bounds every write, so a peer that stops reading cannot hang a
// sender forever.
const writeWait = 10 * time.Second

// pingPrefix marks wscope's own keepalive pings so their pongs give RTT.
const pingPrefix = "wscope-ping "

// ErrClosed is returned when sending on a connection that is closing or closed.
var ErrClosed = errors.New("connection is closed")

// Conn is an open WebSocket connection. Its Events channel must be drained
// until it is closed, which happens after the final StateClosed event. All
// methods are safe to call from any goroutine.
type Conn struct {
	ws     *websocket.Conn
	hs     *Handshake
	cfg    Config
	events chan Event
	done   chan struct{}
	start  time.Time

	emitMu   sync.Mutex // orders events and guards finished
	finished bool
	writeMu  sync.Mutex // orders writes with their send events

	closeSent  atomic.Bool
	localClose atomic.Bool
	aborted    atomic.Bool
	pingDead   atomic.Bool // the keepalive found no answer
	lastRTT    atomic.Int64
	lastPong   atomic.Int64 // nanoseconds since start of the last pong
}

func newConn(ws *websocket.Conn, hs *Handshake, cfg Config) *Conn {
	c := &Conn{ws: ws, hs: hs, cfg: cfg, events: make(chan Event, cfg.EventBuffer), done: make(chan struct{}), start: time.Now()}
	ws.SetReadLimit(cfg.MaxMessageSize)
	ws.SetPingHandler(c.onPing)
	ws.SetPongHandler(c.onPong)
	ws.SetCloseHandler(c.onClose)
	c.emit(Event{Kind: EventState, State: &StateChange{State: StateOpen, Time: c.start}})
	go c.readLoop()
	if cfg.PingInterval > 0 {
		go c.pingLoop(cfg.PingInterval)
	}
	return c
}

// Events is the stream of frames and state changes.
func (c *Conn) Events() <-chan Event { return c.events }

// Done is closed when the connection has closed and its last event is out.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Handshake is the successful opening handshake.
func (c *Conn) Handshake() *Handshake { return c.hs }

// Subprotocol is the subprotocol the server selected.
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// LastRTT is the round-trip time of the latest answered keepalive ping.
func (c *Conn) LastRTT() time.Duration { return time.Duration(c.lastRTT.Load()) }

// emit delivers an event unless the connection already reported its end.
func (c *Conn) emit(e Event) {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	c.emitLocked(e)
}

// emitLocked is emit for a caller that holds emitMu.
func (c *Conn) emitLocked(e Event) {
	if !c.finished {
		c.events <- e
	}
}

// writeAndEmit performs a write and reports it as one step: holding emitMu
// across the write keeps a sent frame ahead of the server's answer to it
// in the event stream. Lock order is always writeMu, then emitMu.
func (c *Conn) writeAndEmit(write func() error, events ...Event) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	if err := write(); err != nil {
		return err
	}
	for _, e := range events {
		if e.Kind == EventFrame {
			e.Frame.Time = time.Now()
		}
		c.emitLocked(e)
	}
	return nil
}

// SendText sends a text message.
func (c *Conn) SendText(s string) error { return c.Send(OpText, []byte(s)) }

// SendBinary sends a binary message.
func (c *Conn) SendBinary(b []byte) error { return c.Send(OpBinary, b) }

// Ping sends a ping with payload (at most 125 bytes).
func (c *Conn) Ping(payload []byte) error { return c.Send(OpPing, payload) }

// Pong sends an unsolicited pong with payload (at most 125 bytes).
func (c *Conn) Pong(payload []byte) error { return c.Send(OpPong, payload) }

// SendAuto sends like Send but marks the frame as sent by wscope on its
// own (a protocol heartbeat answered for the user).
func (c *Conn) SendAuto(op Opcode, payload []byte) error { return c.send(op, payload, FlagAuto) }

// Send sends one message or control frame. The payload must not be
// modified afterwards: the send event keeps it. Close frames go through Close.
func (c *Conn) Send(op Opcode, payload []byte) error { return c.send(op, payload, 0) }

func (c *Conn) send(op Opcode, payload []byte, flags FrameFlags) error {
	if op == OpClose {
		code, reason := 1000, ""
		if len(payload) >= 2 {
			code, reason = int(payload[0])<<8|int(payload[1]), string(payload[2:])
		}
		return c.Close(code, reason)
	}
	if c.closeSent.Load() {
		return ErrClosed
	}
	var write func() error
	switch op {
	case OpText, OpBinary:
		write = func() error {
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			return c.ws.WriteMessage(int(op), payload)
		}
	case OpPing, OpPong:
		if len(payload) > 125 {
			return fmt.Errorf("%s payload is %d bytes; control frames carry at most 125", op, len(payload))
		}
		write = func() error { return c.ws.WriteControl(int(op), payload, time.Now().Add(writeWait)) }
	default:
		return fmt.Errorf("cannot send opcode %d", op)
	}
	if err := c.writeAndEmit(write, Event{Kind: EventFrame, Frame: newFrame(Send, op, payload, flags)}); err != nil {
		return c.sendError(err)
	}
	return nil
}

func (c *Conn) sendError(err error) error {
	if errors.Is(err, websocket.ErrCloseSent) || errors.Is(err, net.ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("send failed: %w", err)
}

// ValidateCloseCode reports whether code may be sent in a close frame
// (RFC 6455 section 7.4: 1005, 1006 and 1015 are never sent).
func ValidateCloseCode(code int) error {
	switch {
	case code == 1000, code >= 1001 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return nil
	}
	return fmt.Errorf("close code %d cannot be sent: use 1000-1003, 1007-1014 or 3000-4999", code)
}

// Close starts the closing handshake with code and reason, and drops the
// connection if the server does not answer within the close timeout.
func (c *Conn) Close(code int, reason string) error {
	if err := ValidateCloseCode(code); err != nil {
		return err
	}
	if len(reason) > 123 {
		return fmt.Errorf("close reason is %d bytes; at most 123 fit in a close frame", len(reason))
	}
	if !c.closeSent.CompareAndSwap(false, true) {
		return ErrClosed
	}
	c.localClose.Store(true)
	f := newFrame(Send, OpClose, []byte(reason), 0)
	f.Code = uint16(code)
	err := c.writeAndEmit(func() error {
		return c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
	}, Event{Kind: EventFrame, Frame: f},
		Event{Kind: EventState, State: &StateChange{State: StateClosing, Time: time.Now(), Cause: CauseLocalClose, Detail: "waiting for the server's close frame"}})
	go func() {
		t := time.NewTimer(c.cfg.CloseTimeout)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			c.Abort()
		}
	}()
	if err != nil {
		c.Abort()
		return c.sendError(err)
	}
	return nil
}

// Abort drops the TCP connection without a closing handshake.
func (c *Conn) Abort() {
	c.aborted.Store(true)
	c.ws.NetConn().Close()
}

func (c *Conn) onPing(data string) error {
	c.emit(Event{Kind: EventFrame, Frame: newFrame(Recv, OpPing, []byte(data), 0)})
	if c.cfg.NoAutoPong || c.closeSent.Load() {
		return nil
	}
	c.writeAndEmit(func() error {
		return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
	}, Event{Kind: EventFrame, Frame: newFrame(Send, OpPong, []byte(data), FlagAuto)})
	return nil // a failed pong shows up as a read error soon enough
}

func (c *Conn) onPong(data string) error {
	e := Event{Kind: EventFrame, Frame: newFrame(Recv, OpPong, []byte(data), 0)}
	c.lastPong.Store(int64(time.Since(c.start)))
	if rest, ok := strings.CutPrefix(data, pingPrefix); ok {
		if sent, err := strconv.ParseInt(rest, 10, 64); err == nil {
			e.RTT = e.Frame.Time.Sub(c.start) - time.Duration(sent)
			if e.RTT >= 0 {
				c.lastRTT.Store(int64(e.RTT))
			}
		}
	}
	c.emit(e)
	return nil
}

func (c *Conn) onClose(code int, text string) error {
	f := newFrame(Recv, OpClose, []byte(text), 0)
	f.Code = uint16(code)
	c.emit(Event{Kind: EventFrame, Frame: f})
	if c.closeSent.CompareAndSwap(false, true) {
		// Echo the close as RFC 6455 section 5.5.1 asks.
		msg := websocket.FormatCloseMessage(code, "")
		if code == websocket.CloseNoStatusReceived {
			msg = []byte{}
		}
		echo := newFrame(Send, OpClose, nil, FlagAuto)
		echo.Code = uint16(code)
		c.writeAndEmit(func() error {
			return c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
		}, Event{Kind: EventFrame, Frame: echo})
	}
	return nil
}

func (c *Conn) pingLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var unanswered time.Duration = -1 // when the oldest unanswered ping went out
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if c.closeSent.Load() {
				return
			}
			now := time.Since(c.start)
			if unanswered >= 0 && time.Duration(c.lastPong.Load()) >= unanswered {
				unanswered = -1 // answered
			}
			if unanswered >= 0 && now-unanswered >= c.cfg.PongTimeout {
				c.pingDead.Store(true)
				c.Abort()
				return
			}
			if unanswered < 0 {
				unanswered = now
			}
			payload := []byte(pingPrefix + strconv.FormatInt(int64(time.Since(c.start)), 10))
			c.writeAndEmit(func() error {
				return c.ws.WriteControl(websocket.PingMessage, payload, time.Now().Add(writeWait))
			}, Event{Kind: EventFrame, Frame: newFrame(Send, OpPing, payload, FlagAuto)})
		}
	}
}

func (c *Conn) readLoop() {
	var buf bytes.Buffer
	for {
		op, r, err := c.ws.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
			if err == nil {
				payload := bytes.Clone(buf.Bytes())
				if payload == nil {
					payload = []byte{}
				}
				c.emit(Event{Kind: EventFrame, Frame: newFrame(Recv, Opcode(op), payload, 0)})
				if buf.Cap() > 1<<20 {
					buf = bytes.Buffer{} // do not pin a huge buffer after one big message
				}
				continue
			}
		}
		c.finish(err)
		return
	}
}

// finish reports how the connection ended, closes it and ends the stream.
func (c *Conn) finish(err error) {
	sc := &StateChange{State: StateClosed, Time: time.Now(), Err: err}
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		sc.Cause, sc.Code = CauseTooBig, websocket.CloseMessageTooBig
		sc.Detail = fmt.Sprintf("a message exceeded --max-message-size (%d bytes); wscope closed with 1009", c.cfg.MaxMessageSize)
		f := newFrame(Send, OpClose, nil, FlagAuto)
		f.Code = websocket.CloseMessageTooBig
		c.emit(Event{Kind: EventFrame, Frame: f})
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		sc.Code, sc.Reason = ce.Code, ce.Text
		sc.Cause = CauseRemoteClose
		who := "the server"
		if c.localClose.Load() {
			sc.Cause, who = CauseLocalClose, "wscope"
		}
		sc.Detail = fmt.Sprintf("closed cleanly by %s: %s", who, CloseCodeText(ce.Code))
		if ce.Text != "" {
			sc.Detail += fmt.Sprintf(" %q", ce.Text)
		}
	case c.pingDead.Load():
		sc.Cause, sc.Code = CausePingTimeout, websocket.CloseAbnormalClosure
		sc.Detail = fmt.Sprintf("no pong within %s: the connection is half-open (a proxy or NAT dropped it) or the server is stuck; wscope dropped it", c.cfg.PongTimeout)
	case c.aborted.Load():
		sc.Cause, sc.Code = CauseLocalAbort, websocket.CloseAbnormalClosure
		sc.Detail = "wscope dropped the connection"
		if c.localClose.Load() {
			sc.Detail = fmt.Sprintf("the server did not answer wscope's close within %s; connection dropped", c.cfg.CloseTimeout)
		}
	case errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		sc.Cause, sc.Code = CauseAbnormal, websocket.CloseAbnormalClosure
		sc.Detail = "the connection ended without a close frame (1006 abnormal closure)"
	case isProtocolError(err):
		sc.Cause, sc.Code = CauseProtocol, websocket.CloseProtocolError
		sc.Detail = "the server broke the WebSocket framing rules: " + err.Error()
		if c.hs != nil && c.hs.afterHead != nil {
			sc.Raw = c.hs.afterHead()
		}
	default:
		sc.Cause, sc.Code = CauseReadError, websocket.CloseAbnormalClosure
		sc.Detail = "read error: " + err.Error()
	}
	c.ws.NetConn().Close()
	c.emitMu.Lock()
	if !c.finished {
		c.events <- Event{Kind: EventState, State: sc}
		c.finished = true
		close(c.events)
	}
	c.emitMu.Unlock()
	close(c.done)
}

// isProtocolError reports whether gorilla rejected the peer's framing.
func isProtocolError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return false
	}
	s := err.Error()
	return strings.HasPrefix(s, "websocket: ") && !strings.Contains(s, "close")
}

// CloseCodeText names a close code, e.g. "1001 going away".
func CloseCodeText(code int) string {
	names := map[int]string{
		1000: "normal closure", 1001: "going away", 1002: "protocol error", 1003: "unsupported data",
		1005: "no status", 1006: "abnormal closure", 1007: "invalid payload", 1008: "policy violation",
		1009: "message too big", 1010: "mandatory extension", 1011: "internal error", 1012: "service restart",
		1013: "try again later", 1014: "bad gateway", 1015: "TLS handshake",
	}
	if n, ok := names[code]; ok {
		return fmt.Sprintf("%d %s", code, n)
	}
	switch {
	case code >= 4000 && code <= 4999:
		return fmt.Sprintf("%d (application)", code)
	case code >= 3000 && code <= 3999:
		return fmt.Sprintf("%d (registered)", code)
	}
	return strconv.Itoa(code)
}
