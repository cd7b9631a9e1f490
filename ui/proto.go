package ui

import (
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// maxLabelPayload bounds the payloads the log labels while rendering.
const maxLabelPayload = 64 << 10

// proto is the application protocol of the current connection, if known.
func (m *Model) proto() protocol.Name {
	if m.tracker == nil {
		return protocol.None
	}
	return m.tracker.Protocol()
}

// labeler returns the function the log and the filter use to label a
// frame in the current protocol (nil when there is none).
func (m *Model) labeler() func(*session.Frame) string {
	p := m.proto()
	if p == protocol.None {
		return nil
	}
	return func(f *session.Frame) string {
		if f.Op != session.OpText || len(f.Payload) > maxLabelPayload {
			return ""
		}
		return protocol.Of(p, f.Payload).String()
	}
}

// refreshProtocolFindings adds findings that appear with time (ActionCable
// welcome never came, Engine.IO pings stopped) while the connection is up.
func (m *Model) refreshProtocolFindings() {
	if m.tracker == nil {
		return
	}
	extra := m.tracker.Findings(m.common.Now())
	if len(extra) == 0 {
		return
	}
	fs := append(diagnose.Diagnose(diagnose.Evidence{Chain: m.chain, Subprotos: m.cfg.Subprotocols}), extra...)
	m.hs.SetFindings(fs)
}

// nextTemplate fills the send box with the protocol's next template.
func (m *Model) nextTemplate() string {
	ts := protocol.Templates(m.proto())
	if len(ts) == 0 {
		return ""
	}
	t := ts[m.templateIdx%len(ts)]
	m.templateIdx++
	m.send.SetValue(t.Text)
	return t.Name
}
