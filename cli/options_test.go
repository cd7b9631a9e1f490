package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
	"github.com/wscope/wscope/ui"
)

// parse runs wscope's flag parsing with the given seams and no network
// (a seam that stops the command stops it right after parsing).
func parse(t *testing.T, seams runSeams, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootWith(Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, seams)
	return execute(root, &out, &errOut, args)
}

// execute runs root with args and maps its error to an exit code and message.
func execute(root *cobra.Command, out, errOut *bytes.Buffer, args []string) (int, string) {
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	if err := root.ExecuteContext(context.Background()); err != nil {
		if ee, ok := err.(*exitError); ok {
			return ee.code, ee.msg
		}
		return 2, err.Error()
	}
	return 0, ""
}

// TestCompareFlagsReachTheSplitView: every session flag the split view
// used to ignore now reaches it, and the per-side flags reach their side.
func TestCompareFlagsReachTheSplitView(t *testing.T) {
	var got *compareOptions
	code, msg := parse(t, runSeams{compare: func(o *compareOptions) error { got = o; return nil }},
		"compare", "ws://a.example/cable", "ws://b.example/cable",
		"--send", "hello", "--idle", "4s", "--record", "s.jsonl", "--protocol", "actioncable", "--auto-heartbeat",
		"--theme-file", "../themes/testdata/example.toml", "--reconnect", "--max-frames", "5",
		"--a-proxy", "http://127.0.0.1:3128", "--b-header", "X-Side: b", "--subprotocol", "actioncable-v1-json")
	if code != 0 || got == nil {
		t.Fatalf("exit %d: %s", code, msg)
	}
	v := got.splitViewOptions()
	if v.URLA != "ws://a.example/cable" || v.URLB != "ws://b.example/cable" {
		t.Errorf("URLs %q %q", v.URLA, v.URLB)
	}
	f := v.Flow
	if len(f.Sends) != 1 || string(f.Sends[0].Payload) != "hello" || f.Idle != 4*time.Second || f.Record != "s.jsonl" ||
		f.Protocol != protocol.ActionCable || !f.ProtocolForced || !f.AutoHeartbeat || !f.Reconnect || f.MaxFrames != 5 || f.Redact == nil {
		t.Errorf("session options did not reach the split view: %+v", f)
	}
	if v.Custom == nil || v.Theme != v.Custom.Name {
		t.Errorf("--theme-file did not reach the split view: %q %v", v.Theme, v.Custom)
	}
	if v.A.Proxy != "http://127.0.0.1:3128" || v.B.Proxy != "" {
		t.Errorf("--a-proxy: A %q B %q", v.A.Proxy, v.B.Proxy)
	}
	if len(v.B.Headers) != 1 || v.B.Headers[0] != (session.Header{Name: "X-Side", Value: "b"}) || len(v.A.Headers) != 0 {
		t.Errorf("--b-header: A %v B %v", v.A.Headers, v.B.Headers)
	}
	for _, cfg := range []session.Config{v.A, v.B} {
		if len(cfg.Subprotocols) != 1 {
			t.Errorf("shared --subprotocol missing on a side: %v", cfg.Subprotocols)
		}
	}
	// The report mode gets the same options, and a recording per side.
	if p := got.probeOptions(got.URLB, got.B, "b"); p.Record != "s.b.jsonl" || p.Idle != 4*time.Second || !p.AutoHeartbeat {
		t.Errorf("report mode options: %+v", p.Options)
	}
	if got.SplitView {
		t.Error("stdout is not a terminal here: the split view must not be chosen")
	}
}

func TestProbeAndRootFlagsFillTheSameOptions(t *testing.T) {
	var p *probeOptions
	code, msg := parse(t, runSeams{probe: func(o *probeOptions) error { p = o; return nil }},
		"probe", "ws://h/socket.io/", "--send", "40", "--idle", "2s", "--protocol", "socketio", "--auto-heartbeat", "--record", "p.jsonl", "--count", "3")
	if code != 0 || p == nil {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if p.URL != "ws://h/socket.io/" || p.Count != 3 || p.Wait != 24*time.Hour || p.Flow.Idle != 2*time.Second ||
		p.Flow.Protocol != protocol.SocketIO || !p.Flow.AutoHeartbeat || p.Flow.Record != "p.jsonl" || len(p.Flow.Sends) != 1 {
		t.Errorf("probe options: %+v", p)
	}
	var u *ui.Options
	code, msg = parse(t, runSeams{root: func(o *ui.Options) error { u = o; return nil }},
		"ws://h/cable", "--send", "hi", "--protocol", "actioncable", "--max-frames", "7", "--reconnect", "--record", "r.jsonl")
	if code != 0 || u == nil {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if u.Config.URL != "ws://h/cable" || u.MaxFrames != 7 || !u.Reconnect || u.Record != "r.jsonl" || u.Protocol != protocol.ActionCable || len(u.Sends) != 1 {
		t.Errorf("TUI options: %+v", u.Options)
	}
	// A flag a command does not honour is refused, not ignored.
	if code, _ := parse(t, runSeams{probe: func(*probeOptions) error { return nil }}, "probe", "ws://h/", "--reconnect"); code != 2 {
		t.Errorf("probe --reconnect: exit %d, want 2 (unknown flag)", code)
	}
	if code, _ := parse(t, runSeams{probe: func(*probeOptions) error { return nil }}, "probe", "ws://h/", "--protocol", "nope"); code != 2 {
		t.Errorf("probe --protocol nope: exit %d, want 2", code)
	}
}

// TestHTTPFlagsReachEveryDialer: --http, --h2c and --force-h2 reach the
// session of probe, the TUI, doctor and each side of compare
// (--a-http/--b-http), and a bad value is a usage error.
func TestHTTPFlagsReachEveryDialer(t *testing.T) {
	var p *probeOptions
	if code, msg := parse(t, runSeams{probe: func(o *probeOptions) error { p = o; return nil }},
		"probe", "ws://h/", "--http", "2", "--h2c", "--force-h2"); code != 0 || p == nil {
		t.Fatalf("probe: exit %d: %s", code, msg)
	}
	if p.Session.HTTP != session.HTTPMode2 || !p.Session.H2C || !p.Session.ForceH2 {
		t.Errorf("probe session: %+v", p.Session)
	}
	var u *ui.Options
	if code, msg := parse(t, runSeams{root: func(o *ui.Options) error { u = o; return nil }}, "wss://h/", "--http", "auto"); code != 0 || u == nil {
		t.Fatalf("TUI: exit %d: %s", code, msg)
	}
	if u.Config.HTTP != session.HTTPModeAuto {
		t.Errorf("TUI session: %q", u.Config.HTTP)
	}
	var d *doctorOptions
	if code, msg := parse(t, runSeams{doctor: func(o *doctorOptions) error { d = o; return nil }}, "doctor", "wss://h/", "--http", "2"); code != 0 || d == nil {
		t.Fatalf("doctor: exit %d: %s", code, msg)
	}
	if d.Doctor.Session.HTTP != session.HTTPMode2 {
		t.Errorf("doctor session: %q", d.Doctor.Session.HTTP)
	}
	var c *compareOptions
	if code, msg := parse(t, runSeams{compare: func(o *compareOptions) error { c = o; return nil }},
		"compare", "wss://h/", "wss://h/", "--a-http", "1.1", "--b-http", "2", "--force-h2", "--report"); code != 0 || c == nil {
		t.Fatalf("compare: exit %d: %s", code, msg)
	}
	if c.A.HTTP != session.HTTPMode11 || c.A.ForceH2 || c.B.HTTP != session.HTTPMode2 || !c.B.ForceH2 {
		t.Errorf("compare sides: A %q force %v, B %q force %v", c.A.HTTP, c.A.ForceH2, c.B.HTTP, c.B.ForceH2)
	}
	if !strings.Contains(c.LabelB, "HTTP/2") || !strings.Contains(c.LabelA, "HTTP/1.1") {
		t.Errorf("labels %q / %q do not say the HTTP versions", c.LabelA, c.LabelB)
	}
	for _, args := range [][]string{{"probe", "ws://h/", "--http", "3"}, {"compare", "ws://h/", "ws://h/", "--b-http", "h2", "--report"}} {
		if code, _ := parse(t, runSeams{probe: func(*probeOptions) error { return nil }, compare: func(*compareOptions) error { return nil }}, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
