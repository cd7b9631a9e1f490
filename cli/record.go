package cli

import (
	"github.com/spf13/cobra"

	"github.com/wscope/wscope/capture"
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
