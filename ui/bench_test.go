package ui

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/themes"
)

// millionFrames builds a log of n 64-byte frames, as a firehose leaves it.
func millionFrames(n int) *frameLog {
	c := &Common{Styles: themes.New(themes.Default(true)), Now: time.Now}
	l := newFrameLog(c)
	l.SetSize(120, 50)
	start := time.Now()
	batch := make([]flow.Frame, 0, 4096)
	for i := 0; i < n; i++ {
		// Exactly 64 bytes in its own allocation, as the engine delivers it.
		p := bytes.Clone([]byte(fmt.Sprintf(`{"seq":%08d,"type":"tick","pad":"xxxxxxxxxxxxxxxxxxxxxxxxx"}`, i))[:64])
		batch = append(batch, flow.Frame{Frame: session.Frame{Time: start.Add(time.Duration(i) * time.Microsecond), Payload: p, Op: session.OpText, Dir: session.Recv}})
		if len(batch) == cap(batch) {
			l.Append(batch)
			batch = batch[:0]
		}
	}
	l.Append(batch)
	return l
}

func BenchmarkLogMillion(b *testing.B) {
	l := millionFrames(1_000_000)
	key := func(k string) tea.KeyPressMsg { return keyMsg(k) }
	b.Run("View", func(b *testing.B) {
		for b.Loop() {
			_ = l.View()
		}
	})
	b.Run("End", func(b *testing.B) {
		for b.Loop() {
			l.Update(key("g"))
			l.Update(key("end"))
			_ = l.View()
		}
	})
	b.Run("PgDn", func(b *testing.B) {
		l.Update(key("g"))
		for b.Loop() {
			l.Update(tea.KeyPressMsg{Code: tea.KeyPgDown})
			_ = l.View()
		}
	})
	b.Run("Select", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			l.Click(1 + i%40)
			_ = l.View()
		}
	})
	b.Run("Filter", func(b *testing.B) {
		for b.Loop() {
			q, _ := parseQuery("seq\":00999")
			l.SetQuery(q)
			_ = l.View()
		}
		l.SetQuery(nil)
	})
	b.Run("FilterRegexp", func(b *testing.B) {
		for b.Loop() {
			q, _ := parseQuery(`/"seq":0099\d{4}/`)
			l.SetQuery(q)
		}
		l.SetQuery(nil)
	})
}

// BenchmarkLogMemory reports the heap the log holds per stored frame
// beyond its payload (the target is at most 64 bytes).
func BenchmarkLogMemory(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l := millionFrames(1_000_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB-held")
		b.ReportMetric((float64(after.HeapAlloc-before.HeapAlloc)/1_000_000)-64, "overhead-B/frame")
		runtime.KeepAlive(l)
	}
}

// BenchmarkLargeFrame is the cost of an 8 MiB frame arriving and being
// shown (log row and detail pane): it must be bounded, not proportional
// to the payload.
func BenchmarkLargeFrame(b *testing.B) {
	for _, size := range []int{64, 8 << 20} {
		p := bytes.Repeat([]byte(`{"k":"v"},`), size/10+1)[:size]
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			m := New(Options{Config: session.Config{URL: "ws://x/"}, Theme: "dark", NoBgQuery: true})
			m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
			for b.Loop() {
				m.log.Append([]flow.Frame{{Frame: session.Frame{Time: time.Now(), Payload: p, Op: session.OpText}}})
				m.syncDetail()
				_ = m.render()
			}
		})
	}
}
