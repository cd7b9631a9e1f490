package cli

import (
	"testing"

	"github.com/spf13/pflag"

	"github.com/wscope/wscope/session"
)

// TestOriginAndCompressOfferFlags: --no-origin and --compress-offer reach
// the session config, and contradictions are usage errors.
func TestOriginAndCompressOfferFlags(t *testing.T) {
	conf := func(args ...string) (session.Config, error) {
		var f connFlags
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		f.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return f.config("ws://h/", Env{Getenv: func(string) string { return "" }})
	}
	if c, err := conf(); err != nil || c.NoOrigin || c.Origin != "" || c.Compress || c.CompressOffer != "" {
		t.Errorf("defaults: %+v %v", c, err)
	}
	if c, err := conf("--no-origin", "--compress-offer", "permessage-deflate; client_no_context_takeover"); err != nil || !c.NoOrigin ||
		c.CompressOffer != "permessage-deflate; client_no_context_takeover" {
		t.Errorf("--no-origin --compress-offer: %+v %v", c, err)
	}
	if _, err := conf("--no-origin", "--origin", "https://a.example"); err == nil {
		t.Error("--origin with --no-origin accepted")
	}
}
