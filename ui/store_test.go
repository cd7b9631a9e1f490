package ui

import (
	"testing"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
)

// TestStoreKeepsLabelsOnlyForLabelledFrames: labels come back with their
// frames, and go with their block when --max-frames drops it.
func TestStoreKeepsLabelsOnlyForLabelledFrames(t *testing.T) {
	s := frameStore{limit: chunkSize + 1}
	var fs []flow.Frame
	for i := 0; i < 3*chunkSize; i++ {
		f := flow.Frame{Frame: session.Frame{Op: session.OpText, Payload: []byte{byte(i)}}}
		if i%1000 == 0 {
			f.Label = "sio:ping"
		}
		fs = append(fs, f)
	}
	if dropped := s.Append(fs); dropped != chunkSize {
		t.Fatalf("dropped %d", dropped)
	}
	if s.First() != chunkSize {
		t.Fatalf("first kept frame %d", s.First())
	}
	if got := s.At(chunkSize + 904).Label; got != "sio:ping" { // 5000 = 4096 + 904
		t.Fatalf("label of frame 5000: %q", got)
	}
	if got := s.At(chunkSize + 905).Label; got != "" {
		t.Fatalf("an unlabelled frame has label %q", got)
	}
	for i := range s.labels {
		if i < s.First() {
			t.Fatalf("the label of dropped frame %d is still held", i)
		}
	}
}
