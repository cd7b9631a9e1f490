package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/serve"
)

// run executes wscope in-process and returns exit code, stdout, stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

func startServe(t *testing.T) *serve.Server { return servetest.Start(t) }

func TestProbeAgainstServeExitsZero(t *testing.T) {
	srv := startServe(t)
	code, out, errOut := run(t, nil, "probe", srv.URL("/echo"), "--send", "hello wscope", "--count", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"GET /echo HTTP/1.1", "HTTP/1.1 101 Switching Protocols", "hello wscope", "closed cleanly"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestProbeJSONAndSendFile(t *testing.T) {
	srv := startServe(t)
	file := filepath.Join(t.TempDir(), "bin")
	os.WriteFile(file, []byte{0, 1, 2, 0xff}, 0o600)
	code, out, _ := run(t, nil, "probe", srv.URL("/echo"), "--send-file", file, "--count", "1", "--json")
	var doc struct {
		Status   int  `json:"status"`
		Upgraded bool `json:"upgraded"`
		Frames   []struct {
			Dir, Opcode, Base64 string
		} `json:"frames"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if doc.Status != 101 || !doc.Upgraded || doc.Frames[0].Opcode != "binary" || doc.Frames[0].Base64 != "AAEC/w==" {
		t.Fatalf("%+v", doc)
	}
}

func TestExitCodes(t *testing.T) {
	srv := startServe(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "ws://" + ln.Addr().String() + "/"
	ln.Close()
	cases := []struct {
		args []string
		code int
		want string // on stdout or stderr
	}{
		{[]string{"probe", "ftp://nope"}, 2, "scheme"},
		{[]string{"probe", srv.URL("/echo"), "--bogus"}, 2, "unknown flag"},
		{[]string{"probe"}, 2, "accepts 1 arg"},
		{[]string{"probe", srv.URL("/echo"), "-H", "no colon"}, 2, "Name: value"},
		{[]string{"probe", srv.URL("/echo"), "--send-file", "/nonexistent/file"}, 2, "no such file"},
		{[]string{"probe", refused}, 1, "connection refused"},
		{[]string{"probe", strings.Replace(srv.URL("/"), "ws://", "http://", 1)}, 1, "instead of 101"},
		{[]string{"probe", srv.URL("/close?code=4001&reason=bye")}, 0, "4001"},
		{[]string{"probe", srv.URL("/close?abrupt=1")}, 1, "abnormal-close"},
		{[]string{"--theme", "nope", srv.URL("/echo")}, 2, "unknown theme"},
	}
	for _, c := range cases {
		code, out, errOut := run(t, nil, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d (want %d), output lacks %q:\n%s%s", c.args, code, c.code, c.want, out, errOut)
		}
		if strings.ContainsRune(errOut, 0x1b) {
			t.Errorf("%v: raw escape on stderr", c.args)
		}
	}
}

func TestServeRefusesBusyPort(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	code, _, errOut := run(t, nil, "serve", "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(errOut, "hint:") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d: %q", code, errOut)
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	srv := startServe(t)
	// A proxy that refuses connections: if the environment is honoured the
	// probe fails at the proxy; with --no-proxy it goes direct.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	env := map[string]string{"http_proxy": dead}
	code, out, _ := run(t, env, "probe", srv.URL("/echo"))
	if code != 1 || !strings.Contains(out, "connection refused by proxy") {
		t.Fatalf("env proxy not used: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, env, "probe", "--no-proxy", srv.URL("/echo")); code != 0 {
		t.Fatalf("--no-proxy: exit %d\n%s", code, out)
	}
	env["NO_PROXY"] = "127.0.0.1"
	if code, out, _ := run(t, env, "probe", srv.URL("/echo")); code != 0 {
		t.Fatalf("NO_PROXY: exit %d\n%s", code, out)
	}
}

func TestRecordReplayExport(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "s.jsonl")
	if code, out, _ := run(t, nil, "probe", srv.URL("/echo"), "--send", `{"a":1}`, "--send", "two", "--count", "2", "--record", rec); code != 0 {
		t.Fatalf("probe --record: %d\n%s", code, out)
	}
	code, out, errOut := run(t, nil, "replay", rec, "--no-delay")
	if code != 0 || !strings.Contains(out, "2 matched, 0 differ, 0 missing, 0 unexpected") {
		t.Fatalf("replay: %d\n%s%s", code, out, errOut)
	}
	// Against a server that answers differently: exit 1 and a readable diff.
	code, out, _ = run(t, nil, "replay", rec, "--no-delay", "--settle", "300ms", "--target", srv.URL("/headers"))
	if code != 1 || !strings.Contains(out, "differs") || !strings.Contains(out, "$.a: missing") {
		t.Fatalf("replay against /headers: %d\n%s", code, out)
	}
	har := filepath.Join(dir, "s.har")
	if code, _, errOut := run(t, nil, "export", rec, "-o", har); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	code, out, _ = run(t, nil, "replay", har, "--no-delay", "--json")
	var res struct {
		Items []struct{ Verdict string } `json:"items"`
	}
	if json.Unmarshal([]byte(out), &res); code != 0 || len(res.Items) != 2 || res.Items[0].Verdict != "matched" {
		t.Fatalf("replay of the exported HAR: %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"format":"wscope-recording","version":9}`+"\n"), 0o600)
	for _, args := range [][]string{{"replay", bad}, {"view", bad}, {"replay", "/nonexistent.jsonl"}, {"export", bad}} {
		if code, _, errOut := run(t, nil, args...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}

func TestCompareCommand(t *testing.T) {
	srv := startServe(t)
	code, out, errOut := run(t, nil, "compare", srv.URL("/headers"), srv.URL("/headers"), "--b-header", "X-Only-B: 1", "--count", "1")
	if code != 0 || !strings.Contains(out, "+ X-Only-B: 1   (only B)") || !strings.Contains(out, "headers the backend received") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, nil, "compare", srv.URL("/echo"), strings.Replace(srv.URL("/"), "ws://", "http://", 1), "--json")
	var doc struct {
		A struct{ Status int } `json:"a"`
		B struct{ Status int } `json:"b"`
	}
	if json.Unmarshal([]byte(out), &doc); code != 1 || doc.A.Status != 101 || doc.B.Status != 200 {
		t.Fatalf("exit %d %+v\n%s", code, doc, out)
	}
	if code, _, _ := run(t, nil, "compare", srv.URL("/echo"), "ftp://x"); code != 2 {
		t.Fatalf("bad URL: exit %d", code)
	}
}
