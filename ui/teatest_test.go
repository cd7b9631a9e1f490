package ui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/session"
)

// TestConnectTypeSeeEcho runs the whole program against the real
// diagnostic server: connect, type a message, see the echo.
func TestConnectTypeSeeEcho(t *testing.T) {
	srv := servetest.Start(t)
	m := New(Options{Config: session.Config{URL: srv.URL("/echo")}, Theme: "dark", NoBgQuery: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 36),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("open")) },
		teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'i', Text: "i"})
	tm.Type("echo me please")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Count(b, []byte("echo me please")) >= 1 && bytes.Contains(b, []byte("← text"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*Model)
	if final.stats.recvMsgs != 1 || final.stats.sentMsgs != 1 {
		t.Fatalf("counters: sent %d recv %d", final.stats.sentMsgs, final.stats.recvMsgs)
	}
}
