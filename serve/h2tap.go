package serve

import (
	"golang.org/x/net/http2/hpack"
)

// HTTP/2 frame types and flags the tap reads (RFC 9113 section 6).
const (
	frameHeaders      = 0x1
	frameContinuation = 0x9
	flagEndHeaders    = 0x4
	flagPadded        = 0x8
	flagPriority      = 0x20
	prefaceLen        = 24 // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
)

// Bounds of what the HTTP/2 tap keeps. A block is claimed by /headers
// right after it arrives; the others (every other endpoint's requests)
// are dropped oldest first.
const (
	maxH2Blocks     = 128
	maxH2BlockBytes = 1 << 20 // decoded, all blocks together
	maxH2Fragment   = 1 << 20 // encoded, one block: larger than any server accepts
)

// h2Block is one decoded request header block.
type h2Block struct {
	stream uint32
	fields []hpack.HeaderField
	size   int
}

// h2Tap reads the client's side of an HTTP/2 connection alongside the
// server and decodes each request's header block with its own HPACK
// decoder, so /headers can show the request's fields exactly as sent:
// pseudo-headers, order, names. DATA is skipped, not kept.
type h2Tap struct {
	skip    int // preface bytes still to pass
	hdr     [9]byte
	nhdr    int
	payload bool // reading a frame's payload (after its 9-byte header)
	left    int  // payload bytes still to come
	typ     byte
	flags   byte
	stream  uint32
	frame   []byte // the payload of a HEADERS or CONTINUATION frame
	dec     *hpack.Decoder
	fields  []hpack.HeaderField // the block being decoded
	inBlock bool
	encoded int    // encoded bytes of the block being decoded
	last    uint32 // the highest stream a request block opened
	blocks  []h2Block
	size    int
	broken  bool // a frame made no sense: stop (the server fails the connection too)
}

func newH2Tap() *h2Tap {
	t := &h2Tap{skip: prefaceLen}
	// The table size the server advertises (h2ws: 64 KiB); a decoder whose
	// table is larger than the encoder's decodes the same indexes.
	t.dec = hpack.NewDecoder(64<<10, func(f hpack.HeaderField) { t.fields = append(t.fields, f) })
	return t
}

// feed reads bytes from the client as they arrive.
func (t *h2Tap) feed(p []byte) {
	for len(p) > 0 && !t.broken {
		switch {
		case t.skip > 0:
			n := min(t.skip, len(p))
			t.skip -= n
			p = p[n:]
		case !t.payload:
			n := copy(t.hdr[t.nhdr:], p)
			t.nhdr += n
			p = p[n:]
			if t.nhdr < len(t.hdr) {
				return
			}
			t.left = int(t.hdr[0])<<16 | int(t.hdr[1])<<8 | int(t.hdr[2])
			t.typ, t.flags = t.hdr[3], t.hdr[4]
			t.stream = (uint32(t.hdr[5])<<24 | uint32(t.hdr[6])<<16 | uint32(t.hdr[7])<<8 | uint32(t.hdr[8])) & 0x7fffffff
			t.payload, t.frame = true, t.frame[:0]
			if t.left == 0 {
				t.endFrame()
			}
		default:
			n := min(t.left, len(p))
			if t.typ == frameHeaders || t.typ == frameContinuation {
				t.frame = append(t.frame, p[:n]...)
			}
			t.left -= n
			p = p[n:]
			if t.left == 0 {
				t.endFrame()
			}
		}
	}
}

// endFrame handles a frame read whole.
func (t *h2Tap) endFrame() {
	t.payload, t.nhdr = false, 0
	frag := t.frame
	switch t.typ {
	case frameHeaders:
		if t.inBlock {
			t.broken = true // a new block before the last one ended
			return
		}
		if t.flags&flagPadded != 0 {
			if len(frag) < 1 || int(frag[0]) > len(frag)-1 {
				t.broken = true
				return
			}
			frag = frag[1 : len(frag)-int(frag[0])]
		}
		if t.flags&flagPriority != 0 {
			if len(frag) < 5 {
				t.broken = true
				return
			}
			frag = frag[5:]
		}
		t.inBlock, t.fields, t.encoded = true, nil, 0
	case frameContinuation:
		if !t.inBlock {
			t.broken = true
			return
		}
	default:
		return
	}
	t.encoded += len(frag)
	if t.encoded > maxH2Fragment {
		t.broken = true
		return
	}
	if _, err := t.dec.Write(frag); err != nil {
		t.broken = true
		return
	}
	if cap(t.frame) > 64<<10 {
		t.frame = nil
	}
	if t.flags&flagEndHeaders == 0 {
		return
	}
	t.inBlock = false
	if err := t.dec.Close(); err != nil {
		t.broken = true
		return
	}
	// A client opens streams with odd, increasing ids; a later block on a
	// stream already seen is its trailers.
	if t.stream%2 == 0 || t.stream <= t.last {
		return
	}
	t.last = t.stream
	b := h2Block{stream: t.stream, fields: t.fields}
	for _, f := range t.fields {
		b.size += len(f.Name) + len(f.Value) + 32
	}
	t.fields = nil
	t.blocks = append(t.blocks, b)
	t.size += b.size
	for len(t.blocks) > maxH2Blocks || t.size > maxH2BlockBytes {
		t.size -= t.blocks[0].size
		t.blocks = t.blocks[1:]
	}
}

// claim returns the oldest kept block that match accepts, and forgets it.
func (t *h2Tap) claim(match func([]hpack.HeaderField) bool) (h2Block, bool) {
	for i, b := range t.blocks {
		if match(b.fields) {
			t.blocks = append(t.blocks[:i:i], t.blocks[i+1:]...)
			t.size -= b.size
			return b, true
		}
	}
	return h2Block{}, false
}

// h2Head returns the request header block match accepts, for a request
// that came over HTTP/2, and its stream.
func (c *tapConn) h2Head(match func([]hpack.HeaderField) bool) ([]hpack.HeaderField, uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h2 == nil {
		return nil, 0, false
	}
	b, ok := c.h2.claim(match)
	return b.fields, b.stream, ok
}
