package session

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Direction says who sent a frame.
type Direction uint8

// Directions.
const (
	Recv Direction = iota // from the server
	Send                  // from wscope
)

func (d Direction) String() string {
	if d == Send {
		return "send"
	}
	return "recv"
}

// Opcode is a WebSocket frame opcode (RFC 6455 section 5.2).
type Opcode uint8

// Opcodes wscope shows. Continuation frames are reassembled into messages.
const (
	OpText   Opcode = 1
	OpBinary Opcode = 2
	OpClose  Opcode = 8
	OpPing   Opcode = 9
	OpPong   Opcode = 10
)

func (o Opcode) String() string {
	switch o {
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("op%d", uint8(o))
}

// IsControl reports whether o is a control opcode.
func (o Opcode) IsControl() bool { return o >= 8 }

// ParseOpcode is the inverse of Opcode.String.
func ParseOpcode(s string) (Opcode, bool) {
	for _, o := range []Opcode{OpText, OpBinary, OpClose, OpPing, OpPong} {
		if o.String() == s {
			return o, true
		}
	}
	return 0, false
}

// FrameFlags mark what is notable about a frame.
type FrameFlags uint8

// Frame flags.
const (
	// FlagInvalidUTF8: a text message that is not valid UTF-8 (RFC 6455
	// says to fail the connection; wscope shows it instead).
	FlagInvalidUTF8 FrameFlags = 1 << iota
	// FlagAuto: sent by wscope on its own (a pong answering a ping, the
	// close echo, the 1009 close on an oversized message, a keepalive ping).
	FlagAuto
)

// Frame is one message or control frame. It is kept small because a log
// may hold millions: a close frame's reason is its Payload and its status
// code is Code.
type Frame struct {
	Time    time.Time // wall clock with Go's monotonic reading
	Payload []byte
	Code    uint16 // close frames: the status code (1005 when none was sent)
	Dir     Direction
	Op      Opcode
	Flags   FrameFlags
}

// Size is the payload length in bytes.
func (f *Frame) Size() int { return len(f.Payload) }

// CloseReason is the reason text of a close frame.
func (f *Frame) CloseReason() string { return string(f.Payload) }

func newFrame(dir Direction, op Opcode, payload []byte, flags FrameFlags) Frame {
	if op == OpText && !utf8.Valid(payload) {
		flags |= FlagInvalidUTF8
	}
	return Frame{Time: time.Now(), Payload: payload, Dir: dir, Op: op, Flags: flags}
}

// State is where a connection is in its life.
type State uint8

// Connection states.
const (
	StateConnecting State = iota
	StateOpen
	StateClosing
	StateClosed
)

func (s State) String() string {
	return [...]string{"connecting", "open", "closing", "closed"}[s]
}

// Cause says why a connection closed.
type Cause uint8

// Close causes.
const (
	CauseNone        Cause = iota
	CauseRemoteClose       // the server sent a close frame
	CauseLocalClose        // wscope sent a close frame and the server answered
	CauseAbnormal          // the TCP connection ended without a close frame (1006)
	CauseReadError         // reset, timeout or another read error
	CauseTooBig            // a message exceeded --max-message-size (1009)
	CauseLocalAbort        // wscope dropped the connection (no answer to its close, or aborted)
	CauseProtocol          // the server broke the framing rules (1002)
	CausePingTimeout       // no pong came back in time: half-open or stuck
)

func (c Cause) String() string {
	return [...]string{"", "remote close", "local close", "abnormal", "read error", "message too big", "local abort", "protocol error", "ping timeout"}[c]
}

// Clean reports whether the close handshake completed.
func (c Cause) Clean() bool { return c == CauseRemoteClose || c == CauseLocalClose }

// StateChange is a transition with its cause.
type StateChange struct {
	State  State
	Time   time.Time
	Cause  Cause
	Code   int    // close code (1006 for abnormal)
	Reason string // close reason from the peer
	Err    error  // the read error, if any
	Detail string // one line for people (not yet terminal-escaped)
	// Raw, for CauseProtocol, holds the first bytes the server sent after
	// the 101 (at most MaxAfterHead, raw): what it sent instead of frames.
	Raw []byte
}

// EventKind tells which field of an Event is set.
type EventKind uint8

// Event kinds.
const (
	EventFrame EventKind = iota
	EventState
)

// Event is what a Conn reports: a frame sent or received, or a state change.
type Event struct {
	Kind  EventKind
	Frame Frame
	State *StateChange
	// RTT is set on a received pong that answers one of wscope's pings.
	RTT time.Duration
}
