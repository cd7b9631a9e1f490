package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

// handshakeOf rebuilds a handshake from a recording's header so the
// handshake pane can show it.
func handshakeOf(h *capture.Header) *session.Handshake {
	hs := &session.Handshake{URL: h.URL, Started: h.Started}
	r := h.Handshake
	if r == nil {
		return hs
	}
	hs.RequestRaw, hs.ResponseRaw = []byte(r.RequestRaw), []byte(r.ResponseRaw)
	hs.Request, hs.Response, hs.Status = r.RequestHeaders, r.ResponseHeaders, r.Status
	if i := strings.Index(r.RequestRaw, "\r\n"); i > 0 {
		hs.RequestLine = r.RequestRaw[:i]
	}
	if i := strings.Index(r.ResponseRaw, "\r\n"); i > 0 {
		hs.StatusLine = r.ResponseRaw[:i]
	} else if r.Status != 0 {
		hs.StatusLine = fmt.Sprintf("HTTP/1.1 %d", r.Status)
	}
	hs.Validate()
	return hs
}

// loadRecording fills the log from a recording (wscope view).
func (m *Model) loadRecording(rec *capture.Recording) {
	start := rec.Header.Started
	m.chain = []*session.Handshake{handshakeOf(&rec.Header)}
	m.hs.Set(m.chain, nil, nil)
	m.state = session.StateClosed
	frames := make([]session.Frame, 0, len(rec.Events))
	for i := range rec.Events {
		e := &rec.Events[i]
		if !e.IsFrame() {
			if e.State != "" && e.State != "open" {
				if len(frames) > 0 {
					m.log.Append(frames)
					frames = frames[:0]
				}
				m.log.AddNote(e.State+": "+e.Detail, start.Add(msDuration(e.T)))
			}
			continue
		}
		f, err := e.Frame(start)
		if err != nil {
			continue // the reader already warned
		}
		m.stats.count(&f)
		frames = append(frames, f)
	}
	m.log.Append(frames)
	m.log.follow = false
	m.log.sel = 0
	m.log.clamp()
	m.syncDetail()
	if len(rec.Warnings) > 0 {
		m.setToast(fmt.Sprintf("%s (%d warnings)", rec.Warnings[0], len(rec.Warnings)), true)
	}
}

// replayDoneMsg carries the outcome of replaying the open recording.
type replayDoneMsg struct{ res *capture.ReplayResult }

// replayCmd replays the open recording against its URL (or the target).
func (m *Model) replayCmd() tea.Cmd {
	rec := m.opts.Recording
	cfg := m.cfg
	if cfg.URL == rec.Header.URL {
		cfg.URL = "" // the recorded one
	}
	m.setToast("replaying against "+termsafe.Line(rec.Header.URL)+" …", false)
	return func() tea.Msg {
		return replayDoneMsg{res: capture.Replay(context.Background(), rec, capture.ReplayOptions{Session: cfg, Speed: 1, Ignore: m.opts.ReplayIgnore})}
	}
}

// onReplayDone appends the replayed session to the log and shows the
// verdicts (expected vs actual) in the right pane.
func (m *Model) onReplayDone(res *capture.ReplayResult) {
	now := m.common.Now()
	m.log.AddNote("replay against "+res.Target, now)
	if len(res.Actual) > 0 {
		m.log.Append(res.Actual)
	}
	var lines []string
	st := &m.common.Styles
	counts := map[capture.Verdict]int{}
	if res.Error != "" {
		lines = append(lines, st.ErrorText.Render("✗ "+termsafe.Line(res.Error)))
	}
	for _, w := range res.Warnings {
		lines = append(lines, st.WarnText.Render("warning: "+termsafe.Line(w)))
	}
	for _, it := range res.Items {
		counts[it.Verdict]++
		style := st.CheckOK
		mark := "✓"
		switch it.Verdict {
		case capture.Differs:
			style, mark = st.CheckBad, "✗"
		case capture.Missing:
			style, mark = st.WarnText, "?"
		}
		lines = append(lines, style.Render(fmt.Sprintf("%s %d %s", mark, it.Index, it.Verdict))+" "+st.Muted.Render("expected ")+termsafe.Line(it.Expected))
		if it.Verdict == capture.Differs {
			lines = append(lines, "    "+st.Muted.Render("actual   ")+termsafe.Line(it.Actual))
			for _, d := range it.Diff {
				lines = append(lines, "    "+st.ErrorText.Render(termsafe.Line(d)))
			}
		}
	}
	for _, u := range res.Unexpected {
		lines = append(lines, st.WarnText.Render("+ unexpected ")+termsafe.Line(u))
	}
	summary := fmt.Sprintf("replay: %d matched, %d differ, %d missing, %d unexpected", counts[capture.Matched], counts[capture.Differs], counts[capture.Missing], len(res.Unexpected))
	m.replay.Set("replay · expected vs actual", append([]string{summary, ""}, lines...))
	m.right = tabReplay
	m.setToast(summary, !res.OK())
}

// msDuration converts a recording's milliseconds to a duration.
func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
