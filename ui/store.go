package ui

import "github.com/wscope/wscope/session"

// chunkSize is how many frames one block of the store holds.
const chunkSize = 4096

// frameStore keeps frames in fixed-size blocks: appending never copies
// what is already stored (a growing slice would copy a million frames and
// hold up to twice their size), and a pointer to a stored frame stays
// valid for the life of the store.
type frameStore struct {
	chunks [][]session.Frame
	n      int
}

// Len is the number of frames stored.
func (s *frameStore) Len() int { return s.n }

// At returns frame i.
func (s *frameStore) At(i int) *session.Frame { return &s.chunks[i/chunkSize][i%chunkSize] }

// Append adds frames.
func (s *frameStore) Append(fs []session.Frame) {
	for len(fs) > 0 {
		if s.n%chunkSize == 0 {
			s.chunks = append(s.chunks, make([]session.Frame, 0, chunkSize))
		}
		last := &s.chunks[len(s.chunks)-1]
		k := min(chunkSize-len(*last), len(fs))
		*last = append(*last, fs[:k]...)
		s.n += k
		fs = fs[k:]
	}
}
