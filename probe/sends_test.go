package probe

import (
	"context"
	"testing"
	"time"

	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/session"
)

// TestManySendsDoNotDeadlock: a script of more sends than the session's
// event buffer holds: the sends must not wait on the report, which is
// built only once the dial has returned.
func TestManySendsDoNotDeadlock(t *testing.T) {
	srv := servetest.Start(t)
	o := Options{Session: session.Config{URL: srv.URL("/silent")}}
	for i := 0; i < session.DefaultEventBuffer+1000; i++ {
		o.Sends = append(o.Sends, Message{Op: session.OpText, Payload: []byte("x")})
	}
	o.Wait = 2 * time.Second
	done := make(chan *Report, 1)
	go func() { done <- Run(context.Background(), o) }()
	select {
	case r := <-done:
		if r.Counts.SentMessages != len(o.Sends) {
			t.Fatalf("sent %d of %d: %s", r.Counts.SentMessages, len(o.Sends), r.Error)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("probe hung: the sends waited on the report")
	}
}
