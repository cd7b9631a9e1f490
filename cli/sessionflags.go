package cli

import (
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// sessionFeatures say which of the session flags a command honours; a
// command never registers a flag it would ignore.
type sessionFeatures uint8

const (
	withRecord    sessionFeatures = 1 << iota // --record, --redact, --no-redact
	withProtocol                              // --protocol, --auto-heartbeat
	withScript                                // --send, --send-file, --idle
	withLimits                                // --max-frames
	withReconnect                             // --reconnect

	// liveSession is what every command that runs a live session honours.
	liveSession = withRecord | withProtocol | withScript
)

// sessionFlags are the one flag group for the settings above
// session.Config (flow.Options): recording and redaction, the application
// protocol and its heartbeats, the script, limits and reconnecting. Every
// command that runs a session fills its options from it.
type sessionFlags struct {
	features      sessionFeatures
	record        string
	redact        []string
	noRedact      bool
	protocol      string
	autoHeartbeat bool
	sends         []string
	sendFiles     []string
	idle          time.Duration
	maxFrames     int
	reconnect     bool
}

func (f *sessionFlags) register(cmd *cobra.Command, features sessionFeatures) {
	f.features = features
	fs := cmd.Flags()
	f.protocol = "auto"
	if features&withRecord != 0 {
		fs.StringVar(&f.record, "record", "", "record the session to FILE (JSON Lines, mode 0600; see docs/recording.md)")
		fs.StringArrayVar(&f.redact, "redact", nil, "also hide this header's value in recordings, reports and exports (repeatable)")
		fs.BoolVar(&f.noRedact, "no-redact", false, "keep secrets (Authorization, Cookie, tokens in the URL) in recordings and reports")
	}
	if features&withProtocol != 0 {
		fs.StringVar(&f.protocol, "protocol", "auto", "application protocol: auto, none, "+strings.Join(protocol.Names(), ", "))
		fs.BoolVar(&f.autoHeartbeat, "auto-heartbeat", false, "answer the protocol's heartbeats (Socket.IO 2→3, graphql-ws ping→pong, Phoenix and STOMP heartbeats); shown as automatic")
	}
	if features&withScript != 0 {
		fs.StringArrayVar(&f.sends, "send", nil, "send this text message after connecting (repeatable)")
		fs.StringArrayVar(&f.sendFiles, "send-file", nil, "send the file's content (text if valid UTF-8, else binary; repeatable)")
		fs.DurationVar(&f.idle, "idle", 0, "send nothing (no pings) for this long and report whether something on the path cut the connection (e.g. 75s catches a 60s proxy timeout)")
	}
	if features&withLimits != 0 {
		fs.IntVar(&f.maxFrames, "max-frames", 0, "keep only about the last N frames in memory (a recording still gets them all); 0 keeps all")
	}
	if features&withReconnect != 0 {
		fs.BoolVar(&f.reconnect, "reconnect", false, "reconnect after a drop or a failed dial, with backoff (1s, 2s, 4s … 30s)")
	}
}

func (f *sessionFlags) redactor() *capture.Redactor { return capture.NewRedactor(f.redact, f.noRedact) }

// options turns the flags into flow.Options; it reads --send-file.
func (f *sessionFlags) options() (flow.Options, error) {
	o := flow.Options{Record: f.record, Redact: f.redactor(), AutoHeartbeat: f.autoHeartbeat,
		MaxFrames: f.maxFrames, Reconnect: f.reconnect}
	o.Idle = f.idle
	var err error
	if o.Protocol, o.ProtocolForced, err = protocol.Parse(f.protocol); err != nil {
		return o, usageErr("%v", err)
	}
	if f.idle < 0 {
		return o, usageErr("--idle must not be negative")
	}
	if f.maxFrames < 0 {
		return o, usageErr("--max-frames must not be negative")
	}
	for _, s := range f.sends {
		o.Sends = append(o.Sends, flow.Message{Op: session.OpText, Payload: []byte(s)})
	}
	for _, name := range f.sendFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			return o, usageErr("--send-file: %v", err)
		}
		op := session.OpText
		if !utf8.Valid(data) {
			op = session.OpBinary
		}
		o.Sends = append(o.Sends, flow.Message{Op: op, Payload: data})
	}
	return o, nil
}
