package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/internal/realproxy"
)

// These tests drive the real binary in a real terminal: tmux runs it,
// send-keys types, capture-pane reads the screen.

// buildBinary compiles wscope once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wscope")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type tmux struct {
	t       *testing.T
	socket  string
	session string
}

func startTmux(t *testing.T, width, height int, command string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (Debian package: tmux); .ci/run installs it")
	}
	tm := &tmux{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), session: "wscope"}
	home := t.TempDir()
	tm.run("new-session", "-d", "-s", tm.session, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height),
		"env", "TERM=xterm-256color", "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"), "sh", "-c", command+"; echo EXITED $?; sleep 30")
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) keys(keys ...string) {
	tm.run(append([]string{"send-keys", "-t", tm.session}, keys...)...)
}

func (tm *tmux) screen() string { return tm.run("capture-pane", "-p", "-t", tm.session) }

// waitFor polls the screen until it contains all of want.
func (tm *tmux) waitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(s, w) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
	return ""
}

func TestE2EDemoEchoFilterAndQuit(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	bin := buildBinary(t)
	tm := startTmux(t, 140, 40, bin+" demo --theme dark")
	tm.waitFor(10*time.Second, "● open", "demo", "tick")
	tm.keys("i")
	tm.keys("hello from tmux")
	tm.keys("Enter")
	tm.waitFor(5*time.Second, "→ text", "hello from tmux", "← text")
	tm.keys("Escape")
	time.Sleep(300 * time.Millisecond) // a lone ESC is told from alt+key by a pause, as a person types it
	tm.keys("/")
	tm.keys("hello")
	tm.keys("Enter")
	screen := tm.waitFor(5*time.Second, `filter "hello"`)
	if !strings.Contains(screen, "hello from tmux") {
		t.Fatalf("filter lost the echo:\n%s", screen)
	}
	tm.keys("h")
	tm.waitFor(5*time.Second, "GET /demo", "101 Switching Protocols", "Sec-WebSocket-Accept")
	tm.keys("q")
	tm.waitFor(5*time.Second, "EXITED 0")
}

func TestE2EConnectFailureShowsCauseAndHint(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	bin := buildBinary(t)
	tm := startTmux(t, 120, 30, bin+" ws://127.0.0.1:1/nothing")
	tm.waitFor(10*time.Second, "connection refused", "hint:")
	tm.keys("q")
	tm.waitFor(5*time.Second, "EXITED 0")
}

// TestKill9LosesAtMost100ms records a ticking stream with the real binary,
// kills it with SIGKILL, and checks how much of the stream reached the disk.
func TestKill9LosesAtMost100ms(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	bin := buildBinary(t)
	addr := startServeBinary(t, bin)

	path := filepath.Join(t.TempDir(), "killed.jsonl")
	probe := exec.Command(bin, "probe", "ws://"+addr+"/ticker?interval=5ms", "--wait", "30s", "--record", path, "--quiet")
	if err := probe.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	probe.Process.Signal(syscall.SIGKILL)
	killedAt := time.Now()
	probe.Wait()

	rec, err := capture.ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Complete {
		t.Fatal("a killed recording claims to be complete")
	}
	var last float64
	for _, e := range rec.Events {
		if e.IsFrame() {
			last = e.T
		}
	}
	lost := killedAt.Sub(rec.Header.Started) - time.Duration(last*float64(time.Millisecond))
	t.Logf("%d frames on disk; the last one %v before the kill", rec.Frames(), lost)
	// The promise is 100 ms; the tick interval (5 ms) and signal delivery
	// are noise on top of it.
	if lost > 110*time.Millisecond {
		t.Fatalf("lost the last %v of the session; at most 100 ms is allowed", lost)
	}
}

// startServeBinary runs `wscope serve` on a free loopback port until the
// test ends, and returns its address.
func startServeBinary(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, "serve", "--addr", addr)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitListening(t, addr)
	return addr
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

func TestE2ECompareSplitView(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	bin := buildBinary(t)
	addr := startServeBinary(t, bin)
	tm := startTmux(t, 150, 44, bin+" compare ws://"+addr+"/echo ws://"+addr+"/echo --b-header 'X-Side: b' --compress")
	tm.waitFor(10*time.Second, "A: open", "B: open", "what differs")
	tm.keys("i")
	tm.keys("hello both")
	tm.keys("Enter")
	screen := tm.waitFor(5*time.Second, "hello both")
	if strings.Count(screen, "hello both") < 4 {
		t.Fatalf("expected the message and its echo on both sides:\n%s", screen)
	}
	tm.keys("Escape")
	time.Sleep(300 * time.Millisecond)
	tm.keys("q")
	tm.waitFor(5*time.Second, "EXITED 0")
}

// TestE2ECompareIdleSplitViewMatchesReport runs `wscope compare A B --idle`
// in a terminal against the app directly (A) and through a real nginx that
// cuts idle tunnels after 2 s (B): the split view shows the idle-timeout
// finding, every finding id `compare --report --json` reports for the same
// pair, records both sides, and exits 1 like the report does.
func TestE2ECompareIdleSplitViewMatchesReport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	tmpl, err := os.ReadFile(filepath.Join("compare", "testdata", "nginx.conf.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	addr := startServeBinary(t, bin)
	px := realproxy.Nginx(t, string(tmpl), map[string]string{"upstream": addr, "upgrade": "yes", "read_timeout": "2s"})
	a, b := "ws://"+addr+"/echo", "ws://"+px.Addr+"/echo"

	out, _ := exec.Command(bin, "compare", a, b, "--idle", "4s", "--report", "--json").Output()
	var res struct {
		A, B     struct{ Findings []struct{ ID string } }
		Findings []struct{ ID string }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("compare --report --json: %v\n%s", err, out)
	}
	var ids []string
	for _, fs := range [][]struct{ ID string }{res.A.Findings, res.B.Findings, res.Findings} {
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
	}
	if !slices.Contains(ids, "idle-timeout") {
		t.Fatalf("the report has no idle-timeout finding: %v\n%s", ids, out)
	}

	rec := filepath.Join(t.TempDir(), "idle.jsonl")
	tm := startTmux(t, 160, 46, bin+" compare "+a+" "+b+" --idle 4s --no-color --record "+rec)
	tm.waitFor(10*time.Second, "A: open", "B: open")
	// B is cut after 2 s; once A has stayed up for the 4 s, the comparison
	// says the timeout is on B's path.
	screen := tm.waitFor(15*time.Second, "A: open", "B: closed", "≠ [error] idle-timeout", "B [error] idle-timeout")
	for _, id := range ids {
		if !strings.Contains(screen, "] "+id+":") {
			t.Errorf("the report has finding %s, the split view does not:\n%s", id, screen)
		}
	}
	tm.keys("q")
	tm.waitFor(5*time.Second, "EXITED 1")
	for _, side := range []string{"a", "b"} {
		r, err := capture.ReadFile(strings.TrimSuffix(rec, ".jsonl")+"."+side+".jsonl", "")
		if err != nil {
			t.Fatalf("side %s was not recorded: %v", side, err)
		}
		if len(r.Events) == 0 {
			t.Fatalf("side %s's recording is empty", side)
		}
	}
}
