package flow

import (
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// Options are the settings above session.Config that every front end
// shares: what to record and how to redact it, the application protocol and
// its heartbeats, the script, and the limits. Every command fills them from
// one flag group (cli), and the TUI, both sides of the compare split view,
// probe and replay honour all of them.
type Options struct {
	// Record, when set, writes the session to this file as it happens.
	Record string
	// RecordMeta goes into the recording's header (replay notes what it
	// replayed).
	RecordMeta map[string]string
	// Continue carries a recording in progress over to this flow (a
	// reconnect); Record is ignored then.
	Continue *capture.Recorder
	// Redact hides secrets in recordings and reports (nil: none).
	Redact *capture.Redactor
	// Protocol forces an application protocol (ProtocolForced); otherwise
	// it is detected. AutoHeartbeat answers the protocol's heartbeats.
	Protocol       protocol.Name
	ProtocolForced bool
	AutoHeartbeat  bool
	// Script is what to do once connected (its fields are promoted:
	// opts.Sends, opts.Idle).
	Script
	// MaxFrames keeps only about the last N frames in a view's memory
	// (0: all); a recording still gets every frame.
	MaxFrames int
	// Reconnect redials after a drop or a failed dial, with backoff
	// (interactive front ends).
	Reconnect bool
}

// Script is what a flow does once connected.
type Script struct {
	// Sends are sent in order right after the upgrade.
	Sends []Message
	// Count stops a headless run after this many received messages (0: no
	// limit).
	Count int
	// Wait stops a headless run after this long (0: the front end's
	// default).
	Wait time.Duration
	// Idle sends nothing, not even pings, for this long, and the diagnosis
	// reports whether something on the path cut the connection.
	Idle time.Duration
}

// Message is one thing to send.
type Message struct {
	Op      session.Opcode
	Payload []byte
}
