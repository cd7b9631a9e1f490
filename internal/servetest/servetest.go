// Package servetest starts `wscope serve` on a free 127.0.0.1 port for a
// test and stops it when the test ends: the real diagnostic server, in
// process, instead of a hand-written echo handler.
package servetest

import (
	"testing"

	"github.com/wscope/wscope/serve"
)

// Start runs wscope serve until the test ends.
func Start(t testing.TB) *serve.Server {
	t.Helper()
	s, err := serve.Start(serve.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
