package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/replay"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/termsafe"
)

// loadRecording fills the log from a recording (wscope view): its events
// run through the same pipeline as a live session's (labels, counters,
// evidence), at once.
func (m *Model) loadRecording(rec *capture.Recording) {
	fl := flow.FromRecording(rec, m.opts.Options)
	m.flow = fl
	m.chain = fl.Chain
	m.hs.Set(m.chain, nil, nil)
	m.setFindings(fl.Findings(m.common.Now()))
	m.state = session.StateClosed
	b := fl.Take()
	m.stats.take(b.Stats)
	frames := make([]flow.Frame, 0, len(b.Events))
	for i := range b.Events {
		e := &b.Events[i]
		if e.Kind == session.EventFrame {
			frames = append(frames, e.Frame)
			continue
		}
		if e.State.State == session.StateOpen {
			continue
		}
		if len(frames) > 0 {
			m.log.Append(frames)
			frames = frames[:0]
		}
		m.log.AddNote(e.State.State.String()+": "+e.State.Detail, e.State.Time)
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
type replayDoneMsg struct{ res *replay.Result }

// replayCmd replays the open recording against its URL (or the target).
func (m *Model) replayCmd() tea.Cmd {
	rec := m.opts.Recording
	cfg := m.cfg
	target := cfg.URL
	if target == rec.Header.URL {
		target = "" // the recorded one
	}
	opts := replay.Options{Options: m.opts.Options, Speed: 1, Ignore: m.opts.ReplayIgnore}
	opts.Record = ""
	m.setToast("replaying against "+termsafe.Line(rec.Header.URL)+" …", false)
	return func() tea.Msg {
		return replayDoneMsg{res: replay.Run(context.Background(), rec, target, cfg, opts)}
	}
}

// onReplayDone appends the replayed session to the log and shows the
// verdicts (expected vs actual) in the right pane.
func (m *Model) onReplayDone(res *replay.Result) {
	now := m.common.Now()
	m.log.AddNote("replay against "+res.Target, now)
	if len(res.Actual) > 0 {
		m.log.Append(res.Actual)
	}
	var lines []string
	st := &m.common.Styles
	counts := map[replay.Verdict]int{}
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
		case replay.Differs:
			style, mark = st.CheckBad, "✗"
		case replay.Missing:
			style, mark = st.WarnText, "?"
		}
		lines = append(lines, style.Render(fmt.Sprintf("%s %d %s", mark, it.Index, it.Verdict))+" "+st.Muted.Render("expected ")+termsafe.Line(it.Expected))
		if it.Verdict == replay.Differs {
			lines = append(lines, "    "+st.Muted.Render("actual   ")+termsafe.Line(it.Actual))
			for _, d := range it.Diff {
				lines = append(lines, "    "+st.ErrorText.Render(termsafe.Line(d)))
			}
		}
	}
	for _, u := range res.Unexpected {
		lines = append(lines, st.WarnText.Render("+ unexpected ")+termsafe.Line(u))
	}
	summary := fmt.Sprintf("replay: %d matched, %d differ, %d missing, %d unexpected", counts[replay.Matched], counts[replay.Differs], counts[replay.Missing], len(res.Unexpected))
	m.replay.Set("replay · expected vs actual", append([]string{summary, ""}, lines...))
	m.right = tabReplay
	m.setToast(summary, !res.OK())
}

// msDuration converts a recording's milliseconds to a duration.
func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
