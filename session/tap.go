package session

import (
	"bytes"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// maxTapRecord bounds what the tap keeps of each direction, so a hostile
// server cannot make the handshake capture grow without limit.
const maxTapRecord = 1 << 20

// Limits on a response head: a real server's is a few hundred bytes; a
// hostile or broken one must not make wscope buffer megabytes (Go's HTTP
// parser itself has no limit).
const (
	MaxResponseHead    = 64 << 10
	MaxResponseHeaders = 500
)

// errHeadTooLarge ends a handshake whose response head breaks the limits.
type errHeadTooLarge struct{ size, lines int }

func (e *errHeadTooLarge) Error() string {
	if e.lines > MaxResponseHeaders {
		return fmt.Sprintf("the response head has more than %d header lines", MaxResponseHeaders)
	}
	return fmt.Sprintf("the response head is larger than %d KiB", MaxResponseHead>>10)
}

// tapConn records the bytes of the opening handshake as they cross the
// wire, so wscope can show exactly what was sent and received (gorilla
// parses the response into a map and loses wire order and case). During the
// handshake it also holds back Close, so that after a failed upgrade the
// rest of the response body can still be read for the report.
type tapConn struct {
	net.Conn
	recording atomic.Bool
	holdClose atomic.Bool
	wrote     bytes.Buffer
	read      bytes.Buffer
	lastWrite time.Time // when the request finished going out
	headAt    time.Time // when the response head was complete
	// after holds the first MaxAfterHead bytes the server sent after the
	// response head, kept also once recording stops: when the frames that
	// follow a 101 are not WebSocket, they show what the server said.
	// Only the reading goroutine touches it.
	after []byte
}

// MaxAfterHead bounds what is kept of the bytes that follow a 101.
const MaxAfterHead = 256

func newTap(c net.Conn) *tapConn {
	t := &tapConn{Conn: c}
	t.recording.Store(true)
	t.holdClose.Store(true)
	return t
}

func (t *tapConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if n > 0 && !t.headAt.IsZero() && len(t.after) < MaxAfterHead {
		t.after = append(t.after, p[:min(n, MaxAfterHead-len(t.after))]...)
	}
	if n > 0 && t.recording.Load() {
		if t.read.Len() < maxTapRecord {
			t.read.Write(p[:n])
		}
		if t.headAt.IsZero() {
			head, ok := splitHead(t.read.Bytes())
			if ok {
				t.headAt = time.Now()
				rest := t.read.Bytes()[len(head):]
				t.after = append(t.after, rest[:min(len(rest), MaxAfterHead)]...)
			}
			if lines := bytes.Count(head, []byte("\n")); len(head) > MaxResponseHead || lines > MaxResponseHeaders+1 {
				return 0, &errHeadTooLarge{size: len(head), lines: lines - 1}
			}
		}
	}
	return n, err
}

// afterHead returns a copy of the bytes kept after the response head.
func (t *tapConn) afterHead() []byte { return bytes.Clone(t.after) }

func (t *tapConn) Write(p []byte) (int, error) {
	n, err := t.Conn.Write(p)
	if n > 0 && t.recording.Load() {
		if t.wrote.Len() < maxTapRecord {
			t.wrote.Write(p[:n])
		}
		t.lastWrite = time.Now()
	}
	return n, err
}

// Close closes the connection unless the handshake still holds it.
func (t *tapConn) Close() error {
	if t.holdClose.Load() {
		return nil
	}
	return t.Conn.Close()
}

// stopRecording ends the capture; from here the tap is a plain pass-through.
func (t *tapConn) stopRecording() {
	t.recording.Store(false)
	t.holdClose.Store(false)
}

// forceClose closes the underlying connection whatever the hold.
func (t *tapConn) forceClose() error {
	t.stopRecording()
	return t.Conn.Close()
}
