package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/protocol"
)

// recordFlags are the flags that write recordings.
type recordFlags struct {
	path     string
	redact   []string
	noRedact bool
}

func (f *recordFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.path, "record", "", "record the session to FILE (JSON Lines, mode 0600; see docs/recording.md)")
	cmd.Flags().StringArrayVar(&f.redact, "redact", nil, "also hide this header's value in recordings and exports (repeatable)")
	cmd.Flags().BoolVar(&f.noRedact, "no-redact", false, "keep secrets (Authorization, Cookie, tokens in the URL) in recordings")
}

func (f *recordFlags) redactor() *capture.Redactor { return capture.NewRedactor(f.redact, f.noRedact) }

// protoFlags choose the application protocol and its heartbeats.
type protoFlags struct {
	name          string
	autoHeartbeat bool
}

func (f *protoFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.name, "protocol", "auto", "application protocol: auto, none, "+strings.Join(protocol.Names(), ", "))
	cmd.Flags().BoolVar(&f.autoHeartbeat, "auto-heartbeat", false, "answer the protocol's heartbeats (Socket.IO 2→3, graphql-ws ping→pong, Phoenix and STOMP heartbeats); shown as automatic")
}
