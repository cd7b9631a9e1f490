package probe

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/session"
)

// firehoseN is how many 64-byte messages each benchmark iteration reads.
const firehoseN = 200_000

// BenchmarkFirehose compares, in one run, a bare gorilla/websocket reader
// with wscope's probe (quiet) and the probe recording to a file, all
// reading `wscope serve`'s /firehose on loopback. The msgs/s metrics give
// the ratios the performance targets speak of (scripts/bench.sh prints them).
func BenchmarkFirehose(b *testing.B) {
	srv := servetest.Start(b)
	url := srv.URL(fmt.Sprintf("/firehose?n=%d&size=64", firehoseN))

	b.Run("gorilla", func(b *testing.B) {
		for b.Loop() {
			c, _, err := websocket.DefaultDialer.Dial(url, nil)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for n < firehoseN {
				if _, _, err := c.ReadMessage(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			c.Close()
		}
		b.ReportMetric(float64(firehoseN*b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	run := func(b *testing.B, record bool) {
		dir := b.TempDir()
		for i := 0; b.Loop(); i++ {
			o := Options{Session: session.Config{URL: url}, KeepFrames: 1, Options: flow.Options{Script: flow.Script{Count: firehoseN, Wait: 1 << 40}}}
			if record {
				o.Record, o.Redact = filepath.Join(dir, fmt.Sprintf("r%d.jsonl", i)), capture.NewRedactor(nil, false)
			}
			r := Run(context.Background(), o)
			if r.Counts.RecvMessages < firehoseN {
				b.Fatalf("received %d of %d: %s", r.Counts.RecvMessages, firehoseN, r.Error)
			}
		}
		b.ReportMetric(float64(firehoseN*b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("probe", func(b *testing.B) { run(b, false) })
	b.Run("probe-record", func(b *testing.B) { run(b, true) })
}
