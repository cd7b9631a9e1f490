package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// fixedClock is the injected clock every test uses.
var epoch = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return epoch.Add(5 * time.Second) }

// newTestModel is a model at a fixed size with a fabricated, successful
// handshake and no live connection (nothing here touches the network).
func newTestModel(t *testing.T, theme string, w, h int) *Model {
	t.Helper()
	m := New(Options{Config: session.Config{URL: "ws://127.0.0.1:8765/demo"}, Theme: theme, Now: fixedNow, NoBgQuery: true})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.connID = 1
	hs := &session.Handshake{
		URL:         "ws://127.0.0.1:8765/demo",
		ConnectAddr: "127.0.0.1:8765",
		RequestLine: "GET /demo HTTP/1.1",
		Request: []session.Header{{Name: "Host", Value: "127.0.0.1:8765"}, {Name: "Upgrade", Value: "websocket"},
			{Name: "Connection", Value: "Upgrade"}, {Name: "Sec-WebSocket-Key", Value: "dGhlIHNhbXBsZSBub25jZQ=="}},
		StatusLine: "HTTP/1.1 101 Switching Protocols", Status: 101,
		Response: []session.Header{{Name: "Upgrade", Value: "websocket"}, {Name: "Connection", Value: "Upgrade"},
			{Name: "Sec-WebSocket-Accept", Value: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		Timings: session.Timings{Connect: 300 * time.Microsecond, Upgrade: 700 * time.Microsecond, Total: 1200 * time.Microsecond},
		Checks:  session.Checks{AcceptOK: true, UpgradeOK: true, ConnectionOK: true, SubprotocolOK: true, ExtensionsOK: true},
	}
	m.Update(dialedMsg{id: 1, feed: newFeed(1, flow.Open(hs.URL, []*session.Handshake{hs}, flow.Options{}))})
	return m
}

// frames makes n frames alternating send/recv, one second apart.
func frames(texts ...string) []session.Event {
	var evs []session.Event
	for i, s := range texts {
		dir := session.Recv
		if i%2 == 0 {
			dir = session.Send
		}
		evs = append(evs, session.Event{Kind: session.EventFrame, Frame: session.Frame{
			Time: epoch.Add(time.Duration(i) * time.Second), Payload: []byte(s), Dir: dir, Op: session.OpText}})
	}
	return evs
}

// deliver pushes events through the model's flow (the pipeline labels,
// counts and collects evidence) and hands the batch to Update.
func deliver(m *Model, evs []session.Event) { deliverAndEnd(m, evs, false) }

func deliverAndEnd(m *Model, evs []session.Event, end bool) {
	for _, e := range evs {
		m.flow.Push(e)
	}
	if end {
		m.flow.End()
	}
	m.Update(newFeed(m.connID, m.flow).next()())
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

// keyMsg builds the key press Bubble Tea would deliver for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok && len(rest) == 1 {
		return tea.KeyPressMsg{Code: rune(rest[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func plain(m *Model) string { return ansi.Strip(m.render()) }

func TestLogFollowsAndNavigates(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	deliver(m, frames("a", "b", "c", "d"))
	if f, i, _ := m.log.Selected(); i != 3 || string(f.Payload) != "d" {
		t.Fatalf("follow: selected %d", i)
	}
	press(m, "k", "k")
	if _, i, _ := m.log.Selected(); i != 1 {
		t.Fatalf("after k k: %d", i)
	}
	deliver(m, frames("e"))
	if _, i, _ := m.log.Selected(); i != 1 {
		t.Fatalf("not following any more, but selection moved to %d", i)
	}
	if d := m.detail.frame; d == nil || string(d.Payload) != "b" {
		t.Fatalf("detail shows %v", d)
	}
	press(m, "G")
	if _, i, _ := m.log.Selected(); i != 4 {
		t.Fatalf("G: %d", i)
	}
}

func TestPauseFreezesTheView(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	deliver(m, frames("a", "b"))
	press(m, "space")
	deliver(m, frames("c", "d", "e"))
	if !strings.Contains(plain(m), "PAUSED +3") {
		t.Fatalf("no paused marker:\n%s", plain(m))
	}
	if _, i, _ := m.log.Selected(); i != 1 {
		t.Fatalf("selection moved while paused: %d", i)
	}
	press(m, "space")
	if _, i, _ := m.log.Selected(); i != 4 {
		t.Fatalf("resume did not catch up: %d", i)
	}
}

func TestFilterAndMatches(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	deliver(m, frames(`{"type":"ping"}`, "hello", `{"type":"msg","text":"Hello"}`, "bye"))
	press(m, "/")
	typeText(m, "hello")
	press(m, "enter")
	pos, n := m.log.MatchInfo()
	if n != 2 || pos == 0 {
		t.Fatalf("matches %d/%d", pos, n)
	}
	press(m, "n")
	if f, _, _ := m.log.Selected(); !strings.Contains(strings.ToLower(string(f.Payload)), "hello") {
		t.Fatalf("n went to %q", f.Payload)
	}
	press(m, "F")
	if m.log.visibleLen() != 2 {
		t.Fatalf("only-matches shows %d rows", m.log.visibleLen())
	}
	press(m, "esc")
	if m.log.query != nil || m.log.visibleLen() != 4 {
		t.Fatal("esc did not clear the filter")
	}
	press(m, "/")
	typeText(m, "dir:send op:text")
	press(m, "enter")
	if _, n := m.log.MatchInfo(); n != 2 {
		t.Fatalf("dir:send op:text matched %d", n)
	}
	press(m, "/")
	m.filter.SetValue("")
	typeText(m, "/[/")
	press(m, "enter")
	if !strings.Contains(m.toast, "bad regexp") {
		t.Fatalf("bad regexp toast %q", m.toast)
	}
}

func TestSendBoxModesAndCommands(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	press(m, "i")
	if m.focus != focusSend {
		t.Fatal("i did not focus the send box")
	}
	typeText(m, "hi")
	_, cmd := m.Update(keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter produced nothing")
	}
	if msg, ok := cmd().(sendMsg); !ok || string(msg.payload) != "hi" || msg.op != session.OpText {
		t.Fatalf("sent %#v", msg)
	}
	press(m, "ctrl+t", "ctrl+t") // text → json → hex
	if m.send.Mode().String() != "hex" {
		t.Fatalf("mode %s", m.send.Mode())
	}
	typeText(m, "de ad zz")
	m.Update(keyMsg("enter"))
	if m.send.Err() == "" {
		t.Fatal("bad hex accepted")
	}
	m.send.SetValue("")
	typeText(m, "/close 4000 going away")
	_, cmd = m.Update(keyMsg("enter"))
	if msg, ok := cmd().(closeMsg); !ok || msg.code != 4000 || msg.reason != "going away" {
		t.Fatalf("close %#v", msg)
	}
	press(m, "up")
	if v := m.send.input.Value(); v != "/close 4000 going away" {
		t.Fatalf("history up: %q", v)
	}
}

func TestHandshakePaneShowsMarksAndFindings(t *testing.T) {
	m := newTestModel(t, "dark", 140, 40)
	press(m, "h")
	s := plain(m)
	for _, want := range []string{"GET /demo HTTP/1.1", "HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo= ✓"} {
		if !strings.Contains(s, want) {
			t.Errorf("handshake pane lacks %q:\n%s", want, s)
		}
	}
	deliverAndEnd(m, []session.Event{{Kind: session.EventState, State: &session.StateChange{
		State: session.StateClosed, Time: epoch.Add(3 * time.Second), Cause: session.CauseAbnormal, Code: 1006,
		Detail: "the connection ended without a close frame (1006 abnormal closure)"}}}, true)
	s = plain(m)
	if !strings.Contains(s, "idle-timeout") && !strings.Contains(s, "abnormal-close") {
		t.Fatalf("no close finding:\n%s", s)
	}
	if !strings.Contains(s, "● closed") {
		t.Fatalf("status not closed:\n%s", s)
	}
}

func TestHostilePayloadIsEscapedOnScreen(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	deliver(m, frames("\x1b[2J\x1b]52;c;cHduZWQ=\x07evil\u202e"))
	out := m.render()
	if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x1b]52") || strings.ContainsRune(out, 0x202e) || strings.ContainsRune(out, 0x07) {
		t.Fatalf("raw control sequence reached the screen: %q", out)
	}
	if !strings.Contains(ansi.Strip(out), `\x1b[2J`) {
		t.Fatalf("escaped form missing:\n%s", ansi.Strip(out))
	}
}

func TestThemeCycleAndHelp(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	press(m, "T")
	if m.themeName == "dark" || !strings.Contains(m.toast, "theme:") {
		t.Fatalf("theme %q toast %q", m.themeName, m.toast)
	}
	press(m, "?")
	if !strings.Contains(plain(m), "copy as websocat/wscat/curl") {
		t.Fatalf("help overlay lacks global keys:\n%s", plain(m))
	}
	press(m, "x")
	if m.showHlp {
		t.Fatal("help did not close")
	}
}

func TestMouseClickSelectsRow(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	deliver(m, frames("a", "b", "c"))
	// status bar (y=0), log border (1), header (2), first row (3).
	m.Update(tea.MouseClickMsg{X: 5, Y: 3, Button: tea.MouseLeft})
	if _, i, _ := m.log.Selected(); i != 0 {
		t.Fatalf("click selected %d", i)
	}
}

func TestConnectFormValidates(t *testing.T) {
	m := New(Options{Now: fixedNow, NoBgQuery: true})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if m.focus != focusForm {
		t.Fatal("no form without a URL")
	}
	m.Init()
	typeText(m, "ftp://x")
	m.Update(keyMsg("enter"))
	if !strings.Contains(m.form.err, "scheme") {
		t.Fatalf("form error %q", m.form.err)
	}
	m.form.url.SetValue("ws://127.0.0.1:9/x")
	_, cmd := m.Update(keyMsg("enter"))
	if msg, ok := cmd().(connectMsg); !ok || msg.cfg.URL != "ws://127.0.0.1:9/x" {
		t.Fatalf("connect %#v", msg)
	}
}

// Golden tests of the whole screen at fixed sizes, dark and light
// (testdata/TestGoldenViews/*.golden; go test ./ui -run Golden -update
// rewrites them).
func TestGoldenViews(t *testing.T) {
	for _, theme := range []string{"dark", "light"} {
		for _, size := range [][2]int{{100, 24}, {140, 36}} {
			t.Run(fmt.Sprintf("%s-%dx%d", theme, size[0], size[1]), func(t *testing.T) {
				m := newTestModel(t, theme, size[0], size[1])
				deliver(m, frames(`{"type":"subscribe","channel":"room:1"}`, `{"tick":1,"time":"2026-11-22T12:00:01Z"}`, "hello", "hello", string([]byte{0xff, 0xfe, 0x01})))
				press(m, "k")
				golden.RequireEqual(t, m.render())
			})
		}
	}
}

func TestRecordingFromTheTUI(t *testing.T) {
	srv := servetest.Start(t)
	dir := t.TempDir()
	m := New(Options{Config: session.Config{URL: srv.URL("/echo?token=s3cret")}, Theme: "dark", NoBgQuery: true, Now: time.Now,
		RecordDir: dir, Options: flow.Options{Redact: capture.NewRedactor(nil, false)}})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	// Run the dial command as the program would; its follow-ups (the
	// feed, the tick, saving state) are not needed here.
	m.Update(m.connect()())
	if m.state != session.StateOpen {
		t.Fatalf("state %s", m.state)
	}
	_, cmd := m.Update(keyMsg("R"))
	_, _ = m.Update(cmd())
	if m.rec == nil || !strings.Contains(plain(m), "● REC wscope-127.0.0.1-") {
		t.Fatalf("not recording: %q\n%s", m.toast, plain(m))
	}
	m.conn.SendText("into the recording")
	time.Sleep(300 * time.Millisecond)
	path := m.rec.Path()
	_, cmd = m.Update(keyMsg("R"))
	if msg := cmd().(recordStoppedMsg); msg.err != nil {
		t.Fatal(msg.err)
	}
	rec, err := capture.ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range rec.Events {
		if e.Text != nil {
			texts = append(texts, e.Dir+":"+*e.Text)
		}
	}
	if !rec.Complete || strings.Join(texts, ",") != "send:into the recording,recv:into the recording" {
		t.Fatalf("recorded %v (complete %v)", texts, rec.Complete)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "s3cret") {
		t.Fatal("token in the recording")
	}
}

func TestViewARecordingAndReplayIt(t *testing.T) {
	srv := servetest.Start(t)
	start := time.Now()
	hello := "hello"
	rec := &capture.Recording{Complete: true, Header: capture.Header{URL: srv.URL("/echo"), Started: start,
		Handshake: &capture.HandshakeRecord{RequestRaw: "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", ResponseRaw: "HTTP/1.1 101 Switching Protocols\r\n\r\n", Status: 101}},
		Events: []capture.Event{{T: 1, Dir: "send", Op: "text", Text: &hello}, {T: 2, Dir: "recv", Op: "text", Text: &hello}}}
	m := New(Options{Recording: rec, Theme: "dark", NoBgQuery: true, Now: fixedNow})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	if m.log.Len() != 2 || m.stats.recvMsgs != 1 {
		t.Fatalf("log %d recv %d", m.log.Len(), m.stats.recvMsgs)
	}
	press(m, "i")
	if m.focus == focusSend || !strings.Contains(m.toast, "read-only") {
		t.Fatalf("compose allowed on a recording: %q", m.toast)
	}
	_, cmd := m.Update(keyMsg("P"))
	m.Update(cmd())
	s := plain(m)
	if !strings.Contains(s, "replay: 1 matched, 0 differ") || m.log.Len() < 4 {
		t.Fatalf("replay pane:\n%s", s)
	}
}

// runCmd runs a command and every message it yields through Update, as
// the program would, except those that wait for more network traffic.
func runCompareCmd(m *CompareModel, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 6 {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			runCompareCmd(m, c, depth+1)
		}
		return
	}
	if msg == nil {
		return
	}
	_, next := m.Update(msg)
	if _, isEvents := msg.(compareEventsMsg); isEvents {
		return // the next batch would block until more frames come
	}
	runCompareCmd(m, next, depth+1)
}

func TestCompareSplitView(t *testing.T) {
	srv := servetest.Start(t)
	m := NewCompare(CompareOptions{URLA: srv.URL("/echo"), URLB: srv.URL("/echo"), B: session.Config{Compress: true},
		LabelA: "direct", LabelB: "compressed", Theme: "dark"})
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})
	runCompareCmd(m, m.Init(), 0)
	if m.sides[0].state != session.StateOpen || m.sides[1].state != session.StateOpen {
		t.Fatalf("states %s %s", m.sides[0].state, m.sides[1].state)
	}
	s := ansi.Strip(m.render())
	if !strings.Contains(s, `+ Sec-WebSocket-Extensions: permessage-deflate`) || !strings.Contains(s, "A direct") || !strings.Contains(s, "B compressed") {
		t.Fatalf("split view:\n%s", s)
	}
}

// TestCompareSendsToBoth runs the split view as a program: one message
// typed once reaches both servers, and both echoes show up.
func TestCompareSendsToBoth(t *testing.T) {
	srv := servetest.Start(t)
	m := NewCompare(CompareOptions{URLA: srv.URL("/echo"), URLB: srv.URL("/headers"), Theme: "dark"})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 40), teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	// The renderer sends only what changed, so "open" arrives once per side.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Count(b, []byte("open")) >= 2 }, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'i', Text: "i"})
	tm.Type("to both")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	time.Sleep(500 * time.Millisecond)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*CompareModel)
	for i, side := range final.sides {
		var sent, echoed bool
		for i := 0; i < side.log.frames.Len(); i++ {
			f := side.log.frames.At(i)
			if string(f.Payload) == "to both" {
				sent = sent || f.Dir == session.Send
				echoed = echoed || f.Dir == session.Recv
			}
		}
		if !sent || !echoed {
			t.Errorf("side %c: sent %v echoed %v", "AB"[i], sent, echoed)
		}
	}
}

func TestMaxFramesKeepsARing(t *testing.T) {
	m := newTestModel(t, "dark", 120, 30)
	m.log.SetLimit(10000)
	var evs []session.Event
	for i := 0; i < 50000; i++ {
		evs = append(evs, session.Event{Kind: session.EventFrame, Frame: session.Frame{Time: epoch, Payload: []byte(fmt.Sprintf("msg %d", i)), Op: session.OpText}})
	}
	deliver(m, evs[:20000])
	press(m, "k") // stop following, select frame 19999 (0-based 19998)
	_, sel, _ := m.log.Selected()
	deliver(m, evs[20000:])
	kept := m.log.Len() - m.log.frames.First()
	if kept < 10000 || kept > 10000+chunkSize {
		t.Fatalf("kept %d frames for a limit of 10000", kept)
	}
	if f, i, ok := m.log.Selected(); !ok || i < m.log.frames.First() || (sel >= m.log.frames.First() && i != sel) || !strings.HasPrefix(string(f.Payload), "msg ") {
		t.Fatalf("selection %d (was %d), first %d", i, sel, m.log.frames.First())
	}
	press(m, "G")
	if f, i, _ := m.log.Selected(); i != 49999 || string(f.Payload) != "msg 49999" {
		t.Fatalf("last frame %d %q", i, f.Payload)
	}
	if !strings.Contains(plain(m), "50000 +") {
		t.Fatalf("frame numbers are not kept absolute:\n%s", plain(m))
	}
	press(m, "/")
	typeText(m, "msg 1")
	press(m, "enter")
	if pos, n := m.log.MatchInfo(); n == 0 || pos == 0 {
		t.Fatalf("filter over the ring: %d/%d", pos, n)
	}
	for _, i := range m.log.matches {
		if i < m.log.frames.First() {
			t.Fatalf("match %d refers to a dropped frame", i)
		}
	}
}

func TestReconnectWithBackoff(t *testing.T) {
	if backoff(1) != time.Second || backoff(2) != 2*time.Second || backoff(3) != 4*time.Second || backoff(10) != 30*time.Second {
		t.Fatal("backoff is not 1s, 2s, 4s … 30s")
	}
	srv := servetest.Start(t)
	// The server drops every connection at once without a close frame.
	m := New(Options{Config: session.Config{URL: srv.URL("/close?abrupt=1")}, Theme: "dark", NoBgQuery: true, Options: flow.Options{Reconnect: true}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30), teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	time.Sleep(1800 * time.Millisecond) // the first retry comes after 1s
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*Model)
	var notes []string
	for i := final.log.frames.First(); i < final.log.Len(); i++ {
		if f := final.log.frames.At(i); f.Op == opNote {
			notes = append(notes, string(f.Payload))
		}
	}
	joined := strings.Join(notes, " | ")
	if !strings.Contains(joined, "reconnecting in 1s (attempt 1)") || !strings.Contains(joined, "reconnected to") || final.connID < 2 {
		t.Fatalf("notes: %s (connections %d)", joined, final.connID)
	}
}

// TestHostileHandshakeAndCloseAreEscaped: header values, the close reason
// and a recording's URL come from the network or a file; none may reach
// the terminal raw.
func TestHostileHandshakeAndCloseAreEscaped(t *testing.T) {
	m := newTestModel(t, "dark", 140, 40)
	hs := m.chain[0]
	hs.Response = append(hs.Response, session.Header{Name: "X-Evil", Value: "a\u202eb\u009b31mc\x1b]0;t\x07"})
	hs.ResponseRaw = []byte("HTTP/1.1 101 Switching Protocols\r\nX-Evil: a\u202eb\u009b31mc\x1b]0;t\x07\r\n\r\n")
	m.hs.Invalidate()
	deliverAndEnd(m, []session.Event{{Kind: session.EventState, State: &session.StateChange{
		State: session.StateClosed, Time: epoch, Cause: session.CauseRemoteClose, Code: 4000,
		Detail: "closed cleanly by the server: 4000 \"\x1b]52;c;cHduZWQ=\x07\""}}}, true)
	for _, view := range []func(){func() {}, func() { press(m, "h") }, func() { press(m, "v") }} {
		view()
		out := m.render()
		for _, bad := range []string{"\u202e", "\u009b", "\x1b]", "\x07"} {
			if strings.Contains(out, bad) {
				t.Fatalf("raw %q reached the screen:\n%q", bad, out)
			}
		}
	}
	if s := plain(m); !strings.Contains(s, `a\u202eb\u009b31mc\x1b]0;t\x07`) {
		t.Fatalf("the escaped header is not shown:\n%s", s)
	}
}

// TestRecordingToAFullDiskKeepsTheSession: the error shows, the session
// goes on.
func TestRecordingToAFullDiskKeepsTheSession(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	srv := servetest.Start(t)
	m := New(Options{Config: session.Config{URL: srv.URL("/echo")}, Theme: "dark", NoBgQuery: true, Now: time.Now,
		Options: flow.Options{Record: "/dev/full", Redact: capture.NewRedactor(nil, false)}})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(m.connect()())
	if m.state != session.StateOpen || !strings.Contains(m.toast, "no space left") || m.rec != nil {
		t.Fatalf("state %s toast %q", m.state, m.toast)
	}
	if err := m.conn.SendText("still works"); err != nil {
		t.Fatal(err)
	}
}

// runAll runs a command and, for a batch, each command in it, returning
// the messages (commands that wait for the network are not in batches
// this test runs).
func runAll(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, runAll(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func TestProtocolLabelsTemplatesAndFilter(t *testing.T) {
	up := websocket.Upgrader{Subprotocols: []string{"actioncable-v1-json"}}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"welcome"}`))
		for {
			_, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ Identifier string }
			json.Unmarshal(d, &m)
			id, _ := json.Marshal(m.Identifier)
			c.WriteMessage(websocket.TextMessage, []byte(`{"identifier":`+string(id)+`,"type":"confirm_subscription"}`))
		}
	}))
	defer s.Close()
	m := New(Options{Config: session.Config{URL: "ws" + strings.TrimPrefix(s.URL, "http") + "/cable", Subprotocols: []string{"actioncable-v1-json"}},
		Theme: "dark", NoBgQuery: true, Now: time.Now})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	m.Update(m.connect()())
	if m.proto() != protocol.ActionCable {
		t.Fatalf("protocol %q", m.proto())
	}
	fd := newFeed(m.connID, m.flow)
	m.Update(fd.next()()) // welcome
	press(m, "i")
	m.Update(keyMsg("ctrl+e"))
	if !strings.Contains(m.send.input.Value(), `"command":"subscribe"`) || !strings.Contains(m.toast, "subscribe") {
		t.Fatalf("template: %q / %q", m.send.input.Value(), m.toast)
	}
	_, cmd := m.Update(keyMsg("enter"))
	for _, msg := range runAll(cmd) {
		_, c := m.Update(msg)
		runAll(c)
	}
	deadline := time.Now().Add(3 * time.Second)
	for m.log.Len() < 3 && time.Now().Before(deadline) {
		m.Update(fd.next()())
	}
	out := plain(m)
	for _, want := range []string{"[cable:welcome]", "[cable:subscribe ChatChannel]", "[cable:confirm_subscription ChatChannel]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	press(m, "esc", "/")
	typeText(m, "label:confirm")
	press(m, "enter")
	if _, n := m.log.MatchInfo(); n != 1 {
		t.Fatalf("label filter matched %d", n)
	}
}
