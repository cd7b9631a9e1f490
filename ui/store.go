package ui

import (
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
)

// chunkSize is how many frames one block of the store holds.
const chunkSize = 4096

// frameStore keeps frames in fixed-size blocks: appending never copies
// what is already stored (a growing slice would copy a million frames and
// hold up to twice their size). Indices are absolute: with a limit
// (--max-frames) the oldest blocks are dropped and First moves on, but a
// frame keeps its number. Protocol labels are kept apart, only for the
// frames that have one, so a firehose without a protocol pays nothing for
// them.
type frameStore struct {
	chunks [][]session.Frame
	labels map[int]string // frame index → label, for labelled frames only
	n      int            // frames ever appended
	first  int            // absolute index of the oldest frame kept (a multiple of chunkSize)
	limit  int            // keep at least this many recent frames; 0 keeps all
}

// Len is the number of frames ever appended (one past the last index).
func (s *frameStore) Len() int { return s.n }

// First is the index of the oldest frame still kept.
func (s *frameStore) First() int { return s.first }

// At returns frame i, which must be in [First, Len), with its label.
func (s *frameStore) At(i int) flow.Frame {
	return flow.Frame{Frame: s.chunks[i/chunkSize-s.first/chunkSize][i%chunkSize], Label: s.labels[i]}
}

// Append adds frames and, over the limit, drops the oldest whole blocks.
// It returns how many frames were dropped.
func (s *frameStore) Append(fs []flow.Frame) int {
	for _, f := range fs {
		if s.n%chunkSize == 0 {
			s.chunks = append(s.chunks, make([]session.Frame, 0, chunkSize))
		}
		last := &s.chunks[len(s.chunks)-1]
		*last = append(*last, f.Frame)
		if f.Label != "" {
			if s.labels == nil {
				s.labels = map[int]string{}
			}
			s.labels[s.n] = f.Label
		}
		s.n++
	}
	dropped := 0
	for s.limit > 0 && s.n-s.first-chunkSize >= s.limit {
		s.chunks[0] = nil // let the payloads go
		s.chunks = s.chunks[1:]
		for i := s.first; i < s.first+chunkSize && len(s.labels) > 0; i++ {
			delete(s.labels, i)
		}
		s.first += chunkSize
		dropped += chunkSize
	}
	return dropped
}
