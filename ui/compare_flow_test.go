package ui

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
)

// engineIOServer speaks enough Engine.IO v4 to need a heartbeat: it opens,
// pings ("2") and says "42[\"alive\"]" only after the client answered "3".
func engineIOServer(t *testing.T) string {
	t.Helper()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"s1","upgrades":[],"pingInterval":300,"pingTimeout":2000}`))
		c.WriteMessage(websocket.TextMessage, []byte("2"))
		for {
			_, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			if string(d) == "3" {
				c.WriteMessage(websocket.TextMessage, []byte(`42["alive"]`))
			}
		}
	}))
	t.Cleanup(s.Close)
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
}

// TestCompareSplitViewRunsTheWholePipeline: both sides of the split view
// get labels, answer heartbeats (--auto-heartbeat) and record to their own
// file (--record), because each side is a flow like any other session.
func TestCompareSplitViewRunsTheWholePipeline(t *testing.T) {
	url := engineIOServer(t)
	rec := filepath.Join(t.TempDir(), "both.jsonl")
	m := NewCompare(CompareOptions{URLA: url, URLB: url, LabelA: "one", LabelB: "two", Theme: "dark",
		Flow: flow.Options{AutoHeartbeat: true, Record: rec, Redact: capture.NewRedactor(nil, false)}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(150, 40), teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Count(b, []byte("sio:alive")) >= 2 }, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*CompareModel)
	for i, side := range final.sides {
		var pong, alive bool
		for j := side.log.frames.First(); j < side.log.frames.Len(); j++ {
			f := side.log.frames.At(j)
			pong = pong || (f.Dir == session.Send && f.Label == "sio:pong" && f.Flags&session.FlagAuto != 0)
			alive = alive || f.Label == "sio:alive"
		}
		if !pong || !alive {
			t.Errorf("side %c: automatic pong %v, labelled answer %v", "AB"[i], pong, alive)
		}
		path := SideRecordPath(rec, string("ab"[i]))
		r, err := capture.ReadFile(path, "")
		if err != nil {
			t.Fatalf("side %c: %v", "AB"[i], err)
		}
		var sentPong bool
		for _, e := range r.Events {
			sentPong = sentPong || (e.Dir == "send" && e.Text != nil && *e.Text == "3")
		}
		if !sentPong {
			t.Errorf("side %c's recording lacks the heartbeat answer", "AB"[i])
		}
	}
	if _, err := os.Stat(rec); err == nil {
		t.Errorf("%s exists: the sides must record to their own files", rec)
	}
}

func TestSideRecordPath(t *testing.T) {
	for in, want := range map[string]string{"s.jsonl": "s.b.jsonl", "dir/x": "dir/x.b", "": ""} {
		if got := SideRecordPath(in, "b"); got != want {
			t.Errorf("SideRecordPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSplitViewStopsTickingOnceBothSidesClosed: the once-a-second
// re-evaluation runs only while a side is open; closed, nothing wakes it.
func TestSplitViewStopsTickingOnceBothSidesClosed(t *testing.T) {
	m := NewCompare(CompareOptions{URLA: "ws://127.0.0.1:1/", URLB: "ws://127.0.0.1:1/", Theme: "dark"})
	m.sides[0].state, m.sides[1].state = session.StateOpen, session.StateClosed
	m.ticking = true
	if _, cmd := m.Update(compareTickMsg{}); cmd == nil {
		t.Fatal("a side is open: the tick must re-arm")
	}
	m.sides[0].state = session.StateClosed
	m.ticking = true
	if _, cmd := m.Update(compareTickMsg{}); cmd != nil || m.ticking {
		t.Fatal("both sides closed: the tick must stop")
	}
}
