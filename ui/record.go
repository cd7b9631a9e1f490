package ui

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/capture"
)

// recordStartedMsg carries a recorder created by the record key.
type recordStartedMsg struct {
	rec *capture.Recorder
	err error
}

// recordStoppedMsg reports a recording that was closed.
type recordStoppedMsg struct {
	path string
	err  error
}

// toggleRecording starts a recording (file named from host and time) or
// stops the one in progress. The file work happens in commands; the
// record action's canRecord says when it cannot start.
func (m *Model) toggleRecording() tea.Cmd {
	if m.rec != nil {
		rec := m.rec
		m.rec = nil
		if m.flow != nil {
			m.flow.SetRecorder(nil)
		}
		return func() tea.Msg { return recordStoppedMsg{path: rec.Path(), err: rec.Close()} }
	}
	hs := m.chain[len(m.chain)-1]
	path := filepath.Join(m.opts.RecordDir, defaultRecordName(hs.URL, m.common.Now().Format("20060102-150405")))
	redact := m.opts.Redact
	return func() tea.Msg {
		rec, err := capture.Create(path, capture.Header{URL: hs.URL, Handshake: capture.HandshakeRecordOf(hs)}, redact)
		return recordStartedMsg{rec: rec, err: err}
	}
}

// defaultRecordName is wscope-HOST-TIME.jsonl with the host made file-safe.
func defaultRecordName(rawURL, stamp string) string {
	host := "session"
	if u, err := url.Parse(rawURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, host)
	return fmt.Sprintf("wscope-%s-%s.jsonl", host, stamp)
}

// checkRecording surfaces a recording error (a full disk) once; the
// session goes on.
func (m *Model) checkRecording() {
	if m.rec == nil || m.recWarn {
		return
	}
	if err := m.rec.Err(); err != nil {
		m.recWarn = true
		m.setToast(err.Error(), true)
	}
}
