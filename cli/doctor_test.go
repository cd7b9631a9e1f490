package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spf13/cobra"

	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

// parseWith runs wscope's flag parsing with cmd in place of the command of
// the same name, and no network when cmd's runF stops there.
func parseWith(t *testing.T, cmd *cobra.Command, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootWith(Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, runSeams{})
	for _, c := range root.Commands() {
		if c.Name() == cmd.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(cmd)
	return execute(root, &out, &errOut, args)
}

func TestDoctorFlagsFillTheOptions(t *testing.T) {
	var got *doctorOptions
	cmd := newDoctorCmd(Env{Getenv: func(string) string { return "" }}, func(o *doctorOptions) error { got = o; return nil })
	code, msg := parseWith(t, cmd, "doctor", "wss://chat.example.com/cable",
		"--direct", "10.0.0.5:3000", "--idle", "75s", "--json", "--proxy", "http://127.0.0.1:3128",
		"-H", "Authorization: Bearer abc", "--origin", "https://chat.example.com", "--protocol", "actioncable",
		"--get-timeout", "2s", "--protocol-wait", "4s", "--redact", "X-Api-Key", "--timeout", "3s", "--connect-to", "a:1:b:2",
		"--compress-offer", "permessage-deflate; client_no_context_takeover")
	if code != 0 || got == nil {
		t.Fatalf("exit %d: %s", code, msg)
	}
	d := got.Doctor
	if !got.JSON || d.Direct != "10.0.0.5:3000" || d.Idle != 75*time.Second || d.GetTimeout != 2*time.Second || d.ProtocolWait != 4*time.Second {
		t.Errorf("doctor flags: %+v", d)
	}
	if d.Protocol != protocol.ActionCable || !d.ProtocolForced {
		t.Errorf("--protocol: %q %v", d.Protocol, d.ProtocolForced)
	}
	s := d.Session
	if s.URL != "wss://chat.example.com/cable" || s.Proxy != "http://127.0.0.1:3128" || s.Origin != "https://chat.example.com" ||
		s.Timeout != 3*time.Second || len(s.ConnectTo) != 1 || s.CompressOffer != "permessage-deflate; client_no_context_takeover" || len(s.Headers) != 1 || s.Headers[0] != (session.Header{Name: "Authorization", Value: "Bearer abc"}) {
		t.Errorf("connection flags: %+v", s)
	}
	if got := d.Redact.Header(session.Header{Name: "X-Api-Key", Value: "k"}); got.Value == "k" || !d.Redact.Enabled() {
		t.Errorf("--redact did not reach the redactor")
	}
}

func TestDoctorBadInputStopsBeforeTheNetwork(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"doctor"}, "accepts 1 arg"},
		{[]string{"doctor", "ftp://x/"}, "scheme"},
		{[]string{"doctor", "ws://x/", "--direct", "nohost"}, "HOST:PORT"},
		{[]string{"doctor", "ws://x/", "--direct", "ftp://x:1"}, "scheme"},
		{[]string{"doctor", "ws://x/", "--idle", "-1s"}, "negative"},
		{[]string{"doctor", "ws://x/", "--protocol", "bogus"}, "unknown protocol"},
		{[]string{"doctor", "ws://x/", "--bogus"}, "unknown flag"},
		{[]string{"doctor", "ws://x/", "--no-origin"}, "does not apply"},
		{[]string{"doctor", "ws://x/", "--compress"}, "does not apply"},
	} {
		called := false
		cmd := newDoctorCmd(Env{Getenv: func(string) string { return "" }}, func(*doctorOptions) error { called = true; return nil })
		code, msg := parseWith(t, cmd, c.args...)
		if code != 2 || called || !strings.Contains(msg, c.want) {
			t.Errorf("%v: exit %d, ran %v, message %q (want %q)", c.args, code, called, msg, c.want)
		}
	}
}

// originCheckingApp: gorilla's default origin check, 403 for a foreign
// Origin, 101 without one.
func originCheckingApp(t *testing.T) string {
	up := &websocket.Upgrader{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err == nil {
			c.Close()
		}
	}))
	t.Cleanup(s.Close)
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
}

func TestDoctorExitCodesAndOutput(t *testing.T) {
	srv := startServe(t)
	code, out, errOut := run(t, nil, "doctor", srv.URL("/echo"))
	if code != 0 || !strings.Contains(out, "✓ healthy") || !strings.Contains(out, "Checked:") {
		t.Fatalf("healthy: exit %d\n%s%s", code, out, errOut)
	}

	app := originCheckingApp(t)
	code, out, _ = run(t, nil, "doctor", app, "--origin", "http://evil.example")
	if code != 1 || !strings.Contains(out, "1. [error] origin-rejected") || !strings.Contains(out, "wscope explain origin-rejected") {
		t.Fatalf("origin: exit %d\n%s", code, out)
	}

	code, out, _ = run(t, nil, "doctor", app, "--origin", "http://evil.example", "--json")
	var doc struct {
		ExitCode int `json:"exit_code"`
		Causes   []struct {
			Rank   int      `json:"rank"`
			ID     string   `json:"id"`
			SeenBy []string `json:"seen_by"`
		} `json:"causes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 1 || doc.ExitCode != 1 || doc.Causes[0].ID != "origin-rejected" || doc.Causes[0].Rank != 1 {
		t.Fatalf("json: exit %d %v\n%s", code, err, out)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "ws://" + ln.Addr().String() + "/"
	ln.Close()
	code, out, _ = run(t, nil, "doctor", refused)
	if code != 1 || !strings.Contains(out, "connection-failed") {
		t.Fatalf("refused: exit %d\n%s", code, out)
	}

	code, _, errOut = run(t, nil, "doctor", srv.URL("/echo"), "--direct", "x")
	if code != 2 || !strings.Contains(errOut, "--direct") {
		t.Fatalf("bad --direct: exit %d %q", code, errOut)
	}
}

func TestExplain(t *testing.T) {
	code, out, _ := run(t, nil, "explain")
	if code != 0 || !strings.Contains(out, "origin-rejected ") || !strings.Contains(out, "connection-upgrade-forced") || !strings.Contains(out, "connection-failed") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, nil, "explain", "upgrade-rejected")
	if code != 0 || !strings.Contains(out, "What it means") || !strings.Contains(out, "proxy_set_header Upgrade") {
		t.Fatalf("upgrade-rejected: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, nil, "explain", "connection-failed")
	if code != 0 || !strings.Contains(out, "No WebSocket handshake") {
		t.Fatalf("connection-failed: exit %d\n%s", code, out)
	}
	code, out, errOut := run(t, nil, "explain", "orign-rejected")
	if code != 2 || out != "" || !strings.Contains(errOut, `did you mean "origin-rejected"?`) || !strings.Contains(errOut, "idle-timeout") {
		t.Fatalf("typo: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, nil, "explain", "\x1b[31mzzz")
	if code != 2 || strings.ContainsRune(errOut, 0x1b) || strings.Contains(errOut, "did you mean") {
		t.Fatalf("garbage: exit %d %q", code, errOut)
	}
	code, out, _ = run(t, nil, "explain", "idle-timeout", "--json")
	var e struct {
		ID    string `json:"id"`
		Fixes []struct {
			Display string `json:"display"`
		} `json:"fixes"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || code != 0 || e.ID != "idle-timeout" || len(e.Fixes) == 0 {
		t.Fatalf("json: exit %d %v\n%s", code, err, out)
	}
	code, out, _ = run(t, nil, "explain", "--json")
	var ids []string
	if err := json.Unmarshal([]byte(out), &ids); err != nil || code != 0 || len(ids) < 10 {
		t.Fatalf("json list: exit %d %v\n%s", code, err, out)
	}
}

func TestExplainSuggest(t *testing.T) {
	ids := []string{"idle-timeout", "origin-rejected", "upgrade-rejected", "upgrade-refused"}
	for in, want := range map[string]string{
		"orign-rejected": "origin-rejected",
		"idle":           "idle-timeout",
		"upgrade-refuse": "upgrade-refused",
		"UPGRADE-REJECT": "upgrade-rejected",
		"qqqqqqqq":       "",
	} {
		if got := suggest(in, ids); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
