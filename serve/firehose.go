package serve

import (
	"encoding/binary"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// /firehose's bounds, so that a typo cannot pin the server for days.
const (
	maxFirehoseN    = 100_000_000
	maxFirehoseSize = maxMessage
)

// firehoseBatch is about how many bytes of frames go to the socket per
// write.
const firehoseBatch = 256 << 10

func (s *Server) firehose(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := intParam(q.Get("n"), 1000, 0, maxFirehoseN)
	if err != nil {
		s.badRequest(w, r, "n: %v", err)
		return
	}
	size, err := intParam(q.Get("size"), 64, 0, maxFirehoseSize)
	if err != nil {
		s.badRequest(w, r, "size: %v", err)
		return
	}
	bin, err := boolParam(q.Get("binary"))
	if err != nil {
		s.badRequest(w, r, "binary: %v", err)
		return
	}
	opcode := byte(websocket.TextMessage)
	if bin {
		opcode = websocket.BinaryMessage
	}
	c := s.upgrade(w, r, "")
	if c == nil {
		return
	}
	defer s.done(c, r, time.Now())

	// The frames go straight to the socket, bypassing gorilla's writer, so
	// while they flow gorilla's reader must not write either: its ping and
	// close handlers hand over to this goroutine, which answers between
	// batches.
	pings := make(chan []byte, 8)
	peerClose := make(chan int, 1)
	c.SetPingHandler(func(data string) error {
		select {
		case pings <- []byte(data):
		default: // a flood of pings: answering some is enough
		}
		return nil
	})
	c.SetCloseHandler(func(code int, _ string) error {
		select {
		case peerClose <- code:
		default:
		}
		return nil
	})
	readerDone, stopReader := discardInBackground(c)
	defer stopReader()

	deadline := func(d time.Duration) time.Time { return time.Now().Add(d) }
	answerClose := func(code int) {
		c.WriteControl(websocket.CloseMessage, closeReply(code), deadline(time.Second))
	}
	f := newFrames(n, size, opcode)
	for sent := 0; sent < n; {
		select {
		case <-s.stop:
			return
		case code := <-peerClose:
			answerClose(code) // the peer has had enough
			return
		case <-readerDone:
			// The reader returns after the close handler has run.
			select {
			case code := <-peerClose:
				answerClose(code)
			default: // the peer went away, or broke the protocol
			}
			return
		case p := <-pings:
			if err := c.WriteControl(websocket.PongMessage, p, deadline(10*time.Second)); err != nil {
				return
			}
			continue
		default:
		}
		batch := f.next(&sent)
		nc := c.NetConn()
		nc.SetWriteDeadline(deadline(30 * time.Second))
		if _, err := nc.Write(batch); err != nil {
			return
		}
	}
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done"), deadline(time.Second)); err != nil {
		return
	}
	wait := time.NewTimer(closeWait)
	defer wait.Stop()
	select {
	case <-readerDone: // the peer's close has arrived
	case <-wait.C:
	case <-s.stop:
	}
}

// closeReply is the payload answering a close with code, as gorilla's
// default close handler would send it.
func closeReply(code int) []byte {
	if code == websocket.CloseNoStatusReceived {
		return []byte{}
	}
	return websocket.FormatCloseMessage(code, "")
}

// frames builds /firehose's frames: one buffer holds a batch of whole
// frames, filled in once, and only the sequence numbers change between
// batches, so sending allocates nothing. Server frames are unmasked, and
// uncompressed frames stay valid when permessage-deflate was negotiated.
type frames struct {
	n, size    int
	width      int // digits in each sequence number
	frameLen   int
	headLen    int
	perBatch   int
	batch      []byte
	seqScratch [24]byte
}

func newFrames(n, size int, opcode byte) *frames {
	head := []byte{0x80 | opcode} // FIN, no RSV bits
	switch {
	case size < 126:
		head = append(head, byte(size))
	case size <= 0xffff:
		head = binary.BigEndian.AppendUint16(append(head, 126), uint16(size))
	default:
		head = binary.BigEndian.AppendUint64(append(head, 127), uint64(size))
	}
	f := &frames{n: n, size: size, width: max(8, digits(n)), headLen: len(head)}
	f.frameLen = len(head) + size
	f.perBatch = max(1, min(n, firehoseBatch/f.frameLen))
	f.batch = make([]byte, f.perBatch*f.frameLen)
	for i := 0; i < f.perBatch; i++ {
		frame := f.batch[i*f.frameLen : (i+1)*f.frameLen]
		copy(frame, head)
		for j := len(head); j < len(frame); j++ {
			frame[j] = 'x'
		}
	}
	return f
}

// next numbers the next batch of frames after *sent, advances *sent and
// returns the bytes to write.
func (f *frames) next(sent *int) []byte {
	k := min(f.perBatch, f.n-*sent)
	for i := range k {
		*sent++
		off := i*f.frameLen + f.headLen
		f.writeSeq(f.batch[off:off+f.size], *sent)
	}
	return f.batch[:k*f.frameLen]
}

// writeSeq puts seq, zero-padded to f.width digits, and a space at the
// start of p, cut to fit.
func (f *frames) writeSeq(p []byte, seq int) {
	num := f.seqScratch[:f.width+1]
	num[f.width] = ' '
	for i := f.width - 1; i >= 0; i-- {
		num[i] = byte('0' + seq%10)
		seq /= 10
	}
	copy(p, num)
}

// digits is how many decimal digits n has.
func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
