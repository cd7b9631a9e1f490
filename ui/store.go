package ui

import "github.com/wscope/wscope/flow"

// chunkSize is how many frames one block of the store holds.
const chunkSize = 4096

// frameStore keeps frames in fixed-size blocks: appending never copies
// what is already stored (a growing slice would copy a million frames and
// hold up to twice their size), and a pointer to a stored frame stays
// valid. Indices are absolute: with a limit (--max-frames) the oldest
// blocks are dropped and First moves on, but a frame keeps its number.
type frameStore struct {
	chunks [][]flow.Frame
	n      int // frames ever appended
	first  int // absolute index of the oldest frame kept (a multiple of chunkSize)
	limit  int // keep at least this many recent frames; 0 keeps all
}

// Len is the number of frames ever appended (one past the last index).
func (s *frameStore) Len() int { return s.n }

// First is the index of the oldest frame still kept.
func (s *frameStore) First() int { return s.first }

// At returns frame i, which must be in [First, Len).
func (s *frameStore) At(i int) *flow.Frame {
	return &s.chunks[i/chunkSize-s.first/chunkSize][i%chunkSize]
}

// Append adds frames and, over the limit, drops the oldest whole blocks.
// It returns how many frames were dropped.
func (s *frameStore) Append(fs []flow.Frame) int {
	for len(fs) > 0 {
		if s.n%chunkSize == 0 {
			s.chunks = append(s.chunks, make([]flow.Frame, 0, chunkSize))
		}
		last := &s.chunks[len(s.chunks)-1]
		k := min(chunkSize-len(*last), len(fs))
		*last = append(*last, fs[:k]...)
		s.n += k
		fs = fs[k:]
	}
	dropped := 0
	for s.limit > 0 && s.n-s.first-chunkSize >= s.limit {
		s.chunks[0] = nil // let the payloads go
		s.chunks = s.chunks[1:]
		s.first += chunkSize
		dropped += chunkSize
	}
	return dropped
}
