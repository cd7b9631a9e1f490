package ui

import (
	"github.com/wscope/wscope/protocol"
)

// proto is the application protocol of the current connection, if known.
func (m *Model) proto() protocol.Name {
	if m.flow == nil {
		return protocol.None
	}
	return m.flow.Protocol()
}

// refreshProtocolFindings adds findings that appear with time (ActionCable
// welcome never came, Engine.IO pings stopped) while the connection is up.
func (m *Model) refreshProtocolFindings() {
	if m.flow == nil {
		return
	}
	m.setFindings(m.flow.Findings(m.common.Now()))
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
